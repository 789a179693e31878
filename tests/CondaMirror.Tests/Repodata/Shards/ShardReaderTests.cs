using System.Security.Cryptography;
using System.Text;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Repodata.Shards;
using CondaMirror.Core.Zstd;
using MessagePack;
using Xunit;
using static CondaMirror.Tests.Repodata.Shards.ShardFixtures;

namespace CondaMirror.Tests.Repodata.Shards;

public sealed class ShardReaderTests
{
    private static CondaMirrorException Fails(string code, Action read)
    {
        var e = Assert.Throws<CondaMirrorException>(read);
        Assert.Equal(code, e.Code);
        return e;
    }

    [Fact]
    public void Index_with_bin_hashes_reads_info_and_every_hash()
    {
        var index = ShardReader.ReadIndex(IndexWithBinHashes());
        Assert.Equal(1, index.Version);
        Assert.Equal("linux-64", index.Subdir);
        Assert.Equal("../packages/", index.BaseUrl);
        Assert.Equal("./shards/", index.ShardsBaseUrl);
        Assert.Equal("2025-06-01T12:00:00Z", index.CreatedAt);
        Assert.Equal("conda-forge", index.InfoExtra["mirror_of"].GetString());
        Assert.Equal(new[] { "python", "zlib" }, index.Shards.Keys);
        Assert.Equal(Hash(1), index.Shards["zlib"]);
        Assert.Equal(Hash(100), index.Shards["python"]);
        Assert.Equal(Convert.ToHexString(Hash(1)).ToLowerInvariant() + ".msgpack.zst", index.ShardFileName("zlib"));
        Assert.Null(index.ShardFileName("numpy"));
    }

    [Fact]
    public void Index_with_hashes_as_integer_arrays_gives_the_same_hashes()
    {
        var fromArrays = ShardReader.ReadIndex(IndexWithArrayHashes());
        var fromBin = ShardReader.ReadIndex(IndexWithBinHashes());
        Assert.Equal(fromBin.Shards.Keys, fromArrays.Shards.Keys);
        foreach (var name in fromBin.Shards.Keys) Assert.Equal(fromBin.Shards[name], fromArrays.Shards[name]);
        Assert.Null(fromArrays.CreatedAt);
    }

    [Fact]
    public void Index_from_zst_and_a_hex_string_hash()
    {
        var msgpack = Pack((ref MessagePackWriter w) =>
        {
            w.WriteMapHeader(2);
            w.Write("info"); w.WriteMapHeader(1); w.Write("subdir"); w.Write("noarch");
            w.Write("shards"); w.WriteMapHeader(1); w.Write("zlib"); w.Write(Convert.ToHexString(Hash(7)));
        });
        var index = ShardReader.ReadIndexCompressed(ZstdCodec.Compress(msgpack));
        Assert.Equal(Hash(7), index.Shards["zlib"]);
        Assert.Equal("", index.BaseUrl); // absent URLs mean "beside the index"
    }

