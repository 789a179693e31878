using System.Buffers;
using System.Text;
using System.Text.Json;

namespace CondaMirror.Core.Records;

/// <summary>
/// Reads and writes <see cref="PackageRecord"/> in repodata's JSON shape. Output keys are sorted ordinally
/// (what conda-index and rattler-index both emit), optional fields are omitted when absent, and
/// <c>depends</c>, <c>build_number</c> are always written. Same record, same bytes.
/// </summary>
public static class PackageRecordJson
{
    /// <summary>Reads one record object; the reader must be positioned on its StartObject token.</summary>
    public static PackageRecord Read(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
            throw new JsonException("a package record must be a JSON object");
        var r = new PackageRecord();
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.EndObject) return r;
            var key = reader.GetString()!;
            reader.Read();
            switch (key)
            {
                case "name": r.Name = ReadString(ref reader) ?? ""; break;
                case "version": r.Version = ReadString(ref reader) ?? ""; break;
                case "build": r.Build = ReadString(ref reader) ?? ""; break;
                case "build_number": r.BuildNumber = ReadLong(ref reader) ?? 0; break;
                case "subdir": r.Subdir = ReadString(ref reader); break;
                case "depends": r.Depends = ReadStringList(ref reader); break;
                case "constrains": r.Constrains = ReadStringList(ref reader); break;
                case "noarch": r.Noarch = ReadNoarch(ref reader); break;
                case "license": r.License = ReadString(ref reader); break;
                case "license_family": r.LicenseFamily = ReadString(ref reader); break;
                case "md5": r.Md5 = ReadString(ref reader); break;
                case "sha256": r.Sha256 = ReadString(ref reader); break;
                case "size": r.Size = ReadLong(ref reader); break;
                case "timestamp": r.Timestamp = ReadLong(ref reader); break;
                case "track_features": r.TrackFeatures = ReadFeatureString(ref reader); break;
                case "features": r.Features = ReadFeatureString(ref reader); break;
                case "arch": r.Arch = ReadString(ref reader); break;
                case "platform": r.Platform = ReadString(ref reader); break;
                default:
                    using (var doc = JsonDocument.ParseValue(ref reader))
                        r.Extra[key] = doc.RootElement.Clone();
                    break;
            }
        }
        throw new JsonException("unterminated package record");
    }

    public static PackageRecord Parse(ReadOnlySpan<byte> utf8Json)
    {
        var reader = new Utf8JsonReader(utf8Json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
        reader.Read();
        return Read(ref reader);
    }

    public static PackageRecord Parse(string json) => Parse(Encoding.UTF8.GetBytes(json));

    public static PackageRecord FromElement(JsonElement element) => Parse(Encoding.UTF8.GetBytes(element.GetRawText()));

    /// <summary>Writes the record as one JSON object with keys in ordinal order.</summary>
    public static void Write(Utf8JsonWriter w, PackageRecord r)
    {
        // Collect (key, writer) pairs, then emit sorted: known keys and Extra keys interleave alphabetically.
        var fields = new List<(string Key, Action<Utf8JsonWriter> Emit)>(24);
        void Str(string key, string? value) { if (value is not null) fields.Add((key, x => x.WriteString(key, value))); }
        void Num(string key, long? value) { if (value is not null) fields.Add((key, x => x.WriteNumber(key, value.Value))); }

        if (r.Arch is not null) Str("arch", r.Arch);
        Str("build", r.Build);
        Num("build_number", r.BuildNumber);
        if (r.Constrains.Count > 0) fields.Add(("constrains", x => WriteList(x, "constrains", r.Constrains)));
        fields.Add(("depends", x => WriteList(x, "depends", r.Depends)));
        Str("features", NullIfEmpty(r.Features));
        Str("license", r.License);
        Str("license_family", r.LicenseFamily);
        Str("md5", r.Md5);
        Str("name", r.Name);
        Str("noarch", NullIfEmpty(r.Noarch));
        Str("platform", r.Platform);
        Str("sha256", r.Sha256);
        Num("size", r.Size);
        Str("subdir", r.Subdir);
        Num("timestamp", r.Timestamp);
        Str("track_features", NullIfEmpty(r.TrackFeatures));
        Str("version", r.Version);
        foreach (var (key, value) in r.Extra)
        {
            if (fields.Exists(f => f.Key == key)) continue; // typed field wins over a stray duplicate
            fields.Add((key, x => { x.WritePropertyName(key); value.WriteTo(x); }));
        }
        fields.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));

        w.WriteStartObject();
        foreach (var f in fields) f.Emit(w);
        w.WriteEndObject();
    }

    public static string ToJson(PackageRecord r, bool indented = false)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = indented, Encoder = RepodataJsonEncoder.Instance }))
            Write(w, r);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;

    private static void WriteList(Utf8JsonWriter w, string key, List<string> items)
    {
        w.WriteStartArray(key);
        foreach (var item in items) w.WriteStringValue(item);
        w.WriteEndArray();
    }

    private static string? ReadString(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.Null => null,
        JsonTokenType.String => reader.GetString(),
        JsonTokenType.Number => Encoding.UTF8.GetString(reader.ValueSpan),
        JsonTokenType.True => "true",
        JsonTokenType.False => "false",
        _ => throw new JsonException($"expected a string, found {reader.TokenType}"),
    };

    private static long? ReadLong(ref Utf8JsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null: return null;
            case JsonTokenType.Number:
                if (reader.TryGetInt64(out var l)) return l;
                return (long)reader.GetDouble(); // some old records store timestamps as floats
            case JsonTokenType.String:
                var s = reader.GetString();
                if (long.TryParse(s, out var parsed)) return parsed;
                if (double.TryParse(s, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var d)) return (long)d;
                throw new JsonException($"expected an integer, found \"{s}\"");
            default: throw new JsonException($"expected an integer, found {reader.TokenType}");
        }
    }

    private static List<string> ReadStringList(ref Utf8JsonReader reader)
    {
        var list = new List<string>();
        if (reader.TokenType == JsonTokenType.Null) return list;
        if (reader.TokenType != JsonTokenType.StartArray) throw new JsonException("expected a list of strings");
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            list.Add(ReadString(ref reader) ?? "");
        return list;
    }

    // Old packages wrote noarch as a boolean; true meant "generic". An empty string breaks pixi, so it becomes null.
    private static string? ReadNoarch(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.True => "generic",
        JsonTokenType.False or JsonTokenType.Null => null,
        JsonTokenType.String => string.IsNullOrEmpty(reader.GetString()) ? null : reader.GetString(),
        _ => throw new JsonException("noarch must be a string"),
    };

    // track_features is a string in repodata, but some index.json files carry a list.
    private static string? ReadFeatureString(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.StartArray)
        {
            var items = ReadStringList(ref reader);
            return items.Count == 0 ? null : string.Join(" ", items);
        }
        return ReadString(ref reader);
    }
}
