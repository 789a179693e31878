using System.Security.Cryptography;
using CondaMirror.Core.Archives;
using CondaMirror.Core.Downloads;
using CondaMirror.Core.Records;
using CondaMirror.TestKit;
using CondaMirror.TestKit.Channels;
using Xunit;

namespace CondaMirror.Tests.Downloads;

/// <summary>
/// The info record the member check keeps beside each new archive in the package cache: what it holds (the upstream
/// package's own about.json and run_exports.json, as TestKit's independent writer put them in), and when it is not
/// trusted (edited, replaced by another archive's record, missing from the sidecar, or with no sidecar at all).
/// </summary>
public class ArchiveInfoRecordTests
{
    private static DownloadOptions Checked(DownloadFixture f) => new()
    {
        CacheRoot = f.CacheRoot,
        RetryCount = 0,
        MaxParallel = 2,
        AttemptTimeout = TimeSpan.FromSeconds(60),
        ProgressInterval = TimeSpan.FromMinutes(1),
        Validation = new PackageValidationOptions(),
    };

    private static DownloadRequest Request(DownloadFixture f, string path) => f.RequestFor(path, "linux-64");

    private static async Task<(DownloadRequest Tool, DownloadRequest Zlib, DownloadRequest Bare, PackageCache Cache)> Download(DownloadFixture f)
    {
        var dir = Path.Combine(f.ChannelDir, "linux-64");
        var tool = Request(f, ChannelBuilder.WritePackage(dir, new PackageSpec("tool", "1.0", "h1_0", "linux-64")
        {
            RunExportsJson = """{"weak": ["tool >=1.0,<2"]}""",
            AboutJson = """{"summary": "the tool", "home": "https://example.org/tool"}""",
        }));
        var zlib = Request(f, ChannelBuilder.WritePackage(dir, new PackageSpec("zlib", "1.3", "h2_0", "linux-64")
        {
            Format = ArchiveFormat.TarBz2,
            RunExportsJson = """{"strong": ["zlib >=1.3,<1.4"]}""",
            AboutJson = """{"summary": "compression"}""",
        }));
        var bare = Request(f, ChannelBuilder.WritePackage(dir, new PackageSpec("bare", "0.1", "h3_0", "linux-64") { Format = ArchiveFormat.TarBz2 }));
        using var downloader = new PackageDownloader(Checked(f), f.Log);
        await HangGuard.Within(downloader.DownloadAsync(new[] { tool, zlib, bare }, CancellationToken.None));
        return (tool, zlib, bare, new PackageCache(f.CacheRoot));
    }

    [SkippableFact]
    public async Task A_checked_download_keeps_the_archives_own_about_and_run_exports_beside_it()
    {
        await using var f = new DownloadFixture();
        var (tool, zlib, bare, cache) = await Download(f);

        var toolInfo = cache.TryReadArchiveInfo(tool.Sha256!, tool.FileName);
        Assert.NotNull(toolInfo);
        Assert.Equal("the tool", toolInfo.About!.Value.GetProperty("summary").GetString());
        Assert.Equal("https://example.org/tool", toolInfo.About!.Value.GetProperty("home").GetString());
        Assert.Equal("tool >=1.0,<2", toolInfo.RunExports!.Value.GetProperty("weak")[0].GetString());

        var zlibInfo = cache.TryReadArchiveInfo(zlib.Sha256!, zlib.FileName);
        Assert.NotNull(zlibInfo);
        Assert.Equal("compression", zlibInfo.About!.Value.GetProperty("summary").GetString());
        Assert.Equal("zlib >=1.3,<1.4", zlibInfo.RunExports!.Value.GetProperty("strong")[0].GetString());

        // No run_exports.json in the archive: none in the record either (the lock record's own then stand in).
        var bareInfo = cache.TryReadArchiveInfo(bare.Sha256!, bare.FileName);
        Assert.NotNull(bareInfo);
        Assert.Null(bareInfo.RunExports);

        // The sidecar names the record it trusts; the md5 index and the cache's own checks are unchanged.
        var cached = cache.PathFor(tool.Sha256!, tool.FileName);
        Assert.True(PackageCache.TryReadSidecar(cached, out var sidecar));
        Assert.Equal(Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(cached + ArchiveInfoRecord.Suffix))).ToLowerInvariant(), sidecar.InfoSha256);
        Assert.True(cache.TryGetVerified(tool, out _));
        f.AssertCacheClean();
    }

    [SkippableFact]
    public async Task A_record_that_is_not_the_one_the_sidecar_names_is_not_trusted()
    {
        await using var f = new DownloadFixture();
        var (tool, zlib, bare, cache) = await Download(f);
        var toolRecord = cache.PathFor(tool.Sha256!, tool.FileName) + ArchiveInfoRecord.Suffix;
        var zlibRecord = cache.PathFor(zlib.Sha256!, zlib.FileName) + ArchiveInfoRecord.Suffix;

        // Edited in place with other valid content.
        var original = File.ReadAllText(toolRecord);
        File.WriteAllText(toolRecord, original.Replace("the tool", "not the tool"));
        Assert.Null(cache.TryReadArchiveInfo(tool.Sha256!, tool.FileName));
        File.WriteAllText(toolRecord, original);
        Assert.NotNull(cache.TryReadArchiveInfo(tool.Sha256!, tool.FileName));

        // Replaced by another archive's (genuine) record.
        File.Copy(zlibRecord, toolRecord, overwrite: true);
        Assert.Null(cache.TryReadArchiveInfo(tool.Sha256!, tool.FileName));
        File.WriteAllText(toolRecord, original);

        // Asked under another archive's hash, or a file name that would leave the cache.
        Assert.Null(cache.TryReadArchiveInfo(zlib.Sha256!, tool.FileName));
        Assert.Null(cache.TryReadArchiveInfo(tool.Sha256!, "../../" + tool.FileName));

        // A sidecar that names no record (written by a version before records, or a build that died in between).
        var bareCached = cache.PathFor(bare.Sha256!, bare.FileName);
        var lines = File.ReadAllLines(bareCached + PackageCache.SidecarSuffix).Where(l => !l.StartsWith("info=", StringComparison.Ordinal));
        File.WriteAllLines(bareCached + PackageCache.SidecarSuffix, lines);
        Assert.Null(cache.TryReadArchiveInfo(bare.Sha256!, bare.FileName));

        // Deleted.
        File.Delete(zlibRecord);
        Assert.Null(cache.TryReadArchiveInfo(zlib.Sha256!, zlib.FileName));
    }

    [SkippableFact]
    public async Task Placing_the_archive_by_hard_link_keeps_the_record_trusted()
    {
        await using var f = new DownloadFixture();
        var (tool, _, _, cache) = await Download(f);
        using var channel = new TempDirectory("cm-placed");
        var cached = cache.PathFor(tool.Sha256!, tool.FileName);

        // The sidecar is rewritten in place with the identity after the link: the record's line must survive that.
        ChannelPlacement.LinkOrCopy(cached, channel.Combine(tool.FileName), tool.Sha256);

        Assert.True(PackageCache.TryReadSidecar(cached, out var sidecar));
        Assert.NotNull(sidecar.InfoSha256);
        Assert.Equal("the tool", cache.TryReadArchiveInfo(tool.Sha256!, tool.FileName)!.About!.Value.GetProperty("summary").GetString());
    }
}
