using CondaMirror.Core.IO;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using CondaMirror.Core.Channels;
using CondaMirror.Core.Diagnostics;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Http;

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
    private readonly ResilientHttpClient _http;

    public RepodataFetcher(RepodataFetchOptions options, IMirrorLog log, HttpMessageHandler? handler = null)
    {
        _options = options;
        _log = log;
        var retry = new HttpRetrySettings
        {
            RetryCount = options.MaxRetries,
            BaseDelay = options.RetryDelay,
            UnreachableAfter = options.UnreachableAfter,
            OnRetry = n => log.Detail($"Fetching {n.Subject} failed ({UrlRedaction.Redact(n.Failure.Message)}); retry {n.Retry} of {n.MaxRetries} in {n.Delay.TotalSeconds:F1} s."),
        };
        // Servers often send repodata.json gzip- or brotli-encoded, so automatic decompression is on here.
        _http = new ResilientHttpClient(retry,
            handler ?? CondaHttpClientFactory.CreateHandler(4, automaticDecompression: true, CondaHttpClientFactory.ConnectTimeoutFor(options.RequestTimeout)),
            disposeHandler: handler is null);
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
            try
            {
                return LoadCached(channel, subdir, entryDir, cached);
            }
            catch (CondaMirrorException e) when (e.Code == ErrorCodes.RepodataInvalid && !_options.Offline)
            {
                // A damaged cache file (disk full, killed writer of an older version) only costs a download.
                _log.Detail($"The cached repodata for {Describe(channel, subdir)} is damaged ({e.Message}); downloading it again.");
                cached = null;
            }
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
        string? zstRefused = null;
        foreach (var variant in VariantOrder(cached))
        {
            var url = new Uri(subdirUrl, RepodataVariant.FileName(variant));
            var validators = cached is not null && cached.Variant == variant ? cached : null;
            var response = await SendAsync(channel, url, validators, cancellationToken).ConfigureAwait(false);
            var shownUrl = ChannelSource.Redact(url);

            if (response.Status == HttpStatusCode.NotModified && validators is not null)
            {
                _log.Detail($"Repodata for {Describe(channel, subdir)} is unchanged (304); using the cached copy.");
                validators.FetchedAt = _options.TimeProvider.GetUtcNow();
                validators.ETag = response.ETag ?? validators.ETag;
                try
                {
                    var reused = LoadCached(channel, subdir, entryDir, validators);
                    TryWriteCache(entryDir, body: null, validators);
                    return reused;
                }
                catch (CondaMirrorException e) when (e.Code == ErrorCodes.RepodataInvalid)
                {
                    _log.Detail($"The cached repodata for {Describe(channel, subdir)} is damaged ({e.Message}); downloading it again.");
                    return await FetchOnlineAsync(channel, subdir, subdirUrl, entryDir, cached: null, cancellationToken).ConfigureAwait(false);
                }
            }
            if (response.Status == HttpStatusCode.NotFound)
            {
                _log.Detail($"{shownUrl} not found (404).");
                continue;
            }
            if (response.Status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
            {
                // Static buckets (S3, GCS) answer 403 rather than 404 for a key that does not exist, and many
                // channels publish no .zst: only a refusal of repodata.json itself means the credentials are wrong.
                if (variant == RepodataVariant.Zst)
                {
                    zstRefused = $"{shownUrl} answered {(int)response.Status} {response.Reason}";
                    _log.Detail($"{zstRefused}; trying repodata.json.");
                    continue;
                }
                throw new CondaMirrorException(ErrorCodes.RepodataAuthFailed,
                    $"{shownUrl} refused access ({(int)response.Status} {response.Reason}){(zstRefused is null ? "" : $", and {zstRefused}")}: " +
                    $"the channel {channel.DisplayUrl} needs credentials, or the ones given are wrong. Check the token in the channel URL (/t/<token>/), " +
                    "user:password in it, or the CondaChannel item's BearerToken / BearerTokenEnvironmentVariable metadata.", shownUrl);
            }
            if (response.Body is null)
                throw new CondaMirrorException(ErrorCodes.RepodataHttpError,
                    $"{shownUrl} answered {(int)response.Status} {response.Reason}. Check the channel URL, or retry later.", shownUrl);

            var body = response.Body;
            // The cache keeps the decompressed JSON, so a cache hit never decompresses again.
            var json = variant == RepodataVariant.Zst ? SparseRepodata.Decompress(shownUrl, body, _options.ZstdDecompressor!) : body;
            var repodata = SparseRepodata.Load(shownUrl, json, channel.PublicBaseUrl, subdir, _options.SubdirPolicy);
            var entry = new RepodataCacheEntry
            {
                Variant = variant,
                Url = shownUrl,
                ETag = response.ETag,
                LastModified = response.LastModified?.ToString("R"),
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

    /// <summary>What one GET produced: the status, validators, and the body when the status was a success.</summary>
    private sealed record FetchResponse(HttpStatusCode Status, string? Reason, string? ETag, DateTimeOffset? LastModified, byte[]? Body);

    // One retry operation covers the whole transfer, body included, so a reset mid-body is retried too.
    private async Task<FetchResponse> SendAsync(ChannelSource channel, Uri url, RepodataCacheEntry? validators, CancellationToken cancellationToken)
    {
        var target = HttpAuthentication.Prepare(url, _options.Credentials);
        try
        {
            return await _http.ExecuteAsync(target.RequestUri, target.DisplayUrl, async (_, token) =>
            {
                using var stall = new StallTimeout(_options.RequestTimeout, token);
                try
                {
                    using var request = new HttpRequestMessage(HttpMethod.Get, target.RequestUri);
                    request.Headers.Authorization = target.Authorization ??
                        (string.IsNullOrEmpty(channel.BearerToken) ? null : new AuthenticationHeaderValue("Bearer", channel.BearerToken));
                    if (validators?.ETag is { } etag && EntityTagHeaderValue.TryParse(etag, out var parsedTag))
                        request.Headers.IfNoneMatch.Add(parsedTag);
                    if (validators?.LastModified is { } lastModified && DateTimeOffset.TryParse(lastModified, out var since))
                        request.Headers.IfModifiedSince = since;

                    using var response = await _http.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, stall.Token).ConfigureAwait(false);
                    HttpResilience.ThrowIfTransient(response, target.DisplayUrl, _http.Settings);
                    var body = response.IsSuccessStatusCode ? await ReadBodyAsync(response.Content, stall).ConfigureAwait(false) : null;
                    return new FetchResponse(response.StatusCode, response.ReasonPhrase, response.Headers.ETag?.ToString(),
                        response.Content.Headers.LastModified, body);
                }
                catch (OperationCanceledException) when (stall.Stalled(token))
                {
                    throw new HttpStallTimeoutException(target.DisplayUrl, stall.Timeout);
                }
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (TransientHttpStatusException e)
        {
            throw new CondaMirrorException(ErrorCodes.RepodataHttpError,
                $"{target.DisplayUrl} answered {(int)e.StatusCode} {e.StatusCode} after {_http.Settings.RetryCount + 1} attempts. The server is failing; retry later.",
                target.DisplayUrl, e);
        }
        catch (HostUnreachableException e)
        {
            throw new CondaMirrorException(ErrorCodes.RepodataNetworkError,
                $"Cannot fetch {target.DisplayUrl}: {e.Message}, so no further requests to it were tried. " +
                "Check the network connection and proxy settings (HTTPS_PROXY, HTTP_PROXY, NO_PROXY), or set CondaOffline=true to resolve from cached repodata.",
                target.DisplayUrl, e);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or TimeoutException)
        {
            throw new CondaMirrorException(ErrorCodes.RepodataNetworkError,
                $"Could not reach {target.DisplayUrl}: {UrlRedaction.Redact(e.Message)}. Check the network or proxy, or set CondaOffline=true to use cached repodata.",
                target.DisplayUrl, e);
        }
    }

    private static async Task<byte[]> ReadBodyAsync(HttpContent content, StallTimeout stall)
    {
        await using var stream = await content.ReadAsStreamAsync(stall.Token).ConfigureAwait(false);
        var length = content.Headers.ContentLength;
        using var buffer = new MemoryStream(length is > 0 and < int.MaxValue ? (int)length : 1 << 20);
        var chunk = new byte[1 << 17];
        int read;
        while ((read = await stream.ReadAsync(chunk, stall.Token).ConfigureAwait(false)) > 0)
        {
            buffer.Write(chunk, 0, read);
            stall.Progress();
        }
        return buffer.Length == buffer.Capacity ? buffer.GetBuffer() : buffer.ToArray();
    }

    private SparseRepodata LoadCached(ChannelSource channel, string subdir, string entryDir, RepodataCacheEntry entry)
    {
        if (entry.Variant == RepodataVariant.Missing) return SparseRepodata.Empty(channel.PublicBaseUrl, subdir);
        var bodyPath = Path.Combine(entryDir, RepodataCacheEntry.BodyFileName);
        return SparseRepodata.LoadFile(bodyPath, channel.PublicBaseUrl, subdir, _options.SubdirPolicy);
    }

    private SparseRepodata ReadLocal(ChannelSource channel, string subdir)
    {
        var dir = Path.Combine(channel.BaseUrl.LocalPath, subdir);
        var json = Path.Combine(dir, "repodata.json");
        var zst = Path.Combine(dir, "repodata.json.zst");
        if (File.Exists(json)) return SparseRepodata.LoadFile(json, channel.PublicBaseUrl, subdir, _options.SubdirPolicy);
        if (File.Exists(zst))
        {
            if (_options.ZstdDecompressor is null)
                throw new CondaMirrorException(ErrorCodes.RepodataDecompressFailed,
                    $"{zst} can only be read with zstd support; add an uncompressed repodata.json beside it.", zst);
            return SparseRepodata.LoadZstd(zst, SparseRepodata.ReadAllBytes(zst), channel.PublicBaseUrl, subdir, _options.ZstdDecompressor, _options.SubdirPolicy);
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
                AtomicFile.WriteAllBytes(Path.Combine(entryDir, RepodataCacheEntry.BodyFileName), body);
            }
            AtomicFile.WriteAllBytes(metadataPath, entry.ToJson());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _log.Warning(ErrorCodes.RepodataCacheWriteFailed,
                $"Could not write the repodata cache in {entryDir} ({e.Message}); the next build will download it again. " +
                "Check free disk space and permissions.", entryDir);
        }
    }

    internal static string CacheKey(Uri subdirUrl) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(subdirUrl.AbsoluteUri)))[..16].ToLowerInvariant();

    private static string Describe(ChannelSource channel, string subdir) => $"{channel.DisplayUrl}/{subdir}";
}
