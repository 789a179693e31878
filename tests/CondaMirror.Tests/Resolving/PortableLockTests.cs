using CondaMirror.Core.Channels;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Locks;
using CondaMirror.Core.Repodata;
using CondaMirror.Core.Resolving;
using CondaMirror.TestKit;
using CondaMirror.TestKit.Channels;
using Xunit;

namespace CondaMirror.Tests.Resolving;

/// <summary>A lock made in one checkout (or on one machine) holds in another: local channels, platforms, environment.</summary>
public class PortableLockTests
{
    private static void WriteChannel(string dir) => new ChannelBuilder()
        .Add(new PackageSpec("tool", "1.0", "h_0", "win-64") { Depends = new[] { "data" } })
        .Add(new PackageSpec("tool", "1.0", "h_0", "osx-arm64") { Depends = new[] { "data" } })
        .Add(new PackageSpec("data", "2.0", "0", "noarch"))
        .Add(new PackageSpec("extra", "0.1", "0", "noarch"))
        .WriteTo(dir);

    /// <summary>A checkout: the project folder <c>app</c> (with the lock) beside the local channel <c>upstream</c>.</summary>
    private static ResolveSettings Settings(TempDirectory root, bool channelAsFileUrl, string[] platforms, params string[] specs)
    {
        var app = root.Combine("app");
        Directory.CreateDirectory(app);
        var channel = channelAsFileUrl
            ? ChannelResolver.Resolve(new Uri(root.Combine("upstream")).AbsoluteUri)
            : ChannelResolver.Resolve("../upstream", baseDirectory: app);
        return new ResolveSettings
        {
            Packages = specs.Select(s => new RequestedPackage(s, $"CondaPackage '{s}'")).ToList(),
            Channels = new[] { channel },
            Platforms = platforms,
            LockFile = Path.Combine(app, "conda-mirror.lock"),
            Fetch = new RepodataFetchOptions { CacheDirectory = root.Combine("repodata-cache") },
        };
    }

    private static void CopyTree(string from, string to)
    {
        foreach (var dir in Directory.GetDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(dir.Replace(from, to));
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
            File.Copy(file, file.Replace(from, to));
    }

    [SkippableTheory]
    [InlineData(false)] // <CondaChannel Include="../upstream" />
    [InlineData(true)]  // <CondaChannel Include="file:///…/upstream" />
    public void A_local_channel_is_recorded_relative_to_the_lock_so_a_moved_checkout_is_up_to_date(bool channelAsFileUrl)
    {
        using var original = new TempDirectory("checkout-a");
        using var moved = new TempDirectory("checkout-b");
        WriteChannel(original.Combine("upstream"));
        new LockResolver().Resolve(Settings(original, channelAsFileUrl, new[] { "win-64" }, "tool"));
        var text = File.ReadAllText(original.Combine("app", "conda-mirror.lock"));
        Assert.Contains(LockResolver.InputLinePrefix + "channel 1 ../upstream/\n", text);
        Assert.DoesNotContain("file:", text);
        Assert.DoesNotContain(original.Path, text);

        CopyTree(original.Combine("app"), moved.Combine("app"));
        CopyTree(original.Combine("upstream"), moved.Combine("upstream"));
        Directory.Delete(original.Combine("upstream"), recursive: true);

        var outcome = new LockResolver().Resolve(Settings(moved, channelAsFileUrl, new[] { "win-64" }, "tool") with { LockedMode = true });

        Assert.True(outcome.UpToDate);
        var locked = LockFileReader.Read(moved.Combine("app", "conda-mirror.lock")).PackagesByPlatform["win-64"];
        Assert.Equal(2, locked.Count);
        Assert.All(locked, r => Assert.True(File.Exists(new Uri(r.Url).LocalPath), r.Url));

        // A change re-solves in the moved checkout, and the new lock is as portable as the old one.
        var changed = new LockResolver().Resolve(Settings(moved, channelAsFileUrl, new[] { "win-64" }, "tool", "extra"));
        Assert.True(changed.LockWritten);
        var rewritten = File.ReadAllText(moved.Combine("app", "conda-mirror.lock"));
        Assert.DoesNotContain("file:", rewritten);
        Assert.Contains("- conda: ../upstream/noarch/extra-0.1-0.conda", rewritten);
    }

    [SkippableFact]
    public void Without_platforms_an_existing_lock_keeps_its_platforms_and_only_a_new_lock_takes_the_host_platform()
    {
        using var root = new TempDirectory("platforms");
        WriteChannel(root.Combine("upstream"));
        new LockResolver().Resolve(Settings(root, false, new[] { "win-64", "osx-arm64" }, "tool"));
        var lockFile = root.Combine("app", "conda-mirror.lock");

        var locked = new LockResolver().Resolve(Settings(root, false, Array.Empty<string>(), "tool") with { LockedMode = true });
        Assert.True(locked.UpToDate);

        var resolved = new LockResolver().Resolve(Settings(root, false, Array.Empty<string>(), "tool", "extra"));
        Assert.Equal(new[] { "osx-arm64", "win-64" }, resolved.Changes.Select(c => c.Platform).Order());
        Assert.Equal(new[] { "osx-arm64", "win-64" }, LockFileReader.Read(lockFile).PackagesByPlatform.Keys.Order());

        File.Delete(lockFile);
        new LockResolver().Resolve(Settings(root, false, Array.Empty<string>(), "extra"));
        Assert.Equal(new[] { CondaMirror.Core.Platforms.Platforms.Current }, LockFileReader.Read(lockFile).PackagesByPlatform.Keys);
    }

    [SkippableFact]
    public void The_lock_environment_is_the_environment_written_and_changing_it_is_a_change_of_inputs()
    {
        using var root = new TempDirectory("environment");
        WriteChannel(root.Combine("upstream"));
        var ci = Settings(root, false, new[] { "win-64" }, "tool") with { Environment = "ci" };

        new LockResolver().Resolve(ci);

        Assert.Equal(2, LockFileReader.Read(ci.LockFile, "ci").PackagesByPlatform["win-64"].Count);
        Assert.Equal(ErrorCodes.LockEnvironmentNotFound, Assert.Throws<CondaMirrorException>(() => LockFileReader.Read(ci.LockFile)).Code);
        Assert.Contains(LockResolver.InputLinePrefix + "environment ci\n", File.ReadAllText(ci.LockFile));
        Assert.True(new LockResolver().Resolve(ci with { LockedMode = true }).UpToDate);

        var back = Assert.Throws<CondaMirrorException>(() => new LockResolver().Resolve(ci with { Environment = "default", LockedMode = true }));
        Assert.Equal(ErrorCodes.LockOutOfDate, back.Code);
        Assert.Contains("- environment ci", back.Message);

        // Re-solving into another environment keeps the locked versions as preferences (read from the old environment).
        var outcome = new LockResolver().Resolve(ci with { Environment = "default" });
        Assert.True(outcome.LockWritten);
        Assert.Equal(0, outcome.Changes.Single().Added);
        Assert.Equal(2, LockFileReader.Read(ci.LockFile).PackagesByPlatform["win-64"].Count);

        var invalid = Assert.Throws<CondaMirrorException>(() => new LockResolver().Resolve(ci with { Environment = "My Env" }));
        Assert.Equal(ErrorCodes.InvalidBuildSetting, invalid.Code);
    }
}
