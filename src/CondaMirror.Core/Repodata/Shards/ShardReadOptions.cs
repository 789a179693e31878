namespace CondaMirror.Core.Repodata.Shards;

/// <summary>
/// Bounds applied while reading shard indexes and shards, which come from the network. The defaults are far above
/// anything conda-forge publishes (its linux-64 index is about 2 MB decompressed, its largest shards a few MB).
/// </summary>
public sealed class ShardReadOptions
{
    public static ShardReadOptions Default { get; } = new();

    /// <summary>Largest decompressed index or shard; a larger one is CMIR653 (a decompression bomb or not a shard).</summary>
    public long MaxDecompressedBytes { get; init; } = 64L << 20;

    /// <summary>Largest zstd window accepted, as for repodata.json.zst.</summary>
    public long MaxWindowSize { get; init; } = 32L << 20;

    /// <summary>Longest single string or binary value, in bytes.</summary>
    public int MaxStringBytes { get; init; } = 1 << 20;

    /// <summary>Most entries in one map or array.</summary>
    public int MaxCollectionCount { get; init; } = 1_000_000;

    /// <summary>Deepest nesting of maps and arrays (records are 3 deep; run_exports 5).</summary>
    public int MaxDepth { get; init; } = 32;
}
