namespace CondaMirror.Core.Zstd;

/// <summary>
/// Zstandard (RFC 8878) decoding and encoding. This is the whole public surface; everything behind it is internal.
/// Decoding supports every standard frame except ones that need a dictionary. Encoding compresses at zstd-like
/// levels (<see cref="ZstdEncoderOptions.Level"/>): hash-chain match finding, Huffman literals, FSE sequences,
/// repeat offsets, raw/RLE blocks where they are smaller, optional content checksum and content size.
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
        long declared = decoder.PeekDeclaredContentSize();
        using var output = new MemoryStream((int)Math.Clamp(declared, 0, MaxPresize));
        decoder.CopyTo(output, 1 << 17);
        return output.Length == output.Capacity ? output.GetBuffer() : output.ToArray();
    }

    /// <summary>Compresses <paramref name="data"/> into a single zstd frame.</summary>
    public static byte[] Compress(ReadOnlySpan<byte> data, ZstdEncoderOptions? options = null)
    {
        options ??= new ZstdEncoderOptions();
        if (options.ContentSize is null) options = new ZstdEncoderOptions { Level = options.Level, Checksum = options.Checksum, ContentSize = data.Length };
        // Compressed output is usually a fraction of the input; the stream grows if it is not.
        using var output = new MemoryStream(data.Length / 4 + 64);
        using (var encoder = new ZstdEncoderStream(output, options, leaveOpen: true)) encoder.Write(data);
        return output.ToArray();
    }
}
