using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using CondaMirror.Core.Channels;
using CondaMirror.Core.Diagnostics;
using CondaMirror.Core.Errors;
using Polly;
using Polly.Retry;

namespace CondaMirror.Core.Repodata;

/// <summary>
/// Gets one channel subdir's repodata as a <see cref="SparseRepodata"/>. Local (file://) channels are read in
/// place. HTTP channels go through a per-user cache: a copy younger than the TTL is used without a request,
/// an older one is revalidated (If-None-Match / If-Modified-Since; 304 reuses it), and repodata.json.zst is
/// preferred over repodata.json, remembering per subdir which one the server has.
/// </summary>
public sealed class RepodataFetcher : IDisposable
{
    private readonly RepodataFetchOptions _options;
    private readonly IMirrorLog _log;
    private readonly HttpClient _http;
    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline;

    public RepodataFetcher(RepodataFetchOptions options, IMirrorLog log, HttpMessageHandler? handler = null)
    {
        _options = options;
        _log = log;
        _http = handler is null
            ? new HttpClient(new SocketsHttpHandler { AutomaticDecompression = DecompressionMethods.All }, disposeHandler: true)
            : new HttpClient(handler, disposeHandler: false);
        _http.Timeout = options.RequestTimeout;
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("CondaMirror/1.0");
        _pipeline = BuildPipeline(options, log);
    }

    public void Dispose() => _http.Dispose();

    public async Task<SparseRepodata> FetchAsync(ChannelSource channel, string subdir, CancellationToken cancellationToken = default)
    {
        if (channel.IsFile) return ReadLocal(channel, subdir);
        if (!channel.IsHttp)
            throw new CondaMirrorException(ErrorCodes.ChannelSchemeUnsupported,
                $"Channel {channel.DisplayUrl} uses an unsupported scheme; use http(s):// or file://.", channel.DisplayUrl);

        var subdirUrl = channel.SubdirUrl(subdir);
        var entryDir = Path.Combine(_options.CacheDirectory, CacheKey(subdirUrl));
        var cached = RepodataCacheEntry.TryLoad(entryDir);
        var now = _options.TimeProvider.GetUtcNow();

        if (cached is not null && (_options.Offline || now - cached.FetchedAt < _options.CacheTtl))
        {
            _log.Detail($"Using cached repodata for {Describe(channel, subdir)} (fetched {cached.FetchedAt:u}).");
            return LoadCached(channel, subdir, entryDir, cached);
        }
        if (_options.Offline)
            throw new CondaMirrorException(ErrorCodes.RepodataOfflineCacheMissing,
                $"Offline mode: no cached repodata for {Describe(channel, subdir)}. Run the build once online or set CondaOffline=false.",
                ChannelSource.Redact(subdirUrl));

        try
        {
            return await FetchOnlineAsync(channel, subdir, subdirUrl, entryDir, cached, cancellationToken).ConfigureAwait(false);
        }
        catch (CondaMirrorException e) when (e.Code == ErrorCodes.RepodataNetworkError && cached is not null)
        {
            _log.Warning(ErrorCodes.RepodataStaleCacheUsed,
                $"Could not reach {Describe(channel, subdir)} ({e.Message}); using the cached copy from {cached.FetchedAt:u}.",
                ChannelSource.Redact(subdirUrl));
            return LoadCached(channel, subdir, entryDir, cached);
        }
    }

