using CondaMirror.Core.Diagnostics;
using CondaMirror.Core.Records;

namespace CondaMirror.Core.Downloads;

/// <summary>What <see cref="ChannelMirror.MirrorAsync"/> did.</summary>
/// <param name="ChannelFiles">Every archive's path in the channel folder, in the order of the records.</param>
/// <param name="Sha256s">The sha256 of each archive placed whose record states one, by its channel path.</param>
/// <param name="Downloads">What the download step did: how many were fetched, how many came from the cache, bytes, time.</param>
public sealed record MirrorResult(IReadOnlyList<string> ChannelFiles, DownloadSummary Downloads, IReadOnlyDictionary<string, string> Sha256s);

/// <summary>One subdir of a <see cref="MirrorPlan"/>: its packages and bytes, and how many of them the cache already holds.</summary>
public sealed record MirrorPlanSubdir(string Subdir, int Packages, long Bytes, int Cached, int ToDownload, long BytesToDownload);

/// <summary>What mirroring would do, without doing it: per subdir (in ordinal order), and how many packages have no size.</summary>
public sealed record MirrorPlan(IReadOnlyList<MirrorPlanSubdir> Subdirs, int Packages, int UnknownSize)
{
    public long Bytes => Subdirs.Sum(s => s.Bytes);
    public int Cached => Subdirs.Sum(s => s.Cached);
    public int ToDownload => Subdirs.Sum(s => s.ToDownload);
    public long BytesToDownload => Subdirs.Sum(s => s.BytesToDownload);
}

/// <summary>
/// Mirrors locked packages into a channel folder: every archive is downloaded into the verified package cache
/// (<see cref="PackageDownloader"/>: parallel, retried, hash-checked; cache hits make no request) and then placed
/// into <c>&lt;channel&gt;/&lt;subdir&gt;/</c> (<see cref="ChannelPlacement"/>: reflink, hard link or copy, atomically).
/// A host (the MSBuild task, or any other) only supplies the records and options and reports the result.
/// </summary>
public sealed class ChannelMirror
{
    private readonly DownloadOptions _options;
    private readonly IMirrorLog _log;
    private readonly HttpMessageHandler? _handler;

    /// <param name="handler">The HTTP transport; null for the default (tests pass a loopback or fake one).</param>
    public ChannelMirror(DownloadOptions options, IMirrorLog log, HttpMessageHandler? handler = null)
    {
        _options = options;
        _log = log;
        _handler = handler;
    }

    /// <summary>
    /// The download requests for <paramref name="records"/>, in order. Locks hold credential-free URLs; a channel given
    /// with credentials in its own URL (<c>/t/&lt;token&gt;/</c>, <c>user:pass@</c>) gets them back for the request.
    /// </summary>
    public IReadOnlyList<DownloadRequest> Requests(IEnumerable<RepodataRecord> records) =>
        records.Select(r => DownloadRequest.From(r) with { Url = _options.Credentials.RequestUrl(r.Url) }).ToList();

    /// <summary>Downloads what the cache lacks, then places every archive into <paramref name="channelDirectory"/>.</summary>
    public Task<MirrorResult> MirrorAsync(IEnumerable<RepodataRecord> records, string channelDirectory, CancellationToken cancellationToken) =>
        MirrorAsync(records, _ => channelDirectory, cancellationToken);

    /// <summary>
    /// Downloads what the cache lacks, then places every archive into the channel folder <paramref name="channelDirectoryOf"/>
    /// names for its record (one per source channel in the per-channel layout). Every folder is asked for before the
    /// first request, so a record whose folder is refused stops the run before anything is downloaded or written.
    /// </summary>
    public async Task<MirrorResult> MirrorAsync(IEnumerable<RepodataRecord> records, Func<RepodataRecord, string> channelDirectoryOf, CancellationToken cancellationToken)
    {
        var list = records.ToList();
        var directories = list.Select(channelDirectoryOf).ToList();
        var requests = Requests(list);
        DownloadSummary summary;
        using (var downloader = new PackageDownloader(_options, _log, _handler))
            summary = await downloader.DownloadAsync(requests, cancellationToken).ConfigureAwait(false);

        var placed = new List<string>(requests.Count);
        var sha256s = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < requests.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var request = requests[i];
            var (target, _) = ChannelPlacement.PlaceInChannel(summary.CachePaths[request], directories[i], request.Subdir, request.FileName);
            placed.Add(target);
            if (!string.IsNullOrEmpty(request.Sha256)) sha256s[target] = request.Sha256;
        }
        return new MirrorResult(placed, summary, sha256s);
    }

    /// <summary>Counts and sizes per subdir against the cache; downloads nothing and writes nothing.</summary>
    public MirrorPlan Plan(IEnumerable<RepodataRecord> records)
    {
        var requests = Requests(records);
        var cache = new PackageCache(_options.CacheRoot);
        var subdirs = requests
            .GroupBy(r => r.Subdir, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g =>
            {
                var cached = g.Where(r => cache.TryGetVerified(r, out _)).ToList();
                var missing = g.Except(cached).ToList();
                return new MirrorPlanSubdir(g.Key, g.Count(), g.Sum(r => r.Size ?? 0), cached.Count, missing.Count, missing.Sum(r => r.Size ?? 0));
            })
            .ToList();
        return new MirrorPlan(subdirs, requests.Count, requests.Count(r => r.Size is null));
    }
}
