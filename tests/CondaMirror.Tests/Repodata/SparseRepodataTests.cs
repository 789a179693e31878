using System.Text;
using System.Text.Json;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Records;
using CondaMirror.Core.Repodata;
using CondaMirror.TestKit.Synthetic;
using Xunit;

namespace CondaMirror.Tests.Repodata;

public class SparseRepodataTests
{
    private static readonly Uri Channel = new("https://conda.example.org/forge/");

    private static SparseRepodata Load(string json, string subdir = "linux-64") =>
        SparseRepodata.Load("test/repodata.json", Encoding.UTF8.GetBytes(json), Channel, subdir);

    [Fact]
    public void Generated_channel_index_matches_a_full_parse_for_every_record()
    {
        var generator = new SyntheticChannelGenerator(scale: 0.002, seed: 7);
        foreach (var subdir in SyntheticChannelGenerator.Subdirs)
        {
            using var buffer = new MemoryStream();
            var written = generator.WriteRepodata(subdir, buffer);
            var bytes = buffer.ToArray();
            var sparse = SparseRepodata.Load(null, bytes, Channel, subdir);
            var expected = FullParse(bytes, subdir);

            Assert.Equal(written, sparse.RecordCount);
            Assert.Equal(expected.Count, sparse.RecordCount);
            Assert.Equal(expected.Values.Select(r => r.Name).Distinct().OrderBy(n => n, StringComparer.Ordinal),
                sparse.PackageNames.OrderBy(n => n, StringComparer.Ordinal));
            var actual = sparse.AllRecords().ToList();
            Assert.Equal(expected.Count, actual.Count);
            foreach (var record in actual)
            {
                Assert.Equal(PackageRecordJson.ToJson(expected[record.FileName]), PackageRecordJson.ToJson(record.Record));
                Assert.Equal($"https://conda.example.org/forge/{subdir}/{record.FileName}", record.Url);
                Assert.Equal("https://conda.example.org/forge", record.Channel);
            }
        }
    }

    [Fact]
    public void Generated_channel_contains_the_scientific_stack_and_both_archive_formats()
    {
        var generator = new SyntheticChannelGenerator(scale: 0.002, seed: 7);
        using var buffer = new MemoryStream();
        generator.WriteRepodata("linux-64", buffer);
        var sparse = SparseRepodata.Load(null, buffer.ToArray(), Channel, "linux-64");
        foreach (var name in new[] { "python", "numpy", "scipy", "pandas", "scikit-learn", "matplotlib", "libblas", "openssl", "libgcc-ng" })
            Assert.True(sparse.Records(name).Count >= 2, name);
        var stems = sparse.AllRecords().GroupBy(r => r.Record.Stem).ToList();
        Assert.Contains(stems, g => g.Select(r => Path.GetExtension(r.FileName)).Distinct().Count() == 2);
        Assert.Contains(sparse.Records("libblas"), r => r.Record.TrackFeatures == "blas_mkl");
    }

    [Fact]
    public void Generator_is_deterministic_for_a_seed()
    {
        static byte[] Write(int seed)
        {
            using var buffer = new MemoryStream();
            new SyntheticChannelGenerator(scale: 0.001, seed: seed).WriteRepodata("noarch", buffer);
            return buffer.ToArray();
        }
        Assert.Equal(Write(3), Write(3));
        Assert.NotEqual(Write(3), Write(4));
    }

