using System.Text.Json;
using CondaMirror.Core.Records;

namespace CondaMirror.Core.Indexing;

/// <summary>
/// Writes one subdir's repodata.json the way conda-index does: top-level keys in alphabetical order
/// (info, packages, packages.conda, removed, repodata_version), file names sorted ordinally, records with sorted
/// keys, compact. <c>.tar.bz2</c> records go to <c>packages</c>, <c>.conda</c> ones to <c>packages.conda</c>
/// (conda-vendor once filled the wrong map; clients then miss every .conda file).
/// </summary>
public static class RepodataWriter
{
    public static void Write(Stream output, string subdir, IEnumerable<ChannelEntry> entries)
    {
        var tarBz2 = new List<ChannelEntry>();
        var conda = new List<ChannelEntry>();
        foreach (var e in entries)
            (e.FileName.EndsWith(".conda", StringComparison.Ordinal) ? conda : tarBz2).Add(e);
        tarBz2.Sort((a, b) => string.CompareOrdinal(a.FileName, b.FileName));
        conda.Sort((a, b) => string.CompareOrdinal(a.FileName, b.FileName));

        using var w = new Utf8JsonWriter(output, new JsonWriterOptions { Encoder = RepodataJsonEncoder.Instance, SkipValidation = false });
        w.WriteStartObject();
        w.WriteStartObject("info");
        w.WriteString("subdir", subdir);
        w.WriteEndObject();
        WriteMap(w, "packages", tarBz2);
        WriteMap(w, "packages.conda", conda);
        w.WriteStartArray("removed");
        w.WriteEndArray();
        w.WriteNumber("repodata_version", 1);
        w.WriteEndObject();
    }

    private static void WriteMap(Utf8JsonWriter w, string key, List<ChannelEntry> entries)
    {
        w.WriteStartObject(key);
        foreach (var e in entries)
        {
            w.WritePropertyName(e.FileName);
            PackageRecordJson.Write(w, e.Record);
        }
        w.WriteEndObject();
    }
}
