using System.Net;
using System.Net.Http.Headers;
using CondaMirror.Core.Channels;
using CondaMirror.Core.Errors;
using CondaMirror.Core.IO;
using CondaMirror.Core.Networking;
using CondaMirror.Core.Repodata.Shards;

namespace CondaMirror.Core.Repodata;

/// <summary>
/// The CEP-16 side of the fetcher: a subdir's shard index (revalidated like repodata.json: TTL, then ETag /
/// Last-Modified), and its shards, fetched lazily per name and cached content-addressed (a shard's name is its
/// sha256, so a cached one never needs revalidating, only its hash checked).
/// </summary>
public sealed partial class RepodataFetcher
{
    private ShardReadOptions ShardOptions => new() { MaxDecompressedBytes = MaxShardBytes };

    private long MaxShardBytes => Math.Min(Math.Max(1, _options.MaxShardBytes), Array.MaxLength);

    /// <summary>
    /// The subdir through its shard index when the channel has one (and <see cref="RepodataFetchOptions.UseShards"/>),
    /// else through repodata.json(.zst) as <see cref="FetchAsync"/>. The result fetches shards until the fetcher is disposed.
    /// </summary>
    public async Task<ISubdirRepodata> FetchSubdirAsync(ChannelSource channel, string subdir, CancellationToken cancellationToken = default)
    {
        if (_options.UseShards)
        {
            var sharded = channel.IsFile ? ReadLocalShardIndex(channel, subdir, cancellationToken)
                : channel.IsHttp ? await TryFetchShardIndexAsync(channel, subdir, cancellationToken).ConfigureAwait(false)
                : null;
            if (sharded is not null) return sharded;
        }
        return await FetchAsync(channel, subdir, cancellationToken).ConfigureAwait(false);
    }

    private ShardedSubdir? ReadLocalShardIndex(ChannelSource channel, string subdir, CancellationToken cancellationToken)
    {
        var indexPath = Path.GetFullPath(Path.Combine(channel.BaseUrl.LocalPath, subdir, RepodataCacheEntry.ShardIndexFileName));
        if (!File.Exists(indexPath)) return null;
        var index = ShardReader.ReadIndexCompressed(ReadLocalBounded(indexPath, "shard index"), ShardOptions, indexPath);
        _log.Detail($"Reading {Describe(channel, subdir)} through its shard index ({index.Shards.Count} names).");
        return NewSharded(channel, subdir, new Uri(indexPath), index, indexPath, cancellationToken);
    }

    private ShardedSubdir NewSharded(ChannelSource channel, string subdir, Uri indexUrl, ShardIndex index, string where, CancellationToken cancellationToken) =>
        new(index, indexUrl, new Uri(channel.PublicBaseUrl, subdir.Trim('/') + "/"), channel.PublicBaseUrl.AbsoluteUri, subdir,
            LoadShardAsync, ShardOptions, _options.SubdirNaming, where, cancellationToken);

    private async Task<ShardedSubdir?> TryFetchShardIndexAsync(ChannelSource channel, string subdir, CancellationToken cancellationToken)
    {
        var subdirUrl = channel.SubdirUrl(subdir);
        var indexUrl = new Uri(subdirUrl, RepodataCacheEntry.ShardIndexFileName);
        var shown = UrlRedaction.Redact(indexUrl);
        var entryDir = Path.Combine(_options.CacheDirectory, CacheKey(subdirUrl));
        var cached = RepodataCacheEntry.TryLoad(entryDir, RepodataCacheEntry.ShardIndexMetadataFileName, RepodataCacheEntry.ShardIndexFileName);
        var now = _options.TimeProvider.GetUtcNow();

        if (cached is not null && (_options.Offline || now - cached.FetchedAt < _options.CacheTtl))
        {
            if (cached.Variant == RepodataVariant.Missing) return null;
            if (LoadCachedIndex(entryDir, shown) is { } fresh)
            {
                _log.Detail($"Using the cached shard index for {Describe(channel, subdir)} (fetched {cached.FetchedAt:u}).");
                return NewSharded(channel, subdir, indexUrl, fresh, shown, cancellationToken);
            }
            cached = null;
        }
        // Offline without a cached index: the monolithic path uses its own cache or reports the miss.
        if (_options.Offline) return null;

        var validators = cached?.Variant == RepodataVariant.Shards ? cached : null;
        SmallResponse response;
        try
        {
            response = await GetSmallAsync(indexUrl, validators, MaxShardBytes, cancellationToken).ConfigureAwait(false);
        }
        catch (CondaMirrorException e) when (e.Code is ErrorCodes.RepodataNetworkError or ErrorCodes.RepodataDeadlineExceeded
                                             && validators is not null && LoadCachedIndex(entryDir, shown) is { } stale)
        {
            _log.Warning(ErrorCodes.RepodataStaleCacheUsed,
                $"Could not reach {Describe(channel, subdir)} ({e.Message}); using the cached shard index from {validators.FetchedAt:u}.", shown);
            return NewSharded(channel, subdir, indexUrl, stale, shown, cancellationToken);
        }

        if (response.Status == HttpStatusCode.NotModified && validators is not null && LoadCachedIndex(entryDir, shown) is { } unchanged)
        {
            _log.Detail($"The shard index of {Describe(channel, subdir)} is unchanged (304); using the cached copy.");
            validators.FetchedAt = _options.TimeProvider.GetUtcNow();
            validators.ETag = response.ETag ?? validators.ETag;
            TryWriteShardIndexCache(entryDir, body: null, validators);
            return NewSharded(channel, subdir, indexUrl, unchanged, shown, cancellationToken);
        }
        if (response.Body is null)
        {
            // No index (404, or 401/403 as static buckets answer for a missing key): remembered for the TTL, and the
            // monolithic repodata decides whether the subdir exists and whether credentials are wrong.
            _log.Detail($"{shown} answered {(int)response.Status} {response.Reason}; using repodata.json.");
            TryWriteShardIndexCache(entryDir, body: null, new RepodataCacheEntry
            {
                Variant = RepodataVariant.Missing,
                Url = shown,
                FetchedAt = _options.TimeProvider.GetUtcNow(),
            });
            return null;
        }

        var index = ShardReader.ReadIndexCompressed(response.Body, ShardOptions, shown);
        TryWriteShardIndexCache(entryDir, response.Body, new RepodataCacheEntry
        {
            Variant = RepodataVariant.Shards,
            Url = shown,
            ETag = response.ETag,
            LastModified = response.LastModified?.ToString("R"),
            FetchedAt = _options.TimeProvider.GetUtcNow(),
        });
        _log.Info($"Fetched the shard index for {Describe(channel, subdir)}: {index.Shards.Count} names ({response.Body.Length / 1024.0:F1} KB).");
        return NewSharded(channel, subdir, indexUrl, index, shown, cancellationToken);
    }

