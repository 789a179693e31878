namespace CondaMirror.Core.Zstd;

/// <summary>
/// Zstandard (RFC 8878) decoding and encoding over ZstdSharp (a managed port of the reference library, whose
/// numbers against the zstd tool are in docs/benchmarks.md). This is the whole public surface: callers see our
/// options, limits and <see cref="ZstdFormatException"/> with stable codes, never the library's types. Decoding
/// supports every standard frame except ones that need a dictionary; encoding writes one frame at the level of
/// <see cref="ZstdEncoderOptions.Level"/>, single-threaded, with the content size and checksum as asked.
/// </summary>
public static class ZstdCodec
{
    private const long MaxPresize = 64L << 20;

    /// <summary>A read-only stream of the decompressed content of all frames in <paramref name="compressed"/>.</summary>
    /// <exception cref="ZstdFormatException">While reading, when the input is not valid zstd data.</exception>
    public static Stream Decompress(Stream compressed, ZstdDecoderOptions? options = null, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(compressed);
        return new ZstdDecoderStream(compressed, options ?? new ZstdDecoderOptions(), leaveOpen);
    }

    /// <summary>A write-only stream producing one zstd frame into <paramref name="destination"/>; Dispose finishes it.</summary>
    public static Stream Compress(Stream destination, ZstdEncoderOptions? options = null, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(destination);
        return new ZstdEncoderStream(destination, options ?? new ZstdEncoderOptions(), leaveOpen);
    }

    /// <summary>Decompresses all frames of <paramref name="compressed"/>.</summary>
    /// <exception cref="ZstdFormatException">The input is not valid zstd data.</exception>
    public static byte[] Decompress(ReadOnlySpan<byte> compressed, ZstdDecoderOptions? options = null)
    {
        using var decoder = new ZstdDecoderStream(compressed.ToArray(), options ?? new ZstdDecoderOptions());
        // The declared size only pre-sizes the output, capped so a forged header cannot force a huge allocation.
        // Reading straight into the output array lets the library decode a whole frame in one pass.
        long declared = decoder.PeekDeclaredContentSize();
        var output = new byte[Math.Clamp(declared, 0, MaxPresize)];
        int length = 0;
        while (true)
        {
            if (length == output.Length)
            {
                if (output.Length == Array.MaxLength) throw new InvalidDataException("The decompressed zstd data does not fit in one array.");
                Array.Resize(ref output, (int)Math.Clamp(Math.Max(2L * output.Length, 1 << 16), 0, Array.MaxLength));
            }
            int read = decoder.Read(output.AsSpan(length));
            if (read == 0) break;
            length += read;
        }
        return length == output.Length ? output : output.AsSpan(0, length).ToArray();
    }

    /// <summary>Compresses <paramref name="data"/> into a single zstd frame that declares its content size.</summary>
    public static byte[] Compress(ReadOnlySpan<byte> data, ZstdEncoderOptions? options = null)
    {
        options ??= new ZstdEncoderOptions();
        if (options.ContentSize is null) options = new ZstdEncoderOptions { Level = options.Level, Checksum = options.Checksum, MinMatch = options.MinMatch, ContentSize = data.Length };
        return ZstdEncoderStream.CompressAll(data, options);
    }

    /// <summary>The library level for <paramref name="level"/>: 0 is the default, 3; outside 0..22 is rejected.</summary>
    internal static int CheckLevel(int level) => level switch
    {
        0 => 3,
        >= 1 and <= 22 => level,
        _ => throw new ArgumentOutOfRangeException(nameof(level), level, "The zstd compression level must be 1 to 22 (0 for the default, 3)."),
    };
}
