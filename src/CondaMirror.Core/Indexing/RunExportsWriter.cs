using System.Text.Json;
using CondaMirror.Core.Records;

namespace CondaMirror.Core.Indexing;

/// <summary>
/// Writes one subdir's run_exports.json (CEP 12): the shape of repodata.json, with every file name mapped to
/// <c>{"run_exports": {...}}</c> (an empty object for packages that export nothing), keys sorted, compact.
/// </summary>
public static class RunExportsWriter
{
    /// <summary>The run_exports.json schema version conda-index writes.</summary>
    public const int Version = 1;

    public static byte[] ToBytes(string subdir, IEnumerable<ChannelEntry> entries)
    {
        var (tarBz2, conda) = RepodataWriter.Split(entries);
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = RepodataJsonEncoder.Instance }))
        {
            w.WriteStartObject();
            w.WriteStartObject("info");
            w.WriteString("subdir", subdir);
            w.WriteNumber("version", Version);
            w.WriteEndObject();
            WriteMap(w, "packages", tarBz2);
            WriteMap(w, "packages.conda", conda);
            w.WriteEndObject();
        }
        return buffer.ToArray();
    }

    private static void WriteMap(Utf8JsonWriter w, string key, List<ChannelEntry> entries)
    {
        w.WriteStartObject(key);
        foreach (var e in entries)
        {
            w.WriteStartObject(e.FileName);
            w.WritePropertyName("run_exports");
            WriteSorted(w, e.RunExports ?? RunExports.Empty);
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }

    // Keys in ordinal order whatever order the package wrote them in: same exports, same bytes.
    internal static void WriteSorted(Utf8JsonWriter w, JsonElement runExports)
    {
        w.WriteStartObject();
        foreach (var kind in runExports.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal))
        {
            w.WritePropertyName(kind.Name);
            kind.Value.WriteTo(w);
        }
        w.WriteEndObject();
    }
}
