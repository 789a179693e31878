using System.Text.Json;
using CondaMirror.Core.Records;
using CondaMirror.Core.Sbom;
using CondaMirror.TestKit;
using Xunit;

namespace CondaMirror.Tests.Sbom;

public sealed class ChannelSbomTests
{
    private static SbomPackage Package(string name, string version, string build, string subdir, params string[] depends) =>
        new(new PackageRecord
        {
            Name = name, Version = version, Build = build, Subdir = subdir, Depends = depends.ToList(),
            Sha256 = new string('a', 64), Md5 = new string('b', 32), License = "MIT",
        }, $"{name}-{version}-{build}.conda", $"https://example.org/ch/{subdir}/{name}-{version}-{build}.conda", "https://example.org/ch");

    [Fact]
    public void Same_channel_gives_the_same_bytes_whatever_the_input_order()
    {
        var packages = new[]
        {
            Package("b", "1.0", "0", "noarch"), Package("a", "2.0", "0", "linux-64", "b >=1"), Package("a", "1.0", "0", "linux-64"),
        };
        var first = ChannelSbom.ToBytes(packages);
        var second = ChannelSbom.ToBytes(packages.Reverse());
        Assert.Equal(first, second);

        // A different channel content gives a different serial number.
        var other = ChannelSbom.ToBytes(packages.Take(2));
        Assert.NotEqual(Serial(first), Serial(other));
        Assert.Matches("^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", Serial(first));
    }

    [Fact]
    public void Writes_only_when_the_content_changes()
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("sbom.cdx.json");
        Assert.True(ChannelSbom.WriteFile(path, [Package("a", "1.0", "0", "noarch")]));
        var written = File.GetLastWriteTimeUtc(path);
        File.SetLastWriteTimeUtc(path, written.AddHours(-1));
        Assert.False(ChannelSbom.WriteFile(path, [Package("a", "1.0", "0", "noarch")]));
        Assert.Equal(written.AddHours(-1), File.GetLastWriteTimeUtc(path));
        Assert.True(ChannelSbom.WriteFile(path, [Package("a", "1.1", "0", "noarch")]));
    }

    [Fact]
    public void Dependencies_point_at_the_packages_that_satisfy_each_depend()
    {
        var bytes = ChannelSbom.ToBytes(
        [
            Package("app", "1.0", "0", "linux-64", "lib >=2", "pyver", "__glibc >=2.17"),
            Package("lib", "1.0", "0", "linux-64"), Package("lib", "2.0", "0", "linux-64"), Package("lib", "3.0", "0", "win-64"),
            Package("pyver", "1.0", "0", "noarch"),
        ]);
        using var doc = JsonDocument.Parse(bytes);
        var app = doc.RootElement.GetProperty("dependencies").EnumerateArray()
            .Single(d => d.GetProperty("ref").GetString() == "linux-64/app-1.0-0.conda");
        Assert.Equal(["linux-64/lib-2.0-0.conda", "noarch/pyver-1.0-0.conda"],
            app.GetProperty("dependsOn").EnumerateArray().Select(e => e.GetString()!).ToArray());
    }

    [Fact]
    public void A_file_listed_twice_is_refused()
    {
        var p = Package("a", "1.0", "0", "noarch");
        Assert.Throws<ArgumentException>(() => ChannelSbom.ToBytes([p, p]));
    }

    [Theory]
    [InlineData("numpy", "1.26.4", "py312_0", "linux-64", "numpy-1.26.4-py312_0.conda", "https://conda.anaconda.org/conda-forge/",
        "pkg:conda/numpy@1.26.4?build=py312_0&channel=conda-forge&subdir=linux-64&type=conda")]
    [InlineData("PyYAML", "6.0+local", "h_1", "noarch", "PyYAML-6.0+local-h_1.tar.bz2", "https://mirror.example/pkgs/main",
        "pkg:conda/pyyaml@6.0%2Blocal?build=h_1&channel=https%3A%2F%2Fmirror.example%2Fpkgs%2Fmain&subdir=noarch&type=tar.bz2")]
    [InlineData("x", "1!2.0", "0", "win-64", "x-1!2.0-0.conda", null, "pkg:conda/x@1%212.0?build=0&subdir=win-64&type=conda")]
    public void Package_urls_follow_the_purl_spec(string name, string version, string build, string subdir, string file, string? channel, string expected) =>
        Assert.Equal(expected, PackageUrl.ForConda(name, version, build, subdir, file, channel));

    private static string Serial(byte[] sbom)
    {
        using var doc = JsonDocument.Parse(sbom);
        return doc.RootElement.GetProperty("serialNumber").GetString()!;
    }
}
