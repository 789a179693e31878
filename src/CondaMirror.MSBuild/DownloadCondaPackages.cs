using CondaMirror.Core.IO;
using CondaMirror.Core.Channels;
using CondaMirror.Core.Downloads;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Locks;
using Microsoft.Build.Framework;

namespace CondaMirror.MSBuild;

/// <summary>
/// Downloads every package of the lock (selected environment and platforms) into the verified per-user cache,
/// in parallel with retries, then hard-links (or copies) each one into <c>&lt;channel&gt;/&lt;subdir&gt;/</c>.
/// Cache hits make no request; a failure leaves neither cache nor channel with a partial file.
/// </summary>
public sealed class DownloadCondaPackages : CondaTaskBase
{
    [Required]
    public string LockFile { get; set; } = "";

    public string LockEnvironment { get; set; } = "default";

    public string? Platforms { get; set; }

    [Required]
    public string ChannelDirectory { get; set; } = "";

    /// <summary>CondaChannel items; metadata BearerToken or BearerTokenEnvironmentVariable authenticates requests to that channel.</summary>
    public ITaskItem[] Channels { get; set; } = Array.Empty<ITaskItem>();

    public string? CachePath { get; set; }
    public string? ChannelAlias { get; set; }
    public int MaxParallelDownloads { get; set; } = 8;
    public int RetryCount { get; set; } = 5;
    public int HttpTimeoutSeconds { get; set; } = 100;

    /// <summary>CondaAllowCustomSubdirs: lock entries may name subdirs other than conda's platforms (single safe folder names).</summary>
    public bool AllowCustomSubdirs { get; set; }

    /// <summary>CondaMaxUnpackedPackageMB: a fixed limit on what one package may unpack to; empty for the default rule.</summary>
    public string? MaxUnpackedPackageMB { get; set; }

    /// <summary>Plan mode: report what would be downloaded and what the cache holds; download nothing, write nothing.</summary>
    public bool PlanOnly { get; set; }

    /// <summary>"12 downloaded (35.2 MB in 4.1 s), 44 from cache", for the channel's output line.</summary>
    [Output]
    public string Summary { get; private set; } = "";

    [Output]
    public ITaskItem[] ChannelFiles { get; private set; } = Array.Empty<ITaskItem>();

