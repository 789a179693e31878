using System.Diagnostics;
using System.IO.Compression;
using CondaMirror.Core.Channels;
using CondaMirror.Core.Diagnostics;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Repodata;
using CondaMirror.TestKit;
using CondaMirror.TestKit.Synthetic;
using Xunit;

namespace CondaMirror.Tests.Repodata;

/// <summary>
/// Hostile repodata servers on 127.0.0.1: bodies larger than the cap, gzip and zstd bombs, a peer dripping bytes,
/// a Retry-After of a day. Each ends in one coded error, quickly, without retrying what retrying cannot fix.
/// </summary>
public sealed class RepodataBoundsTests : IAsyncLifetime
{
    private const long Cap = 8L << 20;
    private readonly TempDirectory _temp = new("repodata-bounds");
    private LoopbackChannelServer _server = null!;
    private ChannelSource _channel = null!;

    public Task InitializeAsync()
    {
        var channelDir = _temp.Combine("channel");
        new SyntheticChannelGenerator(scale: 0.0005, seed: 9).WriteChannel(channelDir);
        _server = new LoopbackChannelServer(channelDir);
        _channel = ChannelResolver.Resolve(_server.BaseUri.AbsoluteUri);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _temp.Dispose();
    }

    private RepodataFetcher Fetcher(long? cap = Cap, TimeSpan? deadline = null, int retries = 2) => new(new RepodataFetchOptions
    {
        CacheDirectory = _temp.Combine("cache"),
        RequestTimeout = TimeSpan.FromSeconds(30),
        RequestDeadline = deadline ?? TimeSpan.FromSeconds(30),
        RetryDelay = TimeSpan.Zero,
        MaxRetries = retries,
        MaxRepodataBytes = cap ?? RepodataFetchOptions.DefaultMaxRepodataBytes,
    }, NullMirrorLog.Instance);

    private async Task<(CondaMirrorException Error, TimeSpan Elapsed)> FailAsync(RepodataFetcher fetcher, string subdir)
    {
        var stopwatch = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<CondaMirrorException>(() => fetcher.FetchAsync(_channel, subdir));
        return (e, stopwatch.Elapsed);
    }

