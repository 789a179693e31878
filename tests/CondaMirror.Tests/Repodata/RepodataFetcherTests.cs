using System.Net;
using System.Text;
using CondaMirror.Core.Channels;
using CondaMirror.Core.Diagnostics;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Networking;
using CondaMirror.Core.Repodata;
using CondaMirror.TestKit;
using Xunit;

namespace CondaMirror.Tests.Repodata;

public sealed class RepodataFetcherTests : IDisposable
{
    private const string Json = """{"info":{"subdir":"linux-64"},"packages.conda":{"a-1-0.conda":{"name":"a","version":"1","build":"0","depends":[]}}}""";
    private const string NoarchJson = """{"info":{"subdir":"noarch"},"packages":{"n-1-0.tar.bz2":{"name":"n","version":"1","build":"0","depends":[]}}}""";

    private readonly TempDirectory _temp = new("repodata-fetch");
    private readonly FakeServer _server = new();
    private readonly ManualClock _clock = new(new DateTimeOffset(2024, 5, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly RecordingMirrorLog _log = new();
    private readonly ChannelSource _channel = ChannelResolver.Resolve("https://repo.example.org/forge");

    public void Dispose() => _temp.Dispose();

    private RepodataFetcher Fetcher(bool offline = false, bool zstd = true, int retries = 2, CredentialSet? credentials = null) => new(new RepodataFetchOptions
    {
        Credentials = credentials ?? CredentialSet.None,
        CacheDirectory = _temp.Combine("cache"),
        Offline = offline,
        TimeProvider = _clock,
        RetryDelay = TimeSpan.Zero,
        MaxRetries = retries,
        ZstdDecompressor = zstd ? FakeZstd.Decode : null,
    }, _log, _server);

    [Fact]
    public async Task Zst_is_preferred_and_cached_within_the_ttl()
    {
        _server.Serve("/forge/linux-64/repodata.json.zst", FakeZstd.Encode(Encoding.UTF8.GetBytes(Json)), etag: "\"v1\"");
        using var fetcher = Fetcher();
        var first = await fetcher.FetchAsync(_channel, "linux-64");
        Assert.Equal("https://repo.example.org/forge/linux-64/a-1-0.conda", Assert.Single(first.Records("a")).Url);
        Assert.Equal(new[] { "/forge/linux-64/repodata.json.zst" }, _server.Paths);

        _clock.Advance(TimeSpan.FromMinutes(9));
        var second = await fetcher.FetchAsync(_channel, "linux-64");
        Assert.Equal(1, second.RecordCount);
        Assert.Single(_server.Requests); // no request inside the TTL
        Assert.Empty(Directory.GetFiles(_temp.Combine("cache"), "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task After_the_ttl_a_304_reuses_the_cached_body()
    {
        _server.Serve("/forge/linux-64/repodata.json.zst", FakeZstd.Encode(Encoding.UTF8.GetBytes(Json)), etag: "\"v1\"");
        using var fetcher = Fetcher();
        await fetcher.FetchAsync(_channel, "linux-64");

        _clock.Advance(TimeSpan.FromMinutes(11));
        var again = await fetcher.FetchAsync(_channel, "linux-64");
        Assert.Equal(1, again.RecordCount);
        Assert.Equal(2, _server.Requests.Count);
        Assert.Equal("\"v1\"", _server.Requests[1].Headers.IfNoneMatch.Single().ToString());
        Assert.Equal(HttpStatusCode.NotModified, _server.LastStatus);

        // The 304 restarted the TTL.
        _clock.Advance(TimeSpan.FromMinutes(5));
        await fetcher.FetchAsync(_channel, "linux-64");
        Assert.Equal(2, _server.Requests.Count);
    }

    [Fact]
    public async Task Changed_repodata_is_downloaded_again_after_the_ttl()
    {
        _server.Serve("/forge/linux-64/repodata.json.zst", FakeZstd.Encode(Encoding.UTF8.GetBytes(Json)), etag: "\"v1\"");
        using var fetcher = Fetcher();
        await fetcher.FetchAsync(_channel, "linux-64");
        var newer = Json.Replace("\"a-1-0.conda\"", "\"a-2-0.conda\"").Replace("\"version\":\"1\"", "\"version\":\"2\"");
        _server.Serve("/forge/linux-64/repodata.json.zst", FakeZstd.Encode(Encoding.UTF8.GetBytes(newer)), etag: "\"v2\"");
        _clock.Advance(TimeSpan.FromHours(1));
        var updated = await fetcher.FetchAsync(_channel, "linux-64");
        Assert.Equal("2", Assert.Single(updated.Records("a")).Record.Version);
        _clock.Advance(TimeSpan.FromHours(1));
        await fetcher.FetchAsync(_channel, "linux-64");
        Assert.Equal("\"v2\"", _server.Requests[^1].Headers.IfNoneMatch.Single().ToString());
    }

    [Theory]
    [InlineData(5)]   // inside the TTL: no revalidation, the damaged file is noticed on load
    [InlineData(30)]  // after the TTL: the server says 304, but the body it vouches for is damaged
    public async Task A_damaged_cached_body_is_downloaded_again(int minutesLater)
    {
        _server.Serve("/forge/linux-64/repodata.json.zst", FakeZstd.Encode(Encoding.UTF8.GetBytes(Json)), etag: "\"v1\"");
        using var fetcher = Fetcher();
        await fetcher.FetchAsync(_channel, "linux-64");
        var body = Directory.GetFiles(_temp.Combine("cache"), "repodata.json", SearchOption.AllDirectories).Single();
        File.WriteAllText(body, "{\"packages\": {\"a-1-0.conda\": {\"na");

        _clock.Advance(TimeSpan.FromMinutes(minutesLater));
        var repaired = await fetcher.FetchAsync(_channel, "linux-64");
        Assert.Equal(1, repaired.RecordCount);
        Assert.Null(_server.Requests[^1].Headers.IfNoneMatch.SingleOrDefault());
        Assert.Equal(Json, File.ReadAllText(body));
    }

    [Fact]
    public async Task Json_fallback_on_404_is_remembered_and_revalidated_by_last_modified()
    {
        var modified = new DateTimeOffset(2024, 4, 30, 8, 0, 0, TimeSpan.Zero);
        _server.Serve("/forge/linux-64/repodata.json", Encoding.UTF8.GetBytes(Json), lastModified: modified);
        using var fetcher = Fetcher();
        var repodata = await fetcher.FetchAsync(_channel, "linux-64");
        Assert.Equal(1, repodata.RecordCount);
        Assert.Equal(new[] { "/forge/linux-64/repodata.json.zst", "/forge/linux-64/repodata.json" }, _server.Paths);

        _clock.Advance(TimeSpan.FromMinutes(30));
        await fetcher.FetchAsync(_channel, "linux-64");
        Assert.Equal("/forge/linux-64/repodata.json", _server.Paths[2]); // straight to the variant that worked
        Assert.Equal(modified, _server.Requests[2].Headers.IfModifiedSince);
        Assert.Equal(HttpStatusCode.NotModified, _server.LastStatus);
    }

    [Fact]
    public async Task Without_a_zstd_decoder_only_json_is_requested()
    {
        _server.Serve("/forge/linux-64/repodata.json", Encoding.UTF8.GetBytes(Json));
        using var fetcher = Fetcher(zstd: false);
        await fetcher.FetchAsync(_channel, "linux-64");
        Assert.Equal(new[] { "/forge/linux-64/repodata.json" }, _server.Paths);
    }

    [Fact]
    public async Task A_missing_platform_subdir_is_empty_but_a_missing_noarch_means_not_a_channel()
    {
        using var fetcher = Fetcher();
        var empty = await fetcher.FetchAsync(_channel, "win-arm64");
        Assert.Equal(0, empty.RecordCount);
        Assert.Contains(_log.Details, d => d.Contains("win-arm64") && d.Contains("empty"));
        await fetcher.FetchAsync(_channel, "win-arm64"); // the absence is cached too
        Assert.Equal(2, _server.Requests.Count);

        var e = await Assert.ThrowsAsync<CondaMirrorException>(() => fetcher.FetchAsync(_channel, "noarch"));
        Assert.Equal(ErrorCodes.NotACondaChannel, e.Code);
        Assert.Contains("https://repo.example.org/forge/noarch/repodata.json", e.Message);
    }

    [Fact]
    public async Task Offline_uses_any_cached_copy_and_fails_clearly_without_one()
    {
        _server.Serve("/forge/noarch/repodata.json", Encoding.UTF8.GetBytes(NoarchJson));
        using (var online = Fetcher()) await online.FetchAsync(_channel, "noarch");
        _clock.Advance(TimeSpan.FromDays(30));
        using var offline = Fetcher(offline: true);
        var cached = await offline.FetchAsync(_channel, "noarch");
        Assert.Equal(1, cached.RecordCount);
        var requests = _server.Requests.Count;

        var e = await Assert.ThrowsAsync<CondaMirrorException>(() => offline.FetchAsync(_channel, "linux-64"));
        Assert.Equal(ErrorCodes.RepodataOfflineCacheMissing, e.Code);
        Assert.Contains("https://repo.example.org/forge/linux-64", e.Message);
        Assert.Contains("CondaOffline=false", e.Message);
        Assert.Equal(requests, _server.Requests.Count);
    }

    [Fact]
    public async Task Transient_failures_are_retried()
    {
        _server.Serve("/forge/noarch/repodata.json", Encoding.UTF8.GetBytes(NoarchJson));
        _server.FailNext(HttpStatusCode.ServiceUnavailable, HttpStatusCode.BadGateway);
        using var fetcher = Fetcher(zstd: false);
        var repodata = await fetcher.FetchAsync(_channel, "noarch");
        Assert.Equal(1, repodata.RecordCount);
        Assert.Equal(3, _server.Requests.Count);
    }

    [Fact]
    public async Task Persistent_server_errors_and_refused_credentials_fail_with_codes()
    {
        _server.FailNext(Enumerable.Repeat(HttpStatusCode.InternalServerError, 3).ToArray());
        using var fetcher = Fetcher(zstd: false, retries: 2);
        var e = await Assert.ThrowsAsync<CondaMirrorException>(() => fetcher.FetchAsync(_channel, "noarch"));
        Assert.Equal(ErrorCodes.RepodataHttpError, e.Code);
        Assert.Contains("500", e.Message);
        Assert.Equal(3, _server.Requests.Count);

        _server.FailNext(HttpStatusCode.Unauthorized);
        var auth = await Assert.ThrowsAsync<CondaMirrorException>(() => fetcher.FetchAsync(_channel, "noarch"));
        Assert.Equal(ErrorCodes.RepodataAuthFailed, auth.Code);
    }

    [Fact]
    public async Task An_unreachable_server_falls_back_to_a_stale_cache_with_a_warning()
    {
        _server.Serve("/forge/noarch/repodata.json", Encoding.UTF8.GetBytes(NoarchJson));
        using var fetcher = Fetcher(zstd: false, retries: 1);
        await fetcher.FetchAsync(_channel, "noarch");
        _clock.Advance(TimeSpan.FromHours(2));
        _server.Unreachable = true;
        var stale = await fetcher.FetchAsync(_channel, "noarch");
        Assert.Equal(1, stale.RecordCount);
        Assert.Contains(_log.Warnings, w => w.Code == ErrorCodes.RepodataStaleCacheUsed);

        var e = await Assert.ThrowsAsync<CondaMirrorException>(() => fetcher.FetchAsync(_channel, "linux-64"));
        Assert.Equal(ErrorCodes.RepodataNetworkError, e.Code);
        Assert.Contains("CondaOffline=true", e.Message);
    }

    [Fact]
    public async Task Url_credentials_become_an_authorization_header_and_never_reach_records_or_cache()
    {
        var channel = ChannelResolver.Resolve("https://bob:hunter2@repo.example.org/forge");
        _server.Serve("/forge/noarch/repodata.json", Encoding.UTF8.GetBytes(NoarchJson));
        using var fetcher = Fetcher(zstd: false);
        var repodata = await fetcher.FetchAsync(channel, "noarch");
        var request = Assert.Single(_server.Requests);
        Assert.Equal("Basic", request.Headers.Authorization!.Scheme);
        Assert.Equal("bob:hunter2", Encoding.UTF8.GetString(Convert.FromBase64String(request.Headers.Authorization.Parameter!)));
        Assert.Equal("", request.RequestUri!.UserInfo);
        Assert.Equal("https://repo.example.org/forge/noarch/n-1-0.tar.bz2", Assert.Single(repodata.Records("n")).Url);
        foreach (var file in Directory.GetFiles(_temp.Combine("cache"), "cache.json", SearchOption.AllDirectories))
            Assert.DoesNotContain("hunter2", File.ReadAllText(file));

        // A bearer token configured for the channel's prefix (the CondaChannel item's BearerToken metadata).
        var bearer = ChannelResolver.Resolve("https://repo.example.org/forge");
        using var bearerFetcher = Fetcher(zstd: false, credentials: new CredentialSet(new[] { new ChannelCredential(bearer.PublicBaseUrl.AbsoluteUri, "tok", null, null) }));
        _clock.Advance(TimeSpan.FromHours(1));
        await bearerFetcher.FetchAsync(bearer, "noarch");
        Assert.Equal("Bearer tok", _server.Requests[^1].Headers.Authorization!.ToString());
    }

    [Fact]
    public async Task File_channels_are_read_in_place_without_the_cache()
    {
        Directory.CreateDirectory(_temp.Combine("local", "noarch"));
        Directory.CreateDirectory(_temp.Combine("local", "linux-64"));
        File.WriteAllText(_temp.Combine("local", "noarch", "repodata.json"), NoarchJson);
        File.WriteAllBytes(_temp.Combine("local", "linux-64", "repodata.json.zst"), FakeZstd.Encode(Encoding.UTF8.GetBytes(Json)));
        var channel = ChannelResolver.Resolve(_temp.Combine("local"));
        using var fetcher = Fetcher();

        var noarch = await fetcher.FetchAsync(channel, "noarch");
        Assert.StartsWith("file://", Assert.Single(noarch.Records("n")).Url);
        Assert.Equal(1, (await fetcher.FetchAsync(channel, "linux-64")).RecordCount);
        Assert.Equal(0, (await fetcher.FetchAsync(channel, "osx-64")).RecordCount);
        Assert.Empty(_server.Requests);
        Assert.False(Directory.Exists(_temp.Combine("cache")));

        var missing = ChannelResolver.Resolve(_temp.Combine("nothing-here"));
        var e = await Assert.ThrowsAsync<CondaMirrorException>(() => fetcher.FetchAsync(missing, "noarch"));
        Assert.Equal(ErrorCodes.NotACondaChannel, e.Code);
    }

    [Fact]
    public void The_default_cache_lives_in_the_per_user_cache_folder()
    {
        var dir = RepodataFetchOptions.DefaultCacheDirectory();
        Assert.EndsWith(Path.Combine("condamirror", "repodata"), dir);
        Assert.True(Path.IsPathRooted(dir));
    }

    /// <summary>An in-memory server: static routes with ETag/Last-Modified validation and injectable failures.</summary>
    private sealed class FakeServer : HttpMessageHandler
    {
        private readonly Dictionary<string, (byte[] Body, string? ETag, DateTimeOffset? LastModified)> _routes = new();
        private readonly Queue<HttpStatusCode> _failures = new();

        public List<HttpRequestMessage> Requests { get; } = new();
        public List<string> Paths => Requests.Select(r => r.RequestUri!.AbsolutePath).ToList();
        public HttpStatusCode LastStatus { get; private set; }
        public bool Unreachable { get; set; }

        public void Serve(string path, byte[] body, string? etag = null, DateTimeOffset? lastModified = null) =>
            _routes[path] = (body, etag, lastModified);

        public void FailNext(params HttpStatusCode[] statuses)
        {
            foreach (var s in statuses) _failures.Enqueue(s);
        }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            lock (Requests) Requests.Add(Clone(request));
            if (Unreachable) throw new HttpRequestException("Connection refused (repo.example.org:443)");
            var response = Respond(request);
            LastStatus = response.StatusCode;
            return Task.FromResult(response);
        }

        private HttpResponseMessage Respond(HttpRequestMessage request)
        {
            if (_failures.Count > 0) return new HttpResponseMessage(_failures.Dequeue());
            if (!_routes.TryGetValue(request.RequestUri!.AbsolutePath, out var route)) return new HttpResponseMessage(HttpStatusCode.NotFound);
            var notModified = (route.ETag is not null && request.Headers.IfNoneMatch.Any(t => t.Tag == route.ETag)) ||
                              (route.LastModified is not null && request.Headers.IfModifiedSince >= route.LastModified);
            var response = new HttpResponseMessage(notModified ? HttpStatusCode.NotModified : HttpStatusCode.OK)
            {
                Content = new ByteArrayContent(notModified ? Array.Empty<byte>() : route.Body),
            };
            if (route.ETag is not null) response.Headers.ETag = new System.Net.Http.Headers.EntityTagHeaderValue(route.ETag);
            if (route.LastModified is not null) response.Content.Headers.LastModified = route.LastModified;
            return response;
        }

        private static HttpRequestMessage Clone(HttpRequestMessage request)
        {
            var copy = new HttpRequestMessage(request.Method, request.RequestUri);
            foreach (var header in request.Headers) copy.Headers.TryAddWithoutValidation(header.Key, header.Value);
            return copy;
        }
    }

    private sealed class ManualClock(DateTimeOffset start) : TimeProvider
    {
        private DateTimeOffset _now = start;
        public override DateTimeOffset GetUtcNow() => _now;
        public void Advance(TimeSpan by) => _now += by;
    }
}
