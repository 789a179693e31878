using System.Diagnostics;
using CondaMirror.Core.Downloads;
using CondaMirror.Core.Errors;
using CondaMirror.TestKit;
using Xunit;

namespace CondaMirror.Tests.Downloads;

/// <summary>Package hosts that never finish or ask for a day's pause: bounded time, one coded error.</summary>
public sealed class DownloadBoundsTests
{
    private static DownloadOptions Options(DownloadFixture f, TimeSpan deadline, int retries) => new()
    {
        CacheRoot = f.CacheRoot,
        RetryCount = retries,
        BaseDelay = TimeSpan.FromMilliseconds(10),
        AttemptTimeout = TimeSpan.FromSeconds(30),
        AttemptDeadline = deadline,
        ProgressInterval = TimeSpan.FromMinutes(1),
        Validation = null, // the files are random bytes: this is about the transfer, not the archive
    };

    [Fact]
    public async Task A_package_dripping_one_byte_per_100_ms_fails_at_the_deadline_of_each_attempt()
    {
        await using var f = new DownloadFixture();
        var r = f.AddPackage("a-1-0.conda", 10_000);
        f.Server.Faults.Add("/noarch/a-1-0.conda", FaultKind.Drip(TimeSpan.FromMilliseconds(100)), count: int.MaxValue);
        var stopwatch = Stopwatch.StartNew();

        // Without the deadline the drip takes 1,000 s per attempt: the limit catches that, it times nothing.
        var e = await HangGuard.Within(Assert.ThrowsAsync<CondaMirrorException>(() => f.RunAsync(Options(f, TimeSpan.FromSeconds(1), retries: 1), r)));

        Assert.Equal(ErrorCodes.DownloadDeadlineExceeded, e.Code);
        Assert.Contains(r.Url, e.Message);
        Assert.Contains("2 attempt(s)", e.Message);
        Assert.Equal(2, f.Server.RequestCount("/noarch/a-1-0.conda"));
        // Each attempt ran to its deadline, not less: a timer never fires early, so this bound holds on any machine.
        Assert.True(stopwatch.Elapsed >= TimeSpan.FromSeconds(2), $"gave up after {stopwatch.Elapsed}, before two 1 s deadlines");
        f.AssertCacheClean();
    }

    [Fact]
    public async Task A_retry_after_of_a_day_fails_the_package_at_once_naming_the_requested_time()
    {
        await using var f = new DownloadFixture();
        var r = f.AddPackage("a-1-0.conda", 10_000);
        var warm = f.AddPackage("w-1-0.conda", 1_000);
        f.Server.Faults.Add("/noarch/a-1-0.conda", FaultKind.Status(429, retryAfter: "86400"), count: int.MaxValue);
        using var downloader = new PackageDownloader(Options(f, TimeSpan.FromSeconds(30), retries: 5), f.Log);
        await downloader.DownloadAsync([warm], CancellationToken.None);
        // Waiting as told would take a day: the limit catches that, it times nothing.
        var e = await HangGuard.Within(Assert.ThrowsAsync<CondaMirrorException>(() => downloader.DownloadAsync([r], CancellationToken.None)));

        Assert.Equal(ErrorCodes.DownloadRetryAfterTooLong, e.Code);
        Assert.Contains(r.Url, e.Message);
        Assert.Contains(DateTimeOffset.UtcNow.AddDays(1).ToString("yyyy-MM-dd"), e.Message);
        // One request and no retry: the package failed at once instead of sleeping.
        Assert.Equal(1, f.Server.RequestCount("/noarch/a-1-0.conda"));
        Assert.DoesNotContain(f.Log.Details, d => d.StartsWith("Retrying", StringComparison.Ordinal));
        f.AssertCacheClean();
    }
}
