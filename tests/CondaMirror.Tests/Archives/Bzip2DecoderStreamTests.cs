using CondaMirror.Core.Archives;
using CondaMirror.Core.Errors;
using CondaMirror.TestKit;
using Xunit;
using static CondaMirror.Tests.Archives.ArchiveFixtures;

namespace CondaMirror.Tests.Archives;

/// <summary>
/// <see cref="Bzip2DecoderStream"/> on both of its decoders (libbz2 and SharpZipLib), against the bzip2 CLI as the
/// independent encoder and decoder: same bytes out, same errors for damaged input.
/// </summary>
public class Bzip2DecoderStreamTests
{
    /// <summary>Runs <paramref name="action"/> on the requested decoder; the native one must load on Linux CI.</summary>
    private static T On<T>(bool native, Func<T> action)
    {
        if (native)
        {
            Requirement.That(Bzip2DecoderStream.UsesNative || !OperatingSystem.IsLinux(), "the system libbz2 (libbz2-1.0) must load");
            Skip.IfNot(Bzip2DecoderStream.UsesNative, "no system libbz2 on this machine");
            return action();
        }
        using (Bzip2DecoderStream.ForceManaged())
        {
            Assert.False(Bzip2DecoderStream.UsesNative);
            return action();
        }
    }

    private static byte[] Decode(byte[] compressed, int readSize = 1 << 16)
    {
        using var decoder = new Bzip2DecoderStream(new MemoryStream(compressed));
        using var output = new MemoryStream();
        var buffer = new byte[readSize];
        int n;
        while ((n = decoder.Read(buffer, 0, buffer.Length)) > 0) output.Write(buffer, 0, n);
        return output.ToArray();
    }

    private static byte[] Sample(int length, int seed, bool compressible)
    {
        var bytes = new byte[length];
        var random = new Random(seed);
        if (!compressible) random.NextBytes(bytes);
        else for (var i = 0; i < length; i++) bytes[i] = (byte)"abcdefgh\n"[random.Next(random.Next(1, 9))];
        return bytes;
    }

    [SkippableTheory]
    [InlineData(true)]
    [InlineData(false)]
    public void Round_trips_what_the_bzip2_cli_compresses(bool native)
    {
        var cases = new (byte[] Data, int Block)[]
        {
            ([], 9), ([42], 9), (Sample(300_000, 1, compressible: false), 1), (Sample(2_500_000, 2, compressible: true), 1),
            (new byte[1_000_000], 9), // one long run: bzip2's run-length stages
        };
        foreach (var (data, block) in cases)
        {
            var compressed = Bzip2(data, block);
            // Odd read sizes cross block and buffer boundaries at arbitrary places.
            foreach (var readSize in new[] { 1 << 16, 7919, 1 })
            {
                if (readSize == 1 && data.Length > 300_000) continue;
                Assert.Equal(data, On(native, () => Decode(compressed, readSize)));
            }
        }
    }

    [SkippableTheory]
    [InlineData(true)]
    [InlineData(false)]
    public void Decodes_real_packages_exactly_like_the_bzip2_cli(bool native)
    {
        Skip.If(TestData.Root is null, "shared test data not found");
        var packages = Directory.EnumerateFiles(Path.Combine(TestData.Root, "packages"), "*.tar.bz2", SearchOption.AllDirectories).ToList();
        Assert.NotEmpty(packages);
        var checkedCount = 0;
        foreach (var package in packages)
        {
            var compressed = File.ReadAllBytes(package);
            byte[] expected;
            try { expected = ExternalCodec.Bunzip2(compressed); }
            catch (InvalidOperationException) { continue; } // damaged on purpose; the corruption tests cover those
            Assert.Equal(expected, On(native, () => Decode(compressed)));
            checkedCount++;
        }
        Assert.True(checkedCount > 10, $"only {checkedCount} real packages decoded by the CLI");
    }

    [SkippableTheory]
    [InlineData(true)]
    [InlineData(false)]
    public void Concatenated_streams_are_one_and_trailing_junk_is_ignored(bool native)
    {
        var first = Sample(150_000, 3, compressible: true);
        var second = Sample(90_000, 4, compressible: false);
        var both = first.Concat(second).ToArray();
        var streams = Bzip2(first, 1).Concat(Bzip2(second, 2)).ToArray();

        Assert.Equal(both, On(native, () => Decode(streams)));
        // An empty stream in the middle, then junk that does not start a stream, then a partial magic.
        var withEmpty = Bzip2(first, 1).Concat(Bzip2([], 9)).Concat(Bzip2(second, 2)).ToArray();
        Assert.Equal(both, On(native, () => Decode(withEmpty)));
        Assert.Equal(both, On(native, () => Decode([.. streams, .. "junk after the end"u8])));
        Assert.Equal(both, On(native, () => Decode([.. streams, (byte)'B', (byte)'Z'])));
        Assert.Equal(both, On(native, () => Decode([.. streams, .. new byte[100_000]])));
    }

