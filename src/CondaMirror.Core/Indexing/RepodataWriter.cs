using System.Text.Json;
using CondaMirror.Core.Records;

namespace CondaMirror.Core.Indexing;

/// <summary>
/// Writes one subdir's repodata.json the way conda-index does: top-level keys in alphabetical order
/// (info, packages, packages.conda, removed, repodata_version), file names sorted ordinally, records with sorted
/// keys, compact. <c>.tar.bz2</c> records go to <c>packages</c>, <c>.conda</c> ones to <c>packages.conda</c>
/// (conda-vendor once filled the wrong map; clients then miss every .conda file).
/// With a <c>baseUrl</c> (CEP 15) <c>info</c> also holds <c>base_url</c> and <c>repodata_version</c> is 2.
/// </summary>
public static class RepodataWriter
{
    public static void Write(Stream output, string subdir, IEnumerable<ChannelEntry> entries, string? baseUrl = null)
    {
        var (tarBz2, conda) = Split(entries);

        using var w = new Utf8JsonWriter(output, new JsonWriterOptions { Encoder = RepodataJsonEncoder.Instance, SkipValidation = false });
        w.WriteStartObject();
        w.WriteStartObject("info");
        if (baseUrl is not null) w.WriteString("base_url", baseUrl);
        w.WriteString("subdir", subdir);
        w.WriteEndObject();
        WriteMap(w, "packages", tarBz2);
        WriteMap(w, "packages.conda", conda);
        w.WriteStartArray("removed");
        w.WriteEndArray();
        w.WriteNumber("repodata_version", baseUrl is null ? 1 : 2);
        w.WriteEndObject();
    }

    public static byte[] ToBytes(string subdir, IEnumerable<ChannelEntry> entries, string? baseUrl = null)
    {
        using var buffer = new MemoryStream();
        Write(buffer, subdir, entries, baseUrl);
        return buffer.ToArray();
    }

    /// <summary>.tar.bz2 entries and .conda entries, each sorted ordinally by file name (the order of every per-subdir file).</summary>
    internal static (List<ChannelEntry> TarBz2, List<ChannelEntry> Conda) Split(IEnumerable<ChannelEntry> entries)
    {
        var tarBz2 = new List<ChannelEntry>();
        var conda = new List<ChannelEntry>();
        foreach (var e in entries)
            (e.FileName.EndsWith(".conda", StringComparison.Ordinal) ? conda : tarBz2).Add(e);
        tarBz2.Sort((a, b) => string.CompareOrdinal(a.FileName, b.FileName));
        conda.Sort((a, b) => string.CompareOrdinal(a.FileName, b.FileName));
        return (tarBz2, conda);
    }

    private static void WriteMap(Utf8JsonWriter w, string key, List<ChannelEntry> entries)
    {
        w.WriteStartObject(key);
        foreach (var e in entries)
        {
            w.WritePropertyName(e.FileName);
            if (e.RawJson is { } raw) w.WriteRawValue(raw, skipInputValidation: false);
            else PackageRecordJson.Write(w, e.Record);
        }
        w.WriteEndObject();
    }
}
