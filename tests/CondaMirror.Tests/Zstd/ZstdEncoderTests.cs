using System.Text;
using CondaMirror.Core.Zstd;
using CondaMirror.TestKit;
using Xunit;

namespace CondaMirror.Tests.Zstd;

/// <summary>
/// The encoder behind <see cref="ZstdCodec"/>: round trips for edge-case inputs at every level, streaming in odd
/// chunks across block and window boundaries, actual compression, level validation, and the managed memory our
/// stream wrapper costs. Cross-checks with the zstd tool live in the conformance suite.
/// </summary>
public class ZstdEncoderTests
{
    private static byte[] RoundTrip(byte[] data, ZstdEncoderOptions options)
    {
        var compressed = ZstdCodec.Compress(data, options);
        var back = ZstdCodec.Decompress(compressed);
        Assert.Equal(data.Length, back.Length);
        int same = data.AsSpan().CommonPrefixLength(back);
        Assert.True(same == data.Length, $"level {options.Level}: first differing byte at {same} of {data.Length}");
        return compressed;
    }

    private static byte[] Records(int count, int seed)
    {
        // Repodata-like JSON: repeated keys, similar names and versions, random hex digests.
        var rng = new Random(seed);
        var sb = new StringBuilder("{\"packages\":{");
        var names = new[] { "numpy", "pandas", "python", "libcxx", "openssl", "r-base", "scipy", "zlib" };
        for (int i = 0; i < count; i++)
        {
            var name = names[rng.Next(names.Length)];
            var version = $"{rng.Next(4)}.{rng.Next(30)}.{rng.Next(10)}";
            var md5 = Convert.ToHexString(Guid.NewGuid().ToByteArray()).ToLowerInvariant();
            sb.Append($"\"{name}-{version}-py_{i % 7}.tar.bz2\":{{\"build\":\"py_{i % 7}\",\"build_number\":{i % 7},");
            sb.Append($"\"depends\":[\"python >=3.{rng.Next(6, 13)}\",\"libgcc-ng >=12\"],\"license\":\"BSD-3-Clause\",");
            sb.Append($"\"md5\":\"{md5}\",\"name\":\"{name}\",\"size\":{rng.Next(1000, 9_999_999)},\"subdir\":\"linux-64\",");
            sb.Append($"\"timestamp\":{1600000000000L + rng.Next()},\"version\":\"{version}\"}},");
        }
        sb.Append("}}");
        return Encoding.ASCII.GetBytes(sb.ToString());
    }

    public static IEnumerable<object[]> AllLevels() => Enumerable.Range(1, 22).Select(l => new object[] { l });

    [Theory]
    [MemberData(nameof(AllLevels))]
    public void Every_level_round_trips_edge_cases_and_compresses_text(int level)
    {
        var options = new ZstdEncoderOptions { Level = level };
        RoundTrip(Array.Empty<byte>(), options);
        RoundTrip(new byte[] { 42 }, options);
        RoundTrip(Encoding.ASCII.GetBytes("abcabcabcabcabcabcabcabc"), options);
        var runs = new byte[300_000];
        for (int i = 0; i < runs.Length; i++) runs[i] = (byte)(i / 1000 % 3); // runs of 1000 equal bytes
        Assert.True(RoundTrip(runs, options).Length < 3_000);
        var random = new byte[200_000];
        new Random(level).NextBytes(random);
        // Incompressible data is stored raw: only frame and block headers are added.
        Assert.True(RoundTrip(random, options).Length <= random.Length + 32);
        var text = ZstdSamples.Text(400_000, level);
        Assert.True(RoundTrip(text, options).Length < text.Length / 3, "text should compress at least 3:1");
        var records = Records(2_000, level);
        Assert.True(RoundTrip(records, options).Length < records.Length / 3, "records should compress at least 3:1");
        RoundTrip(ZstdSamples.Binary(600_000, level), options);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(9)]
    [InlineData(19)]
    public void Streaming_in_odd_chunks_without_a_size_crosses_blocks_and_slides_the_window(int level)
    {
        // Longer than two windows of level 1 (512 KiB each) so the buffer slides; copies reach across the slide.
        var piece = ZstdSamples.Text(700_000, 5);
        var data = piece.Concat(ZstdSamples.Binary(500_000, 6)).Concat(piece).ToArray();
        foreach (var checksum in new[] { true, false })
        {
            var sink = new MemoryStream();
            using (var encoder = ZstdCodec.Compress(sink, new ZstdEncoderOptions { Level = level, Checksum = checksum }, leaveOpen: true))
            {
                for (int i = 0; i < data.Length; i += 77_777) encoder.Write(data, i, Math.Min(77_777, data.Length - i));
            }
            Assert.True(sink.Length < data.Length / 2, $"level {level} wrote {sink.Length} bytes");
            Assert.Equal(data, ZstdCodec.Decompress(sink.ToArray()));
        }
    }

