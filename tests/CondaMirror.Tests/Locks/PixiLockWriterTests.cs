using System.Text.Json;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Locks;
using CondaMirror.Core.Records;
using CondaMirror.TestKit;
using Xunit;

namespace CondaMirror.Tests.Locks;

public class PixiLockWriterTests
{
    private static RepodataRecord Record(string subdir, string name, string version, string build, string channel = "https://conda.anaconda.org/conda-forge", Action<PackageRecord>? edit = null)
    {
        var r = new PackageRecord
        {
            Name = name, Version = version, Build = build, BuildNumber = LocationFields.BuildNumberFromBuild(build) ?? 0, Subdir = subdir,
            Depends = new() { "python >=3.9", "libzlib >=1.2.13,<2.0a0" },
            Sha256 = new string('a', 64), Md5 = new string('b', 32), License = "MIT", Size = 1234, Timestamp = 1700000000123,
            Noarch = LocationFields.NoarchFrom(subdir, build),
        };
        (r.Arch, r.Platform) = CondaMirror.Core.Platforms.Platforms.RecordArchAndPlatform(subdir);
        edit?.Invoke(r);
        var file = $"{name}-{version}-{build}.conda";
        return new RepodataRecord(r, $"{channel}/{subdir}/{file}", file, channel);
    }

    private static LockDocument SampleDocument()
    {
        var doc = new LockDocument();
        var env = doc.Environment("default", new[] { "https://conda.anaconda.org/conda-forge" });
        var pip = Record("noarch", "pip", "24.3.1", "pyh8b19718_0");
        env.AddRange("osx-arm64", new[] { Record("osx-arm64", "zlib", "1.3.1", "h8359307_2"), pip });
        env.AddRange("linux-64", new[]
        {
            Record("linux-64", "zlib", "1.3.1", "hb9d3cd8_2"),
            pip,
            Record("linux-64", "python", "3.12.5", "h2ad013b_0_cpython", edit: r =>
            {
                r.BuildNumber = 7; // differs from the build string: must be written
                r.Constrains = new() { "python_abi 3.12.* *_cp312" };
                r.TrackFeatures = "feat1 feat2";
                r.Timestamp = 1700000000000;
                r.Extra["purls"] = JsonDocument.Parse("[\"pkg:pypi/a\", \"pkg:pypi/b\"]").RootElement.Clone();
            }),
            Record("linux-64", "yes", "1.0", "0", edit: r => r.License = "null"),
        });
        doc.Environment("test", new[] { "https://prefix.dev/my-channel/" }).Add("linux-64", Record("linux-64", "zlib", "1.3.1", "hb9d3cd8_2"));
        return doc;
    }

    [Fact]
    public void WritesRattlerV6Shape()
    {
        var yaml = PixiLockWriter.ToYaml(SampleDocument());
        Assert.StartsWith("version: 6\nenvironments:\n  default:\n    channels:\n    - url: https://conda.anaconda.org/conda-forge/\n    packages:\n      linux-64:\n", yaml);
        // Selectors sorted by file name: pip, python, yes, zlib.
        var linux = yaml[yaml.IndexOf("      linux-64:\n", StringComparison.Ordinal)..yaml.IndexOf("      osx-arm64:", StringComparison.Ordinal)];
        Assert.Equal(new[] { "pip", "python", "yes", "zlib" },
            linux.Split('\n').Where(l => l.Contains("- conda:")).Select(l => l[(l.LastIndexOf('/') + 1)..].Split('-')[0]));
        Assert.Contains("""
            - conda: https://conda.anaconda.org/conda-forge/linux-64/python-3.12.5-h2ad013b_0_cpython.conda
              build_number: 7
              sha256: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
              md5: bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb
              depends:
              - python >=3.9
              - libzlib >=1.2.13,<2.0a0
              constrains:
              - python_abi 3.12.* *_cp312
              track_features:
              - feat1
              - feat2
              license: MIT
              purls:
              - pkg:pypi/a
              - pkg:pypi/b
              size: 1234
              timestamp: 1700000000
            """.Replace("\r\n", "\n"), yaml);
        // Values YAML would read as non-strings are quoted; derivable name/version/build/subdir/noarch are omitted.
        Assert.Contains("  license: 'null'\n", yaml);
        Assert.Contains("  timestamp: 1700000000123\n", yaml);
        Assert.DoesNotContain("  name: ", yaml);
        Assert.DoesNotContain("  noarch: ", yaml);
        // Packages sorted by name, the shared zlib/pip entries written once.
        var names = yaml[yaml.IndexOf("\npackages:\n", StringComparison.Ordinal)..].Split('\n').Where(l => l.StartsWith("- conda:")).ToList();
        Assert.Equal(5, names.Count);
        Assert.Contains("  test:\n    channels:\n    - url: https://prefix.dev/my-channel/\n", yaml);
    }

