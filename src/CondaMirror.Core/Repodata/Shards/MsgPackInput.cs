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

    public static MessagePackType Peek(ref MessagePackReader r)
    {
        if (r.End) throw new EndOfStreamException("the data ends where a value was expected");
        return r.NextMessagePackType;
    }

    public static int ReadMapHeader(ref MessagePackReader r, ShardReadOptions o, string what)
    {
        if (Peek(ref r) != MessagePackType.Map) throw new InvalidDataException($"{what} must be a map, found {Describe(ref r)}");
        int count = r.ReadMapHeader();
        // Each entry needs at least a key byte and a value byte.
        if (count > o.MaxCollectionCount || count > Remaining(ref r) / 2)
            throw new InvalidDataException($"{what} declares {count} entries (limit {o.MaxCollectionCount}, and at most half the {Remaining(ref r)} bytes left)");
        return count;
    }

    public static int ReadArrayHeader(ref MessagePackReader r, ShardReadOptions o, string what)
    {
        if (Peek(ref r) != MessagePackType.Array) throw new InvalidDataException($"{what} must be an array, found {Describe(ref r)}");
        int count = r.ReadArrayHeader();
        if (count > o.MaxCollectionCount || count > Remaining(ref r))
            throw new InvalidDataException($"{what} declares {count} items (limit {o.MaxCollectionCount}, and at most the {Remaining(ref r)} bytes left)");
        return count;
    }

    public static string ReadString(ref MessagePackReader r, ShardReadOptions o, string what)
    {
        if (Peek(ref r) != MessagePackType.String) throw new InvalidDataException($"{what} must be a string, found {Describe(ref r)}");
        // A slice of the input (the library checks the declared length against the bytes left): nothing allocated yet.
        var bytes = r.ReadStringSequence()!.Value;
        if (bytes.Length > o.MaxStringBytes) throw new InvalidDataException($"{what} is a string of {bytes.Length} bytes (limit {o.MaxStringBytes})");
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
        var bytes = r.ReadBytes()!.Value; // the library checks the declared length against the bytes left
        if (bytes.Length > o.MaxStringBytes) throw new InvalidDataException($"{what} is {bytes.Length} bytes of binary (limit {o.MaxStringBytes})");
        return bytes.ToArray();
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
            default:
                r.Skip(); // scalars, strings, binary, extensions: no nesting
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
