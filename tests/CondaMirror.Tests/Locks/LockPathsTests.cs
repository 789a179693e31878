using CondaMirror.Core.Locks;
using CondaMirror.Core.Records;
using CondaMirror.TestKit;
using Xunit;

namespace CondaMirror.Tests.Locks;

/// <summary>Local channels and packages are recorded relative to the lock's folder and read back where the lock now is.</summary>
public class LockPathsTests
{
    private static RepodataRecord Record(string channel, string subdir, string name, string version, string build)
    {
        var r = new PackageRecord
        {
            Name = name, Version = version, Build = build, BuildNumber = LocationFields.BuildNumberFromBuild(build) ?? 0, Subdir = subdir,
            Sha256 = new string('a', 64), Size = 10, Noarch = LocationFields.NoarchFrom(subdir, build),
        };
        (r.Arch, r.Platform) = CondaMirror.Core.Platforms.Platforms.RecordArchAndPlatform(subdir);
        var file = $"{name}-{version}-{build}.conda";
        return new RepodataRecord(r, $"{channel}/{subdir}/{file}", file, channel);
    }

    private static string FileUrl(string folder) => new Uri(folder).AbsoluteUri.TrimEnd('/');

    private static LockDocument Document(string localChannel)
    {
        var doc = new LockDocument();
        var env = doc.Environment("default", new[] { localChannel, "https://conda.anaconda.org/conda-forge" });
        env.AddRange("linux-64", new[]
        {
            Record(localChannel, "linux-64", "tool", "1.0", "h_0"),
            Record(localChannel, "noarch", "data", "2.0", "py_0"),
            Record("https://conda.anaconda.org/conda-forge", "linux-64", "zlib", "1.3.1", "hb9d3cd8_2"),
        });
        return doc;
    }

    [Fact]
    public void Local_locations_are_written_relative_to_the_lock_and_read_back_where_the_lock_now_is()
    {
        using var here = new TempDirectory("locks-here");
        using var there = new TempDirectory("locks-there");
        var yaml = PixiLockWriter.ToYaml(Document(FileUrl(here.Combine("upstream"))), here.Combine("app"));

        Assert.DoesNotContain("file:", yaml);
        Assert.DoesNotContain(here.Path, yaml);
        Assert.Contains("    - url: ../upstream/\n    - url: https://conda.anaconda.org/conda-forge/\n", yaml);
        Assert.Contains("- conda: ../upstream/linux-64/tool-1.0-h_0.conda\n  subdir: linux-64\n", yaml);
        Assert.Contains("- conda: ../upstream/noarch/data-2.0-py_0.conda\n  subdir: noarch\n", yaml);
        Assert.Contains("- conda: https://conda.anaconda.org/conda-forge/linux-64/zlib-1.3.1-hb9d3cd8_2.conda\n", yaml);

        // The same lock in another checkout names that checkout's files.
        Directory.CreateDirectory(there.Combine("app"));
        File.WriteAllText(there.Combine("app", "pixi.lock"), yaml);
        var read = LockFileReader.Read(there.Combine("app", "pixi.lock"));
        Assert.Equal(new[] { FileUrl(there.Combine("upstream")), "https://conda.anaconda.org/conda-forge" }, read.Channels);
        var byName = read.PackagesByPlatform["linux-64"].ToDictionary(r => r.Record.Name);
        Assert.Equal(FileUrl(there.Combine("upstream")) + "/linux-64/tool-1.0-h_0.conda", byName["tool"].Url);
        Assert.Equal(FileUrl(there.Combine("upstream")), byName["tool"].Channel);
        Assert.Equal("noarch", byName["data"].Record.Subdir);
        Assert.Equal("python", byName["data"].Record.Noarch);
        Assert.Equal("https://conda.anaconda.org/conda-forge/linux-64/zlib-1.3.1-hb9d3cd8_2.conda", byName["zlib"].Url);

        // Writing what was read gives the same bytes: the lock does not change from one checkout to the next.
        Assert.Equal(yaml, PixiLockWriter.ToYaml(LockDocument.FromLockFile(read), there.Combine("app")));
    }

    [Fact]
    public void Without_a_lock_folder_local_locations_stay_absolute_urls()
    {
        using var here = new TempDirectory("locks-here");
        var yaml = PixiLockWriter.ToYaml(Document(FileUrl(here.Combine("upstream"))));
        Assert.Contains("- conda: " + FileUrl(here.Combine("upstream")) + "/linux-64/tool-1.0-h_0.conda\n", yaml);
    }

    [Fact]
    public void Only_folders_sharing_a_folder_below_the_root_with_the_lock_become_relative()
    {
        var root = Path.GetPathRoot(Path.GetTempPath())!;
        var lockDir = Path.Combine(root, "cm-home", "me", "app");

        Assert.Equal("../upstream/", LockPaths.ToLockLocation(FileUrl(Path.Combine(root, "cm-home", "me", "upstream")) + "/", lockDir));
        Assert.Equal("./channels/local", LockPaths.ToLockLocation(FileUrl(Path.Combine(lockDir, "channels", "local")), lockDir));
        Assert.Equal("./", LockPaths.ToLockLocation(FileUrl(lockDir) + "/", lockDir));
        // A machine-wide channel stays where it is when the project moves: keep its absolute URL.
        var machineWide = FileUrl(Path.Combine(root, "cm-opt", "channels", "x")) + "/";
        Assert.Equal(machineWide, LockPaths.ToLockLocation(machineWide, lockDir));
        Assert.Equal("https://host/ch/", LockPaths.ToLockLocation("https://host/ch/", lockDir));

        Assert.Equal(FileUrl(Path.Combine(root, "cm-home", "me", "upstream")) + "/", LockPaths.FromLockLocation("../upstream/", lockDir));
        Assert.Equal("https://host/ch/", LockPaths.FromLockLocation("https://host/ch/", lockDir));
        Assert.True(LockPaths.IsPath("./local"));
        Assert.True(LockPaths.IsPath("../up"));
        Assert.False(LockPaths.IsPath("conda-forge"));
        Assert.False(LockPaths.IsPath("pytorch/label/nightly"));
    }

    [Fact]
    public void A_relative_channel_in_a_lock_is_a_folder_beside_the_lock_not_a_channel_name()
    {
        using var dir = new TempDirectory("locks");
        File.WriteAllText(dir.Combine("pixi.lock"), """
            version: 6
            environments:
              default:
                channels:
                - url: ./local/
                - url: conda-forge
                packages:
                  linux-64:
                  - conda: ./local/linux-64/tool-1.0-h_0.conda
            packages:
            - conda: ./local/linux-64/tool-1.0-h_0.conda
              subdir: linux-64
              sha256: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
            """);

        var read = LockFileReader.Read(dir.Combine("pixi.lock"));

        Assert.Equal(new[] { FileUrl(dir.Combine("local")), "https://conda.anaconda.org/conda-forge" }, read.Channels);
        Assert.Equal(FileUrl(dir.Combine("local")) + "/linux-64/tool-1.0-h_0.conda", read.PackagesByPlatform["linux-64"].Single().Url);
    }
}
