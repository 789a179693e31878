using System.Buffers.Binary;
using System.Text;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Zstd;
using Xunit;

namespace CondaMirror.Tests.Zstd;

public class ZstdFrameTests
{
    /// <summary>Builds a frame by hand: header, the given (type, payload, regenerated size) blocks, optional checksum.</summary>
    internal static byte[] Frame(byte descriptor, byte[] headerTail, IEnumerable<(int Type, byte[] Payload, int Size)> blocks, uint? checksum = null)
    {
        var ms = new MemoryStream();
        ms.Write(BitConverter.GetBytes(0xFD2FB528u));
        ms.WriteByte(descriptor);
        ms.Write(headerTail);
        var list = blocks.ToList();
        for (int i = 0; i < list.Count; i++)
        {
            var (type, payload, size) = list[i];
            int header = (i == list.Count - 1 ? 1 : 0) | (type << 1) | (size << 3);
            ms.WriteByte((byte)header);
            ms.WriteByte((byte)(header >> 8));
            ms.WriteByte((byte)(header >> 16));
            ms.Write(payload);
        }
        if (checksum is uint c) ms.Write(BitConverter.GetBytes(c));
        return ms.ToArray();
    }

    private static uint Checksum(byte[] data) => (uint)System.IO.Hashing.XxHash64.HashToUInt64(data);

    [Fact]
    public void Raw_block_frame_with_window_descriptor_and_checksum()
    {
        var content = Encoding.ASCII.GetBytes("hello zstd");
        var frame = Frame(0x04, new byte[] { 0x00 }, new[] { (0, content, content.Length) }, Checksum(content));
        Assert.Equal(content, ZstdCodec.Decompress(frame));
    }

    [Fact]
    public void Rle_and_raw_blocks_single_segment_with_content_size()
    {
        var expected = Enumerable.Repeat((byte)'a', 300).Concat(new byte[] { 1, 2, 3 }).ToArray();
        // Single segment, 2-byte content size (value - 256), no checksum.
        var fcs = BitConverter.GetBytes((ushort)(expected.Length - 256));
        var frame = Frame(0x20 | 0x40, fcs, new[] { (1, new byte[] { (byte)'a' }, 300), (0, new byte[] { 1, 2, 3 }, 3) });
        Assert.Equal(expected, ZstdCodec.Decompress(frame));
    }

    [Fact]
    public void Skippable_frames_and_concatenated_frames_are_decoded_in_order()
    {
        var a = ZstdCodec.Compress(Encoding.ASCII.GetBytes("first;"));
        var b = ZstdCodec.Compress(Encoding.ASCII.GetBytes("second"), new ZstdEncoderOptions { Checksum = false });
        var skippable = new byte[] { 0x5A, 0x2A, 0x4D, 0x18, 3, 0, 0, 0, 9, 9, 9 };
        var all = skippable.Concat(a).Concat(skippable).Concat(b).Concat(skippable).ToArray();
        Assert.Equal("first;second", Encoding.ASCII.GetString(ZstdCodec.Decompress(all)));
    }

    [Fact]
    public void Empty_frame_decodes_to_nothing()
    {
        Assert.Empty(ZstdCodec.Decompress(ZstdCodec.Compress(ReadOnlySpan<byte>.Empty)));
        var frame = Frame(0x00, new byte[] { 0x00 }, new[] { (0, Array.Empty<byte>(), 0) });
        Assert.Empty(ZstdCodec.Decompress(frame));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(128 * 1024 - 1)]
    [InlineData(128 * 1024)]
    [InlineData(128 * 1024 + 1)]
    [InlineData(2 * 128 * 1024)]
    [InlineData(5_000_000)]
    public void Encoder_round_trips(int size)
    {
        var data = new byte[size];
        var rng = new Random(size);
        rng.NextBytes(data);
        if (size > 300_000) data.AsSpan(128 * 1024, 128 * 1024).Fill(7); // one block-aligned run becomes an RLE block
        foreach (var checksum in new[] { true, false })
        {
            var compressed = ZstdCodec.Compress(data, new ZstdEncoderOptions { Checksum = checksum });
            Assert.Equal(data, ZstdCodec.Decompress(compressed));

            // Streaming both ways, without a declared size, writing in odd chunks and reading in odd chunks.
            var sink = new MemoryStream();
            using (var enc = ZstdCodec.Compress(sink, new ZstdEncoderOptions { Checksum = checksum }, leaveOpen: true))
                for (int i = 0; i < size; i += 77_777) enc.Write(data, i, Math.Min(77_777, size - i));
            sink.Position = 0;
            using var dec = ZstdCodec.Decompress(sink);
            var back = new MemoryStream();
            var buf = new byte[10_001];
            int n;
            while ((n = dec.Read(buf, 0, buf.Length)) > 0) back.Write(buf, 0, n);
            Assert.Equal(data, back.ToArray());
        }
    }