    [Fact]
    public void Tricky_records_escaped_strings_nested_objects_and_late_name_key_are_indexed()
    {
        const string json = """
        {
          "info": {"subdir": "linux-64", "extra": {"base_url": "ignored"}},
          "removed": ["gone-1.0-0.tar.bz2"],
          "packages": {
            "a-1.0-0.tar.bz2": {"build": "0", "run_exports": {"weak": ["a >=1"], "name": "not-this"}, "depends": [], "odd": [["x"]], "version": "1.0", "name": "a", "build_number": 0},
            "b\u002dc-2.0-1.tar.bz2": {"\u006eame": "b\u002dc", "version": "2.0", "build": "1", "depends": ["a \"quoted\""], "build_number": 1},
            "caf\u00e9-1-0.tar.bz2": {"version": "1", "build": "0", "name": "café", "depends": []}
          },
          "packages.conda": {
            "a-1.0-0.conda": {"name": "a", "version": "1.0", "build": "0", "depends": [], "subdir": "linux-64", "nested": {"deep": {"deeper": [1, {"name": "x"}]}}},
            "nameless-3.1-h1_0.conda": {"version": "3.1", "build": "h1_0", "depends": []}
          },
          "repodata_version": 1
        }
        """;
        var sparse = Load(json);
        Assert.Equal(5, sparse.RecordCount);
        Assert.Equal(new[] { "a", "b-c", "café", "nameless" }, sparse.PackageNames.OrderBy(n => n, StringComparer.Ordinal));
        Assert.Equal(new[] { "a-1.0-0.tar.bz2", "a-1.0-0.conda" }, sparse.Records("a").Select(r => r.FileName));
        var bc = Assert.Single(sparse.Records("b-c"));
        Assert.Equal("b-c-2.0-1.tar.bz2", bc.FileName);
        Assert.Equal("a \"quoted\"", Assert.Single(bc.Record.Depends));
        // The escaped key is indexed under its decoded name, but 'café' is not a conda package name: reading it is refused.
        var refused = Assert.Throws<CondaMirrorException>(() => sparse.Records("café"));
        Assert.Equal(ErrorCodes.PackageNameInvalid, refused.Code);
        Assert.Contains("café-1-0.tar.bz2", refused.Message);
        Assert.Equal("nameless", Assert.Single(sparse.Records("nameless")).Record.Name);
        Assert.Equal("linux-64", sparse.Records("a")[0].Record.Subdir); // filled in from info.subdir
        Assert.Empty(sparse.Records("not-this"));
        Assert.Empty(sparse.Records("x"));
        Assert.Same(sparse.Records("a"), sparse.Records("a"));
    }

    [Theory]
    [InlineData("https://mirror.example.com/forge/linux-64/", "https://mirror.example.com/forge/linux-64/a-1-0.conda")]
    [InlineData("https://mirror.example.com/forge", "https://mirror.example.com/forge/a-1-0.conda")]
    [InlineData("../linux-64", "https://conda.example.org/forge/linux-64/a-1-0.conda")]
    [InlineData("../../other/noarch/", "https://conda.example.org/other/noarch/a-1-0.conda")]
    public void Base_url_from_repodata_version_2_decides_package_urls(string baseUrl, string expectedUrl)
    {
        var json = """{"info":{"subdir":"linux-64","base_url":""" + JsonSerializer.Serialize(baseUrl) +
                   """},"repodata_version":2,"packages.conda":{"a-1-0.conda":{"name":"a","version":"1","build":"0"}}}""";
        var sparse = Load(json);
        Assert.Equal(2, sparse.RepodataVersion);
        Assert.Equal(baseUrl, sparse.BaseUrl);
        Assert.Equal(expectedUrl, Assert.Single(sparse.Records("a")).Url);
    }

    [Fact]
    public void Missing_info_uses_the_requested_subdir_and_null_maps_are_empty()
    {
        var sparse = Load("""{"packages": null, "packages.conda": {"z-1-0.conda": {"name": "z", "version": "1", "build": "0"}}}""", "osx-arm64");
        Assert.Equal("osx-arm64", sparse.Subdir);
        Assert.Equal(1, sparse.RepodataVersion);
        Assert.Equal("osx-arm64", sparse.Records("z")[0].Record.Subdir);
        Assert.Equal(0, SparseRepodata.Empty(Channel, "win-64").RecordCount);
    }

    [Theory]
    [InlineData("""{"packages": {"a-1-0.conda": {"name": "a",""", ErrorCodes.RepodataInvalid)]
    [InlineData("""[1, 2]""", ErrorCodes.RepodataInvalid)]
    [InlineData("""{"packages": [1]}""", ErrorCodes.RepodataInvalid)]
    [InlineData("""{"packages": {"a-1-0.conda": "text"}}""", ErrorCodes.RepodataRecordInvalid)]
    [InlineData("""{"packages": {"not-a-file": {"version": "1"}}}""", ErrorCodes.RepodataRecordInvalid)]
    public void Malformed_repodata_fails_with_a_code_and_the_file(string json, string code)
    {
        var e = Assert.Throws<CondaMirrorException>(() => Load(json));
        Assert.Equal(code, e.Code);
        Assert.Equal("test/repodata.json", e.File);
    }