    public static IEnumerable<object[]> BadIndexes()
    {
        static byte[] WithShardValue(ShardFixtures.Build value) => Pack((ref MessagePackWriter w) =>
        {
            w.WriteMapHeader(2);
            w.Write("info"); w.WriteMapHeader(0);
            w.Write("shards"); w.WriteMapHeader(1); w.Write("zlib"); value(ref w);
        });
        yield return new object[] { "bin of 31 bytes", WithShardValue((ref MessagePackWriter w) => w.Write(new byte[31])) };
        yield return new object[] { "array of 31 ints", WithShardValue((ref MessagePackWriter w) => { w.WriteArrayHeader(31); for (int i = 0; i < 31; i++) w.Write(i); }) };
        yield return new object[] { "int 256 in the array", WithShardValue((ref MessagePackWriter w) => { w.WriteArrayHeader(32); for (int i = 0; i < 32; i++) w.Write(i == 5 ? 256 : i); }) };
        yield return new object[] { "negative int in the array", WithShardValue((ref MessagePackWriter w) => { w.WriteArrayHeader(32); for (int i = 0; i < 32; i++) w.Write(i == 5 ? -1 : i); }) };
        yield return new object[] { "string in the array", WithShardValue((ref MessagePackWriter w) => { w.WriteArrayHeader(32); for (int i = 0; i < 32; i++) w.Write("x"); }) };
        yield return new object[] { "non-hex string", WithShardValue((ref MessagePackWriter w) => w.Write(new string('z', 64))) };
        yield return new object[] { "a number", WithShardValue((ref MessagePackWriter w) => w.Write(12)) };
        yield return new object[] { "no info", Pack((ref MessagePackWriter w) => { w.WriteMapHeader(1); w.Write("shards"); w.WriteMapHeader(0); }) };
        yield return new object[] { "no shards", Pack((ref MessagePackWriter w) => { w.WriteMapHeader(1); w.Write("info"); w.WriteMapHeader(0); }) };
        yield return new object[] { "version 2", Pack((ref MessagePackWriter w) => { w.WriteMapHeader(3); w.Write("version"); w.Write(2); w.Write("info"); w.WriteMapHeader(0); w.Write("shards"); w.WriteMapHeader(0); }) };
        yield return new object[] { "shards twice", Pack((ref MessagePackWriter w) => { w.WriteMapHeader(3); w.Write("info"); w.WriteMapHeader(0); w.Write("shards"); w.WriteMapHeader(0); w.Write("shards"); w.WriteMapHeader(0); }) };
        yield return new object[] { "a name twice", Pack((ref MessagePackWriter w) => { w.WriteMapHeader(2); w.Write("info"); w.WriteMapHeader(0); w.Write("shards"); w.WriteMapHeader(2); w.Write("a"); w.Write(Hash(1)); w.Write("a"); w.Write(Hash(2)); }) };
        yield return new object[] { "an array, not a map", Pack((ref MessagePackWriter w) => { w.WriteArrayHeader(1); w.Write(1); }) };
        yield return new object[] { "an integer key", Pack((ref MessagePackWriter w) => { w.WriteMapHeader(1); w.Write(1); w.Write(1); }) };
        yield return new object[] { "subdir not a string", Pack((ref MessagePackWriter w) => { w.WriteMapHeader(2); w.Write("info"); w.WriteMapHeader(1); w.Write("subdir"); w.Write(64); w.Write("shards"); w.WriteMapHeader(0); }) };
        yield return new object[] { "trailing bytes", IndexWithBinHashes().Concat(new byte[] { 0xc0 }).ToArray() };
        yield return new object[] { "a reserved byte", new byte[] { 0x81, 0xa4, (byte)'i', (byte)'n', (byte)'f', (byte)'x', 0xc1 } };
        yield return new object[] { "empty", Array.Empty<byte>() };
    }

    [Theory]
    [MemberData(nameof(BadIndexes))]
    public void Malformed_index_is_CMIR650(string why, byte[] msgpack)
    {
        var e = Fails(ErrorCodes.ShardIndexInvalid, () => ShardReader.ReadIndex(msgpack, source: "x/repodata_shards.msgpack.zst"));
        Assert.Equal("x/repodata_shards.msgpack.zst", e.File);
        Assert.False(string.IsNullOrEmpty(why));
    }

    [Fact]
    public void Every_truncation_of_an_index_or_shard_is_one_coded_error()
    {
        var index = IndexWithBinHashes();
        for (int length = 0; length < index.Length; length++)
            Fails(ErrorCodes.ShardIndexInvalid, () => ShardReader.ReadIndex(index.AsMemory(0, length)));
        var shard = ZlibShard();
        for (int length = 0; length < shard.Length; length++)
            Fails(ErrorCodes.ShardInvalid, () => ShardReader.ReadShard(shard.AsMemory(0, length)));
    }

    [Fact]
    public void Shard_records_map_to_PackageRecord()
    {
        var shard = ShardReader.ReadShard(ZlibShard(), expectedName: "zlib");
        Assert.Equal(new[] { "zlib-1.3.1-hb9d3cd8_2.tar.bz2" }, shard.Packages.Keys);
        Assert.Equal(new[] { "zlib-1.3.1-hb9d3cd8_2.conda" }, shard.CondaPackages.Keys);
        Assert.Equal(new[] { "zlib-1.2.13-h0_0.tar.bz2" }, shard.Removed);
        Assert.Equal(2, shard.RecordCount);
        var r = shard.Packages["zlib-1.3.1-hb9d3cd8_2.tar.bz2"];
        Assert.Equal(("zlib", "1.3.1", "hb9d3cd8_2", 2L), (r.Name, r.Version, r.Build, r.BuildNumber));
        Assert.Equal(new[] { "__glibc >=2.17,<3.0.a0", "libgcc >=13" }, r.Depends);
        Assert.Equal("a0a1a2a3a4a5a6a7a8a9aaabacadaeaf", r.Md5);
        Assert.Equal(Convert.ToHexString(Sha256).ToLowerInvariant(), r.Sha256);
        Assert.Equal(92286, r.Size);
        Assert.Equal(1727963453000, r.Timestamp);
        Assert.Empty(r.Extra);
    }

