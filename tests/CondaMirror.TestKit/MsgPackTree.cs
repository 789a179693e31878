using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace CondaMirror.TestKit;

/// <summary>
/// A small MessagePack decoder written from the spec (github.com/msgpack/msgpack/blob/master/spec.md), independent
/// of the MessagePack library Core uses, so tests can check what Core writes and reads against a second decoding.
/// <see cref="Encode"/> is the writer's side, for fixtures. Values: null, bool, long, ulong (above long.MaxValue), double, string, <see cref="Bin"/>, List&lt;object?&gt; for
/// arrays, and List&lt;KeyValuePair&lt;object?, object?&gt;&gt; for maps (in stored order, duplicates kept).
/// Test input only: no bounds beyond the data length.
/// </summary>
public static class MsgPackTree
{
    public sealed record Bin(byte[] Bytes)
    {
        public override string ToString() => "bin:" + Convert.ToHexString(Bytes).ToLowerInvariant();
    }

    public sealed record Ext(sbyte Type, byte[] Data);

    public static object? Decode(byte[] data)
    {
        int pos = 0;
        var value = Read(data, ref pos);
        if (pos != data.Length) throw new FormatException($"{data.Length - pos} trailing bytes");
        return value;
    }

    /// <summary>
    /// Encodes a tree of the same value types (also int, a string-keyed dictionary for a map, in its enumeration
    /// order) in the shortest MessagePack form of each value, written from the spec here, not by the library Core uses.
    /// </summary>
    public static byte[] Encode(object? value)
    {
        var output = new MemoryStream();
        Encode(output, value);
        return output.ToArray();
    }

    private static void Encode(Stream o, object? value)
    {
        switch (value)
        {
            case null: o.WriteByte(0xc0); break;
            case bool b: o.WriteByte(b ? (byte)0xc3 : (byte)0xc2); break;
            case int i: EncodeInteger(o, i); break;
            case long l: EncodeInteger(o, l); break;
            case ulong u when u <= long.MaxValue: EncodeInteger(o, (long)u); break;
            case ulong u: o.WriteByte(0xcf); Big(o, u, 8); break;
            case double d: o.WriteByte(0xcb); Big(o, (ulong)BitConverter.DoubleToInt64Bits(d), 8); break;
            case string s:
            {
                var bytes = Encoding.UTF8.GetBytes(s);
                Header(o, bytes.Length, 0xa0, 32, 0xd9, 0xda, 0xdb);
                o.Write(bytes);
                break;
            }
            case Bin bin:
                if (bin.Bytes.Length <= byte.MaxValue) { o.WriteByte(0xc4); o.WriteByte((byte)bin.Bytes.Length); }
                else if (bin.Bytes.Length <= ushort.MaxValue) { o.WriteByte(0xc5); Big(o, (ulong)bin.Bytes.Length, 2); }
                else { o.WriteByte(0xc6); Big(o, (ulong)bin.Bytes.Length, 4); }
                o.Write(bin.Bytes);
                break;
            case List<KeyValuePair<object?, object?>> map:
                Header(o, map.Count, 0x80, 16, null, 0xde, 0xdf);
                foreach (var (k, v) in map) { Encode(o, k); Encode(o, v); }
                break;
            case System.Collections.Generic.IEnumerable<KeyValuePair<string, object?>> map:
            {
                var entries = map.ToList();
                Header(o, entries.Count, 0x80, 16, null, 0xde, 0xdf);
                foreach (var (k, v) in entries) { Encode(o, k); Encode(o, v); }
                break;
            }
            case System.Collections.IList list:
                Header(o, list.Count, 0x90, 16, null, 0xdc, 0xdd);
                foreach (var item in list) Encode(o, item);
                break;
            default: throw new ArgumentException($"cannot encode {value.GetType()}");
        }
    }

    private static void EncodeInteger(Stream o, long v)
    {
        if (v >= 0 && v <= 0x7f) o.WriteByte((byte)v);
        else if (v < 0 && v >= -32) o.WriteByte((byte)(sbyte)v);
        else if (v >= 0)
        {
            if (v <= byte.MaxValue) { o.WriteByte(0xcc); Big(o, (ulong)v, 1); }
            else if (v <= ushort.MaxValue) { o.WriteByte(0xcd); Big(o, (ulong)v, 2); }
            else if (v <= uint.MaxValue) { o.WriteByte(0xce); Big(o, (ulong)v, 4); }
            else { o.WriteByte(0xcf); Big(o, (ulong)v, 8); }
        }
        else if (v >= sbyte.MinValue) { o.WriteByte(0xd0); Big(o, (ulong)v, 1); }
        else if (v >= short.MinValue) { o.WriteByte(0xd1); Big(o, (ulong)v, 2); }
        else if (v >= int.MinValue) { o.WriteByte(0xd2); Big(o, (ulong)v, 4); }
        else { o.WriteByte(0xd3); Big(o, (ulong)v, 8); }
    }

