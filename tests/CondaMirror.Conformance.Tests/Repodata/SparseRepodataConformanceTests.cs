using System.Text.Json;
using CondaMirror.Core.Records;
using CondaMirror.Core.Repodata;
using CondaMirror.TestKit;
using Xunit;

namespace CondaMirror.Conformance.Tests.Repodata;

/// <summary>
/// Every real repodata file in the shared test data (testdata/repodata and testdata/packages/*/) is indexed
/// sparsely and cross-checked against a full JsonDocument parse: same record count, same names, and for
/// every record the same PackageRecordJson output, file name and URL.
/// </summary>
public class SparseRepodataConformanceTests
{
    private static readonly Uri Channel = new("https://conda.example.org/upstream/");

    public static IEnumerable<object[]> RepodataFiles()
    {
        var root = TestData.Root;
        if (root is null)
        {
            yield return new object[] { "" };
            yield break;
        }
        var candidates = Directory.EnumerateFiles(Path.Combine(root, "repodata"), "*.json", SearchOption.AllDirectories)
            .Concat(Directory.EnumerateDirectories(Path.Combine(root, "packages"))
                .SelectMany(d => Directory.EnumerateFiles(d, "*repodata*.json", SearchOption.AllDirectories)));
        foreach (var file in candidates.Where(IsRepodata).OrderBy(f => f, StringComparer.Ordinal))
            yield return new object[] { Path.GetRelativePath(root, file) };
    }

    [SkippableTheory]
    [MemberData(nameof(RepodataFiles))]
    public void Sparse_index_equals_a_full_parse(string relativePath)
    {
        var path = Path.Combine(TestData.Require(), relativePath);
        var bytes = File.ReadAllBytes(path);
        var subdir = Path.GetFileName(Path.GetDirectoryName(path))!;
        var sparse = SparseRepodata.Load(path, bytes, Channel, subdir);

        using var document = JsonDocument.Parse(bytes);
        var expected = new List<(string FileName, PackageRecord Record)>();
        foreach (var map in new[] { "packages", "packages.conda" })
        {
            if (!document.RootElement.TryGetProperty(map, out var packages) || packages.ValueKind != JsonValueKind.Object) continue;
            foreach (var entry in packages.EnumerateObject())
                expected.Add((entry.Name, PackageRecordJson.FromElement(entry.Value)));
        }
        var info = document.RootElement.TryGetProperty("info", out var i) && i.ValueKind == JsonValueKind.Object ? i : default;
        var infoSubdir = info.ValueKind == JsonValueKind.Object && info.TryGetProperty("subdir", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
        Assert.Equal(infoSubdir ?? subdir, sparse.Subdir);

        Assert.Equal(expected.Count, sparse.RecordCount);
        Assert.Equal(expected.Select(e => e.Record.Name).Distinct().OrderBy(n => n, StringComparer.Ordinal),
            sparse.PackageNames.OrderBy(n => n, StringComparer.Ordinal));

        var actual = sparse.AllRecords().ToList();
        Assert.Equal(expected.Count, actual.Count);
        var byName = expected.GroupBy(e => e.Record.Name).ToDictionary(g => g.Key, g => g.ToList());
        foreach (var name in sparse.PackageNames)
        {
            var want = byName[name];
            var got = sparse.Records(name);
            Assert.Equal(want.Count, got.Count);
            for (var k = 0; k < want.Count; k++)
            {
                var reference = want[k].Record;
                reference.Subdir ??= sparse.Subdir;
                Assert.Equal(want[k].FileName, got[k].FileName);
                Assert.Equal(PackageRecordJson.ToJson(reference), PackageRecordJson.ToJson(got[k].Record));
                Assert.Equal(sparse.PackageBaseUrl.AbsoluteUri + want[k].FileName, got[k].Url);
            }
        }
    }

    [SkippableFact]
    public void Base_url_in_real_repodata_points_records_at_the_upstream_channel()
    {
        var path = TestData.PathOf("repodata", "mamba-org-mamba__conda-forge-subsets", "conda-forge-repodata-version-2.json");
        var sparse = SparseRepodata.LoadFile(path, Channel, "linux-64");
        Assert.Equal(2, sparse.RepodataVersion);
        Assert.All(sparse.AllRecords(), r => Assert.StartsWith("https://repo.anaconda.com/repo/main/linux-64/", r.Url));
    }

    // channeldata.json, patch_instructions*.json and run_exports.json also have a "packages" map, but not of records.
    private static readonly string[] NotRepodata = { "channeldata", "patch_instructions", "run_exports" };

    [SkippableFact]
    public void Repodata_compressed_by_the_zstd_cli_loads_through_the_built_in_codec()
    {
        var source = TestData.PathOf("repodata", "conda-rattler__pytorch-linux-64", "linux-64", "repodata.json");
        ZstdSamples.RequireZstd();
        using var temp = new TempDirectory("repodata-zst");
        var zst = temp.Combine("repodata.json.zst");
        ZstdSamples.RunZstd("-q", "-19", "-f", source, "-o", zst);

        var fromZst = SparseRepodata.LoadZstd(zst, File.ReadAllBytes(zst), Channel, "linux-64");
        var fromJson = SparseRepodata.LoadFile(source, Channel, "linux-64");
        Assert.Equal(fromJson.RecordCount, fromZst.RecordCount);
        Assert.Equal(fromJson.AllRecords().Select(r => PackageRecordJson.ToJson(r.Record)),
            fromZst.AllRecords().Select(r => PackageRecordJson.ToJson(r.Record)));
    }

    private static bool IsRepodata(string path)
    {
        if (NotRepodata.Any(n => Path.GetFileName(path).Contains(n, StringComparison.Ordinal))) return false;
        try
        {
            using var stream = File.OpenRead(path);
            using var document = JsonDocument.Parse(stream);
            return document.RootElement.ValueKind == JsonValueKind.Object &&
                   (document.RootElement.TryGetProperty("packages", out _) || document.RootElement.TryGetProperty("packages.conda", out _));
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