    private void AssertNoSpoolLeft()
    {
        var cache = _temp.Combine("cache");
        if (Directory.Exists(cache)) Assert.Empty(Directory.GetFiles(cache, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task A_gzip_bomb_is_refused_at_the_cap_without_a_retry()
    {
        var bomb = Bombs.Gzip(1L << 30);
        Assert.InRange(bomb.Length, 1, 2 << 20); // about 1 MB on the wire, 1 GiB inflated
        _server.ServeBytes("/linux-64/repodata.json", bomb, ("Content-Encoding", "gzip"));
        using var fetcher = Fetcher();

        var (e, elapsed) = await FailAsync(fetcher, "linux-64");

        Assert.Equal(ErrorCodes.RepodataTooLarge, e.Code);
        Assert.Contains(_server.UrlFor("linux-64/repodata.json"), e.Message);
        Assert.Contains("decompressed", e.Message);
        Assert.Equal(1, _server.RequestCount("/linux-64/repodata.json"));
        Assert.InRange(elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(10));
        AssertNoSpoolLeft();
    }

    [Fact]
    public async Task A_zstd_bomb_is_refused_at_the_cap_without_a_retry()
    {
        _server.ServeBytes("/linux-64/repodata.json.zst", Bombs.Zstd(1L << 30));
        using var fetcher = Fetcher();

        var (e, elapsed) = await FailAsync(fetcher, "linux-64");

        Assert.Equal(ErrorCodes.RepodataTooLarge, e.Code);
        Assert.Contains(_server.UrlFor("linux-64/repodata.json.zst"), e.Message);
        Assert.Equal(1, _server.RequestCount("/linux-64/repodata.json.zst"));
        Assert.Equal(0, _server.RequestCount("/linux-64/repodata.json"));
        Assert.InRange(elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(10));
        AssertNoSpoolLeft();
    }

    [Fact]
    public async Task A_zstd_frame_with_a_window_beyond_the_limit_is_refused_before_decoding()
    {
        // 64 MiB: twice the limit, so nothing of it is buffered; only the .zst exists, so that is the error.
        _server.ServeBytes("/linux-64/repodata.json.zst", Bombs.Zstd(1 << 20, windowLog: 26));
        File.Delete(Path.Combine(_server.RootDirectory, "linux-64", "repodata.json"));
        using var fetcher = Fetcher(cap: null);

        var (e, _) = await FailAsync(fetcher, "linux-64");

        Assert.Equal(ErrorCodes.RepodataDecompressFailed, e.Code);
        Assert.Contains("window", e.Message);
        Assert.Contains(_server.UrlFor("linux-64/repodata.json.zst"), e.Message);
        Assert.Equal(1, _server.RequestCount("/linux-64/repodata.json.zst"));
        AssertNoSpoolLeft();
    }

    [Fact]
    public async Task A_zstd_file_needing_a_larger_window_falls_back_to_repodata_json()
    {
        _server.ServeBytes("/linux-64/repodata.json.zst", Bombs.Zstd(1 << 20, windowLog: 27));
        var json = File.ReadAllBytes(Path.Combine(_server.RootDirectory, "linux-64", "repodata.json"));
        using var fetcher = Fetcher(cap: null);

        var repodata = await fetcher.FetchAsync(_channel, "linux-64");

        Assert.Equal(SparseRepodata.Load(null, json, _channel.PublicBaseUrl, "linux-64").RecordCount, repodata.RecordCount);
        Assert.Equal(1, _server.RequestCount("/linux-64/repodata.json.zst"));
        Assert.Equal(1, _server.RequestCount("/linux-64/repodata.json"));
        AssertNoSpoolLeft();
    }

    [Fact]
    public async Task A_plain_repodata_json_over_the_cap_is_refused_from_its_content_length()
    {
        var json = File.ReadAllBytes(Path.Combine(_server.RootDirectory, "linux-64", "repodata.json"));
        Assert.True(json.Length > 64 * 1024, $"the generated repodata is only {json.Length} bytes");
        using var fetcher = Fetcher(cap: 64 * 1024);

        var (e, elapsed) = await FailAsync(fetcher, "linux-64");

        Assert.Equal(ErrorCodes.RepodataTooLarge, e.Code);
        Assert.Contains(_server.UrlFor("linux-64/repodata.json"), e.Message);
        Assert.Contains("as sent", e.Message);
        Assert.Equal(1, _server.RequestCount("/linux-64/repodata.json"));
        Assert.InRange(elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(5));
        AssertNoSpoolLeft();
    }

    [Fact]
    public async Task A_gzip_encoded_body_is_decoded_and_cached_as_json()
    {
        var json = File.ReadAllBytes(Path.Combine(_server.RootDirectory, "linux-64", "repodata.json"));
        using var gz = new MemoryStream();
        using (var gzip = new GZipStream(gz, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(json);
        _server.ServeBytes("/linux-64/repodata.json", gz.ToArray(), ("Content-Encoding", "gzip"));
        using var fetcher = Fetcher();

        var repodata = await fetcher.FetchAsync(_channel, "linux-64");

        Assert.Equal(SparseRepodata.Load(null, json, _channel.PublicBaseUrl, "linux-64").RecordCount, repodata.RecordCount);
        var cached = Assert.Single(Directory.GetFiles(_temp.Combine("cache"), RepodataCacheEntry.BodyFileName, SearchOption.AllDirectories));
        Assert.Equal(json, File.ReadAllBytes(cached));
        Assert.Contains("gzip", _server.Requests.Last().Headers["Accept-Encoding"]);
        AssertNoSpoolLeft();
    }

    [Fact]
    public async Task An_unknown_content_encoding_is_one_coded_error()
    {
        _server.ServeBytes("/linux-64/repodata.json", new byte[100], ("Content-Encoding", "compress"));
        using var fetcher = Fetcher();

        var (e, _) = await FailAsync(fetcher, "linux-64");

        Assert.Equal(ErrorCodes.RepodataContentEncodingUnsupported, e.Code);
        Assert.Contains("compress", e.Message);
        AssertNoSpoolLeft();
    }

    [Fact]
    public async Task A_server_dripping_one_byte_per_100_ms_fails_at_the_deadline_of_each_attempt()
    {
        _server.Faults.Add("/linux-64/repodata.json", FaultKind.Drip(TimeSpan.FromMilliseconds(100)), count: int.MaxValue);
        using var fetcher = Fetcher(deadline: TimeSpan.FromSeconds(1), retries: 1);

        var (e, elapsed) = await FailAsync(fetcher, "linux-64");

        Assert.Equal(ErrorCodes.RepodataDeadlineExceeded, e.Code);
        Assert.Contains(_server.UrlFor("linux-64/repodata.json"), e.Message);
        Assert.Equal(2, _server.RequestCount("/linux-64/repodata.json")); // retried once, as configured
        Assert.InRange(elapsed, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(8));
        AssertNoSpoolLeft();
    }

    [Fact]
    public async Task A_retry_after_of_a_day_fails_at_once_naming_the_requested_time()
    {
        _server.Faults.Add("/linux-64/repodata.json", FaultKind.Status(503, retryAfter: "86400"), count: int.MaxValue);
        using var fetcher = Fetcher();
        await fetcher.FetchAsync(_channel, "noarch"); // JIT and connection set-up are not what is timed
        _server.ClearRequests();

        var (e, elapsed) = await FailAsync(fetcher, "linux-64");

        Assert.Equal(ErrorCodes.RepodataRetryAfterTooLong, e.Code);
        Assert.Contains(_server.UrlFor("linux-64/repodata.json"), e.Message);
        Assert.Contains(DateTimeOffset.UtcNow.AddDays(1).ToString("yyyy-MM-dd"), e.Message);
        Assert.Contains("86400 s", e.Message);
        Assert.Equal(1, _server.RequestCount("/linux-64/repodata.json"));
        Assert.InRange(elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(2));
    }
}