    private async Task<SparseRepodata> FetchOnlineAsync(ChannelSource channel, string subdir, Uri subdirUrl, string entryDir,
        RepodataCacheEntry? cached, CancellationToken cancellationToken)
    {
        foreach (var variant in VariantOrder(cached))
        {
            var url = new Uri(subdirUrl, RepodataVariant.FileName(variant));
            var validators = cached is not null && cached.Variant == variant ? cached : null;
            using var response = await SendAsync(channel, url, validators, cancellationToken).ConfigureAwait(false);
            var shownUrl = ChannelSource.Redact(url);

            if (response.StatusCode == HttpStatusCode.NotModified && validators is not null)
            {
                _log.Detail($"Repodata for {Describe(channel, subdir)} is unchanged (304); using the cached copy.");
                validators.FetchedAt = _options.TimeProvider.GetUtcNow();
                validators.ETag = response.Headers.ETag?.ToString() ?? validators.ETag;
                TryWriteCache(entryDir, body: null, validators);
                return LoadCached(channel, subdir, entryDir, validators);
            }
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                _log.Detail($"{shownUrl} not found (404).");
                continue;
            }
            if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
                throw new CondaMirrorException(ErrorCodes.RepodataAuthFailed,
                    $"{shownUrl} refused access ({(int)response.StatusCode} {response.ReasonPhrase}). " +
                    "Check the channel's credentials (token in the URL or the configured bearer token).", shownUrl);
            if (!response.IsSuccessStatusCode)
                throw new CondaMirrorException(ErrorCodes.RepodataHttpError,
                    $"{shownUrl} answered {(int)response.StatusCode} {response.ReasonPhrase}. Check the channel URL, or retry later.", shownUrl);

            byte[] body;
            try { body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false); }
            catch (Exception e) when (IsTransportFailure(e, cancellationToken))
            {
                throw new CondaMirrorException(ErrorCodes.RepodataNetworkError,
                    $"Downloading {shownUrl} failed: {e.Message}", shownUrl, e);
            }
            // The cache keeps the decompressed JSON, so a cache hit never decompresses again.
            var json = variant == RepodataVariant.Zst ? SparseRepodata.Decompress(shownUrl, body, _options.ZstdDecompressor!) : body;
            var repodata = SparseRepodata.Load(shownUrl, json, channel.PublicBaseUrl, subdir);
            var entry = new RepodataCacheEntry
            {
                Variant = variant,
                Url = shownUrl,
                ETag = response.Headers.ETag?.ToString(),
                LastModified = response.Content.Headers.LastModified?.ToString("R"),
                FetchedAt = _options.TimeProvider.GetUtcNow(),
            };
            TryWriteCache(entryDir, json, entry);
            _log.Info($"Fetched repodata for {Describe(channel, subdir)}: {repodata.RecordCount} records ({body.Length / 1024.0 / 1024.0:F1} MB {variant}).");
            return repodata;
        }

        var noarchUrl = ChannelSource.Redact(new Uri(subdirUrl, "repodata.json"));
        if (subdir == "noarch")
            throw new CondaMirrorException(ErrorCodes.NotACondaChannel,
                $"Not a conda channel: {noarchUrl} not found. Check the channel name or URL.", noarchUrl);
        _log.Detail($"{channel.DisplayUrl} has no {subdir} subdir ({noarchUrl} not found); treating it as empty.");
        TryWriteCache(entryDir, body: null, new RepodataCacheEntry
        {
            Variant = RepodataVariant.Missing,
            Url = noarchUrl,
            FetchedAt = _options.TimeProvider.GetUtcNow(),
        });
        return SparseRepodata.Empty(channel.PublicBaseUrl, subdir);
    }

    private IEnumerable<string> VariantOrder(RepodataCacheEntry? cached)
    {
        var zst = _options.ZstdDecompressor is not null;
        if (cached?.Variant == RepodataVariant.Json || !zst) yield return RepodataVariant.Json;
        if (zst) yield return RepodataVariant.Zst;
        if (cached?.Variant != RepodataVariant.Json && zst) yield return RepodataVariant.Json;
    }

    private async Task<HttpResponseMessage> SendAsync(ChannelSource channel, Uri url, RepodataCacheEntry? validators, CancellationToken cancellationToken)
    {
        var shownUrl = ChannelSource.Redact(url);
        try
        {
            return await _pipeline.ExecuteAsync(async token =>
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, WithoutUserInfo(url));
                AddAuthorization(request, channel, url);
                if (validators?.ETag is { } etag && EntityTagHeaderValue.TryParse(etag, out var parsedTag))
                    request.Headers.IfNoneMatch.Add(parsedTag);
                if (validators?.LastModified is { } lastModified && DateTimeOffset.TryParse(lastModified, out var since))
                    request.Headers.IfModifiedSince = since;
                return await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, token).ConfigureAwait(false);
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (IsTransportFailure(e, cancellationToken))
        {
            throw new CondaMirrorException(ErrorCodes.RepodataNetworkError,
                $"Could not reach {shownUrl}: {e.Message}. Check the network or proxy, or set CondaOffline=true to use cached repodata.",
                shownUrl, e);
        }
    }

    private static void AddAuthorization(HttpRequestMessage request, ChannelSource channel, Uri url)
    {
        if (!string.IsNullOrEmpty(channel.BearerToken))
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", channel.BearerToken);
        else if (!string.IsNullOrEmpty(url.UserInfo))
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
                Convert.ToBase64String(Encoding.UTF8.GetBytes(Uri.UnescapeDataString(url.UserInfo))));
    }

    private SparseRepodata LoadCached(ChannelSource channel, string subdir, string entryDir, RepodataCacheEntry entry)
    {
        if (entry.Variant == RepodataVariant.Missing) return SparseRepodata.Empty(channel.PublicBaseUrl, subdir);
        var bodyPath = Path.Combine(entryDir, RepodataCacheEntry.BodyFileName);
        return SparseRepodata.LoadFile(bodyPath, channel.PublicBaseUrl, subdir);
    }

    private SparseRepodata ReadLocal(ChannelSource channel, string subdir)
    {
        var dir = Path.Combine(channel.BaseUrl.LocalPath, subdir);
        var json = Path.Combine(dir, "repodata.json");
        var zst = Path.Combine(dir, "repodata.json.zst");
        if (File.Exists(json)) return SparseRepodata.LoadFile(json, channel.PublicBaseUrl, subdir);
        if (File.Exists(zst))
        {
            if (_options.ZstdDecompressor is null)
                throw new CondaMirrorException(ErrorCodes.RepodataDecompressFailed,
                    $"{zst} can only be read with zstd support; add an uncompressed repodata.json beside it.", zst);
            return SparseRepodata.LoadZstd(zst, File.ReadAllBytes(zst), channel.PublicBaseUrl, subdir, _options.ZstdDecompressor);
        }
        if (subdir == "noarch")
            throw new CondaMirrorException(ErrorCodes.NotACondaChannel,
                $"Not a conda channel: {json} not found. Index the folder first (every channel has noarch/repodata.json).", json);
        _log.Detail($"{channel.DisplayUrl} has no {subdir}/repodata.json; treating {subdir} as empty.");
        return SparseRepodata.Empty(channel.PublicBaseUrl, subdir);
    }

    // Body first, then metadata, each via temp file + rename: a crash leaves either the old pair or no metadata
    // (a refetch), never metadata that describes a half-written body.
    private void TryWriteCache(string entryDir, byte[]? body, RepodataCacheEntry entry)
    {
        try
        {
            Directory.CreateDirectory(entryDir);
            var metadataPath = Path.Combine(entryDir, RepodataCacheEntry.MetadataFileName);
            if (body is not null)
            {
                File.Delete(metadataPath);
                WriteAtomic(Path.Combine(entryDir, RepodataCacheEntry.BodyFileName), body);
            }
            WriteAtomic(metadataPath, entry.ToJson());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _log.Warning(ErrorCodes.RepodataCacheWriteFailed,
                $"Could not write the repodata cache in {entryDir} ({e.Message}); the next build will download it again. " +
                "Check free disk space and permissions.", entryDir);
        }
    }

    private static void WriteAtomic(string path, byte[] bytes)
    {
        var temp = path + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp";
        try
        {
            File.WriteAllBytes(temp, bytes);
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    internal static string CacheKey(Uri subdirUrl) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(subdirUrl.AbsoluteUri)))[..16].ToLowerInvariant();

    private static string Describe(ChannelSource channel, string subdir) => $"{channel.DisplayUrl}/{subdir}";

    private static Uri WithoutUserInfo(Uri url) =>
        string.IsNullOrEmpty(url.UserInfo) ? url : new UriBuilder(url) { UserName = "", Password = "" }.Uri;

    private static bool IsTransportFailure(Exception e, CancellationToken cancellationToken) =>
        e is HttpRequestException or IOException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested);

    private static bool IsTransient(Outcome<HttpResponseMessage> outcome, CancellationToken cancellationToken)
    {
        if (outcome.Exception is not null) return IsTransportFailure(outcome.Exception, cancellationToken);
        var status = (int)outcome.Result!.StatusCode;
        return status is 408 or 429 || status >= 500;
    }

    private static ResiliencePipeline<HttpResponseMessage> BuildPipeline(RepodataFetchOptions options, IMirrorLog log)
    {
        var builder = new ResiliencePipelineBuilder<HttpResponseMessage>();
        if (options.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = options.MaxRetries,
                Delay = options.RetryDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                ShouldHandle = args => ValueTask.FromResult(IsTransient(args.Outcome, args.Context.CancellationToken)),
                OnRetry = args =>
                {
                    var what = args.Outcome.Exception?.Message ?? $"HTTP {(int)args.Outcome.Result!.StatusCode}";
                    log.Detail($"Repodata request failed ({what}); retry {args.AttemptNumber + 1} of {options.MaxRetries} in {args.RetryDelay.TotalSeconds:F1} s.");
                    args.Outcome.Result?.Dispose();
                    return default;
                },
            });
        }
        return builder.Build();
    }
}
