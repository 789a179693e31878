using System.Security.Cryptography;
using System.Text.Json;
using CondaMirror.Core.Records;
using CondaMirror.Core.Repodata.Shards;
using CondaMirror.TestKit;
using MessagePack;
using Xunit;
using static CondaMirror.Tests.Repodata.Shards.ShardFixtures;

namespace CondaMirror.Tests.Repodata.Shards;

/// <summary>What ShardWriter writes, decoded by the test kit's own MessagePack decoder (not the library Core uses).</summary>
public sealed class ShardWriterTests
{
    private static List<string> Keys(object? map) =>
        ((List<KeyValuePair<object?, object?>>)map!).Select(e => (string)e.Key!).ToList();

    private static PackageRecord RichRecord() => PackageRecordJson.Parse("""
        {"name":"zlib","version":"1.3.1","build":"hb9d3cd8_2","build_number":2,"subdir":"linux-64",
         "depends":["__glibc >=2.17,<3.0.a0","libgcc >=13"],"constrains":["zlib-ng <0"],"license":"Zlib",
         "license_family":"Other","md5":"a0a1a2a3a4a5a6a7a8a9aaabacadaeaf",
         "sha256":"101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f","size":92286,
         "timestamp":1727963453000,"track_features":"mkl","noarch":"generic","arch":"x86_64","platform":"linux",
         "run_exports":{"weak":["libzlib >=1.3.1,<2.0a0"],"strong":[]},"purls":["pkg:pypi/x"],
         "legacy_bz2_md5":"00112233445566778899aabbccddeeff","score":1.5,"big":18446744073709551615,"none":null,"flag":true}
        """);

    [Fact]
    public void Shard_is_written_with_sorted_keys_and_hashes_as_bytes()
    {
        var shard = new Shard();
        shard.Add("zlib-1.3.1-hb9d3cd8_2.conda", RichRecord());
        shard.Add("zlib-1.3.1-hb9d3cd8_2.tar.bz2", RichRecord());
        shard.Removed.Add("zlib-1.2-0.tar.bz2");
        var tree = MsgPackTree.Decode(ShardWriter.WriteShard(shard));

        Assert.Equal(new[] { "packages", "packages.conda", "removed" }, Keys(tree));
        var top = MsgPackTree.AsMap(tree);
        Assert.Equal(new object?[] { "zlib-1.2-0.tar.bz2" }, (List<object?>)top["removed"]!);
        var record = MsgPackTree.AsMap(top["packages.conda"]).Single().Value;
        var keys = Keys(record);
        Assert.Equal(keys.OrderBy(k => k, StringComparer.Ordinal), keys);
        Assert.Equal(new[] { "arch", "big", "build", "build_number", "constrains", "depends", "flag", "legacy_bz2_md5", "license",
            "license_family", "md5", "name", "noarch", "none", "platform", "purls", "run_exports", "score", "sha256", "size",
            "subdir", "timestamp", "track_features", "version" }, keys);

        var fields = MsgPackTree.AsMap(record);
        Assert.Equal("a0a1a2a3a4a5a6a7a8a9aaabacadaeaf", Convert.ToHexString(((MsgPackTree.Bin)fields["md5"]!).Bytes).ToLowerInvariant());
        Assert.Equal(32, ((MsgPackTree.Bin)fields["sha256"]!).Bytes.Length);
        Assert.Equal(16, ((MsgPackTree.Bin)fields["legacy_bz2_md5"]!).Bytes.Length);
        Assert.Equal(1727963453000L, fields["timestamp"]);
        Assert.Equal(2L, fields["build_number"]);
        Assert.Equal(ulong.MaxValue, fields["big"]);
        Assert.Equal(1.5, fields["score"]);
        Assert.Null(fields["none"]);
        Assert.Equal(true, fields["flag"]);
        // A kept value keeps its own key order (as the JSON form re-emits it): rattler writes run_exports weak first.
        Assert.Equal(new[] { "weak", "strong" }, Keys(fields["run_exports"]));
    }

    [Fact]
    public void Read_after_write_gives_the_same_records()
    {
        var shard = new Shard();
        shard.Add("zlib-1.3.1-hb9d3cd8_2.conda", RichRecord());
        var minimal = new PackageRecord { Name = "zlib", Version = "1", Build = "0" };
        shard.Add("zlib-1-0.tar.bz2", minimal);
        var back = ShardReader.ReadShard(ShardWriter.WriteShard(shard), expectedName: "zlib");
        Assert.Equal(PackageRecordJson.ToJson(RichRecord()), PackageRecordJson.ToJson(back.CondaPackages["zlib-1.3.1-hb9d3cd8_2.conda"]));
        Assert.Equal(PackageRecordJson.ToJson(minimal), PackageRecordJson.ToJson(back.Packages["zlib-1-0.tar.bz2"]));
    }

    [Fact]
    public void Output_is_byte_deterministic_whatever_order_the_input_was_in()
    {
        var a = RichRecord();
        var b = RichRecord();
        // Same extras, inserted in another order; records added to the shard in another order too.
        b.Extra = new SortedDictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var (k, v) in a.Extra.Reverse()) b.Extra[k] = v;