    [Fact]
    public void Every_json_field_shape_and_unknown_fields_survive()
    {
        var bytes = ZlibShard((ref MessagePackWriter w) =>
        {
            w.Write("constrains"); w.WriteArrayHeader(1); w.Write("zlib-ng <0");
            w.Write("track_features"); w.WriteArrayHeader(2); w.Write("a"); w.Write("b");
            w.Write("noarch"); w.Write(true);
            w.Write("license"); w.Write("Zlib");
            w.Write("license_family"); w.WriteNil();
            w.Write("subdir"); w.Write("linux-64");
            w.Write("arch"); w.Write("x86_64");
            w.Write("platform"); w.Write("linux");
            w.Write("features"); w.Write("");
            w.Write("run_exports"); w.WriteMapHeader(1); w.Write("weak"); w.WriteArrayHeader(1); w.Write("libzlib >=1.3.1,<2.0a0");
            w.Write("legacy_bz2_md5"); w.Write(Md5);
            w.Write("legacy_bz2_size"); w.Write(123);
            w.Write("purls"); w.WriteArrayHeader(0);
            w.Write("score"); w.Write(1.5);
            w.Write("big"); w.Write(ulong.MaxValue);
            w.Write("blob"); w.Write(new byte[] { 1, 2, 255 });
            w.Write("when"); w.Write(new DateTime(2024, 5, 6, 7, 8, 9, DateTimeKind.Utc));
        }, extraCount: 17);
        var r = ShardReader.ReadShard(bytes).Packages["zlib-1.3.1-hb9d3cd8_2.tar.bz2"];
        Assert.Equal(new[] { "zlib-ng <0" }, r.Constrains);
        Assert.Equal("a b", r.TrackFeatures);
        Assert.Equal("generic", r.Noarch);
        Assert.Equal("Zlib", r.License);
        Assert.Null(r.LicenseFamily);
        Assert.Equal(("linux-64", "x86_64", "linux", ""), (r.Subdir, r.Arch, r.Platform, r.Features));
        Assert.Equal("""{"weak":["libzlib >=1.3.1,<2.0a0"]}""", r.Extra["run_exports"].GetRawText());
        Assert.Equal("a0a1a2a3a4a5a6a7a8a9aaabacadaeaf", r.Extra["legacy_bz2_md5"].GetString());
        Assert.Equal(123, r.Extra["legacy_bz2_size"].GetInt64());
        Assert.Equal("[]", r.Extra["purls"].GetRawText());
        Assert.Equal(1.5, r.Extra["score"].GetDouble());
        Assert.Equal(ulong.MaxValue, r.Extra["big"].GetUInt64());
        Assert.Equal("0102ff", r.Extra["blob"].GetString());
        Assert.Equal("2024-05-06T07:08:09Z", r.Extra["when"].GetString());
    }

