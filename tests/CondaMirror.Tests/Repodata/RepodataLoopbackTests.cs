using CondaMirror.Core.Channels;
using CondaMirror.Core.Diagnostics;
using CondaMirror.Core.Repodata;
using CondaMirror.Core.Zstd;
using CondaMirror.TestKit;
using CondaMirror.TestKit.Synthetic;
using Xunit;

namespace CondaMirror.Tests.Repodata;

/// <summary>The fetcher against a real HTTP server on 127.0.0.1: zstd, ETag revalidation, faults mid-transfer.</summary>
public sealed class RepodataLoopbackTests : IAsyncLifetime
{
    private readonly TempDirectory _temp = new("repodata-loopback");
    private LoopbackChannelServer _server = null!;
    private byte[] _linuxJson = null!;
    private DateTimeOffset _now = DateTimeOffset.UtcNow;

    public Task InitializeAsync()
    {
        var generator = new SyntheticChannelGenerator(scale: 0.001, seed: 5);
        var channelDir = _temp.Combine("channel");
        generator.WriteChannel(channelDir);
        _linuxJson = File.ReadAllBytes(Path.Combine(channelDir, "linux-64", "repodata.json"));
        // linux-64 publishes only the .zst (like a CEP-style mirror), noarch only the plain JSON.
        File.WriteAllBytes(Path.Combine(channelDir, "linux-64", "repodata.json.zst"), ZstdCodec.Compress(_linuxJson));
        File.Delete(Path.Combine(channelDir, "linux-64", "repodata.json"));
        _server = new LoopbackChannelServer(channelDir);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _temp.Dispose();
    }

    private RepodataFetcher Fetcher(TimeSpan? requestTimeout = null) => new(new RepodataFetchOptions
    {
        CacheDirectory = _temp.Combine("cache"),
        RequestTimeout = requestTimeout ?? TimeSpan.FromSeconds(30),
        RetryDelay = TimeSpan.Zero,
        TimeProvider = new Clock(() => _now),
    }, NullMirrorLog.Instance);

    [Fact]
    public async Task Etag_revalidation_against_a_real_server_reuses_the_cached_body()
    {
        var channel = ChannelResolver.Resolve(_server.BaseUri.AbsoluteUri);
        using var fetcher = Fetcher();
        var first = await fetcher.FetchAsync(channel, "linux-64");
        var expected = SparseRepodata.Load(null, _linuxJson, channel.PublicBaseUrl, "linux-64");
        Assert.Equal(expected.RecordCount, first.RecordCount);
        Assert.Null(_server.Requests.Single().IfNoneMatch);

        _now += TimeSpan.FromMinutes(15);
        var second = await fetcher.FetchAsync(channel, "linux-64");
        var revalidation = _server.Requests[^1];
        Assert.Equal("/linux-64/repodata.json.zst", revalidation.Path);
        Assert.NotNull(revalidation.IfNoneMatch);
        Assert.Equal(2, _server.Requests.Count);
        Assert.Equal(first.RecordCount, second.RecordCount);
        Assert.Equal(first.Records("numpy").Select(r => r.FileName), second.Records("numpy").Select(r => r.FileName));
    }

    [Fact]
    public async Task Json_fallback_and_transient_faults_over_http()
    {
        var channel = ChannelResolver.Resolve(_server.BaseUri.AbsoluteUri);
        _server.Faults.Add("/noarch/repodata.json", FaultKind.Status(503));
        _server.Faults.Add("/noarch/repodata.json", FaultKind.ResetMidBody(100));
        using var fetcher = Fetcher();
        var noarch = await fetcher.FetchAsync(channel, "noarch");
        Assert.True(noarch.RecordCount > 0);
        Assert.Equal(1, _server.RequestCount("/noarch/repodata.json.zst"));
        Assert.Equal(3, _server.RequestCount("/noarch/repodata.json"));
        Assert.All(noarch.AllRecords(), r => Assert.StartsWith(_server.BaseUri.AbsoluteUri + "noarch/", r.Url));
    }

    [Fact]
    public async Task A_transfer_that_stalls_is_abandoned_and_retried()
    {
        var channel = ChannelResolver.Resolve(_server.BaseUri.AbsoluteUri);
        _server.Faults.Add("/linux-64/repodata.json.zst", FaultKind.StallMidBody(64, TimeSpan.FromSeconds(5)));
        using var fetcher = Fetcher(requestTimeout: TimeSpan.FromMilliseconds(300));
        var repodata = await fetcher.FetchAsync(channel, "linux-64");
        Assert.True(repodata.RecordCount > 0);
        Assert.Equal(2, _server.RequestCount("/linux-64/repodata.json.zst"));
    }

    private sealed class Clock(Func<DateTimeOffset> now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now();
    }
}
