namespace CondaMirror.Core.Zstd.Encoding;

/// <summary>How a level searches: window, table sizes, chain depth, minimum match, and how far the parser looks ahead.</summary>
/// <param name="WindowLog">log2 of the window (largest match distance); written into the frame header.</param>
/// <param name="HashLog">log2 of the hash table's entries.</param>
/// <param name="ChainLog">log2 of the chain table's entries (how far back chains reach); at most WindowLog.</param>
/// <param name="SearchDepth">candidates tried per position.</param>
/// <param name="MinMatch">bytes hashed, and the shortest match looked for (4..7).</param>
/// <param name="NiceLength">a match this long ends the search early.</param>
/// <param name="Lazy">0 greedy, 1 one position of look-ahead, 2 two positions.</param>
/// <param name="SparseInsert">index only a few positions inside each match (faster, slightly larger output).</param>
/// <param name="Optimal">price each block's paths of literals and matches and take the cheapest (replaces Lazy).</param>
internal readonly record struct CompressionParameters(
    int WindowLog, int HashLog, int ChainLog, int SearchDepth, int MinMatch, int NiceLength, int Lazy, bool SparseInsert,
    bool Optimal = false)
{
    public const int MinLevel = 1;
    public const int MaxLevel = 22;
    public const int DefaultLevel = 3;

    // Tuned on conda repodata (JSON with hex digests): matches shorter than 6 bytes rarely pay for their offset.
    private static readonly CompressionParameters[] Levels =
    {
        default,
        new(19, 14, 14, 1, 6, 16, 0, true),       // 1
        new(20, 16, 15, 1, 6, 24, 0, true),       // 2
        new(21, 16, 15, 2, 6, 24, 0, true),       // 3
        new(21, 17, 16, 4, 6, 24, 1, true),       // 4
        new(21, 18, 17, 8, 6, 32, 1, false),      // 5
        new(21, 19, 18, 12, 6, 48, 2, false),     // 6
        new(21, 19, 19, 16, 6, 64, 2, false),     // 7
        new(22, 20, 19, 24, 6, 64, 2, false),     // 8
        new(22, 20, 20, 32, 6, 96, 2, false),     // 9
        new(22, 21, 21, 48, 6, 128, 2, false),    // 10
        new(22, 21, 21, 64, 6, 128, 2, false),    // 11
        new(22, 22, 22, 96, 6, 192, 2, false),    // 12
        new(22, 22, 22, 128, 6, 256, 2, false),   // 13
        new(22, 22, 22, 192, 6, 256, 2, false),   // 14
        new(22, 22, 22, 256, 6, 384, 2, false),   // 15
        new(23, 22, 23, 16, 6, 128, 2, false, true),   // 16
        new(23, 22, 23, 24, 6, 192, 2, false, true),   // 17
        new(23, 22, 23, 32, 6, 256, 2, false, true),   // 18
        new(23, 22, 23, 48, 6, 256, 2, false, true),   // 19
        new(23, 22, 23, 96, 6, 384, 2, false, true),   // 20
        new(24, 23, 24, 192, 6, 512, 2, false, true),  // 21
        new(24, 23, 24, 256, 6, 512, 2, false, true),  // 22
    };

    /// <summary>The parameters of a level (1..22); 0 means the default level.</summary>
    public static CompressionParameters ForLevel(int level)
    {
        if (level == 0) level = DefaultLevel;
        if (level < MinLevel || level > MaxLevel)
            throw new ArgumentOutOfRangeException(nameof(level), level, $"zstd levels run from {MinLevel} to {MaxLevel} (0 = default {DefaultLevel}).");
        return Levels[level];
    }

    /// <summary>Shrinks the window and tables when the whole input is known to be small, to save memory and time.</summary>
    public CompressionParameters ForContentSize(long? contentSize)
    {
        if (contentSize is not long size) return this;
        int needed = 10;
        while (needed < WindowLog && (1L << needed) < size) needed++;
        if (needed >= WindowLog) return this;
        return this with
        {
            WindowLog = needed,
            HashLog = Math.Min(HashLog, needed + 1),
            ChainLog = Math.Min(ChainLog, needed),
        };
    }
}