    public static IEnumerable<object[]> BadShards()
    {
        static byte[] WithExtra(ShardFixtures.Build extra) => ZlibShard(extra, extraCount: 1);
        static byte[] OneRecord(string map, string fileName, ShardFixtures.Build record) => Pack((ref MessagePackWriter w) =>
        {
            w.WriteMapHeader(1); w.Write(map); w.WriteMapHeader(1); w.Write(fileName); record(ref w);
        });
        yield return new object[] { "md5 of 15 bytes", OneRecord("packages.conda", "a-1-0.conda", (ref MessagePackWriter w) => { w.WriteMapHeader(2); w.Write("name"); w.Write("a"); w.Write("md5"); w.Write(new byte[15]); }) };
        yield return new object[] { "sha256 of 33 bytes", OneRecord("packages.conda", "a-1-0.conda", (ref MessagePackWriter w) => { w.WriteMapHeader(2); w.Write("name"); w.Write("a"); w.Write("sha256"); w.Write(new byte[33]); }) };
        yield return new object[] { "no name", OneRecord("packages.conda", "a-1-0.conda", (ref MessagePackWriter w) => { w.WriteMapHeader(1); w.Write("version"); w.Write("1"); }) };
        yield return new object[] { "record not a map", OneRecord("packages.conda", "a-1-0.conda", (ref MessagePackWriter w) => w.Write("a")) };
        yield return new object[] { ".conda in packages", OneRecord("packages", "a-1-0.conda", (ref MessagePackWriter w) => { w.WriteMapHeader(1); w.Write("name"); w.Write("a"); }) };
        yield return new object[] { ".tar.bz2 in packages.conda", OneRecord("packages.conda", "a-1-0.tar.bz2", (ref MessagePackWriter w) => { w.WriteMapHeader(1); w.Write("name"); w.Write("a"); }) };
        yield return new object[] { "file name with a path", OneRecord("packages.conda", "../a-1-0.conda", (ref MessagePackWriter w) => { w.WriteMapHeader(1); w.Write("name"); w.Write("a"); }) };
        yield return new object[] { "depends not a list", OneRecord("packages.conda", "a-1-0.conda", (ref MessagePackWriter w) => { w.WriteMapHeader(2); w.Write("name"); w.Write("a"); w.Write("depends"); w.Write(3); }) };
        yield return new object[] { "integer key in a record", WithExtra((ref MessagePackWriter w) => { w.Write(7); w.Write(1); }) };
        yield return new object[] { "integer key in a nested map", WithExtra((ref MessagePackWriter w) => { w.Write("x"); w.WriteMapHeader(1); w.Write(7); w.Write(1); }) };
        yield return new object[] { "NaN", WithExtra((ref MessagePackWriter w) => { w.Write("x"); w.Write(double.NaN); }) };
        yield return new object[] { "extension type 5", WithExtra((ref MessagePackWriter w) => { w.Write("x"); w.WriteExtensionFormat(new ExtensionResult(5, new byte[] { 1, 2 })); }) };
        yield return new object[] { "invalid UTF-8", WithExtra((ref MessagePackWriter w) => { w.Write("x"); w.WriteString(new byte[] { 0xff, 0xfe }); }) };
        yield return new object[] { "two packages maps", Pack((ref MessagePackWriter w) => { w.WriteMapHeader(2); w.Write("packages"); w.WriteMapHeader(0); w.Write("packages"); w.WriteMapHeader(0); }) };
        yield return new object[] { "a file name twice", Pack((ref MessagePackWriter w) =>
        {
            w.WriteMapHeader(1); w.Write("packages"); w.WriteMapHeader(2);
            for (int i = 0; i < 2; i++) { w.Write("a-1-0.tar.bz2"); w.WriteMapHeader(1); w.Write("name"); w.Write("a"); }
        }) };
        yield return new object[] { "removed not a list", Pack((ref MessagePackWriter w) => { w.WriteMapHeader(1); w.Write("removed"); w.Write("a-1-0.conda"); }) };
        yield return new object[] { "not a map", Pack((ref MessagePackWriter w) => w.Write("shard")) };
    }

    [Theory]
    [MemberData(nameof(BadShards))]
    public void Malformed_shard_is_CMIR651(string why, byte[] msgpack)
    {
        var e = Fails(ErrorCodes.ShardInvalid, () => ShardReader.ReadShard(msgpack, source: "shards/x.msgpack.zst"));
        Assert.Equal("shards/x.msgpack.zst", e.File);
        Assert.NotNull(e.InnerException);
        Assert.False(string.IsNullOrEmpty(why));
    }

    [Fact]
    public void A_record_of_another_name_is_refused_when_the_name_is_known()
    {
        ShardReader.ReadShard(ZlibShard()); // fine without an expectation
        var e = Fails(ErrorCodes.ShardInvalid, () => ShardReader.ReadShard(ZlibShard(), expectedName: "python"));
        Assert.Contains("'zlib'", e.Message);
    }

    [Fact]
    public void Nil_maps_and_unknown_top_level_keys_are_accepted()
    {
        var shard = ShardReader.ReadShard(Pack((ref MessagePackWriter w) =>
        {
            w.WriteMapHeader(4);
            w.Write("packages"); w.WriteNil();
            w.Write("packages.conda"); w.WriteMapHeader(0);
            w.Write("v3"); w.WriteMapHeader(1); w.Write("whl"); w.WriteMapHeader(1); w.Write("a"); w.WriteArrayHeader(2); w.Write(1); w.WriteNil();
            w.Write("removed"); w.WriteNil();
        }));
        Assert.Equal(0, shard.RecordCount);
        Assert.Empty(shard.Removed);
    }

