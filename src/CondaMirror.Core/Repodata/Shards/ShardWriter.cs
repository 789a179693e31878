using System.Buffers;
using System.Text.Json;
using CondaMirror.Core.Records;
using CondaMirror.Core.Zstd;
using MessagePack;

namespace CondaMirror.Core.Repodata.Shards;

/// <summary>
/// Writes CEP-16 shard indexes and shards in the encoding rattler-index writes: maps with string keys, hashes as
/// raw bytes (bin 32 for shard hashes and sha256, bin 16 for md5), integers in their shortest form. The maps we
/// compose (index, info, shards, packages, record fields) are in ordinal key order, as repodata.json's are (see
/// <see cref="PackageRecordJson"/>); values kept from upstream keep their own order. So the same content gives
/// the same bytes, and so the same shard hash.
/// </summary>
public static class ShardWriter
{
    /// <summary>The index as MessagePack: <c>{info: {base_url, [created_at], shards_base_url, subdir, ...}, shards: {name: bin 32}, version}</c>.</summary>
    public static byte[] WriteIndex(ShardIndex index)
    {
        ArgumentNullException.ThrowIfNull(index);
        var buffer = new ArrayBufferWriter<byte>(64 + index.Shards.Count * 56);
        var w = new MessagePackWriter(buffer);
        w.WriteMapHeader(3);

        w.Write("info");
        var info = new SortedDictionary<string, Emit>(StringComparer.Ordinal);
        foreach (var (key, value) in index.InfoExtra) info[key] = (ref MessagePackWriter x) => WriteJson(ref x, value, key);
        // Both URLs are always present, even empty: clients resolve shard and package URLs from them.
        info["base_url"] = (ref MessagePackWriter x) => x.Write(index.BaseUrl ?? "");
        info["shards_base_url"] = (ref MessagePackWriter x) => x.Write(index.ShardsBaseUrl ?? "");
        info["subdir"] = (ref MessagePackWriter x) => x.Write(index.Subdir ?? "");
        if (index.CreatedAt is not null) info["created_at"] = (ref MessagePackWriter x) => x.Write(index.CreatedAt);
        WriteSortedMap(ref w, info);

        w.Write("shards");
        w.WriteMapHeader(index.Shards.Count);
        foreach (var (name, hash) in index.Shards) // SortedDictionary, ordinal
        {
            if (hash.Length != ShardHash.Length) throw new ArgumentException($"the shard hash of '{name}' is {hash.Length} bytes, not {ShardHash.Length}", nameof(index));
            w.Write(name);
            w.Write(hash);
        }

        w.Write("version");
        w.Write(index.Version);
        w.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The shard as MessagePack: <c>{packages: {...}, packages.conda: {...}, removed: [...]}</c>, all three always present.</summary>
    public static byte[] WriteShard(Shard shard)
    {
        ArgumentNullException.ThrowIfNull(shard);
        var buffer = new ArrayBufferWriter<byte>(1024 * Math.Max(1, shard.RecordCount));
        var w = new MessagePackWriter(buffer);
        w.WriteMapHeader(3);
        w.Write("packages");
        WriteRecords(ref w, shard.Packages);
        w.Write("packages.conda");
        WriteRecords(ref w, shard.CondaPackages);
        w.Write("removed");
        w.WriteArrayHeader(shard.Removed.Count);
        foreach (var fileName in shard.Removed) w.Write(fileName);
        w.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The zstd-compressed shard and its hash (which names its file and goes into the index).</summary>
    public static (byte[] Compressed, byte[] Sha256) WriteCompressedShard(Shard shard)
    {
        var compressed = Compress(WriteShard(shard));
        return (compressed, ShardHash.Of(compressed));
    }

    public static byte[] WriteCompressedIndex(ShardIndex index) => Compress(WriteIndex(index));

    // Content size declared and a checksum, like the zstd CLI; deterministic for the same input. Level 3, as conda-index
    // writes shards: on shards of a few packages level 19 saves ~1 % of the bytes and costs most of the indexer's writing time.
    private static byte[] Compress(byte[] msgpack) => ZstdCodec.Compress(msgpack, new ZstdEncoderOptions { Level = 3 });

    private static void WriteRecords(ref MessagePackWriter w, SortedDictionary<string, PackageRecord> records)
    {
        w.WriteMapHeader(records.Count);
        foreach (var (fileName, record) in records)
        {
            w.Write(fileName);
            WriteRecord(ref w, record);
        }
    }

    /// <summary>One record: the same fields, omissions and order as <see cref="PackageRecordJson.Write"/>, hashes as bytes.</summary>
    internal static void WriteRecord(ref MessagePackWriter w, PackageRecord r)
    {
        var fields = new SortedDictionary<string, Emit>(StringComparer.Ordinal);
        foreach (var f in PackageRecordJson.TypedFields(r))
        {
            var (key, text, number, list) = f;
            fields[key] = list is not null ? (ref MessagePackWriter x) => WriteList(ref x, list)
                : number is { } n ? (ref MessagePackWriter x) => x.Write(n)
                : ShardHashFields.ByteLength(key) is not null ? (ref MessagePackWriter x) => WriteHash(ref x, key, text!)
                : (ref MessagePackWriter x) => x.Write(text);
        }
        foreach (var (key, value) in r.Extra)
        {
            if (fields.ContainsKey(key)) continue; // typed field wins over a stray duplicate, as in the JSON form
            if (ShardHashFields.ByteLength(key) is not null && value.ValueKind == JsonValueKind.String)
                fields[key] = (ref MessagePackWriter x) => WriteHash(ref x, key, value.GetString()!);
            else
                fields[key] = (ref MessagePackWriter x) => WriteJson(ref x, value, key);
        }
        WriteSortedMap(ref w, fields);
    }

    // Fields are collected as (key, writer) pairs and emitted sorted, so known keys and kept extras interleave.
    private delegate void Emit(ref MessagePackWriter w);

    private static void WriteSortedMap(ref MessagePackWriter w, SortedDictionary<string, Emit> fields)
    {
        w.WriteMapHeader(fields.Count);
        foreach (var (key, emit) in fields)
        {
            w.Write(key);
            emit(ref w);
        }
    }

    // Hex of the right length becomes bytes, as rattler writes it; anything else stays a string (readers take both).
    private static void WriteHash(ref MessagePackWriter w, string key, string hex)
    {
        int length = ShardHashFields.ByteLength(key)!.Value;
        if (hex.Length == length * 2 && IsHex(hex)) w.Write(Convert.FromHexString(hex));
        else w.Write(hex);
    }

    private static bool IsHex(string s)
    {
        foreach (var c in s) if (!char.IsAsciiHexDigit(c)) return false;
        return true;
    }

    private static void WriteList(ref MessagePackWriter w, List<string> items)
    {
        w.WriteArrayHeader(items.Count);
        foreach (var item in items) w.Write(item);
    }

    /// <summary>
    /// A kept JSON value as MessagePack. Nested objects keep their key order, as the JSON form re-emits them
    /// verbatim, so a channel's shards and its repodata.json say the same thing in the same order.
    /// </summary>
    private static void WriteJson(ref MessagePackWriter w, JsonElement value, string key)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                var members = value.EnumerateObject().ToList();
                w.WriteMapHeader(members.Count);
                foreach (var m in members)
                {
                    w.Write(m.Name);
                    WriteJson(ref w, m.Value, key);
                }
                break;
            case JsonValueKind.Array:
                w.WriteArrayHeader(value.GetArrayLength());
                foreach (var item in value.EnumerateArray()) WriteJson(ref w, item, key);
                break;
            case JsonValueKind.String: w.Write(value.GetString()); break;
            case JsonValueKind.Number:
                if (value.TryGetInt64(out var l)) w.Write(l);
                else if (value.TryGetUInt64(out var u)) w.Write(u);
                else w.Write(value.GetDouble());
                break;
            case JsonValueKind.True: w.Write(true); break;
            case JsonValueKind.False: w.Write(false); break;
            case JsonValueKind.Null: w.WriteNil(); break;
            default: throw new ArgumentException($"'{key}' holds a JSON value of kind {value.ValueKind}", nameof(value));
        }
    }
}
