using System.Text;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Records;
using CondaMirror.Core.Repodata;
using CondaMirror.TestKit;
using CondaMirror.TestKit.Synthetic;
using Xunit;

namespace CondaMirror.Tests.Repodata;

/// <summary>
/// The file-backed index (<see cref="SparseRepodata.LoadFile"/>) reads the JSON in windows of a few MB: it must
/// give exactly what indexing the whole bytes gives, whatever falls on a window's edge, including single values
/// larger than a window; and it must not hold the file.
/// </summary>
public sealed class SparseRepodataFileTests : IDisposable
{
    private static readonly Uri Channel = new("https://example.invalid/channel/");
    private readonly TempDirectory _temp = new("sparse-file");

    public void Dispose() => _temp.Dispose();

    private static List<string> All(SparseRepodata r) =>
        r.PackageNames.Order(StringComparer.Ordinal).SelectMany(r.Records)
            .Select(x => $"{x.FileName} {x.Url} {PackageRecordJson.ToJson(x.Record)}").ToList();

    [Fact]
    public void A_file_of_many_windows_indexes_exactly_as_its_bytes()
    {
        var path = _temp.Combine("repodata.json");
        using (var file = File.Create(path)) new SyntheticChannelGenerator(scale: 0.08, seed: 11).WriteRepodata("linux-64", file);
        var bytes = File.ReadAllBytes(path);
        Assert.True(bytes.Length > 3 * (4 << 20), $"the fixture is only {bytes.Length} bytes; it must span several windows");

        using var fromFile = SparseRepodata.LoadFile(path, Channel, "linux-64");
        var fromBytes = SparseRepodata.Load(path, bytes, Channel, "linux-64");
        Assert.Equal(fromBytes.RecordCount, fromFile.RecordCount);
        Assert.Equal(fromBytes.PackageNames.Order(StringComparer.Ordinal), fromFile.PackageNames.Order(StringComparer.Ordinal));
        Assert.Equal(All(fromBytes), All(fromFile));
        Assert.Equal(bytes.Length, fromFile.JsonLength);
    }

    [Fact]
    public void Values_larger_than_a_window_grow_it_and_keys_on_edges_are_read_whole()
    {
        // A 6 MB "removed" list and a record with a 5 MB field: each larger than the 4 MiB first window.
        var json = new StringBuilder("{\"info\":{\"subdir\":\"linux-64\"},\"removed\":[");
        for (var i = 0; i < 200_000; i++) json.Append(i == 0 ? "" : ",").Append("\"gone-").Append(i).Append("-0.tar.bz2\"");
        json.Append("],\"packages.conda\":{");
        json.Append("\"big-1.0-0.conda\":{\"name\":\"big\",\"version\":\"1.0\",\"build\":\"0\",\"build_number\":0,\"description\":\"")
            .Append('x', 5 << 20).Append("\"}");
        for (var i = 0; i < 60_000; i++)
            json.Append(",\"p").Append(i % 97).Append("-1.").Append(i).Append("-0.conda\":{\"name\":\"p").Append(i % 97)
                .Append("\",\"version\":\"1.").Append(i).Append("\",\"build\":\"0\",\"build_number\":0,\"depends\":[\"python >=3.").Append(i % 13).Append("\"]}");
        json.Append("},\"repodata_version\":1}");
        var bytes = Encoding.UTF8.GetBytes(json.ToString());
        var path = _temp.Combine("big.json");
        File.WriteAllBytes(path, bytes);

        using var fromFile = SparseRepodata.LoadFile(path, Channel, "linux-64");
        var fromBytes = SparseRepodata.Load(path, bytes, Channel, "linux-64");
        Assert.Equal(60_001, fromFile.RecordCount);
        Assert.Equal(All(fromBytes), All(fromFile));
        Assert.Equal(5 << 20, fromFile.Records("big").Single().Record.Extra["description"].GetString()!.Length);
    }

    public static TheoryData<int> TinyWindows => new() { 1, 7, 64, 1000 };

    /// <summary>
    /// With windows of a few bytes every unit meets an edge, many several times: the index must still be exactly
    /// the one built over the whole array (file offsets and array offsets are the same numbers).
    /// </summary>
    [Theory]
    [MemberData(nameof(TinyWindows))]
    public void Tiny_windows_give_the_same_index_as_the_whole_array(int window)
    {
        var synthetic = new MemoryStream();
        new SyntheticChannelGenerator(scale: 0.0005, seed: 2).WriteRepodata("linux-64", synthetic);
        var texts = new[]
        {
            Encoding.UTF8.GetString(synthetic.ToArray()),
            // Escapes in keys and names, comments, null and empty maps, info after the packages, unknown values of every kind.
            """
            { /* c */ "removed": ["a-1-0.tar.bz2", {"x": [1, 2, {"y": null}]}],
              "packages": null,
              "packages.conda": {"n\u0061me-1.0-0.conda": {"build": "0", "depends": ["a", "b >=1"], "name": "n\u0061me", "version": "1.0", "nested": {"k": [true, false]}},
                                 "other-2-0.conda": {"name": "other", "version": "2", "build": "0"}},
              "info": {"subdir": "linux-64", "base_url": "https://example.invalid/pkgs/", "extra": [1]},
              "repodata_version": 2,
              "signatures": {}
            }
            """,
        };
        foreach (var text in texts)
        {
            var bytes = Encoding.UTF8.GetBytes(text);
            var path = _temp.Combine($"w{window}.json");
            File.WriteAllBytes(path, bytes);
            var expected = RepodataParser.Build(bytes, path);
            RepodataOutline actual;
            using (var handle = File.OpenHandle(path))
                actual = RepodataParser.Build(handle, bytes.Length, path, window);
            Assert.Equal(expected.Spans, actual.Spans);
            Assert.Equal(expected.GroupStart, actual.GroupStart);
            Assert.Equal(expected.Names, actual.Names);
            Assert.Equal(expected.InfoSubdir, actual.InfoSubdir);
            Assert.Equal(expected.BaseUrl, actual.BaseUrl);
            Assert.Equal(expected.RepodataVersion, actual.RepodataVersion);
        }
    }

    [Fact]
    public void A_file_cut_short_in_a_later_window_is_CMIR_repodata_invalid()
    {
        var path = _temp.Combine("repodata.json");
        using (var file = File.Create(path)) new SyntheticChannelGenerator(scale: 0.02, seed: 3).WriteRepodata("linux-64", file);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes.AsSpan(0, bytes.Length - 1000).ToArray());
        var e = Assert.Throws<CondaMirrorException>(() => SparseRepodata.LoadFile(path, Channel, "linux-64"));
        Assert.Equal(ErrorCodes.RepodataInvalid, e.Code);
        // The file is not held open after a failure: it can be replaced.
        File.Delete(path);
    }
}