    [Fact]
    public void An_unreadable_file_is_reported_with_its_path()
    {
        var missing = Path.Combine(Path.GetTempPath(), "condamirror-missing-" + Guid.NewGuid().ToString("N"), "repodata.json");
        var e = Assert.Throws<CondaMirrorException>(() => SparseRepodata.LoadFile(missing, Channel, "noarch"));
        Assert.Equal(ErrorCodes.RepodataReadFailed, e.Code);
        Assert.Equal(missing, e.File);
    }

    [Fact]
    public void A_malformed_record_value_fails_when_materialised_naming_the_file_name()
    {
        var sparse = Load("""{"packages": {"a-1-0.tar.bz2": {"name": "a", "depends": {"not": "a list"}}}}""");
        var e = Assert.Throws<CondaMirrorException>(() => sparse.Records("a"));
        Assert.Equal(ErrorCodes.RepodataRecordInvalid, e.Code);
        Assert.Contains("a-1-0.tar.bz2", e.Message);
    }

    [Fact]
    public void Zstd_bytes_are_decoded_by_the_given_decoder_and_decoder_failures_are_reported()
    {
        var json = Encoding.UTF8.GetBytes("""{"packages.conda": {"a-1-0.conda": {"name": "a", "version": "1", "build": "0"}}}""");
        var sparse = SparseRepodata.LoadZstd("x.zst", FakeZstd.Encode(json), Channel, "noarch", FakeZstd.Decode);
        Assert.Equal(1, sparse.RecordCount);
        var e = Assert.Throws<CondaMirrorException>(() => SparseRepodata.LoadZstd("x.zst", json, Channel, "noarch", FakeZstd.Decode));
        Assert.Equal(ErrorCodes.RepodataDecompressFailed, e.Code);
    }

    [Fact]
    public void Concurrent_first_requests_see_one_consistent_list()
    {
        var generator = new SyntheticChannelGenerator(scale: 0.001, seed: 11);
        using var buffer = new MemoryStream();
        generator.WriteRepodata("linux-64", buffer);
        var sparse = SparseRepodata.Load(null, buffer.ToArray(), Channel, "linux-64");
        var results = new IReadOnlyList<RepodataRecord>[8];
        Parallel.For(0, results.Length, i => results[i] = sparse.Records("numpy"));
        Assert.All(results, r => Assert.Same(results[0], r));
        Assert.NotEmpty(results[0]);
    }

    /// <summary>Reference: every record via JsonDocument + PackageRecordJson, keyed by file name.</summary>
    internal static Dictionary<string, PackageRecord> FullParse(byte[] json, string subdir)
    {
        using var document = JsonDocument.Parse(json);
        var result = new Dictionary<string, PackageRecord>(StringComparer.Ordinal);
        foreach (var map in new[] { "packages", "packages.conda" })
        {
            if (!document.RootElement.TryGetProperty(map, out var packages) || packages.ValueKind != JsonValueKind.Object) continue;
            foreach (var entry in packages.EnumerateObject())
            {
                var record = PackageRecordJson.FromElement(entry.Value);
                record.Subdir ??= subdir;
                result[entry.Name] = record;
            }
        }
        return result;
    }
}

/// <summary>A stand-in for zstd in unit tests: a 4-byte magic prefix, so "corrupt" input is detectable.</summary>
internal static class FakeZstd
{
    private static readonly byte[] Magic = { 0x28, 0xB5, 0x2F, 0xFD };

    public static byte[] Encode(byte[] data) => Magic.Concat(data).ToArray();

    /// <summary>The stream form the fetcher uses: checks the magic, then passes the rest through.</summary>
    public static Stream Decode(Stream data)
    {
        var magic = new byte[4];
        data.ReadExactly(magic);
        return magic.AsSpan().SequenceEqual(Magic) ? data : throw new InvalidDataException("bad zstd frame magic");
    }

    public static byte[] Decode(byte[] data) =>
        data.AsSpan().StartsWith(Magic) ? data[4..] : throw new InvalidDataException("bad zstd frame magic");
}