    public static IEnumerable<object[]> OversizedLengths()
    {
        // Declared lengths far beyond the bytes present: refused from the header, nothing allocated for them.
        yield return new object[] { "map32 of 2^31-1 entries", new byte[] { 0xdf, 0x7f, 0xff, 0xff, 0xff, 0xc0 } };
        yield return new object[] { "array32 of 2^31-1 items as packages", Concat(new byte[] { 0x81, 0xa8 }, "packages"u8.ToArray(), new byte[] { 0xdd, 0x7f, 0xff, 0xff, 0xff }) };
        yield return new object[] { "str32 of 4 GB as a key", new byte[] { 0x81, 0xdb, 0xff, 0xff, 0xff, 0xf0, 0x61 } };
        yield return new object[] { "bin32 of 2 GB as md5", ZlibShard((ref MessagePackWriter w) => { w.Write("md5x"); w.WriteRaw(new byte[] { 0xc6, 0x7f, 0xff, 0xff, 0xff, 0 }); }, extraCount: 1) };
        yield return new object[] { "array32 in a record", ZlibShard((ref MessagePackWriter w) => { w.Write("purls"); w.WriteRaw(new byte[] { 0xdd, 0x7f, 0xff, 0xff, 0xff, 0 }); }, extraCount: 1) };
        // 0xffffffff: above int.MaxValue, which the library alone would turn into a negative length.
        yield return new object[] { "map32 of 2^32-1 entries", new byte[] { 0xdf, 0xff, 0xff, 0xff, 0xff, 0xc0 } };
        yield return new object[] { "str32 of 2^32-1 bytes as a record key", ZlibShard((ref MessagePackWriter w) => w.WriteRaw(new byte[] { 0xdb, 0xff, 0xff, 0xff, 0xff, 0x61, 0xc0 }), extraCount: 1) };
        yield return new object[] { "bin32 of 2^32-1 bytes as sha256", ZlibShard((ref MessagePackWriter w) => { w.Write("sha256"); w.WriteRaw(new byte[] { 0xc6, 0xff, 0xff, 0xff, 0xff, 0 }); }, extraCount: 1) };
        yield return new object[] { "array32 of 2^32-1 items skipped", Pack((ref MessagePackWriter w) => { w.WriteMapHeader(1); w.Write("v3"); w.WriteRaw(new byte[] { 0xdd, 0xff, 0xff, 0xff, 0xff, 0 }); }) };
        yield return new object[] { "str32 of 2^32-1 bytes skipped", Pack((ref MessagePackWriter w) => { w.WriteMapHeader(1); w.Write("v3"); w.WriteRaw(new byte[] { 0xdb, 0xff, 0xff, 0xff, 0xff, 0 }); }) };
        yield return new object[] { "ext32 of 2 GB", ZlibShard((ref MessagePackWriter w) => { w.Write("e"); w.WriteRaw(new byte[] { 0xc9, 0x7f, 0xff, 0xff, 0xff, 0xff, 0 }); }, extraCount: 1) };
    }

    [Theory]
    [MemberData(nameof(OversizedLengths))]
    public void Oversized_declared_lengths_are_refused(string why, byte[] msgpack)
    {
        Fails(ErrorCodes.ShardInvalid, () => ShardReader.ReadShard(msgpack));
        Assert.False(string.IsNullOrEmpty(why));
    }

    [Fact]
    public void Length_limits_of_the_options_apply()
    {
        var tight = new ShardReadOptions { MaxStringBytes = 8 };
        var e = Fails(ErrorCodes.ShardInvalid, () => ShardReader.ReadShard(ZlibShard(), options: tight));
        Assert.Contains("limit 8", e.Message);
        var fewItems = new ShardReadOptions { MaxCollectionCount = 1 };
        Fails(ErrorCodes.ShardInvalid, () => ShardReader.ReadShard(ZlibShard(), options: fewItems)); // depends has 2
        Fails(ErrorCodes.ShardIndexInvalid, () => ShardReader.ReadIndex(IndexWithBinHashes(), options: fewItems));
    }

