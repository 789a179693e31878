using CondaMirror.Core.Errors;
using CondaMirror.Core.IO;
using CondaMirror.MSBuild;
using CondaMirror.TestKit;
using CondaMirror.TestKit.Channels;
using TaskItem = Microsoft.Build.Utilities.TaskItem;
using Xunit;

namespace CondaMirror.Tests.Tasks;

/// <summary>The task hands CondaChannel items to Core's credential set and its mirror; these check the translation.</summary>
public sealed class DownloadCredentialsTaskTests
{
    /// <summary>A v6 pixi.lock naming one noarch package at <paramref name="url"/>, hashed from <paramref name="file"/>.</summary>
    private static string WriteLock(TempDirectory dir, string url, string channel, string file)
    {
        var hashes = FileHashes.Compute(file);
        var path = dir.Combine("pixi.lock");
        File.WriteAllText(path, $"""
            version: 6
            environments:
              default:
                channels:
                - url: {channel}
                packages:
                  linux-64:
                  - conda: {url}
            packages:
            - conda: {url}
              sha256: {hashes.Sha256}
              md5: {hashes.Md5}
              depends: []
              size: {hashes.Size}
            """);
        return path;
    }

    [SkippableFact]
    public async Task A_bearer_token_named_by_an_environment_variable_reaches_every_request()
    {
        using var dir = new TempDirectory();
        var archive = new ChannelBuilder().Add("data", "1.0", "0", "noarch").WriteTo(dir.Combine("upstream")).Single();
        await using var server = new LoopbackChannelServer(dir.Combine("upstream"));
        server.Faults.Add("**/*.conda", TestKit.FaultKind.RequireBearer("tok-from-env"), count: 100);
        var variable = "CONDAMIRROR_TEST_TOKEN_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(variable, "tok-from-env");
        try
        {
            var item = new TaskItem(server.BaseUri.AbsoluteUri);
            item.SetMetadata("BearerTokenEnvironmentVariable", variable);
            var engine = new FakeBuildEngine();
            var task = new DownloadCondaPackages
            {
                BuildEngine = engine,
                LockFile = WriteLock(dir, server.UrlFor("noarch/data-1.0-0.conda"), server.BaseUri.AbsoluteUri, archive),
                ChannelDirectory = dir.Combine("channel"),
                CachePath = dir.Combine("cache"),
                Channels = [item],
            };

            Assert.True(task.Execute(), engine.ToString());
            Assert.Equal("Bearer tok-from-env", Assert.Single(server.Requests).Authorization);
            Assert.Equal(File.ReadAllBytes(archive), File.ReadAllBytes(dir.Combine("channel", "noarch", "data-1.0-0.conda")));
            Assert.DoesNotContain("tok-from-env", engine.AllMessages);
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }

    [SkippableFact]
    public async Task A_lock_url_gets_back_the_token_segment_of_its_channel_item()
    {
        using var dir = new TempDirectory();
        // Served only under /t/<token>/; the lock (like every lock) holds the public URL.
        var archive = new ChannelBuilder().Add("data", "1.0", "0", "noarch").WriteTo(dir.Combine("upstream", "t", "tok-42")).Single();
        await using var server = new LoopbackChannelServer(dir.Combine("upstream"));
        var engine = new FakeBuildEngine();
        var task = new DownloadCondaPackages
        {
            BuildEngine = engine,
            LockFile = WriteLock(dir, server.UrlFor("noarch/data-1.0-0.conda"), server.BaseUri.AbsoluteUri, archive),
            ChannelDirectory = dir.Combine("channel"),
            CachePath = dir.Combine("cache"),
            Channels = [new TaskItem(server.BaseUri.AbsoluteUri + "t/tok-42")],
        };

        Assert.True(task.Execute(), engine.ToString());
        Assert.Equal("/t/tok-42/noarch/data-1.0-0.conda", Assert.Single(server.Requests).Path);
        Assert.Equal(dir.Combine("channel", "noarch", "data-1.0-0.conda"), Assert.Single(task.ChannelFiles).ItemSpec);
        Assert.DoesNotContain("tok-42", engine.AllMessages);
    }

    [SkippableFact]
    public void A_variable_that_is_not_set_is_one_build_setting_error()
    {
        using var dir = new TempDirectory();
        var archive = new ChannelBuilder().Add("data", "1.0", "0", "noarch").WriteTo(dir.Combine("upstream")).Single();
        var item = new TaskItem("https://private.example.invalid/channel");
        item.SetMetadata("UserEnvironmentVariable", "CONDAMIRROR_TEST_UNSET_USER_" + Guid.NewGuid().ToString("N"));
        item.SetMetadata("PasswordEnvironmentVariable", "CONDAMIRROR_TEST_UNSET_PASSWORD");
        var engine = new FakeBuildEngine();
        var task = new DownloadCondaPackages
        {
            BuildEngine = engine,
            LockFile = WriteLock(dir, "https://private.example.invalid/channel/noarch/data-1.0-0.conda", "https://private.example.invalid/channel", archive),
            ChannelDirectory = dir.Combine("channel"),
            CachePath = dir.Combine("cache"),
            Channels = [item],
        };

        Assert.False(task.Execute());
        var error = Assert.Single(engine.Errors);
        Assert.Equal(ErrorCodes.InvalidBuildSetting, error.Code);
        Assert.Contains("takes its user name from environment variable CONDAMIRROR_TEST_UNSET_USER_", error.Message);
        Assert.False(Directory.Exists(dir.Combine("channel")));
    }
}
