using System.Text;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Zstd;
using Xunit;

namespace CondaMirror.Tests.Zstd;

/// <summary>
/// Compressed-block decoding on small frames produced by the zstd CLI (levels 19 and 1 of the same 2756-byte
/// text), and robustness of the decoder against truncated and bit-flipped versions of them.
/// </summary>
public class ZstdCompressedBlockTests
{
    private const string Level19 = "KLUv/WTECdURAHLJGRGwOyDLsilp20130mKSFJOpCN3WdV28ePHrKn5duVu3c7QxJwkTcs7dDrtrh1zXhMF5nRNv7iEODCcJuRLbUqeSnRzBj3RYykNN0JS6/iHFpz9hi18ufudZcrfUBTjm+rUISv9uMAWA+KiBhykqSpY9AyBCYhRzVg8RIAhNALWAkUGnMEmh1Bh1yYBn63K1+oFZaGSFKhhnt6PXES1gK+3G7IWEsWBvH4UqKhAj93qHd8GESL75oyy0DJb+jwsPcgYMVH7xu4OmqajUU3injXUIAckHFAPRT/kIkcc5n/Yu6+O8l3CpPR2Ykwv0AGkAcGiAjkCIPfh3DZ/AFECqaLzxOcwK226yiv+O5fctbfdBRocVnYHURZNipI6cqfDWhjI5WeXQ/ULArg7QjOBeivXqFZ1VxAm2s8VYL8o60BVFwE4kYBbUAB7yFnDUr+QUlbitJdzUKhp6stklpIqwEOgi72HgZlMAYsgoHEeIEzydRnOL5CeJ6AdwEOffJnEnIY/rvNqAv3te638/HCkrNEEDN6PoDZjHs/qATEXQTctYTE/5pzuIDsnml+A+GEj8ed89pJyfIOpDzAwwMbbCB6BvRVVmXWFAvufD//vr5js96r0MoC1VyQFuL5qkcqfglkDT//jC0YcS2n+DhVinQjPbRrTtmKb0VUAVwNacJcRTlx8FPqcGCwBVsE0ni/H5izuw9g/OUkof4RTA5tZpbzuJdDtO+BhZi9OxW5ZcMT+yqMX4R2FeBWW22/4=";
    private const string Level1 = "KLUv/WTECXUUABLMHxeQpWkDwG1iNxJJlqAn+7uXCP//H+8umnXTE/c4uJe4uLiXdd+4l3XXL+ny8r4vcS/rNty6cY3xEi90nKG44Rr7jYTqpoPc6nasqEwpBDLcwMsZCsFg1UUA2Ys5MwoStQUMQHzI9SR0Sc9CqBmkZpgkyHDJKtiANFXLQE/c4wSBNqhRh1JQUJRs7AYhBA3I0mLaBhEkOA8lKWmSYTPT0NZVqUkqgjsqgnjCMOMjjGRsQRsa4VUo+hRsqSWxXE4M+GMCj7qZW3Ly3AGUcVT3YZCfRqZpBbQWK6gKluYZCkZSeIidhIiUFKp+QZtjyJF3eLUBFsQ7jfJCJ1LiOvKIAoCIUx5iQcF+XvhpUhC/PN2r7oG4cV7wJzNbPwfad2PAHfWhVoUXcQawq7kkOIzwJVtxP/4czBJPpaTH43TDVAuzxzT44/KYdEDUfsp+4iVmBKzuywO+MLqBE/IYy7lsewrkYm0hxeNqV4rlGF4NYOorHE3gIRTmZ4yMu26Oi8IBzjSRhrm+jngH3TauiJlIAtEsVroRsc4QOGVMd9aplBC+gKQ3qFWeEKLheSzQMZ0R+N7TMv6Ebsm66li6xUlmki2ORbwV6I9Jcn6SA8inI1jV/mIuekyLCCG+ctl7EmmGjSJqGND9UN3Iky0PmHxyK6ZWpMkO8ECWHQYdHJD7u999n46+rzyQJuoAENN+M/CRsmxTB+4oNCurA4zGMZR/Ids87W+/3yUbBLNKhQUMX6SFE+SywSWhL71cteEoNF8qDSGFrZNC2Wb6g+bylUMpKAu8BkUAR7v5B/AxZwCyIM1RlsB8ix1gvqUIaGo+QGMK8CK1rYF32ZJmOvYIhtbgOtCq2vZjQK3rH12yKmW22/4=";