    [Theory]
    [InlineData("record field")]
    [InlineData("unknown shard key")]
    [InlineData("index info")]
    [InlineData("unknown index key")]
    public void Deep_nesting_is_refused_without_exhausting_the_stack(string where)
    {
        var deep = Enumerable.Repeat((byte)0x91, 200_000).Append((byte)0xc0).ToArray();
        byte[] input;
        string code = ErrorCodes.ShardInvalid;
        switch (where)
        {
            case "record field":
                input = ZlibShard((ref MessagePackWriter w) => { w.Write("deep"); w.WriteRaw(deep); }, extraCount: 1);
                break;
            case "unknown shard key":
                input = Pack((ref MessagePackWriter w) => { w.WriteMapHeader(1); w.Write("v3"); w.WriteRaw(deep); });
                break;
            case "index info":
                code = ErrorCodes.ShardIndexInvalid;
                input = Pack((ref MessagePackWriter w) => { w.WriteMapHeader(2); w.Write("shards"); w.WriteMapHeader(0); w.Write("info"); w.WriteMapHeader(1); w.Write("deep"); w.WriteRaw(deep); });
                break;
            default:
                code = ErrorCodes.ShardIndexInvalid;
                input = Pack((ref MessagePackWriter w) => { w.WriteMapHeader(1); w.Write("later"); w.WriteRaw(deep); });
                break;
        }
        var e = code == ErrorCodes.ShardInvalid
            ? Fails(code, () => ShardReader.ReadShard(input))
            : Fails(code, () => ShardReader.ReadIndex(input));
        Assert.Contains("deeper than 32", e.Message);
    }

    [Fact]
    public void Nesting_within_the_limit_is_kept()
    {
        // 20 levels below the record field: within the default 32.
        var nested = Enumerable.Repeat((byte)0x91, 20).Append((byte)0x01).ToArray();
        var r = ShardReader.ReadShard(ZlibShard((ref MessagePackWriter w) => { w.Write("nested"); w.WriteRaw(nested); }, extraCount: 1))
            .Packages.Values.Single();
        Assert.Equal(new string('[', 20) + "1" + new string(']', 20), r.Extra["nested"].GetRawText());
    }

    [Fact]
    public void Decompression_is_bounded_and_bad_zstd_is_the_shard_code()
    {
        var bomb = ZstdCodec.Compress(new byte[3 << 20]); // RLE blocks: a few hundred bytes for 3 MB
        Assert.True(bomb.Length < 4096);
        var limit = new ShardReadOptions { MaxDecompressedBytes = 1 << 20 };
        Fails(ErrorCodes.ShardTooLarge, () => ShardReader.ReadShardCompressed(bomb, options: limit));
        Fails(ErrorCodes.ShardTooLarge, () => ShardReader.ReadIndexCompressed(bomb, options: limit));

        var notZstd = Encoding.ASCII.GetBytes("<html>not found</html>");
        var e = Fails(ErrorCodes.ShardInvalid, () => ShardReader.ReadShardCompressed(notZstd));
        Assert.IsType<ZstdFormatException>(e.InnerException);
        Fails(ErrorCodes.ShardIndexInvalid, () => ShardReader.ReadIndexCompressed(notZstd));

        var truncated = ZstdCodec.Compress(ZlibShard());
        Fails(ErrorCodes.ShardInvalid, () => ShardReader.ReadShardCompressed(truncated.AsSpan(0, truncated.Length - 3)));
    }

    [Fact]
    public void A_shard_whose_bytes_do_not_match_the_index_hash_is_CMIR652()
    {
        var compressed = ZstdCodec.Compress(ZlibShard());
        var index = new ShardIndex { Subdir = "linux-64" };
        index.SetShard("zlib", SHA256.HashData(compressed));

        Assert.Equal("zlib", ShardReader.ReadVerifiedShard(index, "zlib", compressed).Packages.Values.Single().Name);

        var altered = (byte[])compressed.Clone();
        altered[^1] ^= 1;
        var e = Fails(ErrorCodes.ShardHashMismatch, () => ShardReader.ReadVerifiedShard(index, "zlib", altered, source: "shards/zlib"));
        Assert.Contains(Convert.ToHexString(index.Shards["zlib"]).ToLowerInvariant(), e.Message);
        Assert.Contains(Convert.ToHexString(SHA256.HashData(altered)).ToLowerInvariant(), e.Message);
        Assert.Equal("shards/zlib", e.File);

        Fails(ErrorCodes.ShardHashMismatch, () => ShardReader.VerifyShard(index.Shards["zlib"], compressed.AsSpan(0, compressed.Length - 1), "zlib"));
        Fails(ErrorCodes.ShardHashMismatch, () => ShardReader.VerifyShard(new byte[5], compressed)); // a hash of the wrong length never matches
        ShardReader.VerifyShard(index.Shards["zlib"], compressed);
    }

    private static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();
}