    [Fact]
    public void Encoder_uses_rle_blocks_for_runs()
    {
        var data = new byte[1 << 20];
        var compressed = ZstdCodec.Compress(data);
        Assert.True(compressed.Length < 100, $"expected RLE blocks, got {compressed.Length} bytes");
        Assert.Equal(data, ZstdCodec.Decompress(compressed));
    }

    [Fact]
    public void Encoder_rejects_content_size_mismatch()
    {
        var sink = new MemoryStream();
        var enc = ZstdCodec.Compress(sink, new ZstdEncoderOptions { ContentSize = 10 });
        enc.Write(new byte[5]);
        Assert.Throws<InvalidOperationException>(() => enc.Dispose());
        var enc2 = ZstdCodec.Compress(new MemoryStream(), new ZstdEncoderOptions { ContentSize = 3 });
        Assert.Throws<InvalidOperationException>(() => enc2.Write(new byte[4]));
    }

    private static ZstdFormatException DecodeFails(byte[] input, ZstdDecoderOptions? options = null)
        => Assert.Throws<ZstdFormatException>(() => ZstdCodec.Decompress(input, options));

    [Fact]
    public void Bad_magic_is_reported_with_offset()
    {
        var e = DecodeFails(Encoding.ASCII.GetBytes("PK\x03\x04 not zstd"));
        Assert.Equal(ErrorCodes.ZstdBadMagic, e.Code);
        Assert.Equal(0, e.Offset);
        Assert.Contains("byte offset 0", e.Message);
    }

    [Fact]
    public void Trailing_garbage_after_a_frame_is_rejected()
    {
        var frame = ZstdCodec.Compress(new byte[] { 1, 2, 3 });
        var e = DecodeFails(frame.Concat(new byte[] { 0, 0, 0, 0 }).ToArray());
        Assert.Equal(ErrorCodes.ZstdBadMagic, e.Code);
        Assert.Equal(frame.Length, e.Offset);
    }

    [Fact]
    public void Every_truncation_of_a_frame_is_rejected()
    {
        var data = Encoding.ASCII.GetBytes("truncate me at every position, please");
        var frame = ZstdCodec.Compress(data);
        for (int cut = 0; cut < frame.Length; cut++)
        {
            var e = DecodeFails(frame[..cut]);
            Assert.Equal(ErrorCodes.ZstdTruncated, e.Code);
        }
    }

    [Fact]
    public void Checksum_mismatch_is_rejected_unless_verification_is_off()
    {
        var data = Encoding.ASCII.GetBytes("checksummed");
        var frame = ZstdCodec.Compress(data);
        frame[^1] ^= 0x40;
        Assert.Equal(ErrorCodes.ZstdChecksumMismatch, DecodeFails(frame).Code);
        Assert.Equal(data, ZstdCodec.Decompress(frame, new ZstdDecoderOptions { VerifyChecksum = false }));
    }

