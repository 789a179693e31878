using CondaMirror.Core.Channels;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Locks;
using CondaMirror.Core.Repodata;
using CondaMirror.Core.Resolving;
using CondaMirror.TestKit;
using CondaMirror.TestKit.Channels;
using Xunit;

namespace CondaMirror.Tests.Resolving;

public class LockResolverTests
{
    private static void WriteChannel(string dir) => new ChannelBuilder()
        .Add(new PackageSpec("tool", "2.0", "h_0", "linux-64") { Depends = new[] { "__glibc >=2.28", "libfoo" } })
        .Add(new PackageSpec("tool", "1.0", "h_0", "linux-64") { Depends = new[] { "__glibc >=2.17", "libfoo" } })
        .Add(new PackageSpec("libfoo", "1.1", "h_0", "linux-64"))
        .Add(new PackageSpec("extra", "0.1", "0", "noarch"))
        .WriteTo(dir);

    private static ResolveSettings Settings(TempDirectory dir, string[] specs, params VirtualPackageOverride[] virtuals) => new()
    {
        Packages = specs.Select(s => new RequestedPackage(s, $"CondaPackage '{s}'")).ToList(),
        Channels = new[] { ChannelResolver.Resolve(dir.Combine("channel")) },
        Platforms = new[] { "linux-64" },
        VirtualPackages = virtuals,
        LockFile = dir.Combine("conda-mirror.lock"),
        Fetch = new RepodataFetchOptions { CacheDirectory = dir.Combine("repodata-cache") },
    };

    private static string VersionOf(string lockFile, string name) =>
        LockFileReader.Read(lockFile).PackagesByPlatform["linux-64"].Single(r => r.Record.Name == name).Record.Version;

    [SkippableFact]
    public void Default_virtual_packages_apply_and_an_override_changes_the_solution()
    {
        using var dir = new TempDirectory();
        WriteChannel(dir.Combine("channel"));

        new LockResolver().Resolve(Settings(dir, new[] { "tool" }));
        Assert.Equal("2.0", VersionOf(dir.Combine("conda-mirror.lock"), "tool"));

        var outcome = new LockResolver().Resolve(Settings(dir, new[] { "tool" }, new VirtualPackageOverride("__glibc", "2.17", null, "linux-64")));
        Assert.True(outcome.LockWritten);
        Assert.Equal("1.0", VersionOf(dir.Combine("conda-mirror.lock"), "tool"));
        Assert.Equal(1, outcome.Changes.Single().Downgraded);
    }

    [SkippableFact]
    public void Channels_on_an_unreachable_host_fail_the_resolve_once_within_seconds()
    {
        using var dir = new TempDirectory();
        var host = $"http://127.0.0.1:{CondaMirror.Tests.Downloads.UnreachableHostTests.ClosedPort()}";
        var settings = new ResolveSettings
        {
            Packages = new[] { new RequestedPackage("tool", "CondaPackage 'tool'") },
            Platforms = new[] { "linux-64", "osx-arm64" },
            LockFile = dir.Combine("conda-mirror.lock"),
            Channels = new[] { ChannelResolver.Resolve(host + "/forge"), ChannelResolver.Resolve(host + "/bioconda") },
            // What a build passes at default settings (CondaRetryCount=5, CondaHttpTimeoutSeconds=100).
            Fetch = new RepodataFetchOptions { CacheDirectory = dir.Combine("repodata-cache"), MaxRetries = 5, RequestTimeout = TimeSpan.FromSeconds(100) },
        };

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var e = Assert.Throws<CondaMirrorException>(() => new LockResolver().Resolve(settings));

        Assert.Equal(ErrorCodes.RepodataNetworkError, e.Code);
        Assert.Contains(host + " is unreachable", e.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"took {clock.Elapsed.TotalSeconds:0.0} s");
        Assert.False(File.Exists(settings.LockFile));
    }

