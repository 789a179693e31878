using System.Security.Cryptography;
using CondaMirror.TestKit;
using CondaMirror.TestKit.Channels;
using Xunit;

namespace CondaMirror.Tests.EndToEnd;

/// <summary>Hostile subdirs reach a real `dotnet build`: the build fails with the code and writes nothing outside the channel.</summary>
[Collection(EndToEndSecondLaneCollection.Name)]
public class HostilePathsEndToEndTests
{
    private readonly PackedPackage _package;

    public HostilePathsEndToEndTests(PackedPackage package) => _package = package;

    /// <summary>The build's own output folders exist beforehand, so everything else it could touch is in the snapshot.</summary>
    private static FileTreeSnapshot Snapshot(TempDirectory work)
    {
        Directory.CreateDirectory(work.Combine("app", "bin", "Debug", "net10.0"));
        Directory.CreateDirectory(work.Combine("app", "obj"));
        return FileTreeSnapshot.Take(work.Path, work.Combine("app", "obj"), work.Combine("app", "bin", "Debug", "net10.0"));
    }

    [SkippableFact]
    public async Task A_pixi_lock_entry_with_a_dotdot_subdir_fails_the_build_and_writes_nothing_outside_the_channel()
    {
        using var work = new TempDirectory("condamirror-e2e");
        new ChannelBuilder().Add("evil", "1.0", "0", "linux-64").WriteTo(work.Combine("upstream"));
        await using var server = new LoopbackChannelServer(work.Combine("upstream"));
        var sha = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(work.Combine("upstream", "linux-64", "evil-1.0-0.conda")))).ToLowerInvariant();
        var url = server.UrlFor("linux-64/evil-1.0-0.conda");
        var lockPath = work.Combine("pixi.lock");
        File.WriteAllText(lockPath, $"""
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
              sha256: {sha}
              subdir: ../../x
            """.Replace("\r\n", "\n"));
        var project = _package.WriteProject(work.Combine("app"), $"""
              <PropertyGroup>
                <CondaLockFile>{lockPath}</CondaLockFile>
                <CondaPackageCachePath>{work.Combine("cache")}</CondaPackageCachePath>
              </PropertyGroup>
            """);
        var before = Snapshot(work);

        var build = _package.Build(project);

        Assert.False(build.Succeeded, build.ToString());
        Assert.Matches($@"{System.Text.RegularExpressions.Regex.Escape(lockPath)} ?: error CMIR120: line 10: package '[^']*evil-1\.0-0\.conda': subdir '\.\./\.\./x'", build.Output);
        Assert.Equal(before, FileTreeSnapshot.Take(work.Path, work.Combine("app", "obj"), work.Combine("app", "bin", "Debug", "net10.0")));
        Assert.False(Directory.Exists(work.Combine("app", "bin", "Debug", "x")));
        Assert.Empty(server.Requests);
    }

    [SkippableFact]
    public void A_local_package_whose_index_json_names_an_absolute_subdir_fails_the_build_and_writes_nothing_there()
    {
        using var work = new TempDirectory("condamirror-e2e");
        var outside = Path.Combine(Path.GetTempPath(), "condamirror-e2e-outside-" + Guid.NewGuid().ToString("N")[..12]);
        var package = RawPackageWriter.Write(work.Combine("packages", "evil-1.0-0.conda"), RawPackageWriter.IndexJson("evil", "1.0", "0", outside),
            new[] { RawTarMember.File("share/evil.txt", "x") });
        ChannelBuilder.WritePackage(work.Combine("packages"), new PackageSpec("good", "1.0", "0"));
        var project = _package.WriteProject(work.Combine("app"), """
              <ItemGroup>
                <CondaPackageFile Include="../packages/*.conda" />
              </ItemGroup>
            """);
        var before = Snapshot(work);

        var build = _package.Build(project);

        Assert.False(build.Succeeded, build.ToString());
        Assert.Matches($@"{System.Text.RegularExpressions.Regex.Escape(package)} ?: error CMIR120: info/index\.json of evil-1\.0-0\.conda: subdir '{System.Text.RegularExpressions.Regex.Escape(outside)}'", build.Output);
        // One failure, one code (MSBuild repeats errors in its summary).
        Assert.All(System.Text.RegularExpressions.Regex.Matches(build.Output, @"error (CMIR\d+)"), m => Assert.Equal("CMIR120", m.Groups[1].Value));
        Assert.False(Directory.Exists(outside));
        Assert.Equal(before, FileTreeSnapshot.Take(work.Path, work.Combine("app", "obj"), work.Combine("app", "bin", "Debug", "net10.0")));
        // The failed index left no channel behind to serve the good package without the bad one.
        Assert.False(File.Exists(work.Combine("app", "bin", "Debug", "net10.0", "conda-channel", "noarch", "repodata.json")));
    }
}
