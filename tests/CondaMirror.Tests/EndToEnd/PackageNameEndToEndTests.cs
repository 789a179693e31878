using System.Text.RegularExpressions;
using CondaMirror.Core.Errors;
using CondaMirror.TestKit;
using CondaMirror.TestKit.Channels;
using Xunit;

namespace CondaMirror.Tests.EndToEnd;

/// <summary>A CondaPackage item whose name is a path: one error at the item's line, before any request is sent.</summary>
[Collection(EndToEndSecondLaneCollection.Name)]
public class PackageNameEndToEndTests
{
    private readonly PackedPackage _package;

    public PackageNameEndToEndTests(PackedPackage package) => _package = package;

    [Fact]
    public async Task A_CondaPackage_named_like_a_path_fails_at_its_line_and_nothing_is_fetched_or_written()
    {
        using var work = new TempDirectory("condamirror-e2e");
        var builder = new ChannelBuilder();
        builder.Add(new PackageSpec("zlib", "1.3", "h0_0", "linux-64"));
        builder.WriteTo(work.Combine("upstream"));
        await using var server = new LoopbackChannelServer(work.Combine("upstream"));
        var project = _package.WriteProject(work.Combine("app"), $"""
              <PropertyGroup>
                <CondaPlatforms>linux-64</CondaPlatforms>
                <CondaPackageCachePath>{work.Combine("pkgs")}</CondaPackageCachePath>
                <CondaRepodataCachePath>{work.Combine("repodata-cache")}</CondaRepodataCachePath>
              </PropertyGroup>
              <ItemGroup>
                <CondaChannel Include="{server.BaseUri}" />
                <CondaPackage Include="zlib" />
                <CondaPackage Include="../../evil" />
              </ItemGroup>
            """);
        var line = File.ReadAllLines(project).Select((text, i) => (text, i)).Single(x => x.text.Contains("../../evil")).i + 1;

        var result = _package.Build(project);

        Assert.False(result.Succeeded, result.ToString());
        var errors = result.Output.Split('\n').Where(l => l.Contains(": error ")).Select(l => Regex.Replace(l.Trim(), @"^\d+>", "")).Distinct().ToList();
        var error = Assert.Single(errors);
        Assert.Contains($"{project}({line}): error {ErrorCodes.RequestedNameInvalid}", error);
        Assert.Contains("'../../evil'", error);
        Assert.Empty(server.Requests);
        Assert.False(File.Exists(work.Combine("app", "conda-mirror.lock")));
        Assert.False(Directory.Exists(work.Combine("app", "bin", "Debug", "net10.0", "conda-channel", "linux-64")));
        Assert.Empty(Directory.GetFileSystemEntries(work.Path, "evil*", SearchOption.AllDirectories));
        Assert.False(File.Exists(Path.Combine(work.Path, "..", "evil")));
    }
}
