using System.Text.Json;
using CondaMirror.Core.IO;

namespace CondaMirror.Core.Indexing;

/// <summary>
/// What the indexer read from each downloaded archive's <c>info/</c> (the about fields it shows and the archive's own
/// run_exports), remembered by the archive's sha256 between index runs. Without it every index run re-opens every
/// archive placed from a lock (1.1–2.2 s per 1,000 packages) to show the same strings again. The key is the content
/// hash the archive was verified against when it entered the cache, so an entry can never describe other bytes.
/// It is only a shortcut: an unreadable or oversized file is ignored (and said), and rewritten.
/// </summary>
public sealed class ArchiveMetadataCache
{
    // A few hundred bytes per package; far above any real channel, far below a memory problem.
    private const long MaxFileBytes = 256L << 20;
    private const int Version = 1;

    private readonly Dictionary<string, (PackageAbout? About, JsonElement? RunExports)> _entries = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);
    private bool _changed;

    private ArchiveMetadataCache() { }

    public static ArchiveMetadataCache Empty => new();

    /// <summary>Reads <paramref name="path"/>; a missing file is an empty cache, an unreadable one too (with <paramref name="problem"/> saying why).</summary>
    public static ArchiveMetadataCache Load(string? path, out string? problem)
    {
        problem = null;
        var cache = new ArchiveMetadataCache();
        if (string.IsNullOrEmpty(path) || !File.Exists(path)) return cache;
        try
        {
            var length = new FileInfo(path).Length;
            if (length > MaxFileBytes)
            {
                problem = $"{length} bytes, more than the {MaxFileBytes >> 20} MB it may hold";
                return cache;
            }
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { MaxDepth = 64 });
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("version", out var v) || v.ValueKind != JsonValueKind.Number
                || v.GetInt32() != Version || !root.TryGetProperty("archives", out var archives) || archives.ValueKind != JsonValueKind.Object)
            {
                problem = "not a version 1 archive metadata cache";
                return cache;
            }
            foreach (var entry in archives.EnumerateObject())
            {
                if (!IsSha256(entry.Name) || entry.Value.ValueKind != JsonValueKind.Object) continue;
                var about = entry.Value.TryGetProperty("about", out var a) ? PackageAbout.FromJson(a.Clone()) : null;
                JsonElement? runExports = entry.Value.TryGetProperty("run_exports", out var r) && r.ValueKind == JsonValueKind.Object ? r.Clone() : null;
                cache._entries[entry.Name] = (about, runExports);
            }
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException or InvalidOperationException or FormatException)
        {
            problem = e.Message;
            cache._entries.Clear();
        }
        return cache;
    }

    public bool TryGet(string? sha256, out PackageAbout? about, out JsonElement? runExports)
    {
        about = null;
        runExports = null;
        if (sha256 is null) return false;
        // Index runs read archives in parallel: every access to the entries holds the one lock.
        lock (_used)
        {
            if (!_entries.TryGetValue(sha256, out var entry)) return false;
            _used.Add(sha256);
            (about, runExports) = entry;
            return true;
        }
    }

    /// <summary>Remembers what was read from the archive with this sha256 (its own run_exports, null when it has none).</summary>
    public void Set(string sha256, PackageAbout? about, JsonElement? runExports)
    {
        lock (_used)
        {
            _entries[sha256] = (about, runExports);
            _used.Add(sha256);
            _changed = true;
        }
    }

    /// <summary>Writes the entries used by this run (so archives that left the channel are forgotten), when anything changed.</summary>
    public void Save(string path)
    {
        if (!_changed && _used.Count == _entries.Count) return;
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("version", Version);
            json.WriteStartObject("archives");
            foreach (var sha in _used.Order(StringComparer.Ordinal))
            {
                var (about, runExports) = _entries[sha];
                json.WriteStartObject(sha);
                if (about is not null)
                {
                    json.WriteStartObject("about");
                    WriteText(json, "summary", about.Summary);
                    WriteText(json, "description", about.Description);
                    WriteText(json, "home", about.Home);
                    WriteText(json, "dev_url", about.DevUrl);
                    WriteText(json, "doc_url", about.DocUrl);
                    WriteText(json, "doc_source_url", about.DocSourceUrl);
                    WriteText(json, "license", about.License);
                    json.WriteStartArray("source_url");
                    foreach (var url in about.SourceUrls) json.WriteStringValue(url);
                    json.WriteEndArray();
                    json.WriteEndObject();
                }
                if (runExports is { } r)
                {
                    json.WritePropertyName("run_exports");
                    r.WriteTo(json);
                }
                json.WriteEndObject();
            }
            json.WriteEndObject();
            json.WriteEndObject();
        }
        AtomicFile.WriteAllBytes(path, buffer.ToArray());
    }

    private static void WriteText(Utf8JsonWriter json, string name, string? value)
    {
        if (value is not null) json.WriteString(name, value);
    }

    private static bool IsSha256(string text) =>
        text.Length == 64 && text.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');
}
