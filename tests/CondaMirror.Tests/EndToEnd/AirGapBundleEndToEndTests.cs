using System.Diagnostics;
using System.Security.Cryptography;
using CondaMirror.TestKit;
using CondaMirror.TestKit.Channels;
using Xunit;

namespace CondaMirror.Tests.EndToEnd;

/// <summary>
/// The air-gap round trip through real builds and real tools: build with CondaBundle=true → unpack with tar and
/// verify with sha256sum -c in a fresh folder → conda 25.11.1 installs from it offline (file://) and over HTTP,
/// fetching repodata.json.zst; an incremental bundle after adding a package holds only what changed, and importing
/// both bundles on the offline side gives the channel a fresh full build gives.
/// </summary>
[Collection(EndToEndCollection.Name)]
public class AirGapBundleEndToEndTests
{
    private readonly PackedPackage _package;

    public AirGapBundleEndToEndTests(PackedPackage package) => _package = package;

    [SkippableFact]
    public async Task Bundle_unpack_install_with_conda_then_an_incremental_bundle_imports_to_the_full_channel()
    {
        CondaClient.Require();
        using var work = new TempDirectory("condamirror-e2e");
        new ChannelBuilder()
            .Add(new PackageSpec("tool", "1.0", "h_0", "linux-64") { Depends = ["data >=1"] })
            .Add(new PackageSpec("data", "1.2", "h_0", "noarch") { Noarch = "generic" })
            .Add(new PackageSpec("extra", "2.0", "h_0", "linux-64"))
            .WriteTo(work.Combine("upstream"));
        await using var upstream = new LoopbackChannelServer(work.Combine("upstream"));

        string Project(string packages, string properties = "") => _package.WriteProject(work.Combine("app"), $"""
              <PropertyGroup>
                <CondaPlatforms>linux-64</CondaPlatforms>
                <CondaBundle>true</CondaBundle>
                <CondaPackageCachePath>{work.Combine("pkgs")}</CondaPackageCachePath>
                <CondaRepodataCachePath>{work.Combine("repodata")}</CondaRepodataCachePath>
                {properties}
              </PropertyGroup>
              <ItemGroup>
                <CondaChannel Include="{upstream.BaseUri}" />
                {packages}
              </ItemGroup>
            """);
        var output = work.Combine("app", "bin", "Debug", "net10.0");
        var channel = Path.Combine(output, "conda-channel");
        var first = Path.Combine(output, "conda-channel.tar");

        var build = _package.Build(Project("""<CondaPackage Include="tool" />"""));
        Assert.True(build.Succeeded, build.ToString());
        Assert.True(File.Exists(first) && File.Exists(first + ".SHA256SUMS"), build.Output);
        var firstCopy = work.Combine("transfer", "first.tar");
        Directory.CreateDirectory(work.Combine("transfer"));
        File.Copy(first, firstCopy);
        File.Copy(first + ".SHA256SUMS", work.Combine("transfer", "first.SHA256SUMS"));

        // The SBOM the build wrote: valid CycloneDX 1.6 for the CycloneDX project's own validator.
        NodeTools.Require("@cyclonedx/cyclonedx-library");
        var (valid, verdict, errors) = NodeTools.RunScript("validate-cyclonedx.js", Path.Combine(channel, "sbom.cdx.json"));
        Assert.True(valid == 0, verdict + errors);

        // The offline machine: tar and sha256sum only.
        var offline = work.Combine("offline");
        Directory.CreateDirectory(offline);
        CliTool.Run("tar", offline, "-xf", firstCopy);
        Assert.DoesNotContain("FAILED", CliTool.Run("sha256sum", offline, "-c", "SHA256SUMS"));

        // conda installs from the unpacked channel with no network.
        var (exit, log) = CondaClient.Run(work.Combine("conda-pkgs-1"), "create", "--offline", "--override-channels",
            "-c", new Uri(Path.Combine(offline, "channel") + "/").AbsoluteUri, "-p", work.Combine("env1"), "-y", "tool");
        Assert.True(exit == 0, log);
        Assert.Single(Directory.GetFiles(work.Combine("env1", "conda-meta"), "tool-1.0-h_0.json"));
        Assert.Single(Directory.GetFiles(work.Combine("env1", "conda-meta"), "data-1.2-h_0.json"));

        // And over HTTP, as a server on the offline network would serve it: conda asks for repodata.json.zst.
        await using (var served = new LoopbackChannelServer(Path.Combine(offline, "channel")))
        {
            var (httpExit, httpLog) = CondaClient.Run(work.Combine("conda-pkgs-2"), "create", "--override-channels",
                "-c", served.BaseUri.AbsoluteUri.TrimEnd('/'), "-p", work.Combine("env2"), "-y", "tool");
            Assert.True(httpExit == 0, httpLog);
            var paths = served.Requests.Select(r => r.Path).ToList();
            Assert.Contains("/linux-64/repodata.json.zst", paths);
            Assert.Contains("/noarch/repodata.json.zst", paths);
            Assert.DoesNotContain("/linux-64/repodata.json", paths);
            Assert.Contains("/linux-64/tool-1.0-h_0.conda", paths);
            Assert.Single(Directory.GetFiles(work.Combine("env2", "conda-meta"), "tool-1.0-h_0.json"));
        }

        // Next week: one more package; the incremental bundle holds the new archive and the index files that changed.
        var delta = work.Combine("transfer", "delta.tar");
        var next = _package.Build(Project("""<CondaPackage Include="tool" /><CondaPackage Include="extra" />""",
            $"<CondaBundleBase>{work.Combine("transfer", "first.SHA256SUMS")}</CondaBundleBase><CondaBundlePath>{delta}</CondaBundlePath>"));
        Assert.True(next.Succeeded, next.ToString());
        var members = CliTool.Run("tar", work.Path, "-tf", delta).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("channel/linux-64/extra-2.0-h_0.conda", members);
        Assert.Contains("channel/linux-64/repodata.json", members);
        Assert.DoesNotContain("channel/linux-64/tool-1.0-h_0.conda", members);
        Assert.DoesNotContain("channel/noarch/data-1.2-h_0.conda", members);

        // The offline side imports both bundles, in order, with an MSBuild item.
        var importer = _package.WriteProject(work.Combine("importer"), $"""
              <PropertyGroup>
                <CondaMirrorEnabled>false</CondaMirrorEnabled>
                <CondaBundleImportRoot>{work.Combine("imported")}</CondaBundleImportRoot>
              </PropertyGroup>
              <ItemGroup>
                <CondaBundleImport Include="{firstCopy}" />
                <CondaBundleImport Include="{delta}" />
              </ItemGroup>
            """, "Importer");
        var import = _package.Build(importer);
        Assert.True(import.Succeeded, import.ToString());
        Assert.Equal(FileTreeSnapshot.ContentHashes(channel), FileTreeSnapshot.ContentHashes(work.Combine("imported", "channel")));
        Assert.DoesNotContain("FAILED", CliTool.Run("sha256sum", work.Combine("imported"), "-c", "SHA256SUMS"));
    }
}