    /// <summary>A length header: the fix form below <paramref name="fixLimit"/>, else the 8-, 16- or 32-bit form.</summary>
    private static void Header(Stream o, int length, byte fix, int fixLimit, byte? eight, byte sixteen, byte thirtyTwo)
    {
        if (length < fixLimit) o.WriteByte((byte)(fix | length));
        else if (eight is { } e && length <= byte.MaxValue) { o.WriteByte(e); o.WriteByte((byte)length); }
        else if (length <= ushort.MaxValue) { o.WriteByte(sixteen); Big(o, (ulong)length, 2); }
        else { o.WriteByte(thirtyTwo); Big(o, (ulong)length, 4); }
    }

    private static void Big(Stream o, ulong value, int bytes)
    {
        for (var i = bytes - 1; i >= 0; i--) o.WriteByte((byte)(value >> (8 * i)));
    }

    /// <summary>Map entries of a decoded map, by string key (throws on a non-string or duplicate key).</summary>
    public static Dictionary<string, object?> AsMap(object? value)
    {
        var entries = (List<KeyValuePair<object?, object?>>)value!;
        var map = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (k, v) in entries) map.Add((string)k!, v);
        return map;
    }

    /// <summary>
    /// A canonical text of a tree: maps sorted by key, so two trees are equal as data exactly when their canonical
    /// texts are equal. Integers print as decimals whatever their width; binary as <c>bin:hex</c>.
    /// </summary>
    public static string Canonical(object? value)
    {
        var sb = new StringBuilder();
        Write(sb, value);
        return sb.ToString();
    }

    private static void Write(StringBuilder sb, object? value)
    {
        switch (value)
        {
            case null: sb.Append("nil"); break;
            case bool b: sb.Append(b ? "true" : "false"); break;
            case long l: sb.Append(l.ToString(CultureInfo.InvariantCulture)); break;
            case ulong u: sb.Append(u.ToString(CultureInfo.InvariantCulture)); break;
            case double d: sb.Append(d.ToString("R", CultureInfo.InvariantCulture)).Append('d'); break;
            case string s: sb.Append('"').Append(s.Replace("\\", "\\\\").Replace("\"", "\\\"")).Append('"'); break;
            case Bin bin: sb.Append(bin); break;
            case Ext ext: sb.Append("ext").Append(ext.Type).Append(':').Append(Convert.ToHexString(ext.Data)); break;
            case List<object?> list:
                sb.Append('[');
                for (int i = 0; i < list.Count; i++) { if (i > 0) sb.Append(','); Write(sb, list[i]); }
                sb.Append(']');
                break;
            case List<KeyValuePair<object?, object?>> map:
                var keyed = map.Select(e => (Key: Canonical(e.Key), e.Value)).OrderBy(e => e.Key, StringComparer.Ordinal).ToList();
                sb.Append('{');
                for (int i = 0; i < keyed.Count; i++)
                {
                    if (i > 0) sb.Append(',');
                    sb.Append(keyed[i].Key).Append(':');
                    Write(sb, keyed[i].Value);
                }
                sb.Append('}');
                break;
            default: throw new ArgumentException($"not a decoded value: {value.GetType()}");
        }
    }

    private static object? Read(byte[] d, ref int p)
    {
        byte b = d[p++];
        if (b <= 0x7f) return (long)b;
        if (b >= 0xe0) return (long)(sbyte)b;
        if ((b & 0xf0) == 0x80) return ReadMap(d, ref p, b & 0x0f);
        if ((b & 0xf0) == 0x90) return ReadArray(d, ref p, b & 0x0f);
        if ((b & 0xe0) == 0xa0) return ReadStr(d, ref p, b & 0x1f);
        switch (b)
        {
            case 0xc0: return null;
            case 0xc2: return false;
            case 0xc3: return true;
            case 0xc4: return new Bin(Take(d, ref p, Len(d, ref p, 1)));
            case 0xc5: return new Bin(Take(d, ref p, Len(d, ref p, 2)));
            case 0xc6: return new Bin(Take(d, ref p, Len(d, ref p, 4)));
            case 0xc7: { int n = Len(d, ref p, 1); var t = (sbyte)d[p++]; return new Ext(t, Take(d, ref p, n)); }
            case 0xc8: { int n = Len(d, ref p, 2); var t = (sbyte)d[p++]; return new Ext(t, Take(d, ref p, n)); }
            case 0xc9: { int n = Len(d, ref p, 4); var t = (sbyte)d[p++]; return new Ext(t, Take(d, ref p, n)); }
            case 0xca: return (double)BinaryPrimitives.ReadSingleBigEndian(Take(d, ref p, 4));
            case 0xcb: return BinaryPrimitives.ReadDoubleBigEndian(Take(d, ref p, 8));
            case 0xcc: return (long)d[p++];
            case 0xcd: return (long)BinaryPrimitives.ReadUInt16BigEndian(Take(d, ref p, 2));
            case 0xce: return (long)BinaryPrimitives.ReadUInt32BigEndian(Take(d, ref p, 4));
            case 0xcf:
            {
                var u = BinaryPrimitives.ReadUInt64BigEndian(Take(d, ref p, 8));
                return u <= long.MaxValue ? (long)u : u;
            }
            case 0xd0: return (long)(sbyte)d[p++];
            case 0xd1: return (long)BinaryPrimitives.ReadInt16BigEndian(Take(d, ref p, 2));
            case 0xd2: return (long)BinaryPrimitives.ReadInt32BigEndian(Take(d, ref p, 4));
            case 0xd3: return BinaryPrimitives.ReadInt64BigEndian(Take(d, ref p, 8));
            case 0xd4: { var t = (sbyte)d[p++]; return new Ext(t, Take(d, ref p, 1)); }
            case 0xd5: { var t = (sbyte)d[p++]; return new Ext(t, Take(d, ref p, 2)); }
            case 0xd6: { var t = (sbyte)d[p++]; return new Ext(t, Take(d, ref p, 4)); }
            case 0xd7: { var t = (sbyte)d[p++]; return new Ext(t, Take(d, ref p, 8)); }
            case 0xd8: { var t = (sbyte)d[p++]; return new Ext(t, Take(d, ref p, 16)); }
            case 0xd9: return ReadStr(d, ref p, Len(d, ref p, 1));
            case 0xda: return ReadStr(d, ref p, Len(d, ref p, 2));
            case 0xdb: return ReadStr(d, ref p, Len(d, ref p, 4));
            case 0xdc: return ReadArray(d, ref p, Len(d, ref p, 2));
            case 0xdd: return ReadArray(d, ref p, Len(d, ref p, 4));
            case 0xde: return ReadMap(d, ref p, Len(d, ref p, 2));
            case 0xdf: return ReadMap(d, ref p, Len(d, ref p, 4));
            default: throw new FormatException($"reserved byte 0x{b:x2} at {p - 1}");
        }
    }

    private static int Len(byte[] d, ref int p, int width)
    {
        var bytes = Take(d, ref p, width);
        long n = width switch
        {
            1 => bytes[0],
            2 => BinaryPrimitives.ReadUInt16BigEndian(bytes),
            _ => BinaryPrimitives.ReadUInt32BigEndian(bytes),
        };
        if (n > d.Length - p) throw new FormatException($"length {n} beyond the data at {p}");
        return (int)n;
    }

    private static byte[] Take(byte[] d, ref int p, int n)
    {
        if (n > d.Length - p) throw new FormatException($"{n} bytes wanted at {p}, {d.Length - p} left");
        var bytes = d.AsSpan(p, n).ToArray();
        p += n;
        return bytes;
    }

    private static string ReadStr(byte[] d, ref int p, int n) =>
        new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(Take(d, ref p, n));

    private static List<object?> ReadArray(byte[] d, ref int p, int n)
    {
        var list = new List<object?>();
        for (int i = 0; i < n; i++) list.Add(Read(d, ref p));
        return list;
    }

    private static List<KeyValuePair<object?, object?>> ReadMap(byte[] d, ref int p, int n)
    {
        var map = new List<KeyValuePair<object?, object?>>();
        for (int i = 0; i < n; i++)
        {
            var key = Read(d, ref p);
            map.Add(new(key, Read(d, ref p)));
        }
        return map;
    }
}
