using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;
using CondaMirror.Core.Errors;
using CondaMirror.Core.IO;
using CondaMirror.Core.Records;
using CondaMirror.Core.Zstd;
using MessagePack;

namespace CondaMirror.Core.Repodata.Shards;

/// <summary>
/// Reads CEP-16 shard indexes and shards, from their decompressed MessagePack or from the <c>.msgpack.zst</c>
/// files. Input is untrusted: every length, count and nesting level is bounded (<see cref="ShardReadOptions"/>),
/// and anything malformed is one <see cref="CondaMirrorException"/>: CMIR650 for an index, CMIR651 for a shard,
/// CMIR653 for a decompression bomb. <paramref name="source"/> arguments name the file or URL in messages.
/// </summary>
public static class ShardReader
{
    /// <summary>Reads an index from its decompressed MessagePack.</summary>
    public static ShardIndex ReadIndex(ReadOnlyMemory<byte> msgpack, ShardReadOptions? options = null, string? source = null)
    {
        var o = options ?? ShardReadOptions.Default;
        return Guard(ErrorCodes.ShardIndexInvalid, "shard index", source, () =>
        {
            var r = new MessagePackReader(msgpack);
            var index = ParseIndex(ref r, o);
            if (!r.End) throw new InvalidDataException($"{r.Sequence.Length - r.Consumed} bytes follow the index");
            return index;
        });
    }

    /// <summary>Reads an index from <c>repodata_shards.msgpack.zst</c> bytes.</summary>
    public static ShardIndex ReadIndexCompressed(ReadOnlySpan<byte> zst, ShardReadOptions? options = null, string? source = null)
    {
        var o = options ?? ShardReadOptions.Default;
        return ReadIndex(Decompress(zst, o, ErrorCodes.ShardIndexInvalid, "shard index", source), o, source);
    }

    /// <summary>
    /// Reads a shard from its decompressed MessagePack. With <paramref name="expectedName"/>, every record must be of
    /// that package (a shard holds exactly one name's records).
    /// </summary>
    public static Shard ReadShard(ReadOnlyMemory<byte> msgpack, string? expectedName = null, ShardReadOptions? options = null, string? source = null)
    {
        var o = options ?? ShardReadOptions.Default;
        return Guard(ErrorCodes.ShardInvalid, expectedName is null ? "shard" : $"shard of '{expectedName}'", source, () =>
        {
            var r = new MessagePackReader(msgpack);
            var shard = ParseShard(ref r, o, expectedName);
            if (!r.End) throw new InvalidDataException($"{r.Sequence.Length - r.Consumed} bytes follow the shard");
            return shard;
        });
    }

    /// <summary>Reads a shard from <c>&lt;sha256&gt;.msgpack.zst</c> bytes (not verified: see <see cref="ReadVerifiedShard"/>).</summary>
    public static Shard ReadShardCompressed(ReadOnlySpan<byte> zst, string? expectedName = null, ShardReadOptions? options = null, string? source = null)
    {
        var o = options ?? ShardReadOptions.Default;
        var what = expectedName is null ? "shard" : $"shard of '{expectedName}'";
        return ReadShard(Decompress(zst, o, ErrorCodes.ShardInvalid, what, source), expectedName, o, source);
    }

    /// <summary>Throws CMIR652 unless the sha256 of <paramref name="compressed"/> is <paramref name="expectedSha256"/>.</summary>
    public static void VerifyShard(ReadOnlySpan<byte> expectedSha256, ReadOnlySpan<byte> compressed, string? name = null, string? source = null)
    {
        Span<byte> actual = stackalloc byte[ShardHash.Length];
        SHA256.HashData(compressed, actual);
        if (expectedSha256.Length == ShardHash.Length && actual.SequenceEqual(expectedSha256)) return;
        throw new CondaMirrorException(ErrorCodes.ShardHashMismatch,
            $"the shard{(name is null ? "" : $" of '{name}'")} ({compressed.Length} bytes) has sha256 {ShardHash.ToHex(actual)}, " +
            $"but the index names {ShardHash.ToHex(expectedSha256)}: the file changed, was cut short, or a cache is stale.", source);
    }

