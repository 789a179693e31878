using CondaMirror.Core.IO;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using CondaMirror.Core.Channels;
using CondaMirror.Core.Diagnostics;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Networking;
using CondaMirror.Core.Zstd;

namespace CondaMirror.Core.Repodata;

/// <summary>
/// Gets one channel subdir's repodata as a <see cref="SparseRepodata"/>. Local (file://) channels are read in
/// place. HTTP channels go through a per-user cache: a copy younger than the TTL is used without a request,
/// an older one is revalidated (If-None-Match / If-Modified-Since; 304 reuses it), and repodata.json.zst is
/// preferred over repodata.json, remembering per subdir which one the server has.
/// </summary>
public sealed partial class RepodataFetcher : IDisposable
{
    private readonly RepodataFetchOptions _options;
    private readonly IMirrorLog _log;
    private readonly NetworkClient _http;
    private readonly SemaphoreSlim _shardGate;

    public RepodataFetcher(RepodataFetchOptions options, IMirrorLog log, HttpMessageHandler? handler = null)
    {
        _options = options;
        _log = log;
        _shardGate = new SemaphoreSlim(Math.Max(1, options.MaxParallelShardFetches));
        _http = new NetworkClient(new NetworkOptions
        {
            Retry = new HttpRetrySettings
            {
                RetryCount = options.MaxRetries,
                BaseDelay = options.RetryDelay,
                MaxRetryAfter = options.MaxRetryAfter,
                UnreachableAfter = options.UnreachableAfter,
                OnRetry = n => log.Detail($"Fetching {n.Subject} failed ({UrlRedaction.Redact(n.Failure.Message)}); retry {n.Retry} of {n.MaxRetries} in {n.Delay.TotalSeconds:F1} s."),
            },
            AttemptTimeout = options.RequestTimeout,
            AttemptDeadline = options.RequestDeadline,
            Budget = options.Budget,
            // Channels are fetched concurrently, a few subdirs at a time, and shards several names at a time.
            MaxConnectionsPerServer = 8,
            Credentials = options.Credentials,
            Mirrors = options.Mirrors,
            OnMirrorFailed = (failed, next, e) => log.Warning(ErrorCodes.MirrorFailedOver, $"The mirror {failed} failed ({UrlRedaction.Redact(e.Message)}); trying {next}."),
        }, handler);
    }

    public void Dispose()
    {
        _http.Dispose();
        _shardGate.Dispose();
    }