    /// <summary>The cached index, or null when it is missing or damaged (which only costs a download).</summary>
    private ShardIndex? LoadCachedIndex(string entryDir, string shown)
    {
        var path = Path.Combine(entryDir, RepodataCacheEntry.ShardIndexFileName);
        try
        {
            return ShardReader.ReadIndexCompressed(ReadLocalBounded(path, "shard index"), ShardOptions, path);
        }
        catch (CondaMirrorException e) when (e.Code is ErrorCodes.ShardIndexInvalid or ErrorCodes.ShardTooLarge or ErrorCodes.RepodataReadFailed)
        {
            _log.Detail($"The cached shard index for {shown} is unusable ({e.Message}); fetching it again.");
            return null;
        }
    }

    /// <summary>
    /// One shard's compressed bytes, verified against its hash: read in place for a local channel; otherwise from the
    /// content-addressed cache (hash checked on every read, a mismatch evicts it) or the network (then cached).
    /// </summary>
    private async Task<byte[]> LoadShardAsync(string name, byte[] sha256, Uri url, CancellationToken cancellationToken)
    {
        var shown = UrlRedaction.Redact(url);
        if (url.IsFile)
        {
            var local = ReadLocalBounded(url.LocalPath, $"shard of '{name}'");
            ShardReader.VerifyShard(sha256, local, name, url.LocalPath);
            return local;
        }
        if (url.Scheme is not ("http" or "https"))
            throw new CondaMirrorException(ErrorCodes.ChannelSchemeUnsupported,
                $"The shard of '{name}' is at {shown}, which uses an unsupported scheme; shard indexes must point at http(s):// or file:// shards.", shown);

        var cachePath = Path.Combine(_options.CacheDirectory, "shards", ShardHash.ToHex(sha256)[..2], ShardHash.FileName(sha256));
        if (File.Exists(cachePath))
        {
            try
            {
                var hit = ReadLocalBounded(cachePath, $"shard of '{name}'");
                if (ShardHash.Of(hit).AsSpan().SequenceEqual(sha256)) return hit;
                _log.Detail($"The cached shard {cachePath} does not match its name; fetching it again.");
            }
            catch (CondaMirrorException e) when (e.Code is ErrorCodes.RepodataReadFailed or ErrorCodes.ShardTooLarge)
            {
                _log.Detail($"The cached shard {cachePath} is unreadable ({e.Message}); fetching it again.");
            }
            AtomicFile.TryDelete(cachePath);
        }
        if (_options.Offline)
            throw new CondaMirrorException(ErrorCodes.RepodataOfflineCacheMissing,
                $"Offline mode: the shard of '{name}' ({shown}) was never fetched. Run the build once online or set CondaOffline=false.", shown);

        SmallResponse response;
        await _shardGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            response = await GetSmallAsync(url, validators: null, MaxShardBytes, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _shardGate.Release();
        }
        if (response.Body is null)
            throw new CondaMirrorException(ErrorCodes.RepodataHttpError,
                $"{shown} (the shard of '{name}' its index names) answered {(int)response.Status} {response.Reason}. The channel is being updated or is inconsistent; retry later.", shown);
        ShardReader.VerifyShard(sha256, response.Body, name, shown);
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(cachePath)!);
            AtomicFile.WriteAllBytes(cachePath, response.Body);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _log.Detail($"Could not cache the shard of '{name}' in {cachePath} ({e.Message}); it is fetched again next time.");
        }
        return response.Body;
    }

    private byte[] ReadLocalBounded(string path, string what)
    {
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
            if (file.Length > MaxShardBytes)
                throw new CondaMirrorException(ErrorCodes.ShardTooLarge,
                    $"The {what} {path} is {file.Length:N0} bytes, more than the limit of {MaxShardBytes:N0} (CondaMaxShardBytes): not a shard, or raise the limit.", path);
            var bytes = new byte[file.Length];
            file.ReadExactly(bytes);
            return bytes;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CondaMirrorException(ErrorCodes.RepodataReadFailed,
                $"Could not read {path}: {e.Message} Check that the file exists and is readable.", path, e);
        }
    }

    private void TryWriteShardIndexCache(string entryDir, byte[]? body, RepodataCacheEntry entry)
    {
        try
        {
            Directory.CreateDirectory(entryDir);
            var metadataPath = Path.Combine(entryDir, RepodataCacheEntry.ShardIndexMetadataFileName);
            if (body is not null)
            {
                // Metadata first out, body in, metadata back: a crash never leaves validators describing another body.
                File.Delete(metadataPath);
                AtomicFile.WriteAllBytes(Path.Combine(entryDir, RepodataCacheEntry.ShardIndexFileName), body);
            }
            AtomicFile.WriteAllBytes(metadataPath, entry.ToJson());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _log.Warning(ErrorCodes.RepodataCacheWriteFailed,
                $"Could not write the shard index cache in {entryDir} ({e.Message}); the next build will download it again. " +
                "Check free disk space and permissions.", entryDir);
        }
    }

    /// <summary>What one small GET produced: the status, validators and, for a success, the whole body (bounded, decoded).</summary>
    private sealed record SmallResponse(HttpStatusCode Status, string? Reason, string? ETag, DateTimeOffset? LastModified, byte[]? Body);

    /// <summary>
    /// One GET of a shard index or shard: bodies are small (bounded by <paramref name="max"/> as sent and after their
    /// Content-Encoding, so a gzip bomb stops one buffer past it), read whole into memory.
    /// </summary>
    private async Task<SmallResponse> GetSmallAsync(Uri url, RepodataCacheEntry? validators, long max, CancellationToken cancellationToken)
    {
        var get = ConditionalGet(url, validators);
        var display = get.DisplayUrl;
        try
        {
            return await _http.GetAsync(get, async (response, attempt) =>
            {
                byte[]? body = null;
                if (response.IsSuccessStatusCode)
                {
                    await using var bounded = await BoundedBody.OpenAsync(response, max,
                        (n, decoded) => new CondaMirrorException(ErrorCodes.ShardTooLarge,
                            $"{display} is larger than {max:N0} bytes {(decoded ? "decompressed" : "as sent")} ({n:N0} bytes or more), the limit for a shard index or shard: " +
                            "a decompression bomb, or not a shard. Check the channel URL; raise CondaMaxShardBytes if it really is that large.", display),
                        encodings => new CondaMirrorException(ErrorCodes.RepodataContentEncodingUnsupported,
                            $"{display} was sent with Content-Encoding '{string.Join(", ", encodings)}', which this build cannot decode (gzip, deflate and br are supported). " +
                            "Check the server or proxy configuration.", display),
                        attempt.Stall.Token).ConfigureAwait(false);
                    using var memory = new MemoryStream();
                    var buffer = new byte[1 << 16];
                    try
                    {
                        int read;
                        while ((read = await bounded.Content.ReadAsync(buffer, attempt.Stall.Token).ConfigureAwait(false)) > 0)
                        {
                            memory.Write(buffer, 0, read);
                            attempt.Stall.Progress();
                        }
                    }
                    catch (InvalidDataException e)
                    {
                        throw new CondaMirrorException(ErrorCodes.RepodataDecompressFailed,
                            $"{display} was sent {string.Join(", ", bounded.Encodings)}-encoded, and that encoding is corrupt ({e.Message}). Retry the build; if it persists, the server or a proxy is at fault.",
                            display, e);
                    }
                    body = memory.ToArray();
                }
                return new SmallResponse(response.StatusCode, response.ReasonPhrase, response.Headers.ETag?.ToString(), response.Content.Headers.LastModified, body);
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (HttpResilience.Classify(e) is var kind && kind != HttpFailureKind.None)
        {
            throw NetworkFailure(e, kind, display, cancellationToken);
        }
    }
}
