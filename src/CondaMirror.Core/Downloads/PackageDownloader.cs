using CondaMirror.Core.Archives;
using CondaMirror.Core.IO;
using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using CondaMirror.Core.Diagnostics;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Networking;

namespace CondaMirror.Core.Downloads;

/// <summary>
/// Fetches package archives into the <see cref="PackageCache"/>: in parallel, retried with backoff (Polly),
/// streamed to a unique temp file while hashing, verified against the lock's size and hashes, and only then
/// renamed into place. Nothing unverified ever appears under a cache path, whatever fails and whenever.
/// </summary>
public sealed partial class PackageDownloader : IDisposable
{
    // 128 KiB: large enough that syscalls and hashing calls amortise, small enough to stay off the LOH.
    private const int BufferSize = 128 * 1024;
    private static readonly TimeSpan StalePartialAge = TimeSpan.FromDays(1);

    private readonly DownloadOptions _options;
    private readonly IMirrorLog _log;
    private readonly PackageCache _cache;
    private readonly NetworkClient _http;

    public PackageDownloader(DownloadOptions options, IMirrorLog log, HttpMessageHandler? handler = null)
    {
        _options = options;
        _log = log;
        _cache = new PackageCache(options.CacheRoot);
        _http = new NetworkClient(new NetworkOptions
        {
            Retry = new HttpRetrySettings
            {
                RetryCount = options.RetryCount,
                BaseDelay = options.BaseDelay,
                MaxRetryAfter = options.MaxRetryAfter,
                UnreachableAfter = options.UnreachableAfter,
                OnRetry = n => _log.Detail(
                    $"Retrying {n.Subject} ({n.Retry}/{n.MaxRetries}) in {n.Delay.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s: {UrlRedaction.Redact(n.Failure.Message)}"),
            },
            AttemptTimeout = options.AttemptTimeout,
            AttemptDeadline = options.AttemptDeadline,
            Budget = options.Budget,
            MaxConnectionsPerServer = options.MaxParallel,
            Credentials = options.Credentials,
            Mirrors = options.Mirrors,
            OnMirrorFailed = (failed, next, e) => _log.Warning(ErrorCodes.MirrorFailedOver, $"The mirror {failed} failed ({UrlRedaction.Redact(e.Message)}); trying {next}."),
        }, handler);
    }

    public PackageCache Cache => _cache;

    public void Dispose() => _http.Dispose();

