using CondaMirror.Core.Locks;
using CondaMirror.TestKit;
using CondaMirror.TestKit.Channels;
using Xunit;

namespace CondaMirror.Tests.EndToEnd;

/// <summary>
/// A committed lock holds in another checkout and on another machine: a relative local channel, platforms taken
/// from the lock, and a named lock environment, each through real `dotnet build`s of the packed package.
/// </summary>
[Collection(EndToEndSecondLaneCollection.Name)]
public class PortableLockEndToEndTests
{
    private readonly PackedPackage _package;

    public PortableLockEndToEndTests(PackedPackage package) => _package = package;

    private static void WriteUpstream(string dir)
    {
        var builder = new ChannelBuilder();
        foreach (var platform in new[] { "linux-64", "win-64" })
        {
            builder.Add(new PackageSpec("python", "3.11.0", "h0_0", platform));
            builder.Add(new PackageSpec("numpy", "1.26.0", "py_0", platform) { Depends = new[] { "python >=3.11", "tzdata" } });
        }
        builder.Add(new PackageSpec("tzdata", "2024a", "h_0", "noarch"));
        builder.WriteTo(dir);
    }

    // Caches live beside the project, so a copied checkout cannot be served from the original's package cache.
    private static string Body(string platforms, string extra = "") => $"""
          <PropertyGroup>
            {(platforms.Length > 0 ? $"<CondaPlatforms>{platforms}</CondaPlatforms>" : "")}
            <CondaPackageCachePath>$(MSBuildProjectDirectory)/../pkgs</CondaPackageCachePath>
            <CondaRepodataCachePath>$(MSBuildProjectDirectory)/../repodata-cache</CondaRepodataCachePath>
            {extra}
          </PropertyGroup>
          <ItemGroup>
            <CondaChannel Include="../upstream" />
            <CondaPackage Include="numpy" />
          </ItemGroup>
        """;

    private static string ChannelOf(string app) => Path.Combine(app, "bin", "Debug", "net10.0", "conda-channel");

    private static List<string> ChannelFiles(string channel) =>
        Directory.GetFiles(channel, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(channel, f).Replace('\\', '/'))
            .Order(StringComparer.Ordinal).ToList();

    private static void CopyTree(string from, string to, params string[] skipTopLevel)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(from, file);
            if (skipTopLevel.Any(s => relative.StartsWith(s + Path.DirectorySeparatorChar, StringComparison.Ordinal))) continue;
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(to, relative))!);
            File.Copy(file, Path.Combine(to, relative));
        }
    }

    [SkippableFact]
    public void A_checkout_in_another_folder_passes_locked_mode_with_a_relative_local_channel()
    {
        using var first = new TempDirectory("condamirror-e2e");
        using var second = new TempDirectory("condamirror-e2e");
        WriteUpstream(first.Combine("upstream"));
        var project = _package.WriteProject(first.Combine("app"), Body("linux-64;win-64"));
        var built = _package.Build(project);
        Assert.True(built.Succeeded, built.ToString());
        var lockText = File.ReadAllText(first.Combine("app", "conda-mirror.lock"));
        Assert.DoesNotContain("file:", lockText);
        Assert.DoesNotContain(first.Path, lockText);

        // Another checkout with the same layout; the original channel is gone, so nothing can come from there.
        CopyTree(first.Combine("app"), second.Combine("app"), "bin", "obj");
        CopyTree(first.Combine("upstream"), second.Combine("upstream"));
        Directory.Delete(first.Combine("upstream"), recursive: true);
        var copy = Path.Combine(second.Combine("app"), Path.GetFileName(project));

        var locked = _package.Build(copy, "-p:CondaLockedMode=true");

        Assert.True(locked.Succeeded, locked.ToString());
        Assert.DoesNotContain("CMIR780", locked.Output);
        Assert.Equal(lockText, File.ReadAllText(second.Combine("app", "conda-mirror.lock")));
        var files = ChannelFiles(ChannelOf(second.Combine("app")));
        Assert.Contains("linux-64/numpy-1.26.0-py_0.conda", files);
        Assert.Contains("win-64/python-3.11.0-h0_0.conda", files);
        Assert.Contains("noarch/tzdata-2024a-h_0.conda", files);
        Assert.Equal(ChannelFiles(ChannelOf(first.Combine("app"))), files);
    }

    [SkippableFact]
    public void Without_CondaPlatforms_the_locks_platforms_are_mirrored_not_the_hosts()
    {
        using var work = new TempDirectory("condamirror-e2e");
        WriteUpstream(work.Combine("upstream"));
        var project = _package.WriteProject(work.Combine("app"), Body("linux-64;win-64"));
        var made = _package.Build(project);
        Assert.True(made.Succeeded, made.ToString());

        _package.WriteProject(work.Combine("app"), Body("", "<CondaLockedMode>true</CondaLockedMode>"));
        var locked = _package.Build(project);

        Assert.True(locked.Succeeded, locked.ToString());
        var channel = ChannelOf(work.Combine("app"));
        foreach (var platform in new[] { "linux-64", "win-64" })
        {
            Assert.True(File.Exists(Path.Combine(channel, platform, "numpy-1.26.0-py_0.conda")), platform);
            Assert.Contains("numpy-1.26.0-py_0.conda", File.ReadAllText(Path.Combine(channel, platform, "repodata.json")));
        }
        Assert.Equal(new[] { "linux-64", "win-64" }, LockFileReader.Read(work.Combine("app", "conda-mirror.lock")).PackagesByPlatform.Keys.Order());
    }

    [SkippableFact]
    public void CondaLockEnvironment_names_the_environment_resolve_writes_and_the_channel_is_built_from_it()
    {
        using var work = new TempDirectory("condamirror-e2e");
        WriteUpstream(work.Combine("upstream"));
        var project = _package.WriteProject(work.Combine("app"), Body("win-64", "<CondaLockEnvironment>ci</CondaLockEnvironment>"));

        var built = _package.Build(project);

        Assert.True(built.Succeeded, built.ToString());
        var lockPath = work.Combine("app", "conda-mirror.lock");
        Assert.Equal(3, LockFileReader.Read(lockPath, "ci").PackagesByPlatform["win-64"].Count);
        Assert.Contains("\nenvironments:\n  ci:\n", File.ReadAllText(lockPath));
        var channel = ChannelOf(work.Combine("app"));
        Assert.True(File.Exists(Path.Combine(channel, "win-64", "numpy-1.26.0-py_0.conda")));
        Assert.Contains("tzdata-2024a-h_0.conda", File.ReadAllText(Path.Combine(channel, "noarch", "repodata.json")));
    }
}
