using System.Text.Json;

namespace CondaMirror.Core.Repodata.Shards;

/// <summary>
/// The CEP-16 shard index of one subdir (<c>&lt;subdir&gt;/repodata_shards.msgpack.zst</c>): where packages and shards
/// live, and for every package name the sha256 of its shard file (<c>&lt;shards_base_url&gt;&lt;hex&gt;.msgpack.zst</c>).
/// </summary>
public sealed class ShardIndex
{
    /// <summary>The format version; 1 is the only one defined (CEP-16).</summary>
    public long Version { get; set; } = 1;

    public string Subdir { get; set; } = "";

    /// <summary>Where the packages are, relative to the index's URL; "" means beside it.</summary>
    public string BaseUrl { get; set; } = "";

    /// <summary>Where the shard files are, relative to the index's URL (rattler-index writes "./shards/").</summary>
    public string ShardsBaseUrl { get; set; } = "";

    /// <summary>The <c>created_at</c> of rattler-index (RFC 3339), kept as read; null when absent.</summary>
    public string? CreatedAt { get; set; }

    /// <summary>Other <c>info</c> keys, kept verbatim (same convention as <see cref="Records.PackageRecord.Extra"/>).</summary>
    public SortedDictionary<string, JsonElement> InfoExtra { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Package name → sha256 (32 bytes) of its compressed shard file.</summary>
    public SortedDictionary<string, byte[]> Shards { get; } = new(StringComparer.Ordinal);

    /// <summary>Adds or replaces a name's shard hash, refusing anything but 32 bytes.</summary>
    public void SetShard(string name, ReadOnlySpan<byte> sha256)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (sha256.Length != ShardHash.Length) throw new ArgumentException($"a shard hash is {ShardHash.Length} bytes, not {sha256.Length}", nameof(sha256));
        Shards[name] = sha256.ToArray();
    }

    /// <summary>The shard file name of <paramref name="name"/> (<c>&lt;hex sha256&gt;.msgpack.zst</c>), or null when the index has no such name.</summary>
    public string? ShardFileName(string name) =>
        Shards.TryGetValue(name, out var hash) ? ShardHash.FileName(hash) : null;
}

/// <summary>Shard hashes: 32-byte sha256 of the compressed shard file, named by their lower-case hex.</summary>
public static class ShardHash
{
    public const int Length = 32;

    public static string ToHex(ReadOnlySpan<byte> sha256) => Convert.ToHexString(sha256).ToLowerInvariant();

    public static string FileName(ReadOnlySpan<byte> sha256) => ToHex(sha256) + ".msgpack.zst";

    public static byte[] Of(ReadOnlySpan<byte> compressedShard) => System.Security.Cryptography.SHA256.HashData(compressedShard);
}
