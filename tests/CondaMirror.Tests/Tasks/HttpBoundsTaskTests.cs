using CondaMirror.Core.Errors;
using CondaMirror.MSBuild;
using CondaMirror.TestKit;
using CondaMirror.TestKit.Channels;
using Microsoft.Build.Utilities;
using Task = System.Threading.Tasks.Task;
using Xunit;

namespace CondaMirror.Tests.Tasks;

/// <summary>CondaMaxRepodataBytes, CondaMaxRetryAfterSeconds and CondaHttpRequestDeadlineSeconds reach Core.</summary>
public class HttpBoundsTaskTests
{
    [SkippableFact]
    public async Task Max_repodata_bytes_reaches_the_fetcher()
    {
        using var dir = new TempDirectory();
        new ChannelBuilder().Add("data", "1.0", "0", "noarch").WriteTo(dir.Combine("upstream"));
        ShardedChannelWriter.RemoveShards(dir.Combine("upstream")); // the limit is about monolithic repodata
        await using var server = new LoopbackChannelServer(dir.Combine("upstream"));
        var engine = new FakeBuildEngine();
        var task = new ResolveCondaLock
        {
            BuildEngine = engine,
            Packages = [new TaskItem("data")],
            Channels = [new TaskItem(server.BaseUri.AbsoluteUri)],
            Platforms = "linux-64",
            LockFile = dir.Combine("conda-mirror.lock"),
            RepodataCachePath = dir.Combine("cache"),
            MaxRepodataBytes = 16,
        };

        Assert.False(task.Execute());

        var error = Assert.Single(engine.Errors);
        Assert.Equal(ErrorCodes.RepodataTooLarge, error.Code);
        Assert.Contains(server.BaseUri.AbsoluteUri, error.Message);
    }

    [SkippableFact]
    public async Task Max_retry_after_seconds_reaches_the_downloader()
    {
        using var dir = new TempDirectory();
        new ChannelBuilder().Add("data", "1.0", "0", "noarch").WriteTo(dir.Combine("upstream"));
        await using var server = new LoopbackChannelServer(dir.Combine("upstream"));
        var hashes = CondaMirror.Core.IO.FileHashes.Compute(dir.Combine("upstream", "noarch", "data-1.0-0.conda"));
        var url = server.UrlFor("noarch/data-1.0-0.conda");
        File.WriteAllText(dir.Combine("pixi.lock"), $"""
            version: 6
            environments:
              default:
                channels:
                - url: {server.BaseUri}
                packages:
                  linux-64:
                  - conda: {url}
            packages:
            - conda: {url}
              sha256: {hashes.Sha256}
              depends: []
              size: {hashes.Size}
            """);
        // Within the default of 60 s, so only the setting makes it fail at once.
        server.Faults.Add("/noarch/data-1.0-0.conda", FaultKind.Status(503, retryAfter: "5"), count: int.MaxValue);
        var engine = new FakeBuildEngine();
        var task = new DownloadCondaPackages
        {
            BuildEngine = engine,
            LockFile = dir.Combine("pixi.lock"),
            ChannelDirectory = dir.Combine("channel"),
            CachePath = dir.Combine("cache"),
            MaxRetryAfterSeconds = 1,
        };

        Assert.False(task.Execute());

        var error = Assert.Single(engine.Errors);
        Assert.Equal(ErrorCodes.DownloadRetryAfterTooLong, error.Code);
        Assert.Contains(url, error.Message);
        Assert.Equal(1, server.RequestCount("/noarch/data-1.0-0.conda"));
    }

    [SkippableFact]
    public void Negative_limits_are_one_clear_error()
    {
        using var dir = new TempDirectory();
        var engine = new FakeBuildEngine();
        var download = new DownloadCondaPackages { BuildEngine = engine, LockFile = dir.Combine("none.lock"), ChannelDirectory = dir.Path, HttpRequestDeadlineSeconds = -1 };
        var resolve = new ResolveCondaLock { BuildEngine = engine, Packages = [new TaskItem("data")], LockFile = dir.Combine("x.lock"), MaxRepodataBytes = 0 };

        Assert.False(download.Execute());
        Assert.False(resolve.Execute());

        Assert.Equal(2, engine.Errors.Count);
        Assert.All(engine.Errors, e => Assert.Equal(ErrorCodes.InvalidBuildSetting, e.Code));
        Assert.Contains("CondaHttpRequestDeadlineSeconds", engine.Errors[0].Message);
        Assert.Contains("CondaMaxRepodataBytes", engine.Errors[1].Message);
    }
}
