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
        foreach (var f in TypedFields(r))
            fields.Add((f.Key, f.List is { } list ? x => WriteList(x, f.Key, list)
                : f.Number is { } number ? x => x.WriteNumber(f.Key, number)
                : x => x.WriteString(f.Key, f.Text)));
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

    /// <summary>One typed field of a record: text, a number or a list of specs.</summary>
    public readonly record struct Field(string Key, string? Text = null, long? Number = null, List<string>? List = null);

    /// <summary>
    /// The record's typed fields as every written form holds them (repodata.json here, CEP-16 shards): which are
    /// left out when absent or empty is decided here only. Extra keys are the caller's.
    /// </summary>
    public static IEnumerable<Field> TypedFields(PackageRecord r)
    {
        if (r.Arch is not null) yield return new("arch", r.Arch);
        yield return new("build", r.Build);
        yield return new("build_number", Number: r.BuildNumber);
        if (r.Constrains.Count > 0) yield return new("constrains", List: r.Constrains);
        yield return new("depends", List: r.Depends);
        if (NullIfEmpty(r.Features) is { } features) yield return new("features", features);
        if (r.License is not null) yield return new("license", r.License);
        if (r.LicenseFamily is not null) yield return new("license_family", r.LicenseFamily);
        if (r.Md5 is not null) yield return new("md5", r.Md5);
        yield return new("name", r.Name);
        if (NullIfEmpty(r.Noarch) is { } noarch) yield return new("noarch", noarch);
        if (r.Platform is not null) yield return new("platform", r.Platform);
        if (r.Sha256 is not null) yield return new("sha256", r.Sha256);
        if (r.Size is not null) yield return new("size", Number: r.Size);
        if (r.Subdir is not null) yield return new("subdir", r.Subdir);
        if (r.Timestamp is not null) yield return new("timestamp", Number: r.Timestamp);
        if (NullIfEmpty(r.TrackFeatures) is { } trackFeatures) yield return new("track_features", trackFeatures);
        yield return new("version", r.Version);
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