        Shard Make(PackageRecord r, bool reverse)
        {
            var s = new Shard();
            var names = new[] { "zlib-1.3.1-hb9d3cd8_2.conda", "zlib-1.3.1-hb9d3cd8_1.conda", "zlib-1.3.1-hb9d3cd8_2.tar.bz2" };
            foreach (var n in reverse ? names.Reverse() : names) s.Add(n, r);
            return s;
        }
        var first = ShardWriter.WriteShard(Make(a, false));
        Assert.Equal(first, ShardWriter.WriteShard(Make(b, true)));
        // A fixpoint: reading our output and writing it again changes nothing.
        Assert.Equal(first, ShardWriter.WriteShard(ShardReader.ReadShard(first)));
        var (compressed, sha) = ShardWriter.WriteCompressedShard(Make(a, false));
        Assert.Equal(compressed, ShardWriter.WriteCompressedShard(Make(b, true)).Compressed);
        Assert.Equal(SHA256.HashData(compressed), sha);
    }

    [Fact]
    public void Hashes_that_are_not_hex_of_the_right_length_stay_strings()
    {
        var r = new PackageRecord { Name = "a", Version = "1", Build = "0", Md5 = "not-a-hash", Sha256 = "abc" };
        var shard = new Shard();
        shard.Add("a-1-0.conda", r);
        var fields = MsgPackTree.AsMap(MsgPackTree.AsMap(MsgPackTree.AsMap(MsgPackTree.Decode(ShardWriter.WriteShard(shard)))["packages.conda"]).Single().Value);
        Assert.Equal("not-a-hash", fields["md5"]);
        Assert.Equal("abc", fields["sha256"]);
        var back = ShardReader.ReadShard(ShardWriter.WriteShard(shard)).CondaPackages.Single().Value;
        Assert.Equal(("not-a-hash", "abc"), (back.Md5, back.Sha256));
    }

    [Fact]
    public void Index_has_both_urls_bin_hashes_and_sorted_keys()
    {
        var index = new ShardIndex { Subdir = "noarch" };
        index.SetShard("zlib", Hash(1));
        index.SetShard("python", Hash(2));
        index.SetShard("_libgcc_mutex", Hash(3));
        var tree = MsgPackTree.Decode(ShardWriter.WriteIndex(index));

        Assert.Equal(new[] { "info", "shards", "version" }, Keys(tree));
        var top = MsgPackTree.AsMap(tree);
        Assert.Equal(1L, top["version"]);
        Assert.Equal(new[] { "base_url", "shards_base_url", "subdir" }, Keys(top["info"]));
        var info = MsgPackTree.AsMap(top["info"]);
        Assert.Equal("", info["base_url"]);
        Assert.Equal("", info["shards_base_url"]);
        Assert.Equal(new[] { "_libgcc_mutex", "python", "zlib" }, Keys(top["shards"]));
        Assert.Equal(Hash(2), ((MsgPackTree.Bin)MsgPackTree.AsMap(top["shards"])["python"]!).Bytes);

        index.BaseUrl = "../pkgs/";
        index.ShardsBaseUrl = "./shards/";
        index.CreatedAt = "2025-06-01T12:00:00Z";
        index.InfoExtra["a_first"] = JsonDocument.Parse("1").RootElement.Clone();
        var info2 = MsgPackTree.Decode(ShardWriter.WriteIndex(index));
        Assert.Equal(new[] { "a_first", "base_url", "created_at", "shards_base_url", "subdir" }, Keys(MsgPackTree.AsMap(info2)["info"]));

        var back = ShardReader.ReadIndexCompressed(ShardWriter.WriteCompressedIndex(index));
        Assert.Equal(("noarch", "../pkgs/", "./shards/", "2025-06-01T12:00:00Z"), (back.Subdir, back.BaseUrl, back.ShardsBaseUrl, back.CreatedAt));
        Assert.Equal(1, back.InfoExtra["a_first"].GetInt32());
        Assert.Equal(index.Shards.Keys, back.Shards.Keys);
        Assert.All(index.Shards, e => Assert.Equal(e.Value, back.Shards[e.Key]));
    }

    [Fact]
    public void SetShard_refuses_a_hash_that_is_not_32_bytes()
    {
        var index = new ShardIndex();
        Assert.Throws<ArgumentException>(() => index.SetShard("zlib", new byte[16]));
        Assert.Throws<ArgumentException>(() => new Shard().Add("zlib-1-0.zip", new PackageRecord()));
    }

    [Fact]
    public void Known_encoding_of_a_tiny_index()
    {
        // Bytes worked out by hand from the MessagePack spec: fixmap 3, fixstr keys, bin8 of 32, positive fixint.
        var index = new ShardIndex { Subdir = "x" };
        index.SetShard("a", new byte[32]);
        var expected = new List<byte> { 0x83, 0xa4 };
        expected.AddRange("info"u8.ToArray());
        expected.Add(0x83);
        expected.Add(0xa8); expected.AddRange("base_url"u8.ToArray()); expected.Add(0xa0);
        expected.Add(0xaf); expected.AddRange("shards_base_url"u8.ToArray()); expected.Add(0xa0);
        expected.Add(0xa6); expected.AddRange("subdir"u8.ToArray()); expected.Add(0xa1); expected.Add((byte)'x');
        expected.Add(0xa6); expected.AddRange("shards"u8.ToArray());
        expected.Add(0x81); expected.Add(0xa1); expected.Add((byte)'a'); expected.Add(0xc4); expected.Add(32); expected.AddRange(new byte[32]);
        expected.Add(0xa7); expected.AddRange("version"u8.ToArray()); expected.Add(0x01);
        Assert.Equal(expected.ToArray(), ShardWriter.WriteIndex(index));
    }
}
