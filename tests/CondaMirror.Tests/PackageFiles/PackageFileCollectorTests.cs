using System.IO.Compression;
using System.Security.Cryptography;
using CondaMirror.Core.Archives;
using CondaMirror.Core.Diagnostics;
using CondaMirror.Core.Downloads;
using CondaMirror.Core.Errors;
using CondaMirror.Core.PackageFiles;
using CondaMirror.Core.Records;
using CondaMirror.TestKit;
using CondaMirror.TestKit.Channels;
using Xunit;

namespace CondaMirror.Tests.PackageFiles;

/// <summary>
/// CondaPackageFile items that are URLs or CI-artifact zips, through Core's public API with real files: packages
/// written by TestKit's independent ChannelBuilder, zips by System.IO.Compression, URLs served on loopback.
/// </summary>
public class PackageFileCollectorTests
{
    private static PackageFileOptions Options(string cache, ArtifactZipLimits? zip = null) => new()
    {
        Download = new DownloadOptions { CacheRoot = cache, RetryCount = 0, ProgressInterval = TimeSpan.Zero },
        Zip = zip ?? new ArtifactZipLimits(),
    };

    private static Task<PackageFileResult> Collect(IMirrorLog log, string cache, ArtifactZipLimits? zip, params PackageFileItem[] items) =>
        PackageFileCollector.CollectAsync(items, Options(cache, zip), log, CancellationToken.None);

    /// <summary>A zip of (member name, bytes) written by System.IO.Compression.</summary>
    private static string Zip(string path, params (string Name, byte[] Content)[] members)
    {
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        foreach (var (name, content) in members)
        {
            using var stream = zip.CreateEntry(name, CompressionLevel.Optimal).Open();
            stream.Write(content);
        }
        return path;
    }

