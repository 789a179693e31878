using CondaMirror.Core.Downloads;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Networking;
using CondaMirror.TestKit;
using Xunit;

namespace CondaMirror.Tests.Downloads;

/// <summary>Parallel downloads from a server that drips its bodies share the step's one network budget.</summary>
public class DownloadBudgetTests
{
    [Fact]
    public async Task Packages_dripping_in_parallel_end_with_one_coded_error_at_the_step_budget()
    {
        await using var f = new DownloadFixture();
        var requests = Enumerable.Range(0, 6).Select(i => f.AddPackage($"pkg{i}-1.0-0.conda", 4096)).ToArray();
        f.Server.Faults.Add("/noarch/*.conda", FaultKind.Drip(TimeSpan.FromSeconds(1)), count: int.MaxValue);
        var budget = new NetworkBudget(TimeSpan.FromSeconds(3));
        var options = f.Options(retries: 5, maxParallel: 3);
        options = new DownloadOptions
        {
            CacheRoot = options.CacheRoot, RetryCount = options.RetryCount, MaxParallel = options.MaxParallel, BaseDelay = options.BaseDelay,
            AttemptTimeout = options.AttemptTimeout, ProgressInterval = options.ProgressInterval, Budget = budget,
        };

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<CondaMirrorException>(() => f.RunAsync(options, requests));
        var elapsed = clock.Elapsed;

        Assert.Equal(ErrorCodes.NetworkDeadlineExceeded, e.Code);
        Assert.Contains(f.Server.BaseUri.Authority, e.Message);
        Assert.Contains("6 package(s) were not downloaded", e.Message);
        // Three in flight at a time for 3 s of wall time are charged 3 s, not 9: the clock runs once for all of them.
        Assert.InRange(budget.Spent, TimeSpan.FromSeconds(2.9), TimeSpan.FromSeconds(3 + 15));
        Assert.InRange(elapsed, TimeSpan.FromSeconds(2.9), TimeSpan.FromSeconds(3 + 15));
        Assert.Equal(0, f.CachedFileCount());
        f.AssertCacheClean();
    }
}
