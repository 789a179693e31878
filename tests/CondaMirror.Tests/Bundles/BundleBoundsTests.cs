using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using CondaMirror.Core.Bundles;
using CondaMirror.Core.Errors;
using CondaMirror.TestKit;
using Xunit;

namespace CondaMirror.Tests.Bundles;

/// <summary>
/// A <c>.tar.zst</c> bundle with a 10 GiB member of zeros in a few hundred KB: refused at the member's header by its
/// declared size, and, with that check relaxed, stopped by the import's time limit. The bundles are assembled by hand
/// (tar headers written here, zstd frames by the <c>zstd</c> CLI and <see cref="Bombs"/>), never by the code under test.
/// </summary>
public sealed class BundleBoundsTests : IDisposable
{
    private const long TenGiB = 10L << 30;
    private readonly TempDirectory _dir = new("bundle-bounds");

    public void Dispose() => _dir.Dispose();

    /// <summary>A ustar header; the size in GNU base-256, which tar uses past 8 GiB.</summary>
    private static byte[] Header(string name, long size)
    {
        var header = new byte[512];
        void Put(int offset, string text) => Encoding.ASCII.GetBytes(text).CopyTo(header, offset);
        Put(0, name);
        Put(100, "0000644\0");
        Put(108, "0000000\0");
        Put(116, "0000000\0");
        header[124] = 0x80;
        for (var i = 0; i < 8; i++) header[135 - i] = (byte)(size >> (8 * i));
        Put(136, "00000000000\0");
        header[156] = (byte)'0';
        Put(257, "ustar\0" + "00");
        Put(148, "        ");
        Put(148, Convert.ToString(header.Sum(b => (int)b), 8).PadLeft(6, '0') + "\0 ");
        return header;
    }

    /// <summary>channel/noarch/big.conda of <paramref name="size"/> zeros, then a SHA256SUMS, as concatenated zstd frames.</summary>
    private string BombBundle(long size)
    {
        CliTool.Require("zstd");
        var manifest = Encoding.ASCII.GetBytes($"{new string('0', 64)}  channel/noarch/big.conda\n");
        var tail = new List<byte>();
        tail.AddRange(Header("SHA256SUMS", manifest.Length));
        tail.AddRange(manifest);
        tail.AddRange(new byte[512 - manifest.Length % 512]);
        tail.AddRange(new byte[1024]); // end of archive
        var path = _dir.Combine("bomb.tar.zst");
        using var file = File.Create(path);
        file.Write(ExternalCodec.Zstd(Header("channel/noarch/big.conda", size), level: 3));
        file.Write(Bombs.Zstd(size)); // exactly size bytes: a whole number of 128 KiB blocks
        file.Write(ExternalCodec.Zstd(tail.ToArray(), level: 3));
        return path;
    }

    private void AssertNothingImported(string root)
    {
        Assert.True(!Directory.Exists(root) || !Directory.EnumerateFileSystemEntries(root).Any(), "the import root is left as it was");
    }

    [SkippableFact]
    public void A_10_GiB_member_of_a_few_hundred_KB_is_refused_at_its_header()
    {
        var bundle = BombBundle(TenGiB);
        Assert.InRange(new FileInfo(bundle).Length, 1, 1 << 20);
        var root = _dir.Combine("offline");

        var clock = Stopwatch.StartNew();
        var e = Assert.Throws<CondaMirrorException>(() => ChannelBundle.Import(bundle, root));
        var elapsed = clock.Elapsed;

        Assert.Equal(ErrorCodes.BundleInflationTooHigh, e.Code);
        Assert.Equal(bundle, e.File);
        Assert.Contains("channel/noarch/big.conda", e.Message);
        Assert.Contains(TenGiB.ToString(System.Globalization.CultureInfo.InvariantCulture), e.Message);
        AssertNothingImported(root);
        // Reading the member through took 81 s; refused at its header it costs one block. A hang guard, not a timing.
        Assert.True(elapsed < TimeSpan.FromSeconds(10), $"took {elapsed.TotalSeconds:0.0} s");
    }

    [SkippableFact]
    public void With_the_ratio_check_relaxed_the_import_deadline_stops_decompression()
    {
        var bundle = BombBundle(TenGiB);
        var root = _dir.Combine("offline");
        var options = new BundleOptions { MaxInflationRatio = long.MaxValue, ImportDeadline = TimeSpan.FromSeconds(2) };

        var clock = Stopwatch.StartNew();
        var e = Assert.Throws<CondaMirrorException>(() => ChannelBundle.Import(bundle, root, options));
        var elapsed = clock.Elapsed;

        Assert.Equal(ErrorCodes.BundleImportDeadlineExceeded, e.Code);
        Assert.Contains("CondaBundleImportDeadlineSeconds", e.Message);
        AssertNothingImported(root);
        // The limit is a configured timer: not before it, and far short of decompressing 10 GiB.
        Assert.InRange(elapsed, TimeSpan.FromSeconds(1.9), TimeSpan.FromSeconds(2 + 20));
    }

    [SkippableFact]
    public void A_bundle_within_the_ratio_still_imports()
    {
        // 16 MiB of zeros (well inside the 64 MiB allowance) listed with its real hash: the check leaves honest bundles alone.
        const long size = 16L << 20;
        var sha = Convert.ToHexString(SHA256.HashData(new byte[size])).ToLowerInvariant();
        var manifest = Encoding.ASCII.GetBytes($"{sha}  channel/noarch/big.conda\n");
        var tail = new List<byte>();
        tail.AddRange(Header("SHA256SUMS", manifest.Length));
        tail.AddRange(manifest);
        tail.AddRange(new byte[512 - manifest.Length % 512]);
        tail.AddRange(new byte[1024]);
        CliTool.Require("zstd");
        var bundle = _dir.Combine("ok.tar.zst");
        using (var file = File.Create(bundle))
        {
            file.Write(ExternalCodec.Zstd(Header("channel/noarch/big.conda", size), level: 3));
            file.Write(Bombs.Zstd(size));
            file.Write(ExternalCodec.Zstd(tail.ToArray(), level: 3));
        }

        var result = ChannelBundle.Import(bundle, _dir.Combine("offline"));

        Assert.Equal(1, result.FilesWritten);
        Assert.Equal(size, new FileInfo(_dir.Combine("offline", "channel", "noarch", "big.conda")).Length);
    }
}