    [SkippableFact]
    public void Unchanged_inputs_do_nothing_not_even_reading_the_channel()
    {
        using var dir = new TempDirectory();
        WriteChannel(dir.Combine("channel"));
        new LockResolver().Resolve(Settings(dir, new[] { "tool", "extra" }));
        var before = File.ReadAllBytes(dir.Combine("conda-mirror.lock"));
        Directory.Delete(dir.Combine("channel"), recursive: true); // any fetch would now fail

        var outcome = new LockResolver().Resolve(Settings(dir, new[] { "extra", "tool" })); // order of items does not matter

        Assert.True(outcome.UpToDate);
        Assert.False(outcome.LockWritten);
        Assert.Equal(before, File.ReadAllBytes(dir.Combine("conda-mirror.lock")));
    }

    [SkippableFact]
    public void The_lock_is_a_plain_pixi_lock_with_a_commented_header_and_reports_removals()
    {
        using var dir = new TempDirectory();
        WriteChannel(dir.Combine("channel"));
        new LockResolver().Resolve(Settings(dir, new[] { "tool", "extra" }));
        var text = File.ReadAllText(dir.Combine("conda-mirror.lock"));
        Assert.StartsWith("# Written by CondaMirror.MSBuild", text);
        Assert.Contains("\nversion: 6\n", text);
        Assert.Contains(LockResolver.InputLinePrefix + "package extra", text);

        var outcome = new LockResolver().Resolve(Settings(dir, new[] { "tool" }));

        Assert.Equal("linux-64: 2 packages (0 added, 0 upgraded, 0 downgraded, 0 other build, 1 removed)", outcome.Changes.Single().ToString());
    }

    [SkippableFact]
    public void Locked_mode_without_a_lock_says_how_to_create_one()
    {
        using var dir = new TempDirectory();
        WriteChannel(dir.Combine("channel"));
        var settings = Settings(dir, new[] { "tool" });

        var error = Assert.Throws<CondaMirrorException>(() => new LockResolver().Resolve(new ResolveSettings
        {
            Packages = settings.Packages, Channels = settings.Channels, Platforms = settings.Platforms,
            LockFile = settings.LockFile, Fetch = settings.Fetch, LockedMode = true,
        }));

        Assert.Equal(ErrorCodes.LockMissingInLockedMode, error.Code);
        Assert.Contains("CondaLockedMode=false", error.Message);
        Assert.False(File.Exists(settings.LockFile));
    }

    [SkippableFact]
    public void An_unknown_package_names_the_item_and_the_platform()
    {
        using var dir = new TempDirectory();
        WriteChannel(dir.Combine("channel"));

        var error = Assert.Throws<CondaMirrorException>(() => new LockResolver().Resolve(Settings(dir, new[] { "tol" })));

        Assert.Equal(ErrorCodes.SolverUnknownPackage, error.Code);
        Assert.Contains("linux-64", error.Message);
        Assert.Contains("tol", error.Message);
        Assert.Contains("tool", error.Message); // the similar name is suggested
        Assert.False(File.Exists(dir.Combine("conda-mirror.lock")));
    }
}

