using System.IO.Compression;

namespace CondaMirror.TestKit;

/// <summary>
/// Decompression bombs built in milliseconds: compressible zeros, so a body of a few hundred KB or MB inflates to
/// gigabytes. Nothing large is ever written to disk or held in memory to make them.
/// </summary>
public static class Bombs
{
    /// <summary>
    /// A gzip body (concatenated members, which HTTP clients decode as one stream) inflating to at least
    /// <paramref name="inflatedBytes"/> zero bytes. About 1 KB per MiB inflated.
    /// </summary>
    public static byte[] Gzip(long inflatedBytes)
    {
        const int memberBytes = 64 << 20;
        using var one = new MemoryStream();
        using (var gzip = new GZipStream(one, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            var zeros = new byte[1 << 20];
            for (var i = 0; i < memberBytes / zeros.Length; i++) gzip.Write(zeros);
        }
        var member = one.ToArray();
        var members = (int)((inflatedBytes + memberBytes - 1) / memberBytes);
        var body = new byte[member.Length * members];
        for (var i = 0; i < members; i++) member.CopyTo(body, i * member.Length);
        return body;
    }

    /// <summary>
    /// One zstd frame (no content size, no checksum) of RLE blocks, 128 KiB of zeros each, inflating to at least
    /// <paramref name="inflatedBytes"/>: 4 bytes per block, so about 32 KB per GiB. The frame declares a window of
    /// 2^<paramref name="windowLog"/> bytes (a decoder may buffer that much).
    /// </summary>
    public static byte[] Zstd(long inflatedBytes, int windowLog = 17)
    {
        const int blockBytes = 128 << 10;
        var blocks = (int)((inflatedBytes + blockBytes - 1) / blockBytes);
        var frame = new byte[6 + blocks * 4];
        // Magic 0xFD2FB528, then a frame header descriptor with no flags (window descriptor follows, no content size).
        frame[0] = 0x28; frame[1] = 0xB5; frame[2] = 0x2F; frame[3] = 0xFD;
        frame[4] = 0x00;
        frame[5] = (byte)((windowLog - 10) << 3);
        for (var i = 0; i < blocks; i++)
        {
            var last = i == blocks - 1 ? 1 : 0;
            var header = (blockBytes << 3) | (1 << 1) | last; // block type 1 = RLE
            var at = 6 + i * 4;
            frame[at] = (byte)header;
            frame[at + 1] = (byte)(header >> 8);
            frame[at + 2] = (byte)(header >> 16);
            frame[at + 3] = 0; // the repeated byte
        }
        return frame;
    }
}
