using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using CondaMirror.Core.Records;
using CondaMirror.Core.Repodata.Shards;
using CondaMirror.TestKit;
using Xunit;

namespace CondaMirror.Conformance.Tests.Repodata;

/// <summary>
/// The real CEP-16 shard set of conda's test channel (conda_format_repo/linux-64: repodata_shards.msgpack.zst and
/// one &lt;sha256&gt;.msgpack.zst per name, beside its repodata.json) read by ShardReader and checked against
/// independent oracles: the monolithic repodata.json parsed with System.Text.Json (every field of every record),
/// sha256 of the files computed here, and the shards decompressed by the zstd CLI and decoded by the test's own
/// MessagePack decoder (<see cref="MsgPackTree"/>). ShardWriter's output of the same content decodes to the same
/// trees. Skipped without the test data; the CLI parts need zstd (required under CI).
/// </summary>
public sealed class ShardConformanceTests
{
    private static string SubdirPath() => TestData.PathOf("repodata", "conda-conda__conda_format_repo", "linux-64");

    private static byte[] IndexBytes() => File.ReadAllBytes(Path.Combine(SubdirPath(), "repodata_shards.msgpack.zst"));

    [SkippableFact]
    public void Index_names_every_package_of_repodata_json_and_each_shard_has_its_hash()
    {
        var index = ShardReader.ReadIndexCompressed(IndexBytes(), source: "repodata_shards.msgpack.zst");

        using var repodata = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(SubdirPath(), "repodata.json")));
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var map in new[] { "packages", "packages.conda" })
            foreach (var entry in repodata.RootElement.GetProperty(map).EnumerateObject())
                names.Add(entry.Value.GetProperty("name").GetString()!);

        Assert.Equal("linux-64", index.Subdir);
        Assert.Equal("", index.BaseUrl);
        Assert.Equal("", index.ShardsBaseUrl);
        Assert.Equal(1, index.Version);
        Assert.Equal(names, index.Shards.Keys);
        foreach (var (name, hash) in index.Shards)
        {
            var path = Path.Combine(SubdirPath(), Convert.ToHexString(hash).ToLowerInvariant() + ".msgpack.zst");
            Assert.True(File.Exists(path), $"no shard file for {name}");
            Assert.Equal(hash, SHA256.HashData(File.ReadAllBytes(path)));
            Assert.Equal(Path.GetFileName(path), index.ShardFileName(name));
        }
    }

    [SkippableFact]
    public void Shards_give_the_records_of_repodata_json_field_by_field()
    {
        var index = ShardReader.ReadIndexCompressed(IndexBytes());
        var fromShards = new Dictionary<string, (string Map, PackageRecord Record)>(StringComparer.Ordinal);
        foreach (var name in index.Shards.Keys)
        {
            var shard = ShardReader.ReadVerifiedShard(index, name, File.ReadAllBytes(Path.Combine(SubdirPath(), index.ShardFileName(name)!)));
            foreach (var (fileName, record) in shard.Packages) fromShards.Add(fileName, ("packages", record));
            foreach (var (fileName, record) in shard.CondaPackages) fromShards.Add(fileName, ("packages.conda", record));
        }

        using var repodata = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(SubdirPath(), "repodata.json")));
        int compared = 0;
        foreach (var map in new[] { "packages", "packages.conda" })
        {
            foreach (var entry in repodata.RootElement.GetProperty(map).EnumerateObject())
            {
                Assert.True(fromShards.TryGetValue(entry.Name, out var actual), $"{entry.Name} is in no shard");
                Assert.Equal(map, actual.Map);
                var fields = entry.Value.EnumerateObject().ToDictionary(p => p.Name, p => p.Value, StringComparer.Ordinal);
                AssertSameFields(entry.Name, fields, actual.Record);
                compared++;
            }
        }
        Assert.Equal(compared, fromShards.Count);
        Assert.Equal(3, compared);
    }

    // The mapping from JSON keys to PackageRecord is spelled out here rather than taken from PackageRecordJson, so
    // a field the shard reader drops or misplaces shows up as a difference.
    private static void AssertSameFields(string fileName, Dictionary<string, JsonElement> json, PackageRecord r)
    {
        var typed = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["name"] = r.Name, ["version"] = r.Version, ["build"] = r.Build, ["build_number"] = r.BuildNumber,
            ["subdir"] = r.Subdir, ["depends"] = r.Depends, ["constrains"] = r.Constrains, ["noarch"] = r.Noarch,
            ["license"] = r.License, ["license_family"] = r.LicenseFamily, ["md5"] = r.Md5, ["sha256"] = r.Sha256,
            ["size"] = r.Size, ["timestamp"] = r.Timestamp, ["track_features"] = r.TrackFeatures,
            ["features"] = r.Features, ["arch"] = r.Arch, ["platform"] = r.Platform,
        };
        foreach (var (key, value) in json)
        {
            var where = $"{fileName}: {key}";
            if (!typed.TryGetValue(key, out var actual))
            {
                Assert.True(r.Extra.TryGetValue(key, out var extra), $"{where} is lost");
                Assert.Equal(value.GetRawText(), extra.GetRawText());
                continue;
            }
            switch (value.ValueKind)
            {
                case JsonValueKind.String: Assert.Equal(value.GetString(), actual as string); break;
                case JsonValueKind.Number: Assert.Equal(value.GetInt64(), Convert.ToInt64(actual)); break;
                case JsonValueKind.Array: Assert.Equal(value.EnumerateArray().Select(e => e.GetString()!).ToList(), (List<string>)actual!); break;
                case JsonValueKind.Null: Assert.Null(actual); break;
                default: throw new Xunit.Sdk.XunitException($"{where}: unexpected JSON kind {value.ValueKind} in the test data");
            }
        }
        // Nothing more than the JSON has: typed fields set only where the JSON has the key, no extra extras.
        foreach (var (key, value) in typed)
        {
            bool set = value switch { null => false, List<string> l => l.Count > 0, _ => true };
            if (set && key != "build_number" && key != "depends") Assert.True(json.ContainsKey(key), $"{fileName}: {key} appears from nowhere");
        }
        Assert.All(r.Extra.Keys, k => Assert.True(json.ContainsKey(k), $"{fileName}: extra {k} appears from nowhere"));
    }

    [SkippableFact]
    public void Reader_agrees_with_an_independent_decode_of_the_zstd_cli_output()
    {
        var dir = SubdirPath();
        var indexTree = MsgPackTree.Decode(ZstdCli.Decompress(Path.Combine(dir, "repodata_shards.msgpack.zst")));
        var top = MsgPackTree.AsMap(indexTree);
        var info = MsgPackTree.AsMap(top["info"]);
        var shards = MsgPackTree.AsMap(top["shards"]);

        var index = ShardReader.ReadIndexCompressed(IndexBytes());
        Assert.Equal((string)info["subdir"]!, index.Subdir);
        Assert.Equal((string)info["base_url"]!, index.BaseUrl);
        Assert.Equal((string)info["shards_base_url"]!, index.ShardsBaseUrl);
        Assert.Equal(shards.Keys.OrderBy(k => k, StringComparer.Ordinal), index.Shards.Keys);
        foreach (var (name, hash) in shards) Assert.Equal(((MsgPackTree.Bin)hash!).Bytes, index.Shards[name]);
    }

    [SkippableFact]
    public void Writer_rewrites_index_and_shards_to_the_same_decoded_content()
    {
        var dir = SubdirPath();
        var index = ShardReader.ReadIndexCompressed(IndexBytes());
        var rewrittenIndex = new ShardIndex { Subdir = index.Subdir, BaseUrl = index.BaseUrl, ShardsBaseUrl = index.ShardsBaseUrl };

        foreach (var (name, hash) in index.Shards)
        {
            var path = Path.Combine(dir, index.ShardFileName(name)!);
            var shard = ShardReader.ReadVerifiedShard(index, name, File.ReadAllBytes(path));
            var written = ShardWriter.WriteShard(shard);

            // conda's files spell md5/sha256 as hex strings and omit an empty "removed"; ours has bytes (as
            // rattler-index writes) and always lists "removed". Normalise only those two differences.
            var expected = MsgPackTree.Canonical(NormaliseShard(MsgPackTree.Decode(ZstdCli.Decompress(path))));
            var actual = MsgPackTree.Canonical(NormaliseShard(MsgPackTree.Decode(written)));
            Assert.Equal(expected, actual);

            // Hashes really are bytes in our output, and the compressed file is valid for the zstd CLI.
            var ours = MsgPackTree.AsMap(MsgPackTree.Decode(written));
            foreach (var map in new[] { "packages", "packages.conda" })
                foreach (var (_, record) in MsgPackTree.AsMap(ours[map]))
                {
                    var fields = MsgPackTree.AsMap(record);
                    Assert.Equal(32, ((MsgPackTree.Bin)fields["sha256"]!).Bytes.Length);
                    Assert.Equal(16, ((MsgPackTree.Bin)fields["md5"]!).Bytes.Length);
                }
            var (compressed, sha256) = ShardWriter.WriteCompressedShard(shard);
            Assert.Equal(written, ZstdCli.Decompress(compressed));
            Assert.Equal(SHA256.HashData(compressed), sha256);
            rewrittenIndex.SetShard(name, sha256);
        }

        var writtenIndex = ShardWriter.WriteIndex(index);
        var original = MsgPackTree.Decode(ZstdCli.Decompress(Path.Combine(dir, "repodata_shards.msgpack.zst")));
        Assert.Equal(MsgPackTree.Canonical(original), MsgPackTree.Canonical(MsgPackTree.Decode(writtenIndex)));
        Assert.Equal(writtenIndex, ZstdCli.Decompress(ShardWriter.WriteCompressedIndex(index)));

        // An index of the rewritten shards differs only in the hashes; reading it back gives what was written.
        var reread = ShardReader.ReadIndexCompressed(ShardWriter.WriteCompressedIndex(rewrittenIndex));
        Assert.Equal(rewrittenIndex.Shards.Keys, reread.Shards.Keys);
        Assert.All(rewrittenIndex.Shards, e => Assert.Equal(e.Value, reread.Shards[e.Key]));
    }

    private static object? NormaliseShard(object? tree)
    {
        var top = (List<KeyValuePair<object?, object?>>)tree!;
        if (!top.Any(e => (string?)e.Key == "removed")) top.Add(new("removed", new List<object?>()));
        foreach (var (key, value) in top)
        {
            if ((string?)key is not ("packages" or "packages.conda")) continue;
            foreach (var (_, record) in (List<KeyValuePair<object?, object?>>)value!)
            {
                var fields = (List<KeyValuePair<object?, object?>>)record!;
                for (int i = 0; i < fields.Count; i++)
                    if ((string?)fields[i].Key is "md5" or "sha256" && fields[i].Value is MsgPackTree.Bin bin)
                        fields[i] = new(fields[i].Key, Convert.ToHexString(bin.Bytes).ToLowerInvariant());
            }
        }
        return tree;
    }

    /// <summary>The zstd command-line tool as an independent decoder (missing: skipped locally, a failure under CI).</summary>
    private static class ZstdCli
    {
        public static byte[] Decompress(string path) => ExternalCodec.Unzstd(File.ReadAllBytes(path));

        public static byte[] Decompress(byte[] frame) => ExternalCodec.Unzstd(frame);
    }
}