    [SkippableTheory]
    [InlineData(true)]
    [InlineData(false)]
    public void Truncated_input_is_end_of_stream_or_damage_never_silent(bool native)
    {
        var data = Sample(400_000, 5, compressible: true);
        var compressed = Bzip2(data, 1);
        for (var cut = 0; cut < compressed.Length; cut += Math.Max(1, compressed.Length / 97))
        {
            var prefix = compressed[..cut];
            var e = Xunit.Record.Exception(() => On(native, () => Decode(prefix)));
            Assert.True(e is EndOfStreamException or InvalidDataException, $"cut at {cut}: {e?.GetType().Name ?? "no error"}");
            if (native && cut >= 4) Assert.IsType<EndOfStreamException>(e); // libbz2 never guesses: it asks for more input
        }
        // A second stream cut short is as truncated as the first.
        var two = Bzip2(data[..1000], 9).Concat(compressed[..(compressed.Length - 10)]).ToArray();
        Assert.IsType<EndOfStreamException>(Xunit.Record.Exception(() => On(native, () => Decode(two))));
    }

    [SkippableTheory]
    [InlineData(true)]
    [InlineData(false)]
    public void Flipped_bits_fail_as_damage_or_decode_the_original(bool native)
    {
        var data = Sample(200_000, 6, compressible: true);
        var compressed = Bzip2(data, 1);
        var random = new Random(7);
        var failures = 0;
        for (var round = 0; round < 200; round++)
        {
            var damaged = (byte[])compressed.Clone();
            var at = 4 + random.Next(damaged.Length - 4);
            damaged[at] ^= (byte)(1 << random.Next(8));
            var e = Xunit.Record.Exception(() => Assert.Equal(data, On(native, () => Decode(damaged))));
            if (e is null) continue;
            Assert.True(e is InvalidDataException or EndOfStreamException, $"flip at {at}: {e}");
            failures++;
        }
        Assert.True(failures > 150, $"only {failures} of 200 flips were detected");
    }

    [SkippableTheory]
    [InlineData(true)]
    [InlineData(false)]
    public void Not_bzip2_after_the_magic_is_damage(bool native)
    {
        var e = Xunit.Record.Exception(() => On(native, () => Decode("BZh91AY&SY a bzip2 header then nonsense"u8.ToArray())));
        Assert.True(e is InvalidDataException or EndOfStreamException, e?.ToString() ?? "no error");
        Assert.IsType<InvalidDataException>(Xunit.Record.Exception(() => On(native, () => Decode("BZh0 not a block size"u8.ToArray()))));
    }

    /// <summary>The package reader maps both decoders' failures to the same coded errors.</summary>
    [SkippableTheory]
    [InlineData("half", ErrorCodes.ArchiveTruncated)]
    [InlineData("crc", ErrorCodes.ArchiveBzip2Corrupt)]
    [InlineData("bad-second-stream", ErrorCodes.ArchiveBzip2Corrupt)]
    [InlineData("second-stream-cut", ErrorCodes.ArchiveTruncated)]
    [InlineData("concatenated", null)]
    [InlineData("trailing-junk", null)]
    public void Package_reader_gives_the_same_error_on_both_decoders(string damage, string? expectedCode)
    {
        using var dir = new TempDirectory();
        var tar = Tar(Member("lib/x", new string('x', 2000)), IndexJson(), Member("info/about.json", "{}"));
        var whole = Bzip2(tar);
        var bytes = damage switch
        {
            "half" => whole[..(whole.Length / 2)],
            "crc" => Flip(whole, 11),
            "bad-second-stream" => [.. Bzip2(tar[..1000]), .. Flip(Bzip2(tar[1000..]), 11)],
            "second-stream-cut" => [.. Bzip2(tar[..1000]), .. Bzip2(tar[1000..])[..^20]],
            "concatenated" => [.. Bzip2(tar[..1000]), .. Bzip2(tar[1000..])],
            "trailing-junk" => [.. whole, .. "<html>"u8],
            _ => throw new ArgumentOutOfRangeException(nameof(damage)),
        };
        var path = dir.Combine("demo-1.2.3-h1234_0.tar.bz2");
        File.WriteAllBytes(path, bytes);

        string? Outcome()
        {
            try
            {
                Assert.Equal("demo", PackageArchive.ReadInfo(path, InfoMembers.All).Index.Name);
                return null;
            }
            catch (CondaMirrorException e)
            {
                Assert.Equal(path, e.File);
                return e.Code;
            }
        }
        Assert.Equal(expectedCode, On(native: false, Outcome));
        Assert.Equal(expectedCode, On(native: true, Outcome));
    }

    private static byte[] Flip(byte[] bytes, int at)
    {
        var copy = (byte[])bytes.Clone();
        copy[at] ^= 0xFF;
        return copy;
    }

    [SkippableFact]
    public void Native_state_is_freed_on_dispose_and_reads_after_it_fail()
    {
        var compressed = Bzip2(Sample(500_000, 8, compressible: true), 1);
        Skip.IfNot(Bzip2DecoderStream.UsesNative, "no system libbz2 on this machine");
        // Many decoders abandoned mid-stream: each holds ~1 MB of native tables until disposed.
        for (var i = 0; i < 200; i++)
        {
            var decoder = new Bzip2DecoderStream(new MemoryStream(compressed));
            Assert.Equal(1000, decoder.Read(new byte[1000], 0, 1000));
            decoder.Dispose();
            Assert.Throws<ObjectDisposedException>(() => decoder.Read(new byte[10], 0, 10));
            decoder.Dispose();
        }
    }
}
