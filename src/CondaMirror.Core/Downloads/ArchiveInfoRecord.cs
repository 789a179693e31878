using System.Security.Cryptography;
using System.Text.Json;
using CondaMirror.Core.Archives;

namespace CondaMirror.Core.Downloads;

/// <summary>
/// What the index step needs from an archive's <c>info/</c> beyond a full lock record (<c>info/about.json</c> and
/// <c>info/run_exports.json</c>, as found), kept by the download's member check, which decompresses every new archive
/// anyway, in <c>&lt;entry&gt;.info.json</c> beside the cached archive. Without it a cold build decodes every archive a
/// second time to index it (for a .tar.bz2 the whole stream). The record is only taken when the entry's
/// <c>.verified</c> sidecar names the record's sha256 (<see cref="PackageCache.Sidecar.InfoSha256"/>): the record is
/// written before that sidecar, after the archive passed, so a record edited or replaced later (or one left by a build
/// that died before its sidecar) is not trusted, and the archive is read instead.
/// </summary>
public sealed class ArchiveInfoRecord
{
    public const string Suffix = ".info.json";

    /// <summary>A few kilobytes for real packages; an archive whose about.json makes the record larger is read by the index step instead.</summary>
    internal const int MaxBytes = 1 << 20;

    private const int Version = 1;

    private ArchiveInfoRecord(JsonElement? about, JsonElement? runExports)
    {
        About = about;
        RunExports = runExports;
    }

    /// <summary><c>info/about.json</c> as the archive holds it; null when it has none.</summary>
    public JsonElement? About { get; }

    /// <summary><c>info/run_exports.json</c> as the archive holds it; null when it has none.</summary>
    public JsonElement? RunExports { get; }

    /// <summary>The record of <paramref name="info"/> (read with about and run_exports) for the archive <paramref name="sha256"/>; null when larger than <see cref="MaxBytes"/>.</summary>
    internal static byte[]? ToBytes(string sha256, PackageInfo info)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("version", Version);
            json.WriteString("sha256", sha256.ToLowerInvariant());
            if (info.About is { } about)
            {
                json.WritePropertyName("about");
                about.WriteTo(json);
            }
            if (info.RunExports is { } runExports)
            {
                json.WritePropertyName("run_exports");
                runExports.WriteTo(json);
            }
            json.WriteEndObject();
        }
        return buffer.Length > MaxBytes ? null : buffer.ToArray();
    }

    internal static string HashOf(byte[] bytes) => Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant();

    /// <summary>The record's content, when its bytes are the ones the archive's sidecar names and it describes <paramref name="sha256"/>; otherwise null.</summary>
    internal static ArchiveInfoRecord? Parse(byte[] bytes, string expectedRecordSha256, string sha256)
    {
        if (bytes.Length > MaxBytes || !PackageCache.HashEquals(HashOf(bytes), expectedRecordSha256)) return null;
        try
        {
            using var doc = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 64 });
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("version", out var v) || v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out var version) || version != Version
                || !root.TryGetProperty("sha256", out var s) || s.ValueKind != JsonValueKind.String || !PackageCache.HashEquals(s.GetString()!, sha256))
                return null;
            return new ArchiveInfoRecord(
                root.TryGetProperty("about", out var about) ? about.Clone() : null,
                root.TryGetProperty("run_exports", out var runExports) ? runExports.Clone() : null);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
