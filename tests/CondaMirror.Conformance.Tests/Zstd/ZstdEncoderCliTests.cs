using CondaMirror.Core.Zstd;
using CondaMirror.TestKit;
using Xunit;

namespace CondaMirror.Conformance.Tests.Zstd;

/// <summary>
/// Frames from the compressing encoder, decoded by the zstd command-line tool (`zstd -d`, which also verifies the
/// content checksum) and by our decoder, must give back the input byte for byte: every real repodata file of the
/// shared test data at the fast, default and high levels, generated inputs at every level, and streamed frames
/// without a declared size. On the biggest real repodata files the default level must not be larger than
/// `zstd -3`, and level 19 within 1.15x of `zstd -19`.
/// </summary>
public sealed class ZstdEncoderCliTests : IDisposable
{
    private readonly TempDirectory _dir = new("zstd-enc");

    public void Dispose() => _dir.Dispose();

    public static IEnumerable<object[]> RepodataFiles()
    {
        var root = TestData.Root;
        if (root is null)
        {
            yield return new object[] { "" };
            yield break;
        }
        foreach (var file in Directory.EnumerateFiles(Path.Combine(root, "repodata"), "*.json", SearchOption.AllDirectories)
                     .OrderBy(f => f, StringComparer.Ordinal))
            yield return new object[] { Path.GetRelativePath(root, file) };
    }

    private byte[] CliDecode(byte[] frame, string name)
    {
        var path = _dir.Combine(name + ".zst");
        File.WriteAllBytes(path, frame);
        ZstdSamples.RunZstd("-q", "-f", "-d", path, "-o", path + ".out");
        var output = File.ReadAllBytes(path + ".out");
        File.Delete(path);
        File.Delete(path + ".out");
        return output;
    }

    private static void AssertSameBytes(byte[] expected, byte[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        int same = expected.AsSpan().CommonPrefixLength(actual);
        Assert.True(same == expected.Length, $"{what}: first differing byte at {same}");
    }

    private void CheckBothDecoders(byte[] data, byte[] frame, string what)
    {
        AssertSameBytes(data, CliDecode(frame, "frame"), what + " via zstd -d");
        AssertSameBytes(data, ZstdCodec.Decompress(frame), what + " via ZstdCodec");
    }

    [SkippableTheory]
    [MemberData(nameof(RepodataFiles))]
    public void Real_repodata_round_trips_through_the_cli(string relativePath)
    {
        ZstdSamples.RequireZstd();
        var data = File.ReadAllBytes(Path.Combine(TestData.Require(), relativePath));
        foreach (var level in new[] { 1, 3, 19 })
        {
            var frame = ZstdCodec.Compress(data, new ZstdEncoderOptions { Level = level });
            CheckBothDecoders(data, frame, $"{relativePath} level {level}");
            if (data.Length > 10_000) Assert.True(frame.Length < data.Length / 3, $"{relativePath} level {level}: {frame.Length} of {data.Length}");
        }
    }

    [SkippableFact]
    public void Every_level_round_trips_generated_data_through_the_cli()
    {
        ZstdSamples.RequireZstd();
        // Text then a binary mix then the text again 1.3 MB later: blocks, window slides and far matches.
        var text = ZstdSamples.Text(700_000, 3);
        var data = text.Concat(ZstdSamples.Binary(600_000, 4)).Concat(text).ToArray();
        for (int level = 1; level <= 22; level++)
        {
            // Streamed without a declared size: a window descriptor instead of a single segment.
            var sink = new MemoryStream();
            using (var encoder = ZstdCodec.Compress(sink, new ZstdEncoderOptions { Level = level, Checksum = level % 2 == 0 }, leaveOpen: true))
            {
                for (int i = 0; i < data.Length; i += 100_003) encoder.Write(data, i, Math.Min(100_003, data.Length - i));
            }
            CheckBothDecoders(data, sink.ToArray(), $"streamed level {level}");
        }
        foreach (var size in new[] { 0, 1, 31, 32, 255, 256, 65_791, 65_792, 128 * 1024, 128 * 1024 + 1 })
        {
            var piece = data[..size];
            CheckBothDecoders(piece, ZstdCodec.Compress(piece), $"{size} bytes");
        }
        // Level 3 keeps a 2 MiB window in a 4.1 MiB buffer: 8 MB streamed slides it twice.
        var repeated = data.Concat(data).Concat(data).Concat(data).ToArray();
        var streamed = new MemoryStream();
        using (var encoder = ZstdCodec.Compress(streamed, new ZstdEncoderOptions { Level = 3 }, leaveOpen: true))
            encoder.Write(repeated);
        CheckBothDecoders(repeated, streamed.ToArray(), "8 MB streamed at level 3");
        var zeros = new byte[1 << 20];
        CheckBothDecoders(zeros, ZstdCodec.Compress(zeros, new ZstdEncoderOptions { Level = 19 }), "zero run");
    }

    [SkippableFact]
    public void Repodata_level_3_beats_zstd_3_and_level_19_is_within_1_percent_of_zstd_19_on_the_biggest_repodata()
    {
        ZstdSamples.RequireZstd();
        var files = Directory.EnumerateFiles(Path.Combine(TestData.Require(), "repodata"), "*.json", SearchOption.AllDirectories)
            .OrderByDescending(f => new FileInfo(f).Length).Take(3).ToList();
        foreach (var file in files)
        {
            var data = File.ReadAllBytes(file);
            long Cli(int level)
            {
                var output = _dir.Combine($"cli{level}.zst");
                ZstdSamples.RunZstd("-q", "-f", "-T1", $"-{level}", file, "-o", output);
                return new FileInfo(output).Length;
            }
            // Level 3 as the indexer writes repodata.json.zst (6-byte matches), level 19 as the shard writer.
            long ours3 = ZstdCodec.Compress(data, new ZstdEncoderOptions { Level = 3, MinMatch = 6 }).Length;
            long ours19 = ZstdCodec.Compress(data, new ZstdEncoderOptions { Level = 19 }).Length;
            long cli3 = Cli(3), cli19 = Cli(19);
            Assert.True(ours3 <= cli3, $"{file}: level 3 gives {ours3} bytes, zstd -3 {cli3}");
            Assert.True(ours19 <= cli19 * 1.01, $"{file}: level 19 gives {ours19} bytes, zstd -19 {cli19}");
        }
    }
}