    [Theory]
    [InlineData(3)]
    [InlineData(12)]
    public void Long_streams_slide_the_window_many_times_and_keep_matching_across_slides(int level)
    {
        // 3 windows' worth of records, repeated: every slide drops history the parser must no longer reach.
        var unit = Records(15_000, level); // about 5 MB
        var data = unit.Concat(unit).Concat(unit).ToArray();
        var sink = new MemoryStream();
        using (var encoder = ZstdCodec.Compress(sink, new ZstdEncoderOptions { Level = level }, leaveOpen: true))
        {
            for (int i = 0; i < data.Length; i += 300_007) encoder.Write(data, i, Math.Min(300_007, data.Length - i));
        }
        Assert.True(sink.Length < data.Length / 4, $"level {level}: {sink.Length} of {data.Length}");
        var back = ZstdCodec.Decompress(sink.ToArray());
        Assert.True(back.AsSpan().SequenceEqual(data), $"level {level}: round trip differs");
    }

    [Theory]
    [InlineData(128 * 1024 - 1)]
    [InlineData(128 * 1024)]
    [InlineData(128 * 1024 + 1)]
    [InlineData(3 * 128 * 1024 + 17)]
    public void Sizes_around_block_boundaries_round_trip(int size)
    {
        var data = ZstdSamples.Text(size, size);
        foreach (var level in new[] { 1, 3, 12 })
        {
            RoundTrip(data, new ZstdEncoderOptions { Level = level });
            RoundTrip(data, new ZstdEncoderOptions { Level = level, Checksum = false });
        }
    }

    [Fact]
    public void Level_19_is_smaller_than_level_3_on_repetitive_records()
    {
        var records = Records(4_000, 3);
        // Level 1 may beat level 3 here, as with the zstd tool: hex digests make level 3's shorter matches a loss.
        int level3 = RoundTrip(records, new ZstdEncoderOptions { Level = 3 }).Length;
        int level19 = RoundTrip(records, new ZstdEncoderOptions { Level = 19 }).Length;
        Assert.True(level19 < level3, $"level 19 {level19} vs level 3 {level3}");
    }

    [Fact]
    public void Literals_only_data_is_huffman_coded_with_many_symbols()
    {
        // Skewed random bytes over all 256 values: no matches worth taking, but literals compress, and the
        // Huffman description has more than 128 weights, so it must take the FSE-compressed form.
        var rng = new Random(11);
        var data = new byte[500_000];
        for (int i = 0; i < data.Length; i++) data[i] = (byte)Math.Min(255, (int)(-Math.Log(1 - rng.NextDouble()) * 40));
        Assert.True(data.Max() == 255);
        var compressed = RoundTrip(data, new ZstdEncoderOptions { Level = 3 });
        Assert.True(compressed.Length < data.Length * 0.9, $"{compressed.Length} of {data.Length}");
    }

    [Fact]
    public void Default_level_is_3_and_levels_outside_the_range_are_rejected()
    {
        var data = Records(500, 1);
        Assert.Equal(ZstdCodec.Compress(data), ZstdCodec.Compress(data, new ZstdEncoderOptions { Level = 3 }));
        Assert.Equal(ZstdCodec.Compress(data), ZstdCodec.Compress(data, new ZstdEncoderOptions { Level = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => ZstdCodec.Compress(data, new ZstdEncoderOptions { Level = 23 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => ZstdCodec.Compress(new MemoryStream(), new ZstdEncoderOptions { Level = -1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => ZstdCodec.Compress(data, new ZstdEncoderOptions { MinMatch = 8 }));
        // A longer minimum match changes the frame and still round-trips.
        Assert.NotEqual(ZstdCodec.Compress(data), RoundTrip(data, new ZstdEncoderOptions { MinMatch = 7 }));
    }

    [Fact]
    public void Streaming_memory_is_bounded_by_the_window_not_the_input()
    {
        var chunk = Records(2_000, 9);
        ZstdCodec.Compress(chunk); // warm-up: static tables
        long before = GC.GetAllocatedBytesForCurrentThread();
        long total = 0;
        using (var encoder = ZstdCodec.Compress(Stream.Null, new ZstdEncoderOptions { Level = 3 }))
        {
            while (total < 48 << 20)
            {
                encoder.Write(chunk);
                total += chunk.Length;
            }
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        // The library keeps its window in native memory; what is managed is the stream's 128 KiB output buffer.
        Assert.True(allocated < 16 << 20, $"allocated {allocated} bytes for {total} bytes of input");
    }

    [Theory]
    [InlineData(3)]
    [InlineData(19)]
    public void Small_inputs_allocate_little(int level)
    {
        // Many small frames (package info members, fixtures) must not pay for a full window and 128 KiB blocks.
        var data = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("{\"name\":\"zlib\",\"version\":\"1.3\"},", 20)));
        var options = new ZstdEncoderOptions { Level = level };
        ZstdCodec.Compress(data, options); // warm-up: static tables
        long before = GC.GetAllocatedBytesForCurrentThread();
        var frame = ZstdCodec.Compress(data, options);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        // The output buffer is sized by the declared content size; a full 128 KiB one would be over the limit.
        Assert.True(allocated < 64 * 1024, $"level {level}: {allocated} bytes allocated for {data.Length} bytes of input");
        Assert.Equal(data, ZstdCodec.Decompress(frame));
    }
}