    public async Task<SparseRepodata> FetchAsync(ChannelSource channel, string subdir, CancellationToken cancellationToken = default)
    {
        if (channel.IsFile) return ReadLocal(channel, subdir, cancellationToken);
        if (!channel.IsRemote)
            throw new CondaMirrorException(ErrorCodes.ChannelSchemeUnsupported,
                $"Channel {channel.DisplayUrl} uses an unsupported scheme; use http(s)://, oci:// or file://.", channel.DisplayUrl);

        var subdirUrl = channel.SubdirUrl(subdir);
        var entryDir = Path.Combine(_options.CacheDirectory, CacheKey(subdirUrl));
        var cached = RepodataCacheEntry.TryLoad(entryDir);
        var now = _options.TimeProvider.GetUtcNow();

        if (cached is not null && (_options.Offline || now - cached.FetchedAt < _options.CacheTtl))
        {
            _log.Detail($"Using cached repodata for {Describe(channel, subdir)} (fetched {cached.FetchedAt:u}).");
            try
            {
                return LoadCached(channel, subdir, entryDir, cached, cancellationToken);
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
                UrlRedaction.Redact(subdirUrl));

        try
        {
            return await FetchOnlineAsync(channel, subdir, subdirUrl, entryDir, cached, cancellationToken).ConfigureAwait(false);
        }
        catch (CondaMirrorException e) when (e.Code is ErrorCodes.RepodataNetworkError or ErrorCodes.RepodataDeadlineExceeded or ErrorCodes.NetworkDeadlineExceeded && cached is not null)
        {
            _log.Warning(ErrorCodes.RepodataStaleCacheUsed,
                $"Could not reach {Describe(channel, subdir)} ({e.Message}); using the cached copy from {cached.FetchedAt:u}.",
                UrlRedaction.Redact(subdirUrl));
            return LoadCached(channel, subdir, entryDir, cached, cancellationToken);
        }
    }


    private async Task<SparseRepodata> FetchOnlineAsync(ChannelSource channel, string subdir, Uri subdirUrl, string entryDir,
        RepodataCacheEntry? cached, CancellationToken cancellationToken)
    {
        string? zstRefused = null;
        CondaMirrorException? zstUndecodable = null;
        foreach (var variant in VariantOrder(cached))
        {
            var url = new Uri(subdirUrl, RepodataVariant.FileName(variant));
            var validators = cached is not null && cached.Variant == variant ? cached : null;
            var shownUrl = UrlRedaction.Redact(url);
            var spoolDir = SpoolDirectory(entryDir);
            var response = await SendAsync(url, validators, spoolDir, cancellationToken).ConfigureAwait(false);
            try
            {
                if (response.Status == HttpStatusCode.NotModified && validators is not null)
                {
                    _log.Detail($"Repodata for {Describe(channel, subdir)} is unchanged (304); using the cached copy.");
                    validators.FetchedAt = _options.TimeProvider.GetUtcNow();
                    validators.ETag = response.ETag ?? validators.ETag;
                    try
                    {
                        var reused = LoadCached(channel, subdir, entryDir, validators, cancellationToken);
                        TryWriteCache(entryDir, bodyPath: null, validators);
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
                if (response.BodyPath is null)
                    throw new CondaMirrorException(ErrorCodes.RepodataHttpError,
                        $"{shownUrl} answered {(int)response.Status} {response.Reason}. Check the channel URL, or retry later.", shownUrl);

                // The cache keeps the decompressed JSON, so a cache hit never decompresses again. The body went to a
                // file as it arrived; .zst is decoded file to file, and only the JSON is ever read into memory, once.
                var jsonPath = response.BodyPath;
                if (variant == RepodataVariant.Zst)
                {
                    try
                    {
                        jsonPath = DecompressZstdFile(shownUrl, response.BodyPath, spoolDir, cancellationToken);
                    }
                    catch (CondaMirrorException e) when (e.InnerException is ZstdFormatException { Code: ErrorCodes.ZstdWindowTooLarge })
                    {
                        // Valid zstd that needs more memory than repodata is allowed; the plain JSON needs none.
                        _log.Detail($"{e.Message} Trying repodata.json.");
                        zstUndecodable = e;
                        continue;
                    }
                    AtomicFile.TryDelete(response.BodyPath);
                    response = response with { BodyPath = jsonPath };
                }
                var repodata = SparseRepodata.LoadFile(jsonPath, channel.PublicBaseUrl, subdir, _options.SubdirNaming, shownUrl, cancellationToken);
                var entry = new RepodataCacheEntry
                {
                    Variant = variant,
                    Url = shownUrl,
                    ETag = response.ETag,
                    LastModified = response.LastModified?.ToString("R"),
                    FetchedAt = _options.TimeProvider.GetUtcNow(),
                };
                TryWriteCache(entryDir, jsonPath, entry);
                var committed = Path.Combine(entryDir, RepodataCacheEntry.BodyFileName);
                if (_options.ParsedCache is not null && new FileInfo(committed) is { Exists: true } info && info.Length == repodata.JsonLength)
                    _options.ParsedCache.Add(ParsedRepodataCache.KeyOf(committed, channel.PublicBaseUrl, subdir, _options.SubdirNaming), repodata);
                _log.Info($"Fetched repodata for {Describe(channel, subdir)}: {repodata.RecordCount} records ({response.WireBytes / 1024.0 / 1024.0:F1} MB {variant}).");
                return repodata;
            }
            finally
            {
                // Gone once committed (moved into the cache); otherwise a body that was refused or not needed.
                if (response.BodyPath is not null) AtomicFile.TryDelete(response.BodyPath);
            }
        }

        // Only the .zst exists and it cannot be decoded within the limits: that, not a missing subdir, is the news.
        if (zstUndecodable is not null) throw zstUndecodable;
        var noarchUrl = UrlRedaction.Redact(new Uri(subdirUrl, "repodata.json"));
        if (subdir == "noarch")
            throw new CondaMirrorException(ErrorCodes.NotACondaChannel,
                $"Not a conda channel: {noarchUrl} not found. Check the channel name or URL.", noarchUrl);
        _log.Detail($"{channel.DisplayUrl} has no {subdir} subdir ({noarchUrl} not found); treating it as empty.");
        TryWriteCache(entryDir, bodyPath: null, new RepodataCacheEntry
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

    /// <summary>
    /// What one GET produced: the status, validators, and for a success the file holding the body (transport
    /// encoding undone) and how many bytes came over the wire.
    /// </summary>
    private sealed record FetchResponse(HttpStatusCode Status, string? Reason, string? ETag, DateTimeOffset? LastModified, string? BodyPath, long WireBytes);

    /// <summary>The byte limit in force: the option, and never more than one array can hold (the index keeps the JSON in one).</summary>
    private long MaxBytes => Math.Min(Math.Max(1, _options.MaxRepodataBytes), Array.MaxLength);

    /// <summary>
    /// A GET that revalidates the cached copy (ETag, Last-Modified). Servers often send repodata gzip- or
    /// brotli-encoded; the readers undo it and bound both sides.
    /// </summary>
    private HttpGet ConditionalGet(Uri url, RepodataCacheEntry? validators) =>
        new(_http.Authenticate(url), UrlRedaction.Redact(url.OriginalString))
        {
            IfNoneMatch = validators?.ETag is { } etag && EntityTagHeaderValue.TryParse(etag, out var parsedTag) ? parsedTag : null,
            IfModifiedSince = validators?.LastModified is { } lastModified && DateTimeOffset.TryParse(lastModified, out var since) ? since : null,
            AcceptCompressed = true,
        };

    // One GET through the network client: retried as a whole, body included, so a reset mid-body is retried too.
    private async Task<FetchResponse> SendAsync(Uri url, RepodataCacheEntry? validators, string spoolDir, CancellationToken cancellationToken)
    {
        var get = ConditionalGet(url, validators);
        var display = get.DisplayUrl;
        try
        {
            return await _http.GetAsync(get, async (response, attempt) =>
            {
                string? bodyPath = null;
                try
                {
                    long wireBytes = 0;
                    if (response.IsSuccessStatusCode)
                    {
                        bodyPath = AtomicFile.TempPathBeside(Path.Combine(spoolDir, RepodataCacheEntry.BodyFileName));
                        wireBytes = await ReceiveBodyAsync(response, bodyPath, display, attempt.Stall).ConfigureAwait(false);
                    }
                    return new FetchResponse(response.StatusCode, response.ReasonPhrase, response.Headers.ETag?.ToString(),
                        response.Content.Headers.LastModified, bodyPath, wireBytes);
                }
                catch
                {
                    if (bodyPath is not null) AtomicFile.TryDelete(bodyPath);
                    throw;
                }
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (HttpResilience.Classify(e) is var kind && kind != HttpFailureKind.None)
        {
            throw NetworkFailure(e, kind, display, cancellationToken);
        }
    }

    /// <summary>A classified network failure of a repodata, shard index or shard request as its coded error.</summary>
    private CondaMirrorException NetworkFailure(Exception e, HttpFailureKind kind, string display, CancellationToken cancellationToken) =>
            kind switch
            {
                HttpFailureKind.RetryAfterTooLong => new CondaMirrorException(ErrorCodes.RepodataRetryAfterTooLong,
                    $"{UrlRedaction.Redact(e.Message)}. Build again after that time, raise CondaMaxRetryAfterSeconds to wait for it, " +
                    "or set CondaOffline=true to resolve from cached repodata.", display, e),
                HttpFailureKind.DeadlineExceeded when !cancellationToken.IsCancellationRequested => new CondaMirrorException(ErrorCodes.RepodataDeadlineExceeded,
                    $"Cannot fetch {display}: {_http.Settings.RetryCount + 1} attempt(s) each ran out of time ({((HttpDeadlineExceededException)e).Deadline.TotalSeconds:0} s) while the server was still sending. " +
                    "The link or the server is too slow; raise CondaHttpRequestDeadlineSeconds, or set CondaOffline=true to use cached repodata.",
                    display, e),
                HttpFailureKind.ServerError => new CondaMirrorException(ErrorCodes.RepodataHttpError,
                    $"{display} answered {(int)((TransientHttpStatusException)e).StatusCode} {((TransientHttpStatusException)e).StatusCode} after {_http.Settings.RetryCount + 1} attempts. The server is failing; retry later.",
                    display, e),
                HttpFailureKind.Unreachable => new CondaMirrorException(ErrorCodes.RepodataNetworkError,
                    $"Cannot fetch {display}: {e.Message}, so no further requests to it were tried. " +
                    "Check the network connection and proxy settings (HTTPS_PROXY, HTTP_PROXY, NO_PROXY), or set CondaOffline=true to resolve from cached repodata.",
                    display, e),
                _ => new CondaMirrorException(ErrorCodes.RepodataNetworkError,
                    $"Could not reach {display}: {UrlRedaction.Redact(e.Message)}. Check the network or proxy, or set CondaOffline=true to use cached repodata.",
                    display, e),
            };

    /// <summary>
    /// Streams the body to <paramref name="path"/>: wire bytes and decoded bytes are each bounded by
    /// <see cref="MaxBytes"/>, so neither a huge body nor a gzip/brotli bomb gets further than one buffer past it.
    /// Returns the number of bytes that came over the wire.
    /// </summary>
    private async Task<long> ReceiveBodyAsync(HttpResponseMessage response, string path, string displayUrl, StallTimeout stall)
    {
        var max = MaxBytes;
        await using var body = await BoundedBody.OpenAsync(response, max,
            (n, decoded) => TooLarge(displayUrl, n, decoded ? "decompressed" : "as sent", max),
            encodings => new CondaMirrorException(ErrorCodes.RepodataContentEncodingUnsupported,
                $"{displayUrl} was sent with Content-Encoding '{string.Join(", ", encodings)}', which this build cannot decode (gzip, deflate and br are supported). " +
                "Check the server or proxy configuration.", displayUrl),
            stall.Token).ConfigureAwait(false);
        var bounded = body.Content;
        var encodings = body.Encodings;
        await using var file = CreateSpoolFile(path);
        var buffer = new byte[1 << 17];
        try
        {
            int read;
            while ((read = await bounded.ReadAsync(buffer, stall.Token).ConfigureAwait(false)) > 0)
            {
                try { await file.WriteAsync(buffer.AsMemory(0, read), stall.Token).ConfigureAwait(false); }
                catch (IOException e) { throw SpoolWriteFailed(path, e); }
                stall.Progress();
            }
        }
        catch (InvalidDataException e)
        {
            throw new CondaMirrorException(ErrorCodes.RepodataDecompressFailed,
                $"{displayUrl} was sent {string.Join(", ", encodings)}-encoded, and that encoding is corrupt ({e.Message}). Retry the build; if it persists, the server or a proxy is at fault.",
                displayUrl, e);
        }
        return body.WireBytes;
    }

    /// <summary>Decodes a downloaded repodata.json.zst into a JSON file beside it, bounded like the download; returns its path.</summary>
    private string DecompressZstdFile(string displayUrl, string zstPath, string spoolDir, CancellationToken cancellationToken)
    {
        var jsonPath = AtomicFile.TempPathBeside(Path.Combine(spoolDir, RepodataCacheEntry.BodyFileName));
        try
        {
            using var input = new FileStream(zstPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
            DecompressZstd(displayUrl, input, jsonPath, cancellationToken);
            return jsonPath;
        }
        catch
        {
            AtomicFile.TryDelete(jsonPath);
            throw;
        }
    }

    private void DecompressZstd(string displayUrl, Stream zst, string jsonPath, CancellationToken cancellationToken)
    {
        var max = MaxBytes;
        using var file = CreateSpoolFile(jsonPath);
        var buffer = new byte[1 << 17];
        try
        {
            using var json = new BoundedReadStream(_options.ZstdDecompressor!(zst), max, n => TooLarge(displayUrl, n, "decompressed", max), leaveOpen: false);
            int read;
            while ((read = json.Read(buffer)) > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                try { file.Write(buffer, 0, read); }
                catch (IOException e) { throw SpoolWriteFailed(jsonPath, e); }
            }
        }
        // The decoder's own coded errors (window too large, corrupt block) carry no URL; say which file it was.
        catch (Exception e) when (e is ZstdFormatException or not (CondaMirrorException or OperationCanceledException or OutOfMemoryException))
        {
            throw new CondaMirrorException(ErrorCodes.RepodataDecompressFailed,
                $"{displayUrl} could not be decompressed ({e.Message}). The download may be damaged; retry the build.", displayUrl, e);
        }
    }

    private static CondaMirrorException TooLarge(string displayUrl, long bytes, string how, long max) => new(ErrorCodes.RepodataTooLarge,
        $"{displayUrl} is larger than {max:N0} bytes {how} ({bytes:N0} bytes or more), the limit for one repodata file: a decompression bomb, " +
        "or not repodata. Check the channel URL; raise CondaMaxRepodataBytes if the channel's repodata really is that large.", displayUrl);

    private static FileStream CreateSpoolFile(string path)
    {
        try { return new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous | FileOptions.SequentialScan); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw SpoolWriteFailed(path, e); }
    }

    private static CondaMirrorException SpoolWriteFailed(string path, Exception e) => new(ErrorCodes.RepodataCacheWriteFailed,
        $"Could not write repodata to {Path.GetDirectoryName(path)} ({e.Message}). Check free disk space and permissions, or set CondaRepodataCachePath.",
        path, e);

    /// <summary>Where bodies are written while they arrive: the cache entry (so committing is a rename), or the temp folder when that cannot be created.</summary>
    private string SpoolDirectory(string entryDir)
    {
        try
        {
            Directory.CreateDirectory(entryDir);
            return entryDir;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _log.Warning(ErrorCodes.RepodataCacheWriteFailed,
                $"Could not create the repodata cache folder {entryDir} ({e.Message}); repodata is downloaded on every build until it can. " +
                "Check permissions, or set CondaRepodataCachePath.", entryDir);
            return Path.GetTempPath();
        }
    }

    private static FileStream OpenLocal(string path)
    {
        try { return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CondaMirrorException(ErrorCodes.RepodataReadFailed,
                $"Could not read {path}: {e.Message} Check that the file exists and is readable.", path, e);
        }
    }

    private SparseRepodata LoadCached(ChannelSource channel, string subdir, string entryDir, RepodataCacheEntry entry, CancellationToken cancellationToken)
    {
        if (entry.Variant == RepodataVariant.Missing) return SparseRepodata.Empty(channel.PublicBaseUrl, subdir);
        var bodyPath = Path.Combine(entryDir, RepodataCacheEntry.BodyFileName);
        return LoadShared(bodyPath, channel, subdir, entry.Url, cancellationToken);
    }

    /// <summary>A file's index from the build node's shared cache, or indexed now (and shared when there is a cache).</summary>
    private SparseRepodata LoadShared(string path, ChannelSource channel, string subdir, string? source, CancellationToken cancellationToken)
    {
        var key = _options.ParsedCache is null ? null : ParsedRepodataCache.KeyOf(path, channel.PublicBaseUrl, subdir, _options.SubdirNaming);
        if (_options.ParsedCache?.TryGet(key) is { } shared)
        {
            _log.Detail($"Using the repodata of {Describe(channel, subdir)} indexed earlier in this build ({shared.RecordCount} records).");
            return shared;
        }
        var repodata = SparseRepodata.LoadFile(path, channel.PublicBaseUrl, subdir, _options.SubdirNaming, string.IsNullOrEmpty(source) ? null : source, cancellationToken);
        _options.ParsedCache?.Add(key, repodata);
        return repodata;
    }

    private SparseRepodata ReadLocal(ChannelSource channel, string subdir, CancellationToken cancellationToken)
    {
        var dir = Path.Combine(channel.BaseUrl.LocalPath, subdir);
        var json = Path.Combine(dir, "repodata.json");
        var zst = Path.Combine(dir, "repodata.json.zst");
        if (File.Exists(json))
        {
            if (new FileInfo(json).Length is var length && length > MaxBytes) throw TooLarge(json, length, "on disk", MaxBytes);
            return LoadShared(json, channel, subdir, null, cancellationToken);
        }
        if (File.Exists(zst))
        {
            if (_options.ZstdDecompressor is null)
                throw new CondaMirrorException(ErrorCodes.RepodataDecompressFailed,
                    $"{zst} can only be read with zstd support; add an uncompressed repodata.json beside it.", zst);
            var jsonPath = AtomicFile.TempPathBeside(Path.Combine(Path.GetTempPath(), "repodata.json"));
            try
            {
                using (var input = OpenLocal(zst)) DecompressZstd(zst, input, jsonPath, cancellationToken);
                return SparseRepodata.LoadFile(jsonPath, channel.PublicBaseUrl, subdir, _options.SubdirNaming, zst, cancellationToken);
            }
            finally
            {
                AtomicFile.TryDelete(jsonPath);
            }
        }
        if (subdir == "noarch")
            throw new CondaMirrorException(ErrorCodes.NotACondaChannel,
                $"Not a conda channel: {json} not found. Index the folder first (every channel has noarch/repodata.json).", json);
        _log.Detail($"{channel.DisplayUrl} has no {subdir}/repodata.json; treating {subdir} as empty.");
        return SparseRepodata.Empty(channel.PublicBaseUrl, subdir);
    }

    // Body first, then metadata, each via temp file + rename: a crash leaves either the old pair or no metadata
    // (a refetch), never metadata that describes a half-written body.
    // The body is a file already written (beside the cache entry when possible, so this is a rename, not a copy).
    private void TryWriteCache(string entryDir, string? bodyPath, RepodataCacheEntry entry)
    {
        try
        {
            Directory.CreateDirectory(entryDir);
            var metadataPath = Path.Combine(entryDir, RepodataCacheEntry.MetadataFileName);
            if (bodyPath is not null)
            {
                File.Delete(metadataPath);
                File.Move(bodyPath, Path.Combine(entryDir, RepodataCacheEntry.BodyFileName), overwrite: true);
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