    /// <summary>Checks <paramref name="compressed"/> against the hash <paramref name="index"/> names for <paramref name="name"/>, then reads it.</summary>
    public static Shard ReadVerifiedShard(ShardIndex index, string name, ReadOnlySpan<byte> compressed, ShardReadOptions? options = null, string? source = null)
    {
        ArgumentNullException.ThrowIfNull(index);
        if (!index.Shards.TryGetValue(name, out var hash))
            throw new ArgumentException($"the shard index has no package '{name}'", nameof(name));
        VerifyShard(hash, compressed, name, source);
        return ReadShardCompressed(compressed, name, options, source);
    }

    /// <summary>Decompresses at most <see cref="ShardReadOptions.MaxDecompressedBytes"/>; decoding stops at the first byte beyond.</summary>
    private static byte[] Decompress(ReadOnlySpan<byte> zst, ShardReadOptions o, string code, string what, string? source)
    {
        try
        {
            using var decoder = ZstdCodec.Decompress(new MemoryStream(zst.ToArray(), writable: false),
                new ZstdDecoderOptions { MaxWindowSize = o.MaxWindowSize });
            // Chunks rather than a growing MemoryStream: a bomb stopped at the cap has cost the cap, not twice it in
            // doubled buffers; a real shard is copied once into its final array.
            var chunks = new List<byte[]>();
            long total = 0;
            while (true)
            {
                var chunk = new byte[1 << 16];
                var filled = 0;
                int n;
                while (filled < chunk.Length && (n = decoder.Read(chunk, filled, chunk.Length - filled)) > 0) filled += n;
                if (filled == 0) break;
                if (total + filled > o.MaxDecompressedBytes)
                    throw new CondaMirrorException(ErrorCodes.ShardTooLarge,
                        $"the {what} decompresses to more than {o.MaxDecompressedBytes} bytes: a decompression bomb or not a shard.", source);
                total += filled;
                chunks.Add(filled == chunk.Length ? chunk : chunk[..filled]);
                if (filled < chunk.Length) break;
            }
            var result = new byte[total];
            var at = 0;
            foreach (var chunk in chunks)
            {
                chunk.CopyTo(result, at);
                at += chunk.Length;
            }
            return result;
        }
        catch (ZstdFormatException e)
        {
            throw new CondaMirrorException(code, $"the {what} is not valid zstd data: {e.Message}", source, e);
        }
    }

