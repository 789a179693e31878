using CondaMirror.Core.Archives;
using CondaMirror.Core.Networking;
using CondaMirror.Core.Records;

namespace CondaMirror.Core.Downloads;

/// <summary>One package archive to fetch and verify.</summary>
/// <param name="Url">http(s) or file URL, or a local path. May carry <c>user:pass@</c> or a <c>/t/&lt;token&gt;/</c> path token.</param>
/// <param name="FileName">Archive file name, e.g. <c>numpy-1.26.4-py312h1_0.conda</c>.</param>
/// <param name="Subdir">Channel subdir (<c>linux-64</c>, <c>noarch</c>, ...), for placing and messages.</param>
/// <param name="Sha256">Expected SHA-256 (hex); the cache key when present.</param>
/// <param name="Md5">Expected MD5 (hex); the cache key when there is no SHA-256.</param>
/// <param name="Size">Expected size in bytes, when known.</param>
public sealed record DownloadRequest(string Url, string FileName, string Subdir, string? Sha256, string? Md5, long? Size)
{
    /// <summary>The request for a locked/solved package: its URL, file name, subdir and recorded hashes and size.</summary>
    public static DownloadRequest From(RepodataRecord record) => new(
        record.Url, record.FileName, record.Subdir, record.Record.Sha256, record.Record.Md5, record.Record.Size);

    // The URL may hold secrets; records print themselves in test output and debugger views.
    public override string ToString() => $"{Subdir}/{FileName} from {UrlRedaction.Redact(Url)}";
}

/// <summary>Settings for <see cref="PackageDownloader"/>.</summary>
public sealed class DownloadOptions
{
    public int MaxParallel { get; init; } = 8;

    /// <summary>Retries after the first attempt for network errors, timeouts, 408, 429 and 5xx.</summary>
    public int RetryCount { get; init; } = 5;

    /// <summary>
    /// Per-attempt timeout, measured as inactivity: an attempt fails when no byte arrives for this long. Connecting
    /// has a shorter limit of its own, <see cref="CondaHttpClientFactory.ConnectTimeoutFor"/> (10 s, or half of this when that is shorter).
    /// </summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(100);

    /// <summary>
    /// Limit for one whole attempt (request and body), so a server that sends a byte now and then, which never
    /// stalls, still fails in bounded time (CMIR520 once every attempt ran out). Zero or less: none.
    /// </summary>
    public TimeSpan AttemptDeadline { get; init; } = StallTimeout.DefaultDeadline;

    /// <summary>
    /// Network time of the whole step, every request, retry and body included (CondaNetworkDeadlineSeconds, CMIR685);
    /// share one instance between the step's fetchers. The default is a budget of its own.
    /// </summary>
    public NetworkBudget Budget { get; init; } = new(NetworkBudget.DefaultLimit);

    /// <summary>How long connection failures to a host may last before every download from it stops (see <see cref="HostCircuit"/>).</summary>
    public TimeSpan UnreachableAfter { get; init; } = HttpRetrySettings.DefaultUnreachableAfter;

    /// <summary>First retry delay; doubles each retry, with jitter.</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromSeconds(0.5);

    /// <summary>The longest Retry-After honoured; a server asking for more fails the package at once (CMIR521).</summary>
    public TimeSpan MaxRetryAfter { get; init; } = HttpRetrySettings.DefaultMaxRetryAfter;

    public string CacheRoot { get; init; } = PackageCache.DefaultRoot;

    /// <summary>Largest size a lock may give one package (the biggest conda packages are a few GB); larger is a broken lock.</summary>
    public long MaxPackageBytes { get; init; } = DefaultMaxPackageBytes;

    public const long DefaultMaxPackageBytes = 64L << 30;

    /// <summary>Configured credentials for the requests' headers (URLs with credentials of their own keep them).</summary>
    public CredentialSet Credentials { get; init; } = CredentialSet.None;

    /// <summary>Mirrors to fetch from instead of the channels (CondaChannelMirror items); URLs written stay canonical.</summary>
    public MirrorMap Mirrors { get; init; } = MirrorMap.None;

    /// <summary>
    /// Limits of the member check every package passes before it enters the cache
    /// (<see cref="PackageArchive.ValidateMembers(string, string, string, PackageValidationOptions?, CancellationToken)"/>).
    /// Null skips the check: only for callers whose files are not conda packages (transfer tests and benchmarks).
    /// </summary>
    public PackageValidationOptions? Validation { get; init; } = new();

    /// <summary>
    /// Warn (CMIR512, worded for locks) about requests without a hash. Off for callers that say it in their own words
    /// (CondaPackageFile URLs, CMIR543).
    /// </summary>
    public bool WarnUnverifiable { get; init; } = true;

    /// <summary>Minimum time between two progress lines.</summary>
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromSeconds(3);
}

/// <summary>What a download run did. <see cref="CachePaths"/> maps every request to its verified file in the cache.</summary>
public sealed record DownloadSummary(
    IReadOnlyDictionary<DownloadRequest, string> CachePaths,
    int Downloaded,
    int FromCache,
    long BytesDownloaded,
    TimeSpan Elapsed);
