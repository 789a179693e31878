using System.Diagnostics;
using CondaMirror.Core.Errors;
using CondaMirror.Core.IO;
using CondaMirror.MSBuild;
using CondaMirror.TestKit;
using CondaMirror.TestKit.Channels;
using Microsoft.Build.Framework;
using Task = System.Threading.Tasks.Task;
using Xunit;

namespace CondaMirror.Tests.Tasks;

public class DownloadCondaPackagesTaskTests
{
    /// <summary>A v6 pixi.lock by hand: one conda package served by <paramref name="server"/> and one PyPI wheel.</summary>
    private static string WriteLockWithPypi(TempDirectory dir, LoopbackChannelServer server, string condaFile)
    {
        var hashes = FileHashes.Compute(dir.Combine("upstream", "noarch", condaFile));
        var url = server.UrlFor("noarch/" + condaFile);
        var path = dir.Combine("pixi.lock");
        File.WriteAllText(path, $"""
            version: 6
            environments:
              default:
                channels:
                - url: {server.BaseUri}
                packages:
                  linux-64:
                  - conda: {url}
                  - pypi: https://files.example.invalid/packages/requests-2.32.3-py3-none-any.whl
            packages:
            - conda: {url}
              sha256: {hashes.Sha256}
              md5: {hashes.Md5}
              depends: []
              size: {hashes.Size}
            - pypi: https://files.example.invalid/packages/requests-2.32.3-py3-none-any.whl
              name: requests
              version: 2.32.3
              sha256: 70761cfe03c773ceb22aa2f671b4757976145175cdfca038c02654d061d6dcc6
            """);
        return path;
    }

    [SkippableFact]
    public async Task PyPI_entries_are_skipped_with_one_warning_listing_them()
    {
        using var dir = new TempDirectory();
        new ChannelBuilder().Add("data", "1.0", "0", "noarch").WriteTo(dir.Combine("upstream"));
        await using var server = new LoopbackChannelServer(dir.Combine("upstream"));
        var engine = new FakeBuildEngine();
        var task = new DownloadCondaPackages
        {
            BuildEngine = engine,
            LockFile = WriteLockWithPypi(dir, server, "data-1.0-0.conda"),
            ChannelDirectory = dir.Combine("channel"),
            CachePath = dir.Combine("cache"),
        };

        Assert.True(task.Execute(), engine.ToString());

        var warning = Assert.Single(engine.Warnings);
        Assert.Equal(ErrorCodes.LockPypiSkipped, warning.Code);
        Assert.Contains("requests", warning.Message);
        Assert.True(File.Exists(dir.Combine("channel", "noarch", "data-1.0-0.conda")));
        Assert.Contains(engine.Messages, m => m.Importance == MessageImportance.High && m.Message!.Contains("1 in channel (1 downloaded, 0 from cache"));
    }

    [SkippableFact]
    public async Task Cancelling_stops_promptly_and_leaves_no_partial_file()
    {
        using var dir = new TempDirectory();
        new ChannelBuilder().Add(new PackageSpec("big", "1.0", "0", "noarch") { PayloadBytes = 2_000_000 }).WriteTo(dir.Combine("upstream"));
        await using var server = new LoopbackChannelServer(dir.Combine("upstream"));
        server.Faults.Add("**/*.conda", TestKit.FaultKind.StallMidBody(100_000, TimeSpan.FromSeconds(60)), count: 10);
        var engine = new FakeBuildEngine();
        var task = new DownloadCondaPackages
        {
            BuildEngine = engine,
            LockFile = WriteLockWithPypi(dir, server, "big-1.0-0.conda"),
            ChannelDirectory = dir.Combine("channel"),
            CachePath = dir.Combine("cache"),
        };

        var run = Task.Run(task.Execute);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (server.RequestCount("/noarch/big-1.0-0.conda") == 0 && DateTime.UtcNow < deadline) await Task.Delay(50);
        await Task.Delay(300);
        task.Cancel();
        // The stall lasts 60 s: stopping well before it shows Cancel() cut the transfer (a limit, not a timing).
        var finished = await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(20))) == run;

        Assert.True(finished, "the task did not stop within 20 s of Cancel()");
        Assert.False(await run);
        Assert.Equal(ErrorCodes.BuildCancelled, Assert.Single(engine.Errors).Code);
        Assert.Empty(Directory.Exists(dir.Combine("channel")) ? Directory.GetFiles(dir.Combine("channel"), "*", SearchOption.AllDirectories) : Array.Empty<string>());
        var cacheFiles = Directory.Exists(dir.Combine("cache")) ? Directory.GetFiles(dir.Combine("cache"), "*", SearchOption.AllDirectories) : Array.Empty<string>();
        Assert.Empty(cacheFiles);
    }

    [SkippableFact]
    public void Invalid_settings_are_one_clear_error()
    {
        using var dir = new TempDirectory();
        var engine = new FakeBuildEngine();
        var task = new DownloadCondaPackages { BuildEngine = engine, LockFile = dir.Combine("none.lock"), ChannelDirectory = dir.Path, MaxParallelDownloads = 0 };

        Assert.False(task.Execute());

        var error = Assert.Single(engine.Errors);
        Assert.Equal(ErrorCodes.InvalidBuildSetting, error.Code);
        Assert.Contains("CondaMaxParallelDownloads", error.Message);
    }

    [SkippableFact]
    public async Task Progress_is_a_normal_importance_line_every_few_seconds_and_absent_for_a_quick_download()
    {
        using var dir = new TempDirectory();
        new ChannelBuilder().Add(new PackageSpec("big", "1.0", "0", "noarch") { PayloadBytes = 300_000 }).WriteTo(dir.Combine("upstream"));
        await using var server = new LoopbackChannelServer(dir.Combine("upstream"));
        var lockFile = WriteLockWithPypi(dir, server, "big-1.0-0.conda");
        DownloadCondaPackages NewTask(FakeBuildEngine engine, string cache) => new()
        {
            BuildEngine = engine, LockFile = lockFile, ChannelDirectory = dir.Combine("channel-" + cache), CachePath = dir.Combine(cache),
        };
        static List<BuildMessageEventArgs> ProgressLines(FakeBuildEngine engine) =>
            engine.Messages.Where(m => m.Message!.StartsWith("Downloading: ", StringComparison.Ordinal)).ToList();

        var quick = new FakeBuildEngine();
        Assert.True(NewTask(quick, "quick").Execute(), quick.ToString());
        Assert.Empty(ProgressLines(quick));

        // A transfer that pauses 7 s: the first line comes after the interval (3 s), then at most one per interval.
        server.Faults.Add("**/*.conda", TestKit.FaultKind.StallMidBody(50_000, TimeSpan.FromSeconds(7)));
        var slow = new FakeBuildEngine();
        var sw = Stopwatch.StartNew();
        Assert.True(NewTask(slow, "slow").Execute(), slow.ToString());
        var lines = ProgressLines(slow);
        Assert.InRange(lines.Count, 1, (int)(sw.Elapsed.TotalSeconds / 3));
        Assert.All(lines, m => Assert.Equal(MessageImportance.Normal, m.Importance));
        Assert.Matches(@"^Downloading: 0/1 packages, \d+\.\d/\d+\.\d MB, \d+\.\d MB/s$", lines[0].Message);
        Assert.Contains(slow.Messages, m => m.Importance == MessageImportance.High && m.Message!.Contains("1 in channel (1 downloaded, 0 from cache"));
    }
}