    public static TheoryData<string> Fixtures => new() { Level19, Level1 };

    private static byte[] Expected()
    {
        // Both fixtures hold the same text; the frames carry a content checksum, so decoding verifies every byte.
        return ZstdCodec.Decompress(Convert.FromBase64String(Level19));
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Cli_frames_with_compressed_blocks_decode(string base64)
    {
        var text = Encoding.ASCII.GetString(ZstdCodec.Decompress(Convert.FromBase64String(base64)));
        Assert.Equal(2756, text.Length);
        Assert.StartsWith("python mirror zebra the solver version of conda package", text);
        Assert.Equal(399, text.Count(c => c == ' '));
    }

    [Fact]
    public void Streaming_decode_with_tiny_reads_matches_one_shot()
    {
        var frame = Convert.FromBase64String(Level1);
        using var decoder = ZstdCodec.Decompress(new MemoryStream(frame));
        var output = new MemoryStream();
        int b;
        while ((b = decoder.ReadByte()) >= 0) output.WriteByte((byte)b);
        Assert.Equal(Expected(), output.ToArray());
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Every_truncation_throws_a_format_error(string base64)
    {
        var frame = Convert.FromBase64String(base64);
        for (int cut = 0; cut < frame.Length; cut++)
        {
            var e = Assert.Throws<ZstdFormatException>(() => ZstdCodec.Decompress(frame.AsSpan(0, cut)));
            Assert.StartsWith("CMIR2", e.Code);
        }
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public async Task Flipped_bits_throw_a_format_error_or_decode_correctly(string base64)
    {
        var frame = Convert.FromBase64String(base64);
        var expected = Expected();
        var task = Task.Run(() =>
        {
            for (int bit = 0; bit < frame.Length * 8; bit++)
            {
                var damaged = (byte[])frame.Clone();
                damaged[bit / 8] ^= (byte)(1 << (bit % 8));
                bool verify = bit % 2 == 0; // alternate so both checked and unchecked paths see damage
                {
                    try
                    {
                        var output = ZstdCodec.Decompress(damaged, new ZstdDecoderOptions { VerifyChecksum = verify });
                        // Some bits do not matter (e.g. the unused header bit); with the checksum on, any output
                        // that gets through must be the original.
                        if (verify) Assert.Equal(expected, output);
                    }
                    catch (ZstdFormatException)
                    {
                    }
                }
            }
        });
        await task.WaitAsync(TimeSpan.FromSeconds(30)); // a hanging decoder fails the test with TimeoutException
    }

    [Fact]
    public async Task Random_garbage_after_a_valid_header_throws_a_format_error()
    {
        var rng = new Random(42);
        var header = new byte[] { 0x28, 0xB5, 0x2F, 0xFD, 0x00, 0x50 }; // 1 MiB window, no checksum
        var task = Task.Run(() =>
        {
            for (int i = 0; i < 1000; i++)
            {
                var body = new byte[rng.Next(4, 400)];
                rng.NextBytes(body);
                int size = body.Length - 3; // one last compressed block filling the rest of the input
                body[0] = (byte)((size << 3) | 4 | 1);
                body[1] = (byte)(size >> 5);
                body[2] = (byte)(size >> 13);
                var input = header.Concat(body).ToArray();
                try
                {
                    ZstdCodec.Decompress(input);
                }
                catch (ZstdFormatException e)
                {
                    Assert.StartsWith("CMIR25", e.Code);
                }
            }
        });
        await task.WaitAsync(TimeSpan.FromSeconds(30)); // a hanging decoder fails the test with TimeoutException
    }

    [Fact]
    public void Error_messages_name_the_offset_of_the_bad_block()
    {
        var frame = Convert.FromBase64String(Level19);
        // Corrupt the byte after the frame header (6 bytes: magic, descriptor, 2-byte content size) + block header.
        var damaged = (byte[])frame.Clone();
        damaged[9] = 0xFF;
        var e = Assert.Throws<ZstdFormatException>(() => ZstdCodec.Decompress(damaged));
        Assert.Contains("byte offset", e.Message);
        Assert.InRange(e.Offset, 0, frame.Length);
        Assert.Equal(ErrorCodes.ZstdCorrupt, e.Code);
    }
}
