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
    /// Compression level, 1 (fastest) to 22 (smallest), as with the zstd tool; 0 means the default, 3. Levels 1-3
    /// parse greedily, 4-5 with one byte of look-ahead, 6-15 with two, and 16 and up find the cheapest path of
    /// literals and matches through each block (an optimal parser), with ever deeper hash chains; the window
    /// grows from 512 KiB (level 1) to 8 MiB (16-20) and 16 MiB (21-22), which bounds the encoder's memory at
    /// about two windows plus its hash tables. Values outside 0..22 are rejected when the encoder is created.
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