    // The library reports truncation as EndOfStreamException and wrong types as MessagePackSerializationException;
    // our own checks throw InvalidDataException; PackageRecordJson throws JsonException. All become the one code.
    private static T Guard<T>(string code, string what, string? source, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or MessagePackSerializationException
                                      or OverflowException or JsonException or FormatException)
        {
            throw new CondaMirrorException(code, $"the {what} is malformed: {e.Message}", source, e);
        }
    }

    private static ShardIndex ParseIndex(ref MessagePackReader r, ShardReadOptions o)
    {
        var index = new ShardIndex();
        bool sawInfo = false, sawShards = false, sawVersion = false;
        int n = MsgPackInput.ReadMapHeader(ref r, o, "the index");
        for (int i = 0; i < n; i++)
        {
            var key = MsgPackInput.ReadString(ref r, o, "a key of the index");
            switch (key)
            {
                case "version":
                    Once(ref sawVersion, key);
                    index.Version = MsgPackInput.ReadInteger(ref r, "version");
                    if (index.Version != 1) throw new InvalidDataException($"version {index.Version} is not supported (only 1 is defined)");
                    break;
                case "info":
                    Once(ref sawInfo, key);
                    ParseInfo(ref r, o, index);
                    break;
                case "shards":
                    Once(ref sawShards, key);
                    ParseShardHashes(ref r, o, index);
                    break;
                default:
                    MsgPackInput.Skip(ref r, o, 1, $"'{key}'");
                    break;
            }
        }
        if (!sawInfo) throw new InvalidDataException("it has no 'info'");
        if (!sawShards) throw new InvalidDataException("it has no 'shards'");
        return index;
    }

    private static void ParseInfo(ref MessagePackReader r, ShardReadOptions o, ShardIndex index)
    {
        int n = MsgPackInput.ReadMapHeader(ref r, o, "info");
        for (int i = 0; i < n; i++)
        {
            var key = MsgPackInput.ReadString(ref r, o, "a key of info");
            switch (key)
            {
                case "subdir": index.Subdir = MsgPackInput.ReadString(ref r, o, "info.subdir"); break;
                case "base_url": index.BaseUrl = MsgPackInput.ReadString(ref r, o, "info.base_url"); break;
                case "shards_base_url": index.ShardsBaseUrl = MsgPackInput.ReadString(ref r, o, "info.shards_base_url"); break;
                case "created_at":
                    index.CreatedAt = MsgPackInput.Peek(ref r) == MessagePackType.Extension
                        ? MsgPackInput.ReadTimestampExtension(ref r, "info.created_at")
                        : MsgPackInput.ReadString(ref r, o, "info.created_at");
                    break;
                default:
                    index.InfoExtra[key] = ReadJsonElement(ref r, o, 2, $"info.{key}");
                    break;
            }
        }
    }

    // rattler-index writes each hash as bin 32; older versions wrote an array of 32 integers (serde's default for
    // [u8; 32]). A hex string is accepted too: it is unambiguous and costs nothing.
    private static void ParseShardHashes(ref MessagePackReader r, ShardReadOptions o, ShardIndex index)
    {
        int n = MsgPackInput.ReadMapHeader(ref r, o, "shards");
        for (int i = 0; i < n; i++)
        {
            var name = MsgPackInput.ReadString(ref r, o, "a package name in shards");
            if (name.Length == 0) throw new InvalidDataException("shards has an empty package name");
            var what = $"the shard hash of '{name}'";
            byte[] hash;
            switch (MsgPackInput.Peek(ref r))
            {
                case MessagePackType.Binary:
                    hash = MsgPackInput.ReadBinary(ref r, o, what);
                    break;
                case MessagePackType.Array:
                    int count = MsgPackInput.ReadArrayHeader(ref r, o, what);
                    if (count != ShardHash.Length) throw new InvalidDataException($"{what} is an array of {count} items, not {ShardHash.Length}");
                    hash = new byte[count];
                    for (int b = 0; b < count; b++)
                    {
                        long value = MsgPackInput.ReadInteger(ref r, what);
                        if (value is < 0 or > 255) throw new InvalidDataException($"{what} holds {value}, not a byte");
                        hash[b] = (byte)value;
                    }
                    break;
                case MessagePackType.String:
                    var hex = MsgPackInput.ReadString(ref r, o, what);
                    if (hex.Length != ShardHash.Length * 2) throw new InvalidDataException($"{what} is a string of {hex.Length} characters, not {ShardHash.Length * 2} hex digits");
                    hash = Convert.FromHexString(hex); // FormatException on a non-hex digit
                    break;
                default:
                    throw new InvalidDataException($"{what} must be binary, an array of bytes or a hex string, found {MsgPackInput.Peek(ref r).ToString().ToLowerInvariant()}");
            }
            if (hash.Length != ShardHash.Length) throw new InvalidDataException($"{what} is {hash.Length} bytes, not {ShardHash.Length}");
            if (!index.Shards.TryAdd(name, hash)) throw new InvalidDataException($"shards names '{name}' twice");
        }
    }

    private static Shard ParseShard(ref MessagePackReader r, ShardReadOptions o, string? expectedName)
    {
        var shard = new Shard();
        bool sawPackages = false, sawConda = false, sawRemoved = false;
        int n = MsgPackInput.ReadMapHeader(ref r, o, "the shard");
        for (int i = 0; i < n; i++)
        {
            var key = MsgPackInput.ReadString(ref r, o, "a key of the shard");
            switch (key)
            {
                case "packages":
                    Once(ref sawPackages, key);
                    ParseRecords(ref r, o, key, ArchiveFormat.TarBz2, shard.Packages, expectedName);
                    break;
                case "packages.conda":
                    Once(ref sawConda, key);
                    ParseRecords(ref r, o, key, ArchiveFormat.Conda, shard.CondaPackages, expectedName);
                    break;
                case "removed":
                    Once(ref sawRemoved, key);
                    if (r.TryReadNil()) break;
                    int count = MsgPackInput.ReadArrayHeader(ref r, o, "removed");
                    for (int j = 0; j < count; j++) shard.Removed.Add(MsgPackInput.ReadString(ref r, o, "a file name in removed"));
                    break;
                default:
                    // e.g. rattler's experimental "v3" map: not ours to interpret.
                    MsgPackInput.Skip(ref r, o, 1, $"'{key}'");
                    break;
            }
        }
        return shard;
    }

    private static void ParseRecords(ref MessagePackReader r, ShardReadOptions o, string map, ArchiveFormat format,
        SortedDictionary<string, PackageRecord> into, string? expectedName)
    {
        if (r.TryReadNil()) return;
        int n = MsgPackInput.ReadMapHeader(ref r, o, map);
        MsgPackInput.Enter(o, 1, map);
        for (int i = 0; i < n; i++)
        {
            var fileName = MsgPackInput.ReadString(ref r, o, $"a file name in {map}");
            if (!SafePath.IsPlainSegment(fileName) || !ArchiveFileName.TryGetFormat(fileName, out var actual) || actual != format)
                throw new InvalidDataException($"'{fileName}' in {map} is not a plain {(format == ArchiveFormat.Conda ? ".conda" : ".tar.bz2")} file name");
            var record = ParseRecord(ref r, o, $"{map}['{fileName}']");
            if (record.Name.Length == 0) throw new InvalidDataException($"{map}['{fileName}'] has no name");
            if (expectedName is not null && record.Name != expectedName)
                throw new InvalidDataException($"{map}['{fileName}'] is a record of '{record.Name}' in the shard of '{expectedName}'");
            if (!into.TryAdd(fileName, record)) throw new InvalidDataException($"{map} holds '{fileName}' twice");
        }
    }

    // A record is copied into its JSON form and read by PackageRecordJson, so shards and repodata.json follow one
    // set of field rules (noarch as bool, track_features as list, float timestamps, unknown keys kept in Extra).
    private static PackageRecord ParseRecord(ref MessagePackReader r, ShardReadOptions o, string what)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(buffer, JsonOptions))
        {
            int n = MsgPackInput.ReadMapHeader(ref r, o, what);
            MsgPackInput.Enter(o, 2, what);
            w.WriteStartObject();
            for (int i = 0; i < n; i++)
            {
                var key = MsgPackInput.ReadString(ref r, o, $"a key of {what}");
                w.WritePropertyName(key);
                if (ShardHashFields.ByteLength(key) is int length && MsgPackInput.Peek(ref r) == MessagePackType.Binary)
                {
                    var bytes = MsgPackInput.ReadBinary(ref r, o, $"{what}.{key}");
                    if (bytes.Length != length) throw new InvalidDataException($"{what}.{key} is {bytes.Length} bytes, not {length}");
                    w.WriteStringValue(Convert.ToHexString(bytes).ToLowerInvariant());
                }
                else
                {
                    MsgPackInput.CopyAsJson(ref r, w, o, 3, $"{what}.{key}");
                }
            }
            w.WriteEndObject();
        }
        return PackageRecordJson.Parse(buffer.WrittenSpan);
    }

    private static JsonElement ReadJsonElement(ref MessagePackReader r, ShardReadOptions o, int depth, string what)
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        using (var w = new Utf8JsonWriter(buffer, JsonOptions)) MsgPackInput.CopyAsJson(ref r, w, o, depth, what);
        using var doc = JsonDocument.Parse(buffer.WrittenMemory);
        return doc.RootElement.Clone();
    }

    // Unescaped as in repodata.json, so kept values read back with the same raw text.
    private static readonly JsonWriterOptions JsonOptions = new() { Encoder = RepodataJsonEncoder.Instance };

    private static void Once(ref bool seen, string key)
    {
        if (seen) throw new InvalidDataException($"'{key}' appears twice");
        seen = true;
    }
}

/// <summary>Record fields that MessagePack stores as raw bytes and JSON as hex (rattler's SerializableHash).</summary>
internal static class ShardHashFields
{
    public static int? ByteLength(string key) => key switch
    {
        "sha256" => 32,
        "md5" or "legacy_bz2_md5" => 16,
        _ => null,
    };
}
