using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using CondaMirror.Core.Records;
using CondaMirror.Core.Sbom;
using CondaMirror.TestKit;
using CondaMirror.TestKit.Channels;
using Xunit;

namespace CondaMirror.Conformance.Tests.Sbom;

/// <summary>
/// Our channel SBOM checked by independent parties: the CycloneDX project's own validator (the official 1.6 JSON
/// schema, strict), coreutils' sha256sum/md5sum for every component's hashes, and real-world records for the strings
/// (licenses, versions) a schema or a purl could trip over.
/// </summary>
public sealed class CycloneDxConformanceTests
{
    [SkippableFact]
    public void Sbom_of_a_built_channel_is_valid_CycloneDX_and_its_hashes_are_the_files()
    {
        NodeTools.Require("@cyclonedx/cyclonedx-library");
        using var dir = new TempDirectory();
        var channel = dir.Combine("channel");
        new ChannelBuilder()
            .Add(new PackageSpec("python", "3.12.1", "h1_0", "linux-64") { License = "PSF-2.0" })
            .Add(new PackageSpec("numpy", "1.26.4", "py312h1_0", "linux-64") { Depends = ["python >=3.12,<3.13", "libblas"], License = "BSD-3-Clause" })
            .Add(new PackageSpec("libblas", "3.9.0", "20_openblas", "linux-64") { Format = ArchiveFormat.TarBz2, License = "BSD 3-Clause <\"&'>" })
            .Add(new PackageSpec("tqdm", "4.66.1", "pyhd8ed1ab_0") { Noarch = "python", Depends = ["python >=3.7", "colorama"], License = "MPL-2.0 AND MIT" })
            .WriteTo(channel);
        var records = ChannelRecords.Read(channel, new Uri("https://conda.anaconda.org/conda-forge/"));
        var packages = records.Select(r => new SbomPackage(r.Record, r.FileName, r.Url, r.Channel)).ToList();
        var sbom = dir.Combine("sbom.cdx.json");
        ChannelSbom.WriteFile(sbom, packages, new SbomOptions { ChannelName = "test-channel", ToolVersion = "1.2.3" });

        AssertValid(sbom);

        using var doc = JsonDocument.Parse(File.ReadAllBytes(sbom));
        var components = doc.RootElement.GetProperty("components").EnumerateArray().ToList();
        Assert.Equal(4, components.Count);
        foreach (var component in components)
        {
            var file = Path.Combine(channel, component.GetProperty("bom-ref").GetString()!);
            Assert.True(File.Exists(file), file);
            var hashes = component.GetProperty("hashes").EnumerateArray()
                .ToDictionary(h => h.GetProperty("alg").GetString()!, h => h.GetProperty("content").GetString()!);
            Assert.Equal(CoreUtilsDigest("sha256sum", file), hashes["SHA-256"]);
            Assert.Equal(CoreUtilsDigest("md5sum", file), hashes["MD5"]);
            Assert.Matches(PurlGrammar(), component.GetProperty("purl").GetString()!);
        }

        var numpy = components.Single(c => c.GetProperty("name").GetString() == "numpy");
        Assert.Equal("pkg:conda/numpy@1.26.4?build=py312h1_0&channel=conda-forge&subdir=linux-64&type=conda", numpy.GetProperty("purl").GetString());
        Assert.Equal("https://conda.anaconda.org/conda-forge/linux-64/numpy-1.26.4-py312h1_0.conda",
            numpy.GetProperty("externalReferences")[0].GetProperty("url").GetString());
        Assert.Equal("BSD-3-Clause", numpy.GetProperty("licenses")[0].GetProperty("license").GetProperty("name").GetString());

        var edges = doc.RootElement.GetProperty("dependencies").EnumerateArray()
            .ToDictionary(d => d.GetProperty("ref").GetString()!, d => d.GetProperty("dependsOn").EnumerateArray().Select(e => e.GetString()!).ToList());
        Assert.Equal(["linux-64/libblas-3.9.0-20_openblas.tar.bz2", "linux-64/python-3.12.1-h1_0.conda"], edges["linux-64/numpy-1.26.4-py312h1_0.conda"]);
        Assert.Empty(edges["noarch/tqdm-4.66.1-pyhd8ed1ab_0.conda"]); // noarch cannot see linux-64's python; colorama is absent
        Assert.Equal(4, edges["channel"].Count);
    }

