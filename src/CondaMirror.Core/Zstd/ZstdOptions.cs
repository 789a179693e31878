namespace CondaMirror.Core.Zstd;

/// <summary>Limits and checks applied while decoding.</summary>
public sealed class ZstdDecoderOptions
{
    /// <summary>
    /// Frames declaring a larger window are rejected before any buffer is allocated (the window is what the decoder
    /// keeps in memory; for a single-segment frame it is the declared content size). The default, 128 MiB, is the
    /// zstd tool's own default limit for decoding (what `zstd --long=27` writes); at most 2 GiB, the format's limit.
    /// </summary>
    public long MaxWindowSize { get; init; } = 1L << 27;

    /// <summary>Verify the content checksum of frames that carry one.</summary>
    public bool VerifyChecksum { get; init; } = true;
}

/// <summary>Settings for writing zstd frames.</summary>
public sealed class ZstdEncoderOptions
{
    /// <summary>
    /// Compression level, 1 (fastest) to 22 (smallest), the zstd tool's levels and parameters (single-threaded, no
    /// long-distance matching); 0 means the default, 3. Values outside 0..22 are rejected when the encoder is
    /// created. Memory grows with the level's window: 1 MiB at level 3 of a large input, 8 MiB at 19.
    /// </summary>
    public int Level { get; init; } = 3;

    /// <summary>
    /// Shortest match the encoder looks for, 3 to 7 bytes; null keeps the level's own (5 at level 3). Repodata JSON is
    /// full of hex digests, where 5-byte matches cost more than they save: 6 makes its frames about 6 % smaller than
    /// `zstd -3` at level 3, but packages' binaries about 3 % larger (docs/benchmarks.md, zstd-encode).
    /// </summary>
    public int? MinMatch { get; init; }

    /// <summary>Append the XXH64-based content checksum to the frame.</summary>
    public bool Checksum { get; init; } = true;

    /// <summary>
    /// When set, the frame header declares this content size and disposing the stream fails if a different
    /// number of bytes was written.
    /// </summary>
    public long? ContentSize { get; init; }
}