    private static string Sha256(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path))).ToLowerInvariant();

    /// <summary>Every cache entry (sidecars and the partial folder aside): what a run left in the cache.</summary>
    private static List<string> CacheEntries(string cache) => !Directory.Exists(cache) ? new List<string>() :
        Directory.EnumerateFiles(cache, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(cache, f))
            .Where(f => !f.StartsWith(PackageCache.PartialFolder, StringComparison.Ordinal) && !f.StartsWith(PackageCache.Md5Folder, StringComparison.Ordinal))
            .Order(StringComparer.Ordinal).ToList();

    [Fact]
    public async Task A_zip_of_CI_artifacts_gives_its_packages_at_any_depth_by_content_and_skips_the_rest()
    {
        using var dir = new TempDirectory();
        var tool = ChannelBuilder.WritePackage(dir.Combine("built", "linux-64"), new PackageSpec("tool", "1.0", "h1_0", "linux-64"));
        var data = ChannelBuilder.WritePackage(dir.Combine("built", "noarch"), new PackageSpec("data", "2.0", "0") { Format = ArchiveFormat.TarBz2 });
        // The same file name for two platforms: members are stored by content, never by their names.
        var toolWin = ChannelBuilder.WritePackage(dir.Combine("built", "win-64"), new PackageSpec("tool", "1.0", "h1_0", "win-64"));
        var inner = Zip(dir.Combine("inner.zip"), ("x-1.0-0.conda", File.ReadAllBytes(tool)));
        var zip = Zip(dir.Combine("artifacts.zip"),
            ("build/linux-64/tool-1.0-h1_0.conda", File.ReadAllBytes(tool)),
            ("build/win-64/tool-1.0-h1_0.conda", File.ReadAllBytes(toolWin)),
            ("deep/er/still/data-2.0-0.tar.bz2", File.ReadAllBytes(data)),
            ("README.txt", "CI run 42"u8.ToArray()),
            ("logs/inner.zip", File.ReadAllBytes(inner)));
        var log = new RecordingMirrorLog();

        var result = await Collect(log, dir.Combine("cache"), null, new PackageFileItem(zip));

        Assert.Equal(new[] { Sha256(tool), Sha256(toolWin), Sha256(data) }, result.Archives.Select(Sha256));
        Assert.Equal(new[] { "tool-1.0-h1_0.conda", "tool-1.0-h1_0.conda", "data-2.0-0.tar.bz2" }, result.Archives.Select(Path.GetFileName));
        Assert.All(result.Archives, a => Assert.StartsWith(dir.Combine("cache") + Path.DirectorySeparatorChar, a));
        Assert.Equal(3, result.Extracted);
        Assert.Contains(log.Infos, l => l.Contains("3 package(s) extracted; 2 other member(s) skipped, 1 of them zip(s), which are not opened", StringComparison.Ordinal));
    }

    public static TheoryData<string, string> HostileNames => new()
    {
        { "../evil-1.0-0.conda", "has a '..' segment" },
        { "ok/../../evil-1.0-0.conda", "has a '..' segment" },
        { "/etc/evil-1.0-0.conda", "is absolute" },
        { "C:/evil-1.0-0.conda", "starts with a drive letter" },
        { "dir\\..\\evil-1.0-0.conda", "holds a backslash" },
        { "../README.txt", "has a '..' segment" },
    };

    [Theory]
    [MemberData(nameof(HostileNames))]
    public async Task A_member_name_that_could_leave_a_folder_refuses_the_whole_zip_before_anything_is_extracted(string name, string why)
    {
        using var dir = new TempDirectory();
        var good = ChannelBuilder.WritePackage(dir.Combine("built"), new PackageSpec("good", "1.0", "0"));
        var zip = Zip(dir.Combine("a.zip"), ("good-1.0-0.conda", File.ReadAllBytes(good)), (name, File.ReadAllBytes(good)));

        var e = await Assert.ThrowsAsync<CondaMirrorException>(() => Collect(NullMirrorLog.Instance, dir.Combine("cache"), null, new PackageFileItem(zip)));

        Assert.Equal(ErrorCodes.ArtifactZipUnsafeMemberName, e.Code);
        Assert.Contains(why, e.Message);
        Assert.Equal(zip, e.File);
        Assert.Empty(CacheEntries(dir.Combine("cache")));
    }

    [Fact]
    public async Task A_bomb_member_is_refused_by_its_ratio_before_it_is_inflated()
    {
        using var dir = new TempDirectory();
        var zip = Zip(dir.Combine("bomb.zip"), ("bomb-1.0-0.conda", new byte[64 << 20]));
        Assert.True(new FileInfo(zip).Length < 1 << 20);

        var e = await Assert.ThrowsAsync<CondaMirrorException>(() => Collect(NullMirrorLog.Instance, dir.Combine("cache"), null, new PackageFileItem(zip)));

        Assert.Equal(ErrorCodes.ArtifactZipMemberBomb, e.Code);
        Assert.Contains("bomb-1.0-0.conda", e.Message);
        Assert.Empty(CacheEntries(dir.Combine("cache")));
    }

    [Fact]
    public async Task A_member_whose_header_understates_its_size_is_refused()
    {
        using var dir = new TempDirectory();
        var good = ChannelBuilder.WritePackage(dir.Combine("built"), new PackageSpec("good", "1.0", "0"));
        var zip = Zip(dir.Combine("liar.zip"), ("good-1.0-0.conda", File.ReadAllBytes(good)));
        // Patch the uncompressed size in the local header and the directory to 10 bytes: the data inflates to more.
        var bytes = File.ReadAllBytes(zip);
        var real = (uint)new FileInfo(good).Length;
        PatchUInt32(bytes, 0x04034b50, 22, real, 10);
        PatchUInt32(bytes, 0x02014b50, 24, real, 10);
        File.WriteAllBytes(zip, bytes);

        var e = await Assert.ThrowsAsync<CondaMirrorException>(() => Collect(NullMirrorLog.Instance, dir.Combine("cache"), null, new PackageFileItem(zip)));

        // Reading stops at the promised size (the zip reader or our count, whichever sees it first); what is left of
        // the member is no package.
        Assert.True(e.Code is ErrorCodes.ArtifactZipMemberBomb or ErrorCodes.ArtifactZipUnreadable or ErrorCodes.ArtifactZipMemberNotPackage, $"{e.Code}: {e.Message}");
        Assert.Empty(CacheEntries(dir.Combine("cache")));
    }

    /// <summary>Replaces <paramref name="from"/> with <paramref name="to"/> at <paramref name="offset"/> after the first record with <paramref name="signature"/>.</summary>
    private static void PatchUInt32(byte[] bytes, uint signature, int offset, uint from, uint to)
    {
        for (var i = 0; i + offset + 4 <= bytes.Length; i++)
        {
            if (BitConverter.ToUInt32(bytes, i) != signature) continue;
            Assert.Equal(from, BitConverter.ToUInt32(bytes, i + offset));
            BitConverter.GetBytes(to).CopyTo(bytes, i + offset);
            return;
        }
        Assert.Fail($"no record {signature:x8}");
    }

    [Fact]
    public async Task A_conda_member_that_is_not_a_package_is_refused_and_no_member_of_the_zip_enters_the_cache()
    {
        using var dir = new TempDirectory();
        var good = ChannelBuilder.WritePackage(dir.Combine("built"), new PackageSpec("good", "1.0", "0"));
        var zip = Zip(dir.Combine("a.zip"),
            ("good-1.0-0.conda", File.ReadAllBytes(good)),
            ("out/fake-1.0-0.conda", "this is not a zip, let alone a conda package"u8.ToArray()));

        var e = await Assert.ThrowsAsync<CondaMirrorException>(() => Collect(NullMirrorLog.Instance, dir.Combine("cache"), null, new PackageFileItem(zip)));

        Assert.Equal(ErrorCodes.ArtifactZipMemberNotPackage, e.Code);
        Assert.Contains("out/fake-1.0-0.conda", e.Message);
        Assert.Equal(ErrorCodes.ArchiveWrongMagic, ((CondaMirrorException)e.InnerException!).Code);
        // All or nothing: the good member, extracted first, was not committed either.
        Assert.Empty(CacheEntries(dir.Combine("cache")));
        Assert.Empty(Directory.EnumerateFiles(dir.Combine("cache", PackageCache.PartialFolder)));
    }

    [Fact]
    public async Task Zip_bounds_member_count_sizes_and_no_packages_each_have_their_code()
    {
        using var dir = new TempDirectory();
        var good = ChannelBuilder.WritePackage(dir.Combine("built"), new PackageSpec("good", "1.0", "0"));
        var bytes = File.ReadAllBytes(good);
        var many = Zip(dir.Combine("many.zip"), ("a.txt", bytes), ("b.txt", bytes), ("good-1.0-0.conda", bytes), ("c.txt", bytes));
        var readme = Zip(dir.Combine("readme.zip"), ("README.txt", bytes), ("nested.zip", bytes));

        async Task<CondaMirrorException> Refused(string zip, ArtifactZipLimits limits) =>
            await Assert.ThrowsAsync<CondaMirrorException>(() => Collect(NullMirrorLog.Instance, dir.Combine("cache"), limits, new PackageFileItem(zip)));

        Assert.Equal(ErrorCodes.ArtifactZipTooManyMembers, (await Refused(many, new ArtifactZipLimits { MaxMembers = 3 })).Code);
        Assert.Equal(ErrorCodes.ArtifactZipTooLarge, (await Refused(many, new ArtifactZipLimits { MaxUnpackedBytes = bytes.Length - 1 })).Code);
        var none = await Refused(readme, new ArtifactZipLimits());
        Assert.Equal(ErrorCodes.ArtifactZipNoPackages, none.Code);
        Assert.Contains("1 of them zip(s), which are not opened", none.Message);
        var notZip = Path.Combine(dir.Path, "not-a.zip");
        File.WriteAllText(notZip, "plain text");
        Assert.Equal(ErrorCodes.ArtifactZipUnreadable, (await Refused(notZip, new ArtifactZipLimits())).Code);
        Assert.Empty(CacheEntries(dir.Combine("cache")));
    }

    [Fact]
    public async Task Package_urls_are_downloaded_into_the_cache_verified_or_said_to_be_unverified()
    {
        using var dir = new TempDirectory();
        var served = dir.Combine("served");
        var alpha = ChannelBuilder.WritePackage(served, new PackageSpec("alpha", "1.0", "0"));
        var beta = ChannelBuilder.WritePackage(served, new PackageSpec("beta", "2.0", "0") { Format = ArchiveFormat.TarBz2 });
        var zip = Zip(Path.Combine(served, "ci.zip"), ("pkgs/alpha-1.0-0.conda", File.ReadAllBytes(alpha)));
        await using var server = new LoopbackChannelServer(served);
        var log = new RecordingMirrorLog();

        var result = await Collect(log, dir.Combine("cache"), null,
            new PackageFileItem(server.UrlFor("alpha-1.0-0.conda"), Sha256: Sha256(alpha).ToUpperInvariant()),
            new PackageFileItem(server.UrlFor("beta-2.0-0.tar.bz2")),
            new PackageFileItem(server.UrlFor("ci.zip"), Sha256: Sha256(zip)));

        // alpha twice (URL and zip member) is one cache file, listed once.
        Assert.Equal(new[] { Sha256(alpha), Sha256(beta) }, result.Archives.Select(Sha256));
        Assert.Equal(3, result.Downloaded);
        var warning = Assert.Single(log.Warnings);
        Assert.Equal(ErrorCodes.PackageFileUnverified, warning.Code);
        Assert.Contains("beta-2.0-0.tar.bz2", warning.Message);
        Assert.DoesNotContain("alpha", warning.Message);

        // Again: the hashed URLs are cache hits, the unverified one is fetched again.
        server.ClearRequests();
        await Collect(NullMirrorLog.Instance, dir.Combine("cache"), null,
            new PackageFileItem(server.UrlFor("alpha-1.0-0.conda"), Sha256: Sha256(alpha)), new PackageFileItem(server.UrlFor("beta-2.0-0.tar.bz2")));
        Assert.Equal(new[] { "/beta-2.0-0.tar.bz2" }, server.Requests.Select(r => r.Path));
    }

    [Fact]
    public async Task A_wrong_Sha256_is_refused_and_nothing_enters_the_cache()
    {
        using var dir = new TempDirectory();
        var served = dir.Combine("served");
        var alpha = ChannelBuilder.WritePackage(served, new PackageSpec("alpha", "1.0", "0"));
        await using var server = new LoopbackChannelServer(served);
        var wrong = new string('a', 64);

        var e = await Assert.ThrowsAsync<CondaMirrorException>(() => Collect(NullMirrorLog.Instance, dir.Combine("cache"), null,
            new PackageFileItem(server.UrlFor("alpha-1.0-0.conda"), Sha256: wrong)));

        Assert.Equal(ErrorCodes.PackageFileHashMismatch, e.Code);
        Assert.Contains(wrong, e.Message);
        Assert.Empty(CacheEntries(dir.Combine("cache")));
        // A local file is held to its metadata too.
        var local = await Assert.ThrowsAsync<CondaMirrorException>(() => Collect(NullMirrorLog.Instance, dir.Combine("cache"), null, new PackageFileItem(alpha, Sha256: wrong)));
        Assert.Equal(ErrorCodes.PackageFileHashMismatch, local.Code);
    }

    [Theory]
    [InlineData("ftp://example.invalid/x-1.0-0.conda", null, ErrorCodes.PackageFileUrlUnsupported)]
    [InlineData("https://example.invalid/x-1.0-0.txt", null, ErrorCodes.PackageFileUrlUnsupported)]
    [InlineData("https://example.invalid/dir/..%2F..%2Fx-1.0-0.conda", null, ErrorCodes.PackageFileNameUnsafe)]
    [InlineData("https://example.invalid/x-1.0-0.conda", "not-a-hash", ErrorCodes.PackageFileHashInvalid)]
    public async Task Items_that_cannot_be_fetched_safely_are_refused_before_any_request(string url, string? sha256, string code)
    {
        using var dir = new TempDirectory();
        var e = await Assert.ThrowsAsync<CondaMirrorException>(() => Collect(NullMirrorLog.Instance, dir.Combine("cache"), null, new PackageFileItem(url, sha256)));
        Assert.Equal(code, e.Code);
        Assert.False(Directory.Exists(dir.Combine("cache")));
    }
}