    [SkippableTheory]
    [InlineData("conda-conda__anaconda-main-noarch-2018")]
    [InlineData("conda-conda__anaconda-r-linux-64-2018")]
    public void Sbom_of_real_repodata_records_is_valid_CycloneDX(string folder)
    {
        var root = TestData.Require();
        NodeTools.Require("@cyclonedx/cyclonedx-library");
        var repodata = Directory.GetFiles(Path.Combine(root, "repodata", folder), "*.json", SearchOption.AllDirectories)
            .OrderByDescending(f => new FileInfo(f).Length).First();
        using var json = JsonDocument.Parse(File.ReadAllBytes(repodata));
        var packages = new List<SbomPackage>();
        foreach (var map in new[] { "packages", "packages.conda" })
            if (json.RootElement.TryGetProperty(map, out var entries))
                foreach (var entry in entries.EnumerateObject())
                {
                    var record = PackageRecordJson.FromElement(entry.Value);
                    record.Subdir ??= "noarch";
                    packages.Add(new SbomPackage(record, entry.Name, $"https://repo.anaconda.com/pkgs/main/{record.Subdir}/{entry.Name}", "https://repo.anaconda.com/pkgs/main"));
                }
        Assert.True(packages.Count > 100, $"{repodata} has only {packages.Count} records");

        using var dir = new TempDirectory();
        var sbom = dir.Combine("sbom.cdx.json");
        ChannelSbom.WriteFile(sbom, packages);
        AssertValid(sbom);

        using var doc = JsonDocument.Parse(File.ReadAllBytes(sbom));
        var byRef = doc.RootElement.GetProperty("components").EnumerateArray().ToDictionary(c => c.GetProperty("bom-ref").GetString()!);
        Assert.Equal(packages.Count, byRef.Count);
        foreach (var p in packages)
        {
            var c = byRef[p.BomRef];
            Assert.Equal(p.Record.Version, c.GetProperty("version").GetString());
            Assert.Matches(PurlGrammar(), c.GetProperty("purl").GetString()!);
            if (p.Record.Sha256 is { } sha)
                Assert.Equal(sha, c.GetProperty("hashes").EnumerateArray().Single(h => h.GetProperty("alg").GetString() == "SHA-256").GetProperty("content").GetString());
            if (!string.IsNullOrWhiteSpace(p.Record.License))
                Assert.Equal(p.Record.License, c.GetProperty("licenses")[0].GetProperty("license").GetProperty("name").GetString());
        }
    }

    private static void AssertValid(string sbom)
    {
        var (exit, stdout, stderr) = NodeTools.RunScript("validate-cyclonedx.js", sbom);
        Assert.True(exit == 0, $"the CycloneDX validator rejected the SBOM:\n{stdout}\n{stderr}");
        Assert.Equal("valid", stdout.Trim());
    }

    private static string CoreUtilsDigest(string tool, string file)
    {
        var psi = new ProcessStartInfo(tool) { RedirectStandardOutput = true };
        psi.ArgumentList.Add(file);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
        return output.Split(' ')[0];
    }

    /// <summary>The purl grammar (package-url spec): type, name, @version, sorted qualifiers, percent-encoded.</summary>
    private static Regex PurlGrammar() =>
        new(@"^pkg:conda/[a-z0-9.\-_~%]+@[A-Za-z0-9.\-_~%]+(\?[a-z]+=[A-Za-z0-9.\-_~%]+(&[a-z]+=[A-Za-z0-9.\-_~%]+)*)?$");
}