    [Fact]
    public void A_reused_decoder_state_keeps_nothing_from_the_stream_before()
    {
        // Decoder states are pooled: a stream that turned checksums off, or failed mid-frame, must not leave either
        // behind for the next stream (which takes a pooled state whenever one is free).
        var data = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("pooled decoder state ", 4000)));
        var good = ZstdCodec.Compress(data);
        var badChecksum = good.ToArray();
        badChecksum[^1] ^= 0x40;
        for (int round = 0; round < 3 * Environment.ProcessorCount + 3; round++)
        {
            Assert.Equal(data, ZstdCodec.Decompress(badChecksum, new ZstdDecoderOptions { VerifyChecksum = false }));
            Assert.Equal(ErrorCodes.ZstdTruncated, DecodeFails(good[..(good.Length / 2)]).Code);
            using (var partial = ZstdCodec.Decompress(new MemoryStream(good)))
                Assert.Equal(100, partial.Read(new byte[100])); // disposed in the middle of a frame
            Assert.Equal(ErrorCodes.ZstdChecksumMismatch, DecodeFails(badChecksum).Code);
            using var stream = ZstdCodec.Decompress(new MemoryStream(good));
            var copy = new MemoryStream();
            stream.CopyTo(copy);
            Assert.Equal(data, copy.ToArray());
        }
    }

    [Fact]
    public void Content_size_mismatch_is_rejected_as_corrupt()
    {
        // The decoder reports a frame whose blocks do not add up to its declared size as corrupt, naming the size.
        var frame = Frame(0x20, new byte[] { 5 }, new[] { (0, new byte[] { 1, 2, 3 }, 3) });
        var e = DecodeFails(frame);
        Assert.Equal(ErrorCodes.ZstdCorrupt, e.Code);
        Assert.Contains("the 5 bytes its header declares", e.Message);
        var tooMuch = Frame(0x20, new byte[] { 2 }, new[] { (0, new byte[] { 1, 2, 3 }, 3) });
        Assert.Equal(ErrorCodes.ZstdCorrupt, DecodeFails(tooMuch).Code); // block larger than the 2-byte window
    }

    [Fact]
    public void Huge_window_is_rejected_before_allocation()
    {
        // Window descriptor exponent 30 → 2^40 bytes.
        var frame = Frame(0x00, new byte[] { 30 << 3 }, new[] { (0, new byte[] { 1 }, 1) });
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = DecodeFails(frame);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 10_000_000);
        Assert.Equal(ErrorCodes.ZstdWindowTooLarge, e.Code);
        Assert.Contains("1099511627776", e.Message);
        // A smaller limit set by the caller applies too.
        var frame2 = Frame(0x00, new byte[] { 10 << 3 }, new[] { (0, new byte[] { 1 }, 1) });
        Assert.Equal(ErrorCodes.ZstdWindowTooLarge, DecodeFails(frame2, new ZstdDecoderOptions { MaxWindowSize = 1 << 19 }).Code);
    }

    [Fact]
    public void A_large_declared_window_within_the_callers_limit_decodes()
    {
        // A 1 GiB window holding only 10 bytes: above the default limit, accepted when the caller allows it.
        var content = Enumerable.Range(0, 10).Select(i => (byte)i).ToArray();
        var frame = Frame(0x00, new byte[] { 20 << 3 }, new[] { (0, content, content.Length) });
        Assert.Equal(ErrorCodes.ZstdWindowTooLarge, DecodeFails(frame).Code);
        Assert.Equal(content, ZstdCodec.Decompress(frame, new ZstdDecoderOptions { MaxWindowSize = 1L << 30 }));
    }

    [Fact]
    public void Forged_content_size_does_not_cause_a_huge_allocation()
    {
        // Claims 1.5 GB of content (single segment, 4-byte size) but holds 3 bytes: the window of a single-segment
        // frame is its content size, above the default limit, so nothing is allocated for it.
        var frame = Frame(0x20 | 0x80, BitConverter.GetBytes(1_500_000_000u), new[] { (0, new byte[] { 1, 2, 3 }, 3) });
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = DecodeFails(frame);
        Assert.Equal(ErrorCodes.ZstdWindowTooLarge, e.Code);
        Assert.Contains("1500000000", e.Message);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1_000_000);
        // Under the limit (100 MB claimed), the output is presized to at most 64 MiB and the frame fails as corrupt.
        var underLimit = Frame(0x20 | 0x80, BitConverter.GetBytes(100_000_000u), new[] { (0, new byte[] { 1, 2, 3 }, 3) });
        before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Equal(ErrorCodes.ZstdCorrupt, DecodeFails(underLimit).Code);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 70_000_000);
    }

    [Fact]
    public void Stream_keeps_failing_after_a_format_error()
    {
        var frame = ZstdCodec.Compress(new byte[] { 1, 2, 3 });
        frame[^1] ^= 1;
        using var decoder = ZstdCodec.Decompress(new MemoryStream(frame));
        var buffer = new byte[16];
        // The 3 data bytes may be handed out before the checksum is read; the error comes at the latest then.
        var first = Assert.Throws<ZstdFormatException>(() => { while (decoder.Read(buffer) > 0) { } });
        var again = Assert.Throws<ZstdFormatException>(() => decoder.Read(buffer));
        Assert.Equal(first.Message, again.Message);
    }

    [Fact]
    public void Dictionary_frames_are_rejected_clearly()
    {
        var frame = Frame(0x01, new byte[] { 0x00, 42 }, new[] { (0, new byte[] { 1 }, 1) });
        var e = DecodeFails(frame);
        Assert.Equal(ErrorCodes.ZstdDictionaryRequired, e.Code);
        Assert.Contains("dictionary 42", e.Message);
    }

    [Fact]
    public void Reserved_block_type_and_empty_input_are_rejected()
    {
        var frame = Frame(0x00, new byte[] { 0x00 }, new[] { (3, Array.Empty<byte>(), 0) });
        Assert.Equal(ErrorCodes.ZstdCorrupt, DecodeFails(frame).Code);
        Assert.Equal(ErrorCodes.ZstdTruncated, DecodeFails(Array.Empty<byte>()).Code);
    }
}
