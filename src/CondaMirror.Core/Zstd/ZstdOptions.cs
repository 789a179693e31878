namespace CondaMirror.Core.Zstd;

/// <summary>Limits and checks applied while decoding.</summary>
public sealed class ZstdDecoderOptions
{
    /// <summary>Frames declaring a larger window are rejected before any buffer is allocated.</summary>
    public long MaxWindowSize { get; init; } = 1L << 31;

    /// <summary>Verify the content checksum of frames that carry one.</summary>
    public bool VerifyChecksum { get; init; } = true;
}

/// <summary>Settings for writing zstd frames.</summary>
public sealed class ZstdEncoderOptions
{
    /// <summary>
    /// Compression level as understood by zstd. The built-in encoder stores data uncompressed (raw and RLE blocks),
    /// so the level does not change its output; it is kept so a full compressor can honour it later.
    /// </summary>
    public int Level { get; init; } = 3;

    /// <summary>Append the XXH64-based content checksum to the frame.</summary>
    public bool Checksum { get; init; } = true;

    /// <summary>
    /// When set, the frame header declares this content size and disposing the stream fails if a different
    /// number of bytes was written.
    /// </summary>
    public long? ContentSize { get; init; }
}