public class LockResolverOfflineTests
{
    [SkippableFact]
    public async Task Offline_resolves_from_the_repodata_cache_and_says_what_is_missing()
    {
        using var dir = new TempDirectory();
        new ChannelBuilder()
            .Add(new PackageSpec("tool", "1.0", "h_0", "linux-64") { Depends = new[] { "data" } })
            .Add(new PackageSpec("data", "1.0", "0", "noarch"))
            .WriteTo(dir.Combine("upstream"));
        // Monolithic repodata: the cache holds every name. (From shards, offline knows only the names fetched before;
        // ShardedRepodataClientTests covers that.)
        ShardedChannelWriter.RemoveShards(dir.Combine("upstream"));
        string? serverUrl = null;
        ResolveSettings Settings(string spec, bool offline, string cache) => new()
        {
            Packages = new[] { new RequestedPackage(spec, $"CondaPackage '{spec}'") },
            Channels = new[] { ChannelResolver.Resolve(serverUrl!) },
            Platforms = new[] { "linux-64" },
            LockFile = dir.Combine("conda-mirror.lock"),
            Fetch = new RepodataFetchOptions { CacheDirectory = dir.Combine(cache), Offline = offline },
        };
        await using (var server = new LoopbackChannelServer(dir.Combine("upstream")))
        {
            serverUrl = server.BaseUri.AbsoluteUri;
            new LockResolver().Resolve(Settings("data", offline: false, cache: "cache"));
        }

        // The server is gone; a changed request still solves from the cached repodata.
        var outcome = new LockResolver().Resolve(Settings("tool", offline: true, cache: "cache"));
        Assert.True(outcome.LockWritten);
        Assert.Equal(2, outcome.Changes.Single().Total);

        var error = Assert.Throws<CondaMirrorException>(() => new LockResolver().Resolve(Settings("data", offline: true, cache: "empty-cache")));
        Assert.Equal(ErrorCodes.RepodataOfflineCacheMissing, error.Code);
        Assert.Contains("CondaOffline=false", error.Message);
    }
}

public class LockResolverChannelTests
{
    [SkippableTheory]
    [InlineData(null, "1.0")]          // strict priority: the first channel that has the name wins
    [InlineData("beta", "2.0")]        // channel::name overrides priority, as in conda
    public void Channel_priority_is_strict_unless_the_request_names_a_channel(string? channel, string expected)
    {
        using var dir = new TempDirectory();
        new ChannelBuilder().Add("tool", "1.0", "0", "noarch").WriteTo(dir.Combine("alpha"));
        new ChannelBuilder().Add("tool", "2.0", "0", "noarch").WriteTo(dir.Combine("beta"));
        var spec = channel is null ? "tool" : $"{channel}::tool";
        var settings = new ResolveSettings
        {
            Packages = new[] { new RequestedPackage(spec, $"CondaPackage '{spec}'") },
            Channels = new[] { ChannelResolver.Resolve(dir.Combine("alpha")), ChannelResolver.Resolve(dir.Combine("beta")) },
            Platforms = new[] { "linux-64" },
            LockFile = dir.Combine("conda-mirror.lock"),
            Fetch = new RepodataFetchOptions { CacheDirectory = dir.Combine("cache") },
        };

        new LockResolver().Resolve(settings);

        var tool = LockFileReader.Read(settings.LockFile).PackagesByPlatform["linux-64"].Single();
        Assert.Equal(expected, tool.Record.Version);
    }
}

public class LockResolverForeignLockTests
{
    [SkippableFact]
    public void A_lock_written_by_another_tool_is_never_overwritten()
    {
        using var dir = new TempDirectory();
        new ChannelBuilder().Add("tool", "1.0", "0", "noarch").WriteTo(dir.Combine("channel"));
        var pixiLock = dir.Combine("pixi.lock");
        File.WriteAllText(pixiLock, "version: 6\nenvironments: {}\npackages: []\n");
        var before = File.ReadAllBytes(pixiLock);

        var error = Assert.Throws<CondaMirrorException>(() => new LockResolver().Resolve(new ResolveSettings
        {
            Packages = new[] { new RequestedPackage("tool", "CondaPackage 'tool'") },
            Channels = new[] { ChannelResolver.Resolve(dir.Combine("channel")) },
            Platforms = new[] { "linux-64" },
            LockFile = pixiLock,
            Fetch = new RepodataFetchOptions { CacheDirectory = dir.Combine("cache") },
        }));

        Assert.Equal(ErrorCodes.LockNotOurs, error.Code);
        Assert.Equal(pixiLock, error.File);
        Assert.Equal(before, File.ReadAllBytes(pixiLock));
    }
}
