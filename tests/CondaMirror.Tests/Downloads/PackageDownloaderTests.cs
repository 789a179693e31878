using System.Diagnostics;
using CondaMirror.Core.Downloads;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Networking;
using CondaMirror.TestKit;
using Xunit;

namespace CondaMirror.Tests.Downloads;

public sealed class PackageDownloaderTests
{
    [Fact]
    public async Task Downloads_all_packages_in_parallel_into_the_content_addressed_cache()
    {
        await using var f = new DownloadFixture();
        var requests = Enumerable.Range(0, 12).Select(i => f.AddPackage($"pkg{i}-1.0-0.conda", 20_000 + i * 7_919, i % 2 == 0 ? "noarch" : "linux-64")).ToArray();

        var summary = await f.RunAsync(f.Options(maxParallel: 4), requests);

        Assert.Equal(12, summary.Downloaded);
        Assert.Equal(0, summary.FromCache);
        Assert.Equal(requests.Sum(r => r.Size!.Value), summary.BytesDownloaded);
        foreach (var r in requests)
        {
            var path = summary.CachePaths[r];
            Assert.Equal(new PackageCache(f.CacheRoot).PathFor(r.Sha256!, r.FileName), path);
            Assert.Equal(File.ReadAllBytes(f.ChannelPathOf(r)), File.ReadAllBytes(path));
        }
        f.AssertCacheClean();
        Assert.Contains(f.Log.Details, l => l.StartsWith("Downloaded 12 packages (", StringComparison.Ordinal) && l.EndsWith(", 0 from cache", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Server_error_twice_then_success_is_retried()
    {
        await using var f = new DownloadFixture();
        var r = f.AddPackage("a-1-0.conda", 5000);
        f.Server.Faults.Add("/noarch/a-1-0.conda", FaultKind.Status(500), count: 2);

        var summary = await f.RunAsync(f.Options(), r);

        Assert.True(File.Exists(summary.CachePaths[r]));
        Assert.Equal(3, f.Server.RequestCount("/noarch/a-1-0.conda"));
        Assert.Equal(2, f.Log.Details.Count(d => d.StartsWith("Retrying a-1-0.conda", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Too_many_requests_honours_retry_after()
    {
        await using var f = new DownloadFixture();
        var r = f.AddPackage("a-1-0.conda", 5000);
        f.Server.Faults.Add("/noarch/*.conda", FaultKind.Status(429, retryAfter: "1"));

        var clock = Stopwatch.StartNew();
        await f.RunAsync(f.Options(), r);

        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(950), $"waited only {clock.Elapsed}");
        Assert.Equal(2, f.Server.RequestCount("/noarch/a-1-0.conda"));
    }

    [Fact]
    public async Task Connection_reset_mid_body_is_retried()
    {
        await using var f = new DownloadFixture();
        var r = f.AddPackage("a-1-0.conda", 300_000);
        f.Server.Faults.Add("/noarch/a-1-0.conda", FaultKind.ResetMidBody(100_000));

        var summary = await f.RunAsync(f.Options(), r);

        Assert.Equal(File.ReadAllBytes(f.ChannelPathOf(r)), File.ReadAllBytes(summary.CachePaths[r]));
        Assert.Equal(2, f.Server.RequestCount("/noarch/a-1-0.conda"));
        Assert.Equal(r.Size, summary.BytesDownloaded); // bytes of the failed attempt are not counted
        f.AssertCacheClean();
    }

    [Fact]
    public async Task Truncated_body_is_retried_and_succeeds()
    {
        await using var f = new DownloadFixture();
        var r = f.AddPackage("a-1-0.conda", 200_000);
        f.Server.Faults.Add("/noarch/a-1-0.conda", FaultKind.TruncateBody(50_000));

        var summary = await f.RunAsync(f.Options(), r);

        Assert.Equal(File.ReadAllBytes(f.ChannelPathOf(r)), File.ReadAllBytes(summary.CachePaths[r]));
        Assert.Equal(2, f.Server.RequestCount("/noarch/a-1-0.conda"));
    }

    [Fact]
    public async Task Persistently_truncated_body_fails_after_the_retries_and_leaves_nothing()
    {
        await using var f = new DownloadFixture();
        var r = f.AddPackage("a-1-0.conda", 200_000);
        f.Server.Faults.Add("/noarch/a-1-0.conda", FaultKind.TruncateBody(50_000), count: int.MaxValue);

        var e = await Assert.ThrowsAsync<CondaMirrorException>(() => f.RunAsync(f.Options(retries: 2), r));

        Assert.Equal(ErrorCodes.DownloadFailedAfterRetries, e.Code);
        Assert.Contains("a-1-0.conda", e.Message);
        Assert.Contains(r.Url, e.Message);
        Assert.Contains("3 attempt(s)", e.Message);
        Assert.Equal(3, f.Server.RequestCount("/noarch/a-1-0.conda"));
        Assert.Equal(0, f.CachedFileCount());
        f.AssertCacheClean();

        f.Server.Faults.Clear();
        var summary = await f.RunAsync(f.Options(), r);
        Assert.Equal(1, summary.Downloaded);
        f.AssertCacheClean();
    }

    [Fact]
    public async Task Not_found_fails_at_once_naming_package_and_url()
    {
        await using var f = new DownloadFixture();
        var r = f.AddPackage("gone-1-0.tar.bz2", 1000, "linux-64");
        File.Delete(f.ChannelPathOf(r));

        var e = await Assert.ThrowsAsync<CondaMirrorException>(() => f.RunAsync(f.Options(retries: 5), r));

        Assert.Equal(ErrorCodes.DownloadNotFound, e.Code);
        Assert.Contains("gone-1-0.tar.bz2", e.Message);
        Assert.Contains(r.Url, e.Message);
        Assert.Contains("re-lock", e.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Single(f.Server.Requests);
        f.AssertCacheClean();
    }

    [Fact]
    public async Task Altered_body_is_a_checksum_error_naming_expected_and_actual_hashes()
    {
        await using var f = new DownloadFixture();
        var r = f.AddPackage("a-1-0.conda", 10_000);
        f.Server.Faults.Add("/noarch/a-1-0.conda", FaultKind.AlterBody());
        var altered = File.ReadAllBytes(f.ChannelPathOf(r));
        altered[altered.Length / 2] ^= 0xFF;
        var actual = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(altered)).ToLowerInvariant();

        var e = await Assert.ThrowsAsync<CondaMirrorException>(() => f.RunAsync(f.Options(), r));

        Assert.Equal(ErrorCodes.DownloadChecksumMismatch, e.Code);
        Assert.Contains(r.Sha256!, e.Message);
        Assert.Contains(actual, e.Message);
        Assert.Contains("a-1-0.conda", e.Message);
        Assert.Single(f.Server.Requests); // a mismatch is not retried
        Assert.Equal(0, f.CachedFileCount());
        f.AssertCacheClean();

        var summary = await f.RunAsync(f.Options(), r);
        Assert.Equal(1, summary.Downloaded);
    }

    [Fact]
    public async Task Size_mismatch_is_reported()
    {
        await using var f = new DownloadFixture();
        var r = f.AddPackage("a-1-0.conda", 10_000) with { Size = 12_345 };

        var e = await Assert.ThrowsAsync<CondaMirrorException>(() => f.RunAsync(f.Options(), r));

        Assert.Equal(ErrorCodes.DownloadSizeMismatch, e.Code);
        Assert.Contains("expected 12345 bytes, got 10000", e.Message);
        f.AssertCacheClean();
    }

    [Fact]
    public async Task Md5_only_requests_are_verified_and_cached_under_the_sha256_with_an_md5_pointer()
    {
        await using var f = new DownloadFixture();
        var full = f.AddPackage("a-1-0.tar.bz2", 10_000);
        var r = full with { Sha256 = null };

        var summary = await f.RunAsync(f.Options(), r);

        var cache = new PackageCache(f.CacheRoot);
        Assert.Equal(cache.PathFor(full.Sha256!, r.FileName), summary.CachePaths[r]);
        Assert.Equal(full.Sha256 + "\n", File.ReadAllText(cache.Md5PointerPath(r.Md5!)));
        Assert.True(PackageCache.TryReadSidecar(summary.CachePaths[r], out var sidecar));
        Assert.Equal(r.Md5, sidecar.Md5);
        f.AssertCacheClean();
        var bad = r with { Md5 = new string('0', 32), FileName = "a-1-0.tar.bz2" };
        var e = await Assert.ThrowsAsync<CondaMirrorException>(() => f.RunAsync(f.Options(), bad));
        Assert.Contains("expected md5 " + new string('0', 32), e.Message);
    }

    [Fact]
    public async Task Several_failures_are_reported_together_and_the_rest_is_cached()
    {
        await using var f = new DownloadFixture();
        var ok = f.AddPackage("ok-1-0.conda", 1000);
        var missing1 = f.AddPackage("m1-1-0.conda", 1000);
        var missing2 = f.AddPackage("m2-1-0.conda", 1000);
        File.Delete(f.ChannelPathOf(missing1));
        File.Delete(f.ChannelPathOf(missing2));

        var e = await Assert.ThrowsAsync<CondaMirrorException>(() => f.RunAsync(f.Options(), ok, missing1, missing2));

        Assert.Equal(ErrorCodes.DownloadsFailed, e.Code);
        Assert.Contains("m1-1-0.conda", e.Message);
        Assert.Contains("m2-1-0.conda", e.Message);
        Assert.True(new PackageCache(f.CacheRoot).TryGetVerified(ok, out _));
    }

    [Fact]
    public async Task Cache_hit_makes_no_request()
    {
        await using var f = new DownloadFixture();
        var requests = new[] { f.AddPackage("a-1-0.conda", 3000), f.AddPackage("b-1-0.conda", 4000) };
        await f.RunAsync(f.Options(), requests);
        f.Server.ClearRequests();

        var summary = await f.RunAsync(f.Options(), requests);

        Assert.Empty(f.Server.Requests);
        Assert.Equal(0, summary.Downloaded);
        Assert.Equal(2, summary.FromCache);
        Assert.Contains(f.Log.Details, l => l.EndsWith(", 2 from cache", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Cached_file_with_wrong_size_is_downloaded_again()
    {
        await using var f = new DownloadFixture();
        var r = f.AddPackage("a-1-0.conda", 3000);
        var first = await f.RunAsync(f.Options(), r);
        File.WriteAllBytes(first.CachePaths[r], new byte[10]);

        var second = await f.RunAsync(f.Options(), r);

        Assert.Equal(1, second.Downloaded);
        Assert.Equal(File.ReadAllBytes(f.ChannelPathOf(r)), File.ReadAllBytes(second.CachePaths[r]));
        f.AssertCacheClean();
    }

    [Fact]
    public async Task Two_downloaders_sharing_one_cache_do_not_corrupt_it()
    {
        await using var f = new DownloadFixture();
        var requests = Enumerable.Range(0, 10).Select(i => f.AddPackage($"p{i}-1-0.conda", 50_000 + i * 1000)).ToArray();
        f.Server.Faults.Add("/noarch/*", FaultKind.Delay(TimeSpan.FromMilliseconds(30)), count: int.MaxValue);

        var results = await Task.WhenAll(f.RunAsync(f.Options(), requests), f.RunAsync(f.Options(), requests));

        foreach (var summary in results)
            foreach (var r in requests)
                Assert.Equal(File.ReadAllBytes(f.ChannelPathOf(r)), File.ReadAllBytes(summary.CachePaths[r]));
        Assert.Equal(10, f.CachedFileCount());
        f.AssertCacheClean();
    }

    [Fact]
    public async Task Cancellation_mid_download_throws_and_leaves_no_partial_file()
    {
        await using var f = new DownloadFixture();
        var r = f.AddPackage("a-1-0.conda", 400_000);
        f.Server.Faults.Add("/noarch/a-1-0.conda", FaultKind.StallMidBody(100_000, TimeSpan.FromSeconds(30)));
        using var downloader = new PackageDownloader(f.Options(), f.Log);
        using var cts = new CancellationTokenSource();

        var run = downloader.DownloadAsync(new[] { r }, cts.Token);
        await WaitUntil(() => Directory.Exists(Path.Combine(f.CacheRoot, PackageCache.PartialFolder))
                              && Directory.GetFiles(Path.Combine(f.CacheRoot, PackageCache.PartialFolder)).Any(p => new FileInfo(p).Length > 0));
        var clock = Stopwatch.StartNew();
        cts.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        // The stall lasts 30 s: ending well before it shows the cancellation cut the transfer (a limit, not a timing).
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"cancellation took {clock.Elapsed}");
        Assert.Equal(0, f.CachedFileCount());
        f.AssertCacheClean();
    }

    [Fact]
    public async Task Stalled_transfer_times_out_and_is_retried()
    {
        await using var f = new DownloadFixture();
        var r = f.AddPackage("a-1-0.conda", 300_000);
        f.Server.Faults.Add("/noarch/a-1-0.conda", FaultKind.StallMidBody(100_000, TimeSpan.FromSeconds(20)));

        var summary = await f.RunAsync(f.Options(attemptTimeout: TimeSpan.FromMilliseconds(300)), r);

        Assert.Equal(File.ReadAllBytes(f.ChannelPathOf(r)), File.ReadAllBytes(summary.CachePaths[r]));
        Assert.Contains(f.Log.Details, d => d.Contains("no data received", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Basic_credentials_in_the_url_become_a_header_and_never_show_in_errors()
    {
        await using var f = new DownloadFixture();
        var r = f.AddPackage("a-1-0.conda", 2000);
        var missing = f.AddPackage("b-1-0.conda", 2000);
        File.Delete(f.ChannelPathOf(missing));
        f.Server.Faults.Add("/noarch/*", FaultKind.RequireBasic("alice", "s3cr@t"), count: int.MaxValue);
        static DownloadRequest WithUser(DownloadRequest q) => q with { Url = q.Url.Replace("http://", "http://alice:s3cr%40t@", StringComparison.Ordinal) };

        await f.RunAsync(f.Options(), WithUser(r));
        var e = await Assert.ThrowsAsync<CondaMirrorException>(() => f.RunAsync(f.Options(), WithUser(missing)));

        Assert.StartsWith("Basic ", f.Server.Requests[0].Authorization);
        Assert.DoesNotContain("alice", f.Server.Requests[0].Target);
        Assert.DoesNotContain("s3cr", e.Message);
        Assert.DoesNotContain("s3cr", e.File);
        Assert.Contains("***@127.0.0.1", e.Message);
    }

    [Fact]
    public async Task Bearer_token_comes_from_the_matching_credential()
    {
        await using var f = new DownloadFixture();
        var r = f.AddPackage("a-1-0.conda", 2000);
        f.Server.Faults.Add("/noarch/*", FaultKind.RequireBearer("tok-123"), count: int.MaxValue);
        var credentials = new[] { new ChannelCredential(f.Server.BaseUri.AbsoluteUri, "tok-123", null, null) };

        await f.RunAsync(f.Options(credentials: credentials), r);

        Assert.Equal("Bearer tok-123", f.Server.Requests.Single().Authorization);
    }

    [Fact]
    public async Task Unauthorized_fails_at_once_and_names_the_channel()
    {
        await using var f = new DownloadFixture();
        var r = f.AddPackage("a-1-0.conda", 2000, "linux-64", urlPrefix: "private");
        f.Server.Faults.Add("/private/**", FaultKind.RequireBearer("right"), count: int.MaxValue);
        var credentials = new[] { new ChannelCredential(f.Server.UrlFor("private"), "wrong-token", null, null) };

        var e = await Assert.ThrowsAsync<CondaMirrorException>(() => f.RunAsync(f.Options(credentials: credentials), r));

        Assert.Equal(ErrorCodes.DownloadUnauthorized, e.Code);
        Assert.Contains("check credentials for " + f.Server.UrlFor("private") + " ", e.Message);
        Assert.DoesNotContain("wrong-token", e.Message);
        Assert.Single(f.Server.Requests);
    }

    [Fact]
    public async Task Path_token_is_sent_but_redacted_in_errors_and_logs()
    {
        await using var f = new DownloadFixture();
        var r = f.AddPackage("a-1-0.conda", 2000, urlPrefix: "t/tk-SECRET-42/conda-forge");
        f.Server.Faults.Add("/t/*/conda-forge/noarch/a-1-0.conda", FaultKind.Status(503), count: int.MaxValue);

        var e = await Assert.ThrowsAsync<CondaMirrorException>(() => f.RunAsync(f.Options(retries: 1), r));

        Assert.Equal("/t/tk-SECRET-42/conda-forge/noarch/a-1-0.conda", f.Server.Requests[0].Path);
        Assert.DoesNotContain("SECRET", e.Message);
        Assert.DoesNotContain("SECRET", e.File);
        Assert.Contains("/t/***/conda-forge/noarch/a-1-0.conda", e.Message);
        Assert.DoesNotContain(f.Log.Details.Concat(f.Log.Infos), l => l.Contains("SECRET", StringComparison.Ordinal));
        Assert.Contains(f.Log.Details, l => l.Contains("503", StringComparison.Ordinal));
    }

    [Fact]
    public async Task File_urls_and_local_paths_are_copied_through_verification()
    {
        await using var f = new DownloadFixture();
        var a = f.AddPackage("a-1-0.conda", 3000);
        var b = f.AddPackage("b-1-0.conda", 4000);
        var viaFileUrl = a with { Url = new Uri(f.ChannelPathOf(a)).AbsoluteUri };
        var viaPath = b with { Url = f.ChannelPathOf(b) };

        var summary = await f.RunAsync(f.Options(), viaFileUrl, viaPath);

        Assert.Equal(2, summary.Downloaded);
        Assert.Empty(f.Server.Requests);
        Assert.Equal(File.ReadAllBytes(f.ChannelPathOf(a)), File.ReadAllBytes(summary.CachePaths[viaFileUrl]));
        Assert.Equal(File.ReadAllBytes(f.ChannelPathOf(b)), File.ReadAllBytes(summary.CachePaths[viaPath]));

        var corrupt = viaPath with { Sha256 = new string('a', 64) };
        var e = await Assert.ThrowsAsync<CondaMirrorException>(() => f.RunAsync(f.Options(), corrupt));
        Assert.Equal(ErrorCodes.DownloadChecksumMismatch, e.Code);

        var missing = viaPath with { Url = Path.Combine(f.ChannelDir, "nope.conda"), Sha256 = new string('b', 64) };
        e = await Assert.ThrowsAsync<CondaMirrorException>(() => f.RunAsync(f.Options(), missing));
        Assert.Equal(ErrorCodes.DownloadLocalSourceMissing, e.Code);
        f.AssertCacheClean();
    }

    [Fact]
    public async Task Progress_lines_are_emitted()
    {
        await using var f = new DownloadFixture();
        var r = f.AddPackage("a-1-0.conda", 200_000);
        f.Server.Faults.Add("/noarch/a-1-0.conda", FaultKind.StallMidBody(50_000, TimeSpan.FromMilliseconds(400)));

        await f.RunAsync(f.Options(progress: TimeSpan.FromMilliseconds(50)), r);

        Assert.Contains(f.Log.Infos, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^Downloading: 0/1 packages, \d+\.\d/0\.2 MB, \d+\.\d MB/s$"));
        Assert.Matches(@"^Downloaded 1 packages \(0\.2 MB\) in \d+\.\d s, 0 from cache$", f.Log.Details[^1]);
    }

    [Fact]
    public async Task Stale_partial_files_are_cleaned_and_fresh_ones_kept()
    {
        await using var f = new DownloadFixture();
        var partial = Path.Combine(f.CacheRoot, PackageCache.PartialFolder);
        Directory.CreateDirectory(partial);
        var stale = Path.Combine(partial, "old.part");
        var fresh = Path.Combine(partial, "new.part");
        File.WriteAllText(stale, "x");
        File.WriteAllText(fresh, "x");
        File.SetLastWriteTimeUtc(stale, DateTime.UtcNow.AddDays(-2));

        await f.RunAsync(f.Options(), f.AddPackage("a-1-0.conda", 100));

        Assert.False(File.Exists(stale));
        Assert.True(File.Exists(fresh)); // may belong to a build running right now
    }

    [Fact]
    public async Task Requests_with_unsafe_file_names_or_bad_hashes_are_rejected()
    {
        await using var f = new DownloadFixture();
        var r = f.AddPackage("a-1-0.conda", 100);

        var e1 = await Assert.ThrowsAsync<CondaMirrorException>(() => f.RunAsync(f.Options(), r with { FileName = "../evil.conda" }));
        var e2 = await Assert.ThrowsAsync<CondaMirrorException>(() => f.RunAsync(f.Options(), r with { Sha256 = "../../x" }));
        var e3 = await Assert.ThrowsAsync<CondaMirrorException>(() => f.RunAsync(f.Options(), r with { Url = "ftp://h/a-1-0.conda" }));

        Assert.All(new[] { e1, e2, e3 }, e => Assert.Equal(ErrorCodes.DownloadInvalidRequest, e.Code));
        Assert.Empty(f.Server.Requests);
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(10)) throw new TimeoutException("condition not reached");
            await Task.Delay(10);
        }
    }
}