    protected override void Run()
    {
        if (MaxParallelDownloads < 1 || RetryCount < 0 || HttpTimeoutSeconds < 1)
            throw new CondaMirrorException(ErrorCodes.InvalidBuildSetting,
                $"CondaMaxParallelDownloads must be ≥ 1, CondaRetryCount ≥ 0 and CondaHttpTimeoutSeconds ≥ 1 (got {MaxParallelDownloads}, {RetryCount}, {HttpTimeoutSeconds}).");

        var lockFile = LockFileCache.Read(BuildEngine, LockFile, LockEnvironment, MirrorLog,
            AllowCustomSubdirs ? Core.Platforms.SubdirPolicy.AllowCustom : Core.Platforms.SubdirPolicy.KnownOnly);
        if (lockFile.SkippedPypi.Count > 0)
            Log.LogWarning(subcategory: null, warningCode: ErrorCodes.LockPypiSkipped, helpKeyword: null, file: LockFile,
                lineNumber: 0, columnNumber: 0, endLineNumber: 0, endColumnNumber: 0,
                message: $"{lockFile.SkippedPypi.Count} PyPI package(s) in the lock are not mirrored (a conda channel cannot serve them): {string.Join(", ", lockFile.SkippedPypi)}.");
        var platforms = LockPlatforms.Select(lockFile, SplitList(Platforms));
        var records = LockPlatforms.DistinctRecords(lockFile, platforms);

        var options = new DownloadOptions
        {
            MaxParallel = MaxParallelDownloads,
            RetryCount = RetryCount,
            AttemptTimeout = TimeSpan.FromSeconds(HttpTimeoutSeconds),
            CacheRoot = string.IsNullOrWhiteSpace(CachePath) ? PackageCache.DefaultRoot : Path.GetFullPath(CachePath),
            Credentials = ChannelCredentials.FromItems(Channels, ChannelAlias),
            Validation = IndexCondaChannel.ValidationOptions(MaxUnpackedPackageMB),
        };
        // Locks hold credential-free URLs; channels given with /t/<token>/ or user:pass@ get them back for the request.
        var alias = ChannelCredentials.AliasOrDefault(ChannelAlias);
        var secretChannels = Channels.Select(c => ChannelResolver.Resolve(c.ItemSpec, alias)).Where(c => c.HasUrlCredentials).ToList();
        string RequestUrl(string url) =>
            secretChannels.FirstOrDefault(c => url.StartsWith(c.PublicBaseUrl.AbsoluteUri, StringComparison.Ordinal)) is { } channel
                ? channel.ToRequestUri(url).AbsoluteUri : url;
        var requests = records.Select(r => new DownloadRequest(RequestUrl(r.Url), r.FileName, r.Subdir, r.Record.Sha256, r.Record.Md5, r.Record.Size)).ToList();
        if (PlanOnly)
        {
            LogPlan(requests, new PackageCache(options.CacheRoot));
            return;
        }
        var downloader = new PackageDownloader(options, MirrorLog);
        var summary = downloader.DownloadAsync(requests, CancellationToken).GetAwaiter().GetResult();

        var placed = new List<ITaskItem>(requests.Count);
        foreach (var request in requests)
        {
            CancellationToken.ThrowIfCancellationRequested();
            var (target, _) = ChannelPlacement.PlaceInChannel(summary.CachePaths[request], ChannelDirectory, request.Subdir, request.FileName);
            placed.Add(new Microsoft.Build.Utilities.TaskItem(target));
        }
        ChannelFiles = placed.ToArray();
        Summary = string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{summary.Downloaded} downloaded ({Sizes.Format(summary.BytesDownloaded)} in {summary.Elapsed.TotalSeconds:F1} s), {summary.FromCache} from cache");
        Log.LogMessage(MessageImportance.High,
            $"Conda packages: {requests.Count} in channel ({summary.Downloaded} downloaded, {summary.FromCache} from cache, {summary.BytesDownloaded / 1048576.0:F1} MB in {summary.Elapsed.TotalSeconds:F2} s).");
    }

    /// <summary>One line per subdir and a total: packages, MB, how many the cache already holds, what remains to download.</summary>
    private void LogPlan(IReadOnlyList<DownloadRequest> requests, PackageCache cache)
    {
        static string Mb(long bytes) => (bytes / 1048576.0).ToString("F1", System.Globalization.CultureInfo.InvariantCulture);
        var unknownSize = requests.Count(r => r.Size is null);
        var rows = requests
            .GroupBy(r => r.Subdir, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g =>
            {
                var cached = g.Where(r => cache.TryGetVerified(r, out _)).ToList();
                var missing = g.Except(cached).ToList();
                return (Subdir: g.Key, Count: g.Count(), Bytes: g.Sum(r => r.Size ?? 0),
                        Cached: cached.Count, MissingCount: missing.Count, MissingBytes: missing.Sum(r => r.Size ?? 0));
            })
            .ToList();
        foreach (var row in rows)
            Log.LogMessage(MessageImportance.High,
                $"Conda plan {row.Subdir}: {row.Count} packages, {Mb(row.Bytes)} MB; {row.Cached} in the cache, {row.MissingCount} to download ({Mb(row.MissingBytes)} MB).");
        // In MSBuild's output-path shape ("Project -> ..."), the one informational line the terminal logger shows.
        var project = string.IsNullOrEmpty(ProjectFile) ? "Conda plan" : Path.GetFileNameWithoutExtension(ProjectFile);
        Log.LogMessage(MessageImportance.High,
            $"{project} -> Conda plan: {requests.Count} packages, {Mb(rows.Sum(r => r.Bytes))} MB in all; {rows.Sum(r => r.MissingCount)} to download ({Mb(rows.Sum(r => r.MissingBytes))} MB), " +
            $"{rows.Sum(r => r.Cached)} in the cache; to download per subdir: {string.Join(", ", rows.Select(r => $"{r.Subdir} {r.MissingCount} of {r.Count}"))}; the channel is not written" + (unknownSize > 0 ? $"; {unknownSize} package(s) have no size in the lock and count as 0 MB" : "") + ".");
    }
}
