using System.Text.Json;
using CondaMirror.Core.Records;
using CondaMirror.TestKit;
using CondaMirror.TestKit.Channels;
using Xunit;

namespace CondaMirror.Tests.EndToEnd;

/// <summary>A folder of local packages becomes a channel through a real `dotnet build` of the packed package.</summary>
[Collection(EndToEndSecondLaneCollection.Name)]
public class IndexFolderEndToEndTests
{
    private readonly PackedPackage _package;

    public IndexFolderEndToEndTests(PackedPackage package) => _package = package;

    [SkippableFact]
    public void Builds_a_channel_from_package_files_skips_when_unchanged_and_cleans_it()
    {
        using var work = new TempDirectory("condamirror-e2e");
        var packages = work.Combine("packages");
        ChannelBuilder.WritePackage(Path.Combine(packages, "linux-64"), new PackageSpec("tool", "1.2.0", "h1_0", "linux-64") { Depends = new[] { "helper >=1" } });
        ChannelBuilder.WritePackage(Path.Combine(packages, "noarch"), new PackageSpec("helper", "1.0", "pyh_0") { Noarch = "python", Format = ArchiveFormat.TarBz2 });
        var project = _package.WriteProject(work.Combine("app"), """
              <ItemGroup>
                <CondaPackageFile Include="../packages/**/*.conda;../packages/**/*.tar.bz2" />
              </ItemGroup>
            """);

        var first = _package.Build(project);
        Assert.True(first.Succeeded, first.ToString());
        var channel = Path.Combine(work.Path, "app", "bin", "Debug", "net10.0", "conda-channel");
        Assert.True(File.Exists(Path.Combine(channel, "linux-64", "tool-1.2.0-h1_0.conda")), first.ToString());
        Assert.True(File.Exists(Path.Combine(channel, "noarch", "helper-1.0-pyh_0.tar.bz2")));
        using (var noarch = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(channel, "noarch", "repodata.json"))))
            Assert.Equal("python", noarch.RootElement.GetProperty("packages").GetProperty("helper-1.0-pyh_0.tar.bz2").GetProperty("noarch").GetString());
        using (var linux = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(channel, "linux-64", "repodata.json"))))
            Assert.Equal("helper >=1", linux.RootElement.GetProperty("packages.conda").GetProperty("tool-1.2.0-h1_0.conda").GetProperty("depends")[0].GetString());
        var stamp = File.GetLastWriteTimeUtc(Path.Combine(channel, "noarch", "repodata.json"));

        var second = _package.Build(project);
        Assert.True(second.Succeeded, second.ToString());
        Assert.Contains("Conda index step: up to date", second.Output);
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(Path.Combine(channel, "noarch", "repodata.json")));

        var disabled = _package.Build(project, "-p:CondaMirrorEnabled=false");
        Assert.True(disabled.Succeeded, disabled.ToString());
        Assert.DoesNotContain("CondaMirrorIndex", disabled.Output);
        Assert.True(File.Exists(Path.Combine(channel, "linux-64", "tool-1.2.0-h1_0.conda")), "turning the mirror off deleted the channel");

        var clean = _package.Clean(project);
        Assert.True(clean.Succeeded, clean.ToString());
        Assert.False(Directory.Exists(channel) && Directory.EnumerateFiles(channel, "*", SearchOption.AllDirectories).Any(), "dotnet clean left the channel behind");
    }

    [SkippableFact]
    public void Clean_of_a_channel_outside_the_output_folder_removes_only_channel_files()
    {
        using var work = new TempDirectory("condamirror-e2e");
        ChannelBuilder.WritePackage(work.Combine("packages"), new PackageSpec("data", "1.0", "0"));
        var shared = work.Combine("shared-folder");
        Directory.CreateDirectory(shared);
        File.WriteAllText(Path.Combine(shared, "keep-me.txt"), "not a channel file");
        var project = _package.WriteProject(work.Combine("app"), $"""
              <PropertyGroup>
                <CondaChannelOutputPath>{shared}/</CondaChannelOutputPath>
              </PropertyGroup>
              <ItemGroup>
                <CondaPackageFile Include="../packages/*.conda" />
              </ItemGroup>
            """);

        var build = _package.Build(project);
        Assert.True(build.Succeeded, build.ToString());
        Assert.True(File.Exists(Path.Combine(shared, "noarch", "data-1.0-0.conda")));

        var clean = _package.Clean(project);
        Assert.True(clean.Succeeded, clean.ToString());
        Assert.False(File.Exists(Path.Combine(shared, "noarch", "data-1.0-0.conda")));
        Assert.False(File.Exists(Path.Combine(shared, "noarch", "repodata.json")));
        foreach (var file in new[] { "noarch/repodata.json.zst", "noarch/run_exports.json", "noarch/index.html", "channeldata.json", "index.html" })
            Assert.False(File.Exists(Path.Combine(shared, file)), $"dotnet clean left {file}");
        Assert.True(File.Exists(Path.Combine(shared, "keep-me.txt")));
    }

    [SkippableFact]
    public void A_missing_CondaLockFile_is_one_error_saying_what_to_do()
    {
        using var work = new TempDirectory("condamirror-e2e");
        var project = _package.WriteProject(work.Combine("app"), """
              <PropertyGroup>
                <CondaLockFile>does-not-exist/pixi.lock</CondaLockFile>
              </PropertyGroup>
            """);

        var result = _package.Build(project);

        Assert.False(result.Succeeded);
        // MSBuild prints each error twice (as it happens and in the summary); count distinct ones.
        var errors = result.Output.Split('\n').Where(l => l.Contains("error CMIR")).Select(l => l[l.IndexOf("error CMIR", StringComparison.Ordinal)..].Trim()).Distinct().ToList();
        Assert.Single(errors);
        Assert.Contains("error CMIR801", errors[0]);
        Assert.Contains("pixi.lock", errors[0]);
    }

    [SkippableFact]
    public void A_corrupt_package_file_is_one_error_naming_the_file()
    {
        using var work = new TempDirectory("condamirror-e2e");
        var packages = work.Combine("packages");
        Directory.CreateDirectory(packages);
        File.WriteAllBytes(Path.Combine(packages, "broken-1.0-0.conda"), new byte[] { 1, 2, 3, 4, 5 });
        var project = _package.WriteProject(work.Combine("app"), """
              <ItemGroup>
                <CondaPackageFile Include="../packages/*.conda" />
              </ItemGroup>
            """);

        var result = _package.Build(project);

        Assert.False(result.Succeeded);
        var errors = result.Output.Split('\n').Where(l => l.Contains("error CMIR")).Distinct().ToList();
        Assert.Single(errors.Select(e => e[e.IndexOf("error CMIR", StringComparison.Ordinal)..]).Distinct());
        Assert.Contains("broken-1.0-0.conda", errors[0]);
        Assert.DoesNotContain("MSB4018", result.Output);
        Assert.DoesNotContain("   at ", result.Output);
    }
}