    /// <summary>
    /// Makes every request available in the cache. Packages that fail do not stop the others (those stay cached for
    /// the next build); afterwards one <see cref="CondaMirrorException"/> reports every failure. A host that cannot be
    /// reached at all stops every download from it within seconds and is reported once, not once per package.
    /// Cancellation aborts transfers, removes their temp files and throws <see cref="OperationCanceledException"/>.
    /// </summary>
    public async Task<DownloadSummary> DownloadAsync(IReadOnlyList<DownloadRequest> requests, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        foreach (var request in requests) Validate(request);
        _cache.CleanStalePartials(StalePartialAge);

        // Identical archives requested twice (same hash and name) are fetched once.
        var work = requests
            .GroupBy(r => (Key: PackageCache.KeyOf(r) ?? r.Url, r.FileName))
            .Select(g => g.ToList())
            .ToList();

        var paths = new ConcurrentDictionary<DownloadRequest, string>();
        var misses = new List<List<DownloadRequest>>();
        foreach (var group in work)
        {
            if (_cache.TryGetVerified(group[0], out var cached))
                foreach (var r in group) paths[r] = cached;
            else
                misses.Add(group);
        }

        var unverifiable = misses.Where(g => PackageCache.KeyOf(g[0]) is null).Select(g => g[0].FileName).ToList();
        if (unverifiable.Count > 0 && _options.WarnUnverifiable)
            _log.Warning(ErrorCodes.DownloadUnverifiable,
                $"{unverifiable.Count} package(s) have no sha256 or md5 in the lock, so their bytes cannot be verified and they are never taken from the cache: {string.Join(", ", unverifiable.Take(5))}{(unverifiable.Count > 5 ? ", ..." : "")}. Re-lock with a tool that records hashes.");

        // Only a run with something to fetch claims partial files (a cache that only serves hits may be read-only).
        using var owner = misses.Count > 0 ? ClaimPartials() : null;
        var progress = new ProgressTracker(work.Count, work.Count - misses.Count, misses.Sum(g => g[0].Size ?? 0));
        var failures = new ConcurrentQueue<CondaMirrorException>();
        var unreachable = new ConcurrentQueue<HostUnreachableException>();
        using (var reporterStop = new CancellationTokenSource())
        {
            var reporter = ReportProgressAsync(progress, reporterStop.Token);
            // The member check runs beside the downloads, on every core (see ValidationStage).
            await using var stage = misses.Count > 0 && _options.Validation is { } validation
                ? new ValidationStage(ValidationWorkers(misses.Count), (item, token) =>
                {
                    try { Complete(item, CheckAndCommit(item, validation, token), paths, progress); }
                    catch (CondaMirrorException e) { failures.Enqueue(e); }
                }, cancellationToken)
                : null;
            try
            {
                await Parallel.ForEachAsync(
                    misses,
                    new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, _options.MaxParallel), CancellationToken = stage?.Token ?? cancellationToken },
                    async (group, token) =>
                    {
                        try
                        {
                            var display = UrlRedaction.Redact(group[0].Url);
                            var transfer = await FetchVerifiedAsync(group[0], display, owner!, progress, token).ConfigureAwait(false);
                            if (stage is null)
                            {
                                Complete(new Downloaded(group, display, transfer), Commit(group[0], transfer), paths, progress);
                                return;
                            }
                            try { await stage.EnqueueAsync(new Downloaded(group, display, transfer)).ConfigureAwait(false); }
                            catch
                            {
                                AtomicFile.TryDelete(transfer.TempPath); // not handed over: still this slot's file
                                throw;
                            }
                        }
                        catch (CondaMirrorException e)
                        {
                            failures.Enqueue(e);
                        }
                        catch (HostUnreachableException e)
                        {
                            unreachable.Enqueue(e);
                        }
                    }).ConfigureAwait(false);
                if (stage is not null) await stage.CompleteAsync().ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stage is { Faulted: true } && !cancellationToken.IsCancellationRequested)
            {
                // The downloads stopped because a check worker failed: report that failure, not a cancellation.
                await stage.CompleteAsync().ConfigureAwait(false);
                throw;
            }
            catch (Exception e) when (e is not OperationCanceledException && cancellationToken.IsCancellationRequested)
            {
                // An aborted socket read can surface as IOException; the caller asked to cancel, so say that.
                throw new OperationCanceledException("The download was cancelled.", e, cancellationToken);
            }
            finally
            {
                reporterStop.Cancel();
                await reporter.ConfigureAwait(false);
            }
        }

        var fromCache = work.Count - misses.Count;
        var failed = failures.Count + unreachable.Count;
        if (failed > 0)
            throw Combine(failures.ToList(), unreachable.ToList(), new Counts(work.Count, misses.Count - failed, fromCache, failed));

        // A detail: the task reports the summary itself at high importance.
        _log.Detail(string.Create(CultureInfo.InvariantCulture,
            $"Downloaded {misses.Count} packages ({Mb(progress.Bytes):0.0} MB) in {stopwatch.Elapsed.TotalSeconds:0.0} s, {fromCache} from cache"));
        return new DownloadSummary(new Dictionary<DownloadRequest, string>(paths), misses.Count, fromCache, progress.Bytes, stopwatch.Elapsed);
    }

    /// <summary>Checks at most as many archives at once as there are cores, and never more than there are to check.</summary>
    private static int ValidationWorkers(int archives) => Math.Clamp(Environment.ProcessorCount, 1, Math.Max(1, archives));

    private void Complete(Downloaded item, string path, ConcurrentDictionary<DownloadRequest, string> paths, ProgressTracker progress)
    {
        _log.Detail($"Downloaded {item.Group[0].Subdir}/{item.Group[0].FileName} to {path}");
        foreach (var r in item.Group) paths[r] = path;
        progress.PackageDone();
    }

    /// <summary>Downloads one archive to a temp file and checks its size and hashes against the lock; on any failure
    /// the temp file is gone, on success the caller owns it.</summary>
    private async Task<Transfer> FetchVerifiedAsync(DownloadRequest request, string display, PackageCache.PartialOwner owner, ProgressTracker progress, CancellationToken cancellationToken)
    {
        var transfer = IsHttp(request.Url)
            ? await FetchHttpAsync(request, display, owner, progress, cancellationToken).ConfigureAwait(false)
            : await CopyLocalAsync(request, display, owner, progress, cancellationToken).ConfigureAwait(false);
        try
        {
            Verify(request, display, transfer);
            return transfer;
        }
        catch
        {
            AtomicFile.TryDelete(transfer.TempPath);
            throw;
        }
    }

    /// <summary>Once per package as it enters the cache (hits never pay for it): no member may escape the package.</summary>
    private string CheckAndCommit(Downloaded item, PackageValidationOptions validation, CancellationToken cancellationToken)
    {
        // The pass keeps the info/ files the index step reads, so the index step need not decode the archive again.
        var (_, info) = PackageArchive.ValidateAndTryReadInfo(item.Transfer.TempPath, item.Group[0].FileName, item.Display,
            InfoMembers.IndexJson | InfoMembers.About | InfoMembers.RunExports, validation, cancellationToken);
        return Commit(item.Group[0], item.Transfer, info is null ? null : ArchiveInfoRecord.ToBytes(item.Transfer.Sha256, info));
    }

    private string Commit(DownloadRequest request, Transfer transfer, byte[]? infoRecord = null)
    {
        try
        {
            // Stored under the sha256 whatever the lock gave; the lock's md5 (verified here only without a sha256)
            // lets md5-only locks find the entry later.
            return _cache.Commit(transfer.TempPath, request.FileName, new PackageCache.Sidecar(transfer.Sha256, transfer.Md5, transfer.Size), request.Md5, infoRecord);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw PackageCache.WriteFailed(_cache.Root, e);
        }
        finally
        {
            AtomicFile.TryDelete(transfer.TempPath); // no-op once committed (moved away)
        }
    }

    private async Task<Transfer> FetchHttpAsync(DownloadRequest request, string display, PackageCache.PartialOwner owner, ProgressTracker progress, CancellationToken cancellationToken)
    {
        HttpGet get;
        try { get = new HttpGet(_http.Authenticate(new Uri(request.Url)), request.FileName); }
        catch (UriFormatException) { throw InvalidRequest(request, "the URL is not valid"); }

        try
        {
            return await _http.GetAsync(get, (response, attempt) => ReceiveAsync(request, response, attempt, owner, progress), cancellationToken).ConfigureAwait(false);
        }
        // Unreachable hosts are reported once per host by the caller; everything else network-made is coded here.
        catch (Exception e) when (HttpResilience.Classify(e) is var kind && (kind == HttpFailureKind.RetryAfterTooLong ||
            (kind is not (HttpFailureKind.None or HttpFailureKind.Unreachable) && !cancellationToken.IsCancellationRequested)))
        {
            throw kind switch
            {
                HttpFailureKind.RetryAfterTooLong => new CondaMirrorException(ErrorCodes.DownloadRetryAfterTooLong,
                    $"Cannot download {request.FileName}: {UrlRedaction.Redact(e.Message)}. Build again after that time, or raise CondaMaxRetryAfterSeconds to wait for it.",
                    display, e),
                HttpFailureKind.DeadlineExceeded => new CondaMirrorException(ErrorCodes.DownloadDeadlineExceeded,
                    $"Cannot download {request.FileName} from {display}: {get.Attempts} attempt(s) each ran out of time ({((HttpDeadlineExceededException)e).Deadline.TotalSeconds:0} s) while the server was still sending. " +
                    "The link or the server is too slow; raise CondaHttpRequestDeadlineSeconds for very large packages on slow links.",
                    display, e),
                _ => new CondaMirrorException(ErrorCodes.DownloadFailedAfterRetries,
                    $"Cannot download {request.FileName} from {display} after {get.Attempts} attempt(s): {UrlRedaction.Redact(e.Message)}. " +
                    "Check the network, proxy settings (HTTPS_PROXY) and the server, then build again; packages already downloaded stay cached.",
                    display, e),
            };
        }
    }

    /// <summary>One attempt's body: status checked, streamed to a fresh partial file while hashing, bounded by the lock's size.</summary>
    private async Task<Transfer> ReceiveAsync(DownloadRequest request, HttpResponseMessage response, HttpAttempt attempt, PackageCache.PartialOwner owner, ProgressTracker progress)
    {
        var temp = _cache.NewPartialPath(owner);
        long received = 0;
        try
        {
            ThrowForStatus(request, attempt.DisplayUrl, response);
            // A body announced larger than the lock's size is refused before a byte of it is read.
            if (request.Size is { } limit && response.Content.Headers.ContentLength is { } announced && announced > limit)
                throw TooLarge(request, attempt.DisplayUrl, $"the server announced {announced} bytes");
            await using var body = await response.Content.ReadAsStreamAsync(attempt.Token).ConfigureAwait(false);
            var transfer = await CopyHashedAsync(body, temp, request, attempt.DisplayUrl, attempt.Stall, n => { received += n; progress.AddBytes(n); }, attempt.Token).ConfigureAwait(false);
            if (response.Content.Headers.ContentLength is { } expected && expected != transfer.Size)
                throw new IOException($"the response ended after {transfer.Size} of {expected} bytes");
            return transfer;
        }
        catch
        {
            AtomicFile.TryDelete(temp);
            progress.AddBytes(-received);
            throw;
        }
    }

    private static void ThrowForStatus(DownloadRequest request, string display, HttpResponseMessage response)
    {
        if (response.IsSuccessStatusCode) return;
        var status = response.StatusCode;
        var statusText = $"{(int)status} {response.ReasonPhrase ?? status.ToString()}";
        throw status switch
        {
            HttpStatusCode.NotFound or HttpStatusCode.Gone => new CondaMirrorException(ErrorCodes.DownloadNotFound,
                $"Cannot download {request.FileName}: {display} answered {statusText}; the channel no longer has it. " +
                "Re-lock (update the lock file) so it only names packages the channel still serves.", display),
            HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => new CondaMirrorException(ErrorCodes.DownloadUnauthorized,
                $"Cannot download {request.FileName}: {display} answered {statusText}; check credentials for {ChannelOf(request, display)} " +
                "(user:password in the channel URL, a /t/<token>/ channel URL, or the channel's bearer token).", display),
            _ => new CondaMirrorException(ErrorCodes.DownloadHttpError,
                $"Cannot download {request.FileName}: {display} answered {statusText}. Check that the channel URL points at a conda channel.", display),
        };
    }

    private async Task<Transfer> CopyLocalAsync(DownloadRequest request, string display, PackageCache.PartialOwner owner, ProgressTracker progress, CancellationToken cancellationToken)
    {
        string source;
        try { source = request.Url.StartsWith("file:", StringComparison.OrdinalIgnoreCase) ? new Uri(request.Url).LocalPath : Path.GetFullPath(request.Url); }
        catch (Exception e) when (e is UriFormatException or ArgumentException or NotSupportedException) { throw InvalidRequest(request, "the URL is not valid"); }

        FileStream input;
        try { input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous | FileOptions.SequentialScan); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CondaMirrorException(ErrorCodes.DownloadLocalSourceMissing,
                $"Cannot read {request.FileName} from {display}: {e.Message} Restore the file or re-lock.", display, e);
        }

        var temp = _cache.NewPartialPath(owner);
        await using (input)
        {
            try
            {
                return await CopyHashedAsync(input, temp, request, display, stall: null, progress.AddBytes, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                AtomicFile.TryDelete(temp);
                throw new CondaMirrorException(ErrorCodes.DownloadLocalSourceMissing,
                    $"Cannot read {request.FileName} from {display}: {e.Message}", display, e);
            }
            catch
            {
                AtomicFile.TryDelete(temp);
                throw;
            }
        }
    }

    /// <summary>
    /// Streams <paramref name="source"/> to <paramref name="tempPath"/>, hashing as it goes. Read failures propagate
    /// as they are (the retry policy judges them); write failures are cache problems and never retried.
    /// MD5 is only computed when it is the strongest hash the lock offers: SHA-256 already proves the content,
    /// and MD5 would cost a third more CPU per byte.
    /// With a size in the lock, at most one byte more than that is read: a source that keeps sending fails at once
    /// (CMIR530) instead of filling the disk. Nothing is pre-allocated: a killed build leaves only what arrived.
    /// </summary>
    private async Task<Transfer> CopyHashedAsync(Stream source, string tempPath, DownloadRequest request, string display, StallTimeout? stall, Action<long> onBytes, CancellationToken token)
    {
        using var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var md5 = string.IsNullOrEmpty(request.Sha256) ? IncrementalHash.CreateHash(HashAlgorithmName.MD5) : null;
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        long total = 0;
        try
        {
            FileStream output;
            try
            {
                output = new FileStream(tempPath, new FileStreamOptions
                {
                    Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None, BufferSize = 0,
                    Options = FileOptions.Asynchronous,
                });
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw PackageCache.WriteFailed(_cache.Root, e); }

            await using (output)
            {
                // One byte past the lock's size is enough to know the source is too large.
                var limit = request.Size is { } size ? size + 1 : long.MaxValue;
                while (true)
                {
                    var want = (int)Math.Min(BufferSize, limit - total);
                    if (want == 0) throw TooLarge(request, display, $"more than {request.Size} bytes arrived");
                    var read = await source.ReadAsync(buffer.AsMemory(0, want), token).ConfigureAwait(false);
                    if (read == 0) break;
                    stall?.Progress();
                    sha256.AppendData(buffer, 0, read);
                    md5?.AppendData(buffer, 0, read);
                    try { await output.WriteAsync(buffer.AsMemory(0, read), token).ConfigureAwait(false); }
                    catch (IOException e) { throw PackageCache.WriteFailed(_cache.Root, e); }
                    total += read;
                    onBytes(read);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return new Transfer(tempPath, Convert.ToHexString(sha256.GetHashAndReset()).ToLowerInvariant(),
            md5 is null ? null : Convert.ToHexString(md5.GetHashAndReset()).ToLowerInvariant(), total);
    }

    private static void Verify(DownloadRequest request, string display, Transfer transfer)
    {
        if (request.Size is { } size && size != transfer.Size)
            throw new CondaMirrorException(ErrorCodes.DownloadSizeMismatch,
                $"Size mismatch for {request.FileName} from {display}: expected {size} bytes, got {transfer.Size}. " +
                "The server's file differs from the one in the lock: re-lock if the package was re-published, otherwise a proxy or the server is corrupting downloads.",
                display);
        if (!string.IsNullOrEmpty(request.Sha256) && !PackageCache.HashEquals(request.Sha256, transfer.Sha256))
            throw Mismatch("sha256", request.Sha256, transfer.Sha256);
        if (!string.IsNullOrEmpty(request.Md5) && transfer.Md5 is not null && !PackageCache.HashEquals(request.Md5, transfer.Md5))
            throw Mismatch("md5", request.Md5, transfer.Md5);

        CondaMirrorException Mismatch(string algorithm, string expected, string actual) => new(ErrorCodes.DownloadChecksumMismatch,
            $"Checksum mismatch for {request.FileName} from {display}: expected {algorithm} {expected.ToLowerInvariant()}, got {actual}. " +
            "The server's file differs from the one in the lock: re-lock if the package was re-published, otherwise a proxy or the server is corrupting downloads.",
            display);
    }

    private PackageCache.PartialOwner ClaimPartials()
    {
        try { return _cache.ClaimPartials(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw PackageCache.WriteFailed(_cache.Root, e); }
    }

    private void Validate(DownloadRequest request)
    {
        if (string.IsNullOrWhiteSpace(request.Url)) throw InvalidRequest(request, "the URL is empty");
        if (request.Size is { } size && (size < 0 || size > _options.MaxPackageBytes))
            throw new CondaMirrorException(ErrorCodes.DownloadSizeInvalid, string.Create(CultureInfo.InvariantCulture,
                $"The lock gives {request.FileName} (from {UrlRedaction.Redact(request.Url)}) a size of {size} bytes, ") +
                (size < 0 ? "which is negative. " : string.Create(CultureInfo.InvariantCulture, $"more than the {_options.MaxPackageBytes}-byte limit for one package. ")) +
                "Fix the lock entry's size or re-lock.", UrlRedaction.Redact(request.Url));
        if (string.IsNullOrWhiteSpace(request.FileName) || request.FileName is "." or ".." ||
            request.FileName.IndexOfAny(['/', '\\', ':']) >= 0 || request.FileName.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0)
            throw InvalidRequest(request, "the file name is not a plain archive file name");
        // The hashes become directory names: only accept real hex digests.
        if (!string.IsNullOrEmpty(request.Sha256) && !IsHex(request.Sha256, 64)) throw InvalidRequest(request, "the sha256 is not 64 hex digits");
        if (!string.IsNullOrEmpty(request.Md5) && !IsHex(request.Md5, 32)) throw InvalidRequest(request, "the md5 is not 32 hex digits");
        if (request.Url.Contains("://", StringComparison.Ordinal) && !IsHttp(request.Url) && !request.Url.StartsWith("file:", StringComparison.OrdinalIgnoreCase))
            throw InvalidRequest(request, "only http, https and file URLs (or local paths) are supported");
    }

    private static CondaMirrorException TooLarge(DownloadRequest request, string display, string what) => new(ErrorCodes.DownloadTooLarge,
        string.Create(CultureInfo.InvariantCulture,
            $"Cannot download {request.FileName} from {display}: the lock says it is {request.Size} bytes, but {what}; reading stopped there and nothing was kept. ") +
        "The server's file differs from the one in the lock: re-lock if the package was re-published, otherwise the server or a proxy is sending something else.",
        display);

    private static bool IsHex(string value, int length) => value.Length == length && value.All(Uri.IsHexDigit);

    // oci:// packages go through the same client, which finds their blob in the registry.
    private static bool IsHttp(string url) =>
        url.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || url.StartsWith("https://", StringComparison.OrdinalIgnoreCase)
        || url.StartsWith("oci://", StringComparison.OrdinalIgnoreCase);

    private static CondaMirrorException InvalidRequest(DownloadRequest request, string problem) => new(ErrorCodes.DownloadInvalidRequest,
        $"Cannot download '{request.FileName}' from '{UrlRedaction.Redact(request.Url)}': {problem}. Fix the lock entry or re-lock.",
        UrlRedaction.Redact(request.Url));

    /// <summary>The channel part of a package URL (without subdir and file name), for "check credentials for ..." hints.</summary>
    private static string ChannelOf(DownloadRequest request, string display)
    {
        var suffix = "/" + request.Subdir + "/" + request.FileName;
        var query = display.IndexOf('?');
        var path = query >= 0 ? display[..query] : display;
        if (path.EndsWith(suffix, StringComparison.Ordinal)) return path[..^suffix.Length];
        var slash = path.LastIndexOf('/');
        return slash > 0 ? path[..slash] : path;
    }

    /// <summary>How many distinct archives the run had, and what became of them.</summary>
    private readonly record struct Counts(int Total, int Downloaded, int FromCache, int Failed)
    {
        public string Describe() => Downloaded + FromCache == 0
            ? string.Create(CultureInfo.InvariantCulture, $"None of the {Total} packages was downloaded or already in the package cache.")
            : string.Create(CultureInfo.InvariantCulture,
                $"Of {Total} packages, {Downloaded} were downloaded and {FromCache} were already in the package cache; those stay cached for the next build.");
    }

    private static CondaMirrorException Combine(IReadOnlyList<CondaMirrorException> failures, IReadOnlyList<HostUnreachableException> unreachable, Counts counts)
    {
        // One error per unreachable host, however many packages it was to serve.
        var hosts = unreachable.GroupBy(u => u.Host, StringComparer.OrdinalIgnoreCase).ToList();
        if (failures.Count == 0 && hosts.Count == 1) return HostUnreachable(hosts[0].First(), hosts[0].Count(), counts);
        var hostErrors = hosts.Select(g => HostUnreachable(g.First(), g.Count(), counts: null)).ToList();
        if (failures.Count == 1 && hostErrors.Count == 0) return failures[0];
        // The step's network time ran out: one error, not one line per package that was still in flight or waiting.
        if (hostErrors.Count == 0 && failures.All(f => f.Code == ErrorCodes.NetworkDeadlineExceeded))
            return new CondaMirrorException(ErrorCodes.NetworkDeadlineExceeded,
                string.Create(CultureInfo.InvariantCulture, $"{failures[0].Message} {counts.Failed} package(s) were not downloaded. {counts.Describe()}"),
                failures[0].File, failures[0]);

        var all = hostErrors.Concat(failures).ToList();
        const int Shown = 20;
        var lines = all.Take(Shown).Select(f => $"  {f.Code}: {f.Message}");
        var more = all.Count > Shown ? $"\n  ... and {all.Count - Shown} more" : string.Empty;
        return new CondaMirrorException(ErrorCodes.DownloadsFailed,
            string.Create(CultureInfo.InvariantCulture, $"{counts.Failed} packages could not be downloaded. {counts.Describe()}\n{string.Join("\n", lines)}{more}"),
            all[0].File, new AggregateException(all));
    }

    /// <param name="counts">The run's totals, when this error stands alone (a combined error states them once, up front).</param>
    private static CondaMirrorException HostUnreachable(HostUnreachableException e, int packages, Counts? counts) => new(ErrorCodes.DownloadHostUnreachable,
        string.Create(CultureInfo.InvariantCulture,
            $"Cannot download {packages} package(s) from {e.Host}: the host is unreachable, {e.Reason} ({e.FailedAttempts} connection attempt(s) failed over {e.Duration.TotalSeconds:0.0} s), so no further downloads from it were tried.") +
        (counts is { } c ? " " + c.Describe() : "") +
        " Check the network connection and proxy settings (HTTPS_PROXY, HTTP_PROXY, NO_PROXY) and build again, " +
        "or build where the package cache (CondaPackageCachePath) already holds these packages.",
        e.Host, e);

    private async Task ReportProgressAsync(ProgressTracker progress, CancellationToken stop)
    {
        if (_options.ProgressInterval <= TimeSpan.Zero) return;
        using var timer = new PeriodicTimer(_options.ProgressInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
                _log.Info(progress.Describe());
        }
        catch (OperationCanceledException) { /* the run finished */ }
    }

    internal static double Mb(long bytes) => bytes / (1024.0 * 1024.0);

    private sealed record Transfer(string TempPath, string Sha256, string? Md5, long Size);

    private sealed class ProgressTracker(int totalPackages, int donePackages, long totalBytes)
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private long _bytes;
        private int _done = donePackages;

        public long Bytes => Interlocked.Read(ref _bytes);
        public void AddBytes(long n) => Interlocked.Add(ref _bytes, n);
        public void PackageDone() => Interlocked.Increment(ref _done);

        public string Describe()
        {
            var bytes = Bytes;
            var rate = Mb(bytes) / Math.Max(_clock.Elapsed.TotalSeconds, 0.001);
            var sizes = totalBytes > 0 ? $"{Mb(bytes):0.0}/{Mb(totalBytes):0.0} MB" : $"{Mb(bytes):0.0} MB";
            return string.Create(CultureInfo.InvariantCulture, $"Downloading: {Volatile.Read(ref _done)}/{totalPackages} packages, {sizes}, {rate:0.0} MB/s");
        }
    }
}
