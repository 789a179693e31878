using System.Buffers;
using System.Text;
using System.Text.Json;
using MessagePack;

namespace CondaMirror.Core.Repodata.Shards;

/// <summary>
/// Bounded reads over MessagePack's low-level reader. Every length is checked against the options and the bytes
/// left before anything is allocated, nesting is counted (the library's own <c>Skip</c> recurses without a bound, so
/// it is used only for scalars), and strings must be valid UTF-8. Problems are <see cref="InvalidDataException"/>;
/// <see cref="ShardReader"/> turns them (and the library's own exceptions) into one coded error.
/// </summary>
internal static class MsgPackInput
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static long Remaining(ref MessagePackReader r) => r.Sequence.Length - r.Consumed;

    /// <summary>
    /// The length or count a str/bin/ext/array/map header declares, read from the raw bytes before the library sees
    /// it: the library casts 32-bit lengths to int, so a declared 4 GB string reaches it as a negative length.
    /// </summary>
    private static long DeclaredLength(ref MessagePackReader r)
    {
        byte code = r.NextCode;
        if (code is >= 0x80 and <= 0x8f or >= 0x90 and <= 0x9f) return code & 0x0f;
        if (code is >= 0xa0 and <= 0xbf) return code & 0x1f;
        if (code is >= 0xd4 and <= 0xd8) return 1 << (code - 0xd4);
        int width = code switch
        {
            0xc4 or 0xc7 or 0xd9 => 1,
            0xc5 or 0xc8 or 0xda or 0xdc or 0xde => 2,
            0xc6 or 0xc9 or 0xdb or 0xdd or 0xdf => 4,
            _ => throw new InvalidOperationException($"0x{code:x2} has no length"),
        };
        var rest = r.Sequence.Slice(r.Position);
        if (rest.Length < 1 + width) throw new EndOfStreamException("the data ends inside a length");
        Span<byte> header = stackalloc byte[5];
        rest.Slice(1, width).CopyTo(header);
        long length = 0;
        for (int i = 0; i < width; i++) length = (length << 8) | header[i];
        return length;
    }

    /// <summary>Refuses a str, bin or ext whose declared length is over the limit or beyond the bytes left.</summary>
    private static void CheckBytesLength(ref MessagePackReader r, ShardReadOptions o, string what, string kind)
    {
        long length = DeclaredLength(ref r);
        if (length > o.MaxStringBytes) throw new InvalidDataException($"{what} is {kind} of {length} bytes (limit {o.MaxStringBytes})");
        if (length > Remaining(ref r)) throw new EndOfStreamException($"{what} is {kind} of {length} bytes with {Remaining(ref r)} left");
    }

    public static MessagePackType Peek(ref MessagePackReader r)
    {
        if (r.End) throw new EndOfStreamException("the data ends where a value was expected");
        return r.NextMessagePackType;
    }

    public static int ReadMapHeader(ref MessagePackReader r, ShardReadOptions o, string what)
    {
        if (Peek(ref r) != MessagePackType.Map) throw new InvalidDataException($"{what} must be a map, found {Describe(ref r)}");
        long count = DeclaredLength(ref r);
        // Each entry needs at least a key byte and a value byte.
        if (count > o.MaxCollectionCount || count > Remaining(ref r) / 2)
            throw new InvalidDataException($"{what} declares {count} entries (limit {o.MaxCollectionCount}, and at most half the {Remaining(ref r)} bytes left)");
        return r.ReadMapHeader();
    }

    public static int ReadArrayHeader(ref MessagePackReader r, ShardReadOptions o, string what)
    {
        if (Peek(ref r) != MessagePackType.Array) throw new InvalidDataException($"{what} must be an array, found {Describe(ref r)}");
        long count = DeclaredLength(ref r);
        if (count > o.MaxCollectionCount || count > Remaining(ref r))
            throw new InvalidDataException($"{what} declares {count} items (limit {o.MaxCollectionCount}, and at most the {Remaining(ref r)} bytes left)");
        return r.ReadArrayHeader();
    }

    public static string ReadString(ref MessagePackReader r, ShardReadOptions o, string what)
    {
        if (Peek(ref r) != MessagePackType.String) throw new InvalidDataException($"{what} must be a string, found {Describe(ref r)}");
        CheckBytesLength(ref r, o, what, "a string");
        var bytes = r.ReadStringSequence()!.Value; // a slice of the input
        try
        {
            return bytes.IsSingleSegment ? StrictUtf8.GetString(bytes.FirstSpan) : StrictUtf8.GetString(bytes.ToArray());
        }
        catch (DecoderFallbackException e)
        {
            throw new InvalidDataException($"{what} is not valid UTF-8", e);
        }
    }

    public static byte[] ReadBinary(ref MessagePackReader r, ShardReadOptions o, string what)
    {
        if (Peek(ref r) != MessagePackType.Binary) throw new InvalidDataException($"{what} must be binary, found {Describe(ref r)}");
        CheckBytesLength(ref r, o, what, "binary");
        return r.ReadBytes()!.Value.ToArray();
    }

    public static long ReadInteger(ref MessagePackReader r, string what)
    {
        if (Peek(ref r) != MessagePackType.Integer) throw new InvalidDataException($"{what} must be an integer, found {Describe(ref r)}");
        return r.ReadInt64();
    }

    /// <summary>Skips one value of any shape, counting nesting from <paramref name="depth"/>.</summary>
    public static void Skip(ref MessagePackReader r, ShardReadOptions o, int depth, string what)
    {
        switch (Peek(ref r))
        {
            case MessagePackType.Map:
            {
                int n = ReadMapHeader(ref r, o, what);
                Enter(o, depth, what);
                for (int i = 0; i < n; i++) { Skip(ref r, o, depth + 1, what); Skip(ref r, o, depth + 1, what); }
                break;
            }
            case MessagePackType.Array:
            {
                int n = ReadArrayHeader(ref r, o, what);
                Enter(o, depth, what);
                for (int i = 0; i < n; i++) Skip(ref r, o, depth + 1, what);
                break;
            }
            case MessagePackType.Unknown:
                throw new InvalidDataException($"{what}: byte 0x{r.NextCode:x2} is not a MessagePack type (reserved)");
            case MessagePackType.String:
            case MessagePackType.Binary:
            case MessagePackType.Extension:
                CheckBytesLength(ref r, o, what, "a value");
                r.Skip();
                break;
            default:
                r.Skip(); // fixed-size scalars
                break;
        }
    }

    /// <summary>
    /// Copies one value into <paramref name="w"/> as JSON: how unknown record and info keys are kept (the records'
    /// extras are JSON). Binary becomes lower-case hex, which is how the JSON form spells the hashes msgpack stores
    /// as bytes; a timestamp extension becomes an ISO 8601 string; other extensions, non-string map keys and
    /// non-finite floats have no JSON form and are refused.
    /// </summary>
    public static void CopyAsJson(ref MessagePackReader r, Utf8JsonWriter w, ShardReadOptions o, int depth, string what)
    {
        switch (Peek(ref r))
        {
            case MessagePackType.Nil:
                r.ReadNil();
                w.WriteNullValue();
                break;
            case MessagePackType.Boolean:
                w.WriteBooleanValue(r.ReadBoolean());
                break;
            case MessagePackType.Integer:
                if (r.NextCode == MessagePackCode.UInt64) w.WriteNumberValue(r.ReadUInt64());
                else w.WriteNumberValue(r.ReadInt64());
                break;
            case MessagePackType.Float:
                double d = r.ReadDouble();
                if (!double.IsFinite(d)) throw new InvalidDataException($"{what} holds {d}, which JSON cannot represent");
                w.WriteNumberValue(d);
                break;
            case MessagePackType.String:
                w.WriteStringValue(ReadString(ref r, o, what));
                break;
            case MessagePackType.Binary:
                w.WriteStringValue(Convert.ToHexString(ReadBinary(ref r, o, what)).ToLowerInvariant());
                break;
            case MessagePackType.Array:
            {
                int n = ReadArrayHeader(ref r, o, what);
                Enter(o, depth, what);
                w.WriteStartArray();
                for (int i = 0; i < n; i++) CopyAsJson(ref r, w, o, depth + 1, what);
                w.WriteEndArray();
                break;
            }
            case MessagePackType.Map:
            {
                int n = ReadMapHeader(ref r, o, what);
                Enter(o, depth, what);
                w.WriteStartObject();
                for (int i = 0; i < n; i++)
                {
                    w.WritePropertyName(ReadString(ref r, o, $"a key in {what}"));
                    CopyAsJson(ref r, w, o, depth + 1, what);
                }
                w.WriteEndObject();
                break;
            }
            case MessagePackType.Extension:
                w.WriteStringValue(ReadTimestampExtension(ref r, what));
                break;
            default:
                throw new InvalidDataException($"{what}: byte 0x{r.NextCode:x2} is not a MessagePack type (reserved)");
        }
    }

    /// <summary>The msgpack timestamp extension (type -1) as an ISO 8601 UTC string; any other extension is refused.</summary>
    public static string ReadTimestampExtension(ref MessagePackReader r, string what)
    {
        long length = DeclaredLength(ref r);
        if (length > Remaining(ref r)) throw new EndOfStreamException($"{what} is an extension of {length} bytes with {Remaining(ref r)} left");
        var header = r.CreatePeekReader().ReadExtensionFormatHeader();
        if (header.TypeCode != ReservedMessagePackExtensionTypeCode.DateTime)
            throw new InvalidDataException($"{what} holds a MessagePack extension of type {header.TypeCode}, which conda data never uses");
        return r.ReadDateTime().ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ss.FFFFFFFZ", System.Globalization.CultureInfo.InvariantCulture);
    }

    public static void Enter(ShardReadOptions o, int depth, string what)
    {
        if (depth >= o.MaxDepth) throw new InvalidDataException($"{what} nests deeper than {o.MaxDepth} levels");
    }

    private static string Describe(ref MessagePackReader r) =>
        r.End ? "the end of the data" : $"{r.NextMessagePackType.ToString().ToLowerInvariant()} (0x{r.NextCode:x2})";
}