    [Fact]
    public void RoundTripGivesEqualRecordsAndIdenticalBytes()
    {
        using var dir = new TempDirectory("locks");
        var doc = SampleDocument();
        var path = dir.Combine("pixi.lock");
        PixiLockWriter.Write(path, doc);
        var first = File.ReadAllText(path);

        var reread = new LockDocument();
        foreach (var env in doc.Environments.Keys)
        {
            var lockFile = LockFileReader.Read(path, env);
            Assert.Equal(LockFileFormat.PixiLock, lockFile.Format);
            Assert.Equal(6, lockFile.Version);
            foreach (var (platform, expected) in doc.Environments[env].Packages)
            {
                var actual = lockFile.PackagesByPlatform[platform];
                Assert.Equal(expected.Select(Describe).Order(), actual.Select(Describe).Order());
            }
            var copy = reread.Environment(env, lockFile.Channels);
            foreach (var (platform, records) in lockFile.PackagesByPlatform) copy.AddRange(platform, records);
        }
        Assert.Equal(first, PixiLockWriter.ToYaml(reread));
    }

    [Fact]
    public void OutputIsIndependentOfInputOrder()
    {
        var doc = SampleDocument();
        var shuffled = new LockDocument();
        foreach (var (name, env) in doc.Environments.Reverse())
        {
            var copy = shuffled.Environment(name, env.Channels);
            foreach (var (platform, records) in env.Packages.Reverse()) copy.AddRange(platform, Enumerable.Reverse(records));
        }
        Assert.Equal(PixiLockWriter.ToYaml(doc), PixiLockWriter.ToYaml(shuffled));
    }

    [Fact]
    public void CredentialsAreNotWritten()
    {
        var doc = new LockDocument();
        var record = Record("linux-64", "a", "1.0", "h0_0", channel: "https://user:pw@my.host/t/tok-1/chan");
        doc.Environment("default", new[] { "https://user:pw@my.host/t/tok-1/chan" }).Add("linux-64", record);
        var yaml = PixiLockWriter.ToYaml(doc);
        Assert.DoesNotContain("pw", yaml);
        Assert.DoesNotContain("tok-1", yaml);
        Assert.Contains("- conda: https://my.host/chan/linux-64/a-1.0-h0_0.conda\n", yaml);
    }

    [Fact]
    public void ConflictingRecordsForOneUrlAreRejected()
    {
        var doc = new LockDocument();
        var env = doc.Environment("default");
        env.Add("linux-64", Record("noarch", "pip", "24.3.1", "pyh_0"));
        env.Add("osx-64", Record("noarch", "pip", "24.3.1", "pyh_0", edit: r => r.Depends = new() { "python >=3.12" }));
        var ex = Assert.Throws<CondaMirrorException>(() => PixiLockWriter.ToYaml(doc));
        Assert.Equal(ErrorCodes.LockWriteInvalid, ex.Code);
    }

    [Theory]
    [InlineData("1.0", "'1.0'")]
    [InlineData("2024b", "2024b")]
    [InlineData("1.0.8", "1.0.8")]
    [InlineData("true", "'true'")]
    [InlineData(">=3.8", "'>=3.8'")]
    [InlineData("it's", "it's")]
    [InlineData("*", "'*'")]
    [InlineData("a: b", "'a: b'")]
    [InlineData("", "''")]
    [InlineData("line\nbreak", "\"line\\nbreak\"")]
    public void ScalarsAreQuotedOnlyWhenNeeded(string value, string expected) =>
        Assert.Equal(expected, PixiLockWriter.Scalar(value));

    private static string Describe(RepodataRecord r) => $"{r.Url} {r.FileName} {r.Channel} {PackageRecordJson.ToJson(r.Record)}";
}
