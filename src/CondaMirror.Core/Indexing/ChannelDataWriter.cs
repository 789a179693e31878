using System.Text.Json;
using CondaMirror.Core.Records;
using CondaMirror.Core.Versions;

namespace CondaMirror.Core.Indexing;

/// <summary>
/// Writes channeldata.json the way conda-index shapes it: <c>channeldata_version</c> 1, every package name with the
/// metadata of its newest build (about.json fields, license, latest version, run_exports of that version, the
/// subdirs it appears in, its newest timestamp in seconds) and the channel's subdirs. Keys sorted, fields without a
/// value omitted, compact; nothing depends on when it runs.
/// </summary>
public static class ChannelDataWriter
{
    public const int Version = 1;

    public static byte[] ToBytes(IReadOnlyCollection<string> subdirs, IEnumerable<ChannelEntry> entries)
    {
        var byName = new SortedDictionary<string, List<ChannelEntry>>(StringComparer.Ordinal);
        foreach (var e in entries)
        {
            if (!byName.TryGetValue(e.Record.Name, out var list)) byName[e.Record.Name] = list = new();
            list.Add(e);
        }

        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = RepodataJsonEncoder.Instance }))
        {
            w.WriteStartObject();
            w.WriteNumber("channeldata_version", Version);
            w.WriteStartObject("packages");
            foreach (var (name, builds) in byName)
            {
                w.WritePropertyName(name);
                WritePackage(w, builds);
            }
            w.WriteEndObject();
            w.WriteStartArray("subdirs");
            foreach (var s in subdirs.OrderBy(s => s, StringComparer.Ordinal)) w.WriteStringValue(s);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return buffer.ToArray();
    }

    /// <summary>The newest build of a package: highest version, then build number, then timestamp, then file name.</summary>
    public static ChannelEntry Latest(IEnumerable<ChannelEntry> builds)
    {
        ChannelEntry? best = null;
        foreach (var b in builds)
            if (best is null || Compare(b, best) > 0) best = b;
        return best ?? throw new ArgumentException("no builds", nameof(builds));
    }

    private static int Compare(ChannelEntry a, ChannelEntry b)
    {
        var c = CompareVersions(a.Record.Version, b.Record.Version);
        if (c == 0) c = a.Record.BuildNumber.CompareTo(b.Record.BuildNumber);
        if (c == 0) c = (a.Record.Timestamp ?? 0).CompareTo(b.Record.Timestamp ?? 0);
        // .conda over .tar.bz2 of the same build, then by name, so ties never depend on input order.
        if (c == 0) c = a.FileName.EndsWith(".conda", StringComparison.Ordinal).CompareTo(b.FileName.EndsWith(".conda", StringComparison.Ordinal));
        if (c == 0) c = string.CompareOrdinal(b.FileName, a.FileName);
        return c;
    }

    internal static int CompareVersions(string a, string b) =>
        CondaVersion.TryParse(a, out var va) && CondaVersion.TryParse(b, out var vb) ? va!.CompareTo(vb) : string.CompareOrdinal(a, b);

    /// <summary>Seconds since the epoch; records hold milliseconds (current tools) or seconds (old ones), as conda-index tells them apart.</summary>
    public static long? Seconds(long? timestamp) => timestamp is null ? null : timestamp > 253402300799 ? timestamp / 1000 : timestamp;

    private static void WritePackage(Utf8JsonWriter w, List<ChannelEntry> builds)
    {
        var latest = Latest(builds);
        var about = latest.About;
        var fields = new SortedDictionary<string, Action>(StringComparer.Ordinal);
        void Str(string key, string? value) { if (!string.IsNullOrEmpty(value)) fields[key] = () => w.WriteString(key, value); }

        Str("description", about?.Description);
        Str("dev_url", about?.DevUrl);
        Str("doc_source_url", about?.DocSourceUrl);
        Str("doc_url", about?.DocUrl);
        Str("home", about?.Home);
        Str("license", about?.License ?? latest.Record.License);
        Str("summary", about?.Summary);
        Str("version", latest.Record.Version);
        if (about is { SourceUrls.Count: > 0 })
            fields["source_url"] = () =>
            {
                if (about.SourceUrls.Count == 1) { w.WriteString("source_url", about.SourceUrls[0]); return; }
                w.WriteStartArray("source_url");
                foreach (var u in about.SourceUrls) w.WriteStringValue(u);
                w.WriteEndArray();
            };
        fields["run_exports"] = () =>
        {
            // Keyed by version like conda-index: the exports of the newest build of the newest version.
            w.WriteStartObject("run_exports");
            if (latest.RunExports is { } re && re.EnumerateObject().Any())
            {
                w.WritePropertyName(latest.Record.Version);
                RunExportsWriter.WriteSorted(w, re);
            }
            w.WriteEndObject();
        };
        fields["subdirs"] = () =>
        {
            w.WriteStartArray("subdirs");
            foreach (var s in builds.Select(b => b.Subdir).Distinct().OrderBy(s => s, StringComparer.Ordinal)) w.WriteStringValue(s);
            w.WriteEndArray();
        };
        var newest = builds.Max(b => Seconds(b.Record.Timestamp));
        if (newest is not null) fields["timestamp"] = () => w.WriteNumber("timestamp", newest.Value);

        w.WriteStartObject();
        foreach (var emit in fields.Values) emit();
        w.WriteEndObject();
    }
}
