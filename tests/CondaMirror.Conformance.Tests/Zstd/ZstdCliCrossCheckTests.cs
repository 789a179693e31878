using CondaMirror.Core.Zstd;
using CondaMirror.TestKit;
using Xunit;

namespace CondaMirror.Conformance.Tests.Zstd;

/// <summary>
/// Cross-checks the managed codec against the zstd command-line tool: CLI-compressed data (levels, checksums, long
/// windows, unknown sizes, several frames) must decode to the original bytes, and our frames must satisfy `zstd -d`.
/// Skipped when zstd is not installed, except under CI=true. The whole class takes roughly 20-40 s, most of it the
/// 100 MB long-window case.
/// </summary>
public sealed class ZstdCliCrossCheckTests : IDisposable
{
    private readonly TempDirectory _dir = new("zstd-cli");

    public void Dispose() => _dir.Dispose();

    private static byte[] Sample(string kind) => kind switch
    {
        "text" => ZstdSamples.Text(3 << 20, 11),
        "binary" => ZstdSamples.Binary(4 << 20, 12),
        "empty" => Array.Empty<byte>(),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    private string Write(string name, byte[] data)
    {
        var path = _dir.Combine(name);
        File.WriteAllBytes(path, data);
        return path;
    }

    private static void AssertSameBytes(byte[] expected, byte[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        int mismatch = expected.AsSpan().CommonPrefixLength(actual);
        Assert.True(mismatch == expected.Length, $"first differing byte at {mismatch}");
    }

    private static byte[] DecodeStreaming(string path)
    {
        using var file = File.OpenRead(path);
        using var decoder = ZstdCodec.Decompress(file);
        var output = new MemoryStream();
        decoder.CopyTo(output, 50_000);
        return output.ToArray();
    }

    [SkippableTheory]
    [InlineData("text", 1, true)]
    [InlineData("text", 3, true)]
    [InlineData("text", 9, false)]
    [InlineData("text", 19, true)]
    [InlineData("binary", 1, false)]
    [InlineData("binary", 3, true)]
    [InlineData("binary", 9, true)]
    [InlineData("binary", 19, false)]
    [InlineData("empty", 3, true)]
    [InlineData("empty", 19, false)]
    public void Cli_compressed_data_decodes(string kind, int level, bool checksum)
    {
        ZstdSamples.RequireZstd();
        var data = Sample(kind);
        var input = Write($"{kind}.bin", data);
        var compressed = input + ".zst";
        ZstdSamples.RunZstd("-q", "-f", "-T1", $"-{level}", checksum ? "--check" : "--no-check", input, "-o", compressed);
        AssertSameBytes(data, ZstdCodec.Decompress(File.ReadAllBytes(compressed)));
        AssertSameBytes(data, DecodeStreaming(compressed));
    }

    [SkippableFact]
    public void Frames_without_content_size_and_concatenated_frames_decode()
    {
        ZstdSamples.RequireZstd();
        var text = Sample("text");
        var binary = ZstdSamples.Binary(1 << 20, 5);
        var a = Write("a.bin", text);
        var b = Write("b.bin", binary);
        ZstdSamples.RunZstd("-q", "-f", "-3", "--no-content-size", a, "-o", a + ".zst");
        ZstdSamples.RunZstd("-q", "-f", "-12", "--no-check", b, "-o", b + ".zst");
        var both = File.ReadAllBytes(a + ".zst").Concat(File.ReadAllBytes(b + ".zst")).ToArray();
        var path = Write("both.zst", both);
        AssertSameBytes(text.Concat(binary).ToArray(), DecodeStreaming(path));
    }

    [SkippableFact]
    public void Long_window_of_128_MiB_decodes_100_MB_with_far_repeats()
    {
        ZstdSamples.RequireZstd();
        var data = ZstdSamples.FarRepeats(100 << 20, 3);
        var input = Write("far.bin", data);
        ZstdSamples.RunZstd("-q", "-f", "-T1", "-3", "--long=27", input, "-o", input + ".zst");
        // The long window must have found the far repeats, or this test would not exercise distances past 8 MiB.
        Assert.True(new FileInfo(input + ".zst").Length < data.Length * 3L / 4, "zstd --long=27 did not find far repeats");
        File.Delete(input);
        AssertSameBytes(data, DecodeStreaming(input + ".zst"));
    }

    [SkippableTheory]
    [InlineData(0, true, false)]
    [InlineData(1, true, true)]
    [InlineData(128 * 1024, false, true)]
    [InlineData(5_000_000, true, false)]
    public void Our_frames_decode_with_the_cli(int size, bool checksum, bool declareSize)
    {
        ZstdSamples.RequireZstd();
        var data = ZstdSamples.Binary(size, 9);
        if (size > 1_000_000) data.AsSpan(1 << 20, 1 << 18).Fill(0x41);
        var path = _dir.Combine("ours.zst");
        using (var file = File.Create(path))
        using (var encoder = ZstdCodec.Compress(file, new ZstdEncoderOptions { Checksum = checksum, ContentSize = declareSize ? size : null }))
            encoder.Write(data);
        ZstdSamples.RunZstd("-q", "-f", "-d", path, "-o", path + ".out");
        AssertSameBytes(data, File.ReadAllBytes(path + ".out"));
    }

    [SkippableFact]
    public async Task Damaged_cli_frames_fail_with_format_errors_only()
    {
        ZstdSamples.RequireZstd();
        var data = ZstdSamples.Binary(300_000, 21);
        var input = Write("fuzz.bin", data);
        var rng = new Random(7);
        var task = Task.Run(() =>
        {
            foreach (var level in new[] { 1, 7, 19 })
            {
                ZstdSamples.RunZstd("-q", "-f", $"-{level}", input, "-o", input + ".zst");
                var frame = File.ReadAllBytes(input + ".zst");
                for (int round = 0; round < 300; round++)
                {
                    var damaged = (byte[])frame.Clone();
                    int flips = 1 + rng.Next(4);
                    for (int f = 0; f < flips; f++) damaged[rng.Next(6, damaged.Length)] ^= (byte)(1 << rng.Next(8));
                    try
                    {
                        var output = ZstdCodec.Decompress(damaged);
                        AssertSameBytes(data, output);
                    }
                    catch (ZstdFormatException)
                    {
                    }
                    try
                    {
                        ZstdCodec.Decompress(damaged, new ZstdDecoderOptions { VerifyChecksum = false });
                    }
                    catch (ZstdFormatException)
                    {
                    }
                }
            }
        });
        await task.WaitAsync(TimeSpan.FromSeconds(60)); // a hanging decoder fails the test with TimeoutException
    }
}
