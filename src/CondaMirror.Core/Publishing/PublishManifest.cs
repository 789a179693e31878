using System.Text;
using System.Text.Json;

namespace CondaMirror.Core.Publishing;

/// <summary>One published object as the manifest records it: content hash, size and the ETag the store gave it.</summary>
public sealed record ManifestEntry(string Sha256, long Size, string? ETag);

/// <summary>
/// Our record of what we published, kept at <c>&lt;prefix&gt;/.condamirror/publish-manifest.json</c> and written after
/// repodata.json: channel-relative key → sha256, size, ETag. A later publish trusts an entry only while the listing
/// shows the object with the same size and ETag (anyone overwriting the object changes its ETag), so a no-change
/// publish costs one listing and one GET instead of a HEAD per object.
/// </summary>
public static class PublishManifest
{
    public const string RelativeKey = PublishPlan.StateFolder + "publish-manifest.json";

    public static byte[] Write(IReadOnlyDictionary<string, ManifestEntry> entries)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteNumber("version", 1);
            json.WriteStartObject("objects");
            foreach (var (key, entry) in entries.OrderBy(e => e.Key, StringComparer.Ordinal))
            {
                json.WriteStartObject(key);
                json.WriteString("sha256", entry.Sha256);
                json.WriteNumber("size", entry.Size);
                if (entry.ETag is not null) json.WriteString("etag", entry.ETag);
                json.WriteEndObject();
            }
            json.WriteEndObject();
            json.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }

    /// <summary>The entries, or null with the reason when the bytes are not a manifest of ours (then every object is checked with HEAD).</summary>
    public static Dictionary<string, ManifestEntry>? Read(byte[] bytes, out string? problem)
    {
        problem = null;
        try
        {
            using var doc = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 8 });
            if (doc.RootElement.ValueKind != JsonValueKind.Object
                || !doc.RootElement.TryGetProperty("version", out var v) || v.ValueKind != JsonValueKind.Number || v.GetInt32() != 1
                || !doc.RootElement.TryGetProperty("objects", out var objects) || objects.ValueKind != JsonValueKind.Object)
            {
                problem = "not a version-1 manifest";
                return null;
            }
            var result = new Dictionary<string, ManifestEntry>(StringComparer.Ordinal);
            foreach (var o in objects.EnumerateObject())
            {
                if (o.Value.ValueKind != JsonValueKind.Object
                    || !o.Value.TryGetProperty("sha256", out var sha) || sha.ValueKind != JsonValueKind.String || !IsSha256(sha.GetString()!)
                    || !o.Value.TryGetProperty("size", out var size) || size.ValueKind != JsonValueKind.Number || !size.TryGetInt64(out var n) || n < 0)
                {
                    problem = $"entry '{Shorten(o.Name)}' is malformed";
                    return null;
                }
                var etag = o.Value.TryGetProperty("etag", out var e) && e.ValueKind == JsonValueKind.String ? e.GetString() : null;
                result[o.Name] = new ManifestEntry(sha.GetString()!, n, etag);
            }
            return result;
        }
        catch (JsonException e)
        {
            problem = "not JSON: " + e.Message;
            return null;
        }
        catch (FormatException e)
        {
            problem = "not JSON: " + e.Message;
            return null;
        }
        catch (InvalidOperationException e) when (e.InnerException is DecoderFallbackException)
        {
            // JsonDocument checks string encoding only when a string is read (found by the publish-manifest fuzz target).
            problem = "not valid UTF-8";
            return null;
        }
    }

    private static bool IsSha256(string s) => s.Length == 64 && s.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f'));

    private static string Shorten(string s) => s.Length > 100 ? s[..100] + "…" : s;

}
