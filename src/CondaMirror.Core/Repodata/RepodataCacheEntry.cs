using System.Text.Json;
using System.Text.Json.Serialization;

namespace CondaMirror.Core.Repodata;

/// <summary>
/// The small JSON file beside a cached repodata body: what was fetched, when, and the validators to
/// revalidate it with. Never contains credentials (the URL is stored redacted).
/// </summary>
internal sealed class RepodataCacheEntry
{
    public const string MetadataFileName = "cache.json";
    public const string BodyFileName = "repodata.json";

    /// <summary>"zst" or "json" (which file the server had), or "missing" (neither: an empty platform subdir).</summary>
    [JsonPropertyName("variant")] public string Variant { get; set; } = RepodataVariant.Json;
    [JsonPropertyName("url")] public string Url { get; set; } = "";
    [JsonPropertyName("etag")] public string? ETag { get; set; }
    [JsonPropertyName("last_modified")] public string? LastModified { get; set; }
    [JsonPropertyName("fetched_at")] public DateTimeOffset FetchedAt { get; set; }

    public const string ShardIndexMetadataFileName = "shards-cache.json";
    public const string ShardIndexFileName = "repodata_shards.msgpack.zst";

    public static RepodataCacheEntry? TryLoad(string directory) => TryLoad(directory, MetadataFileName, BodyFileName);

    public static RepodataCacheEntry? TryLoad(string directory, string metadataFileName, string bodyFileName)
    {
        var path = Path.Combine(directory, metadataFileName);
        if (!File.Exists(path)) return null;
        try
        {
            var entry = JsonSerializer.Deserialize<RepodataCacheEntry>(File.ReadAllBytes(path));
            if (entry is null) return null;
            if (entry.Variant != RepodataVariant.Missing && !File.Exists(Path.Combine(directory, bodyFileName))) return null;
            return entry;
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            return null; // a damaged metadata file only costs a refetch
        }
    }

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, new JsonSerializerOptions { WriteIndented = true });
}

internal static class RepodataVariant
{
    public const string Zst = "zst";
    public const string Json = "json";
    public const string Missing = "missing";
    public const string Shards = "shards";

    public static string FileName(string variant) => variant == Zst ? "repodata.json.zst" : "repodata.json";
}
