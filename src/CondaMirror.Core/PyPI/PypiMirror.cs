using System.Globalization;
using CondaMirror.Core.Diagnostics;
using CondaMirror.Core.Downloads;
using CondaMirror.Core.Errors;
using CondaMirror.Core.IO;
using CondaMirror.Core.Locks;
using CondaMirror.Core.Networking;

namespace CondaMirror.Core.PyPI;

/// <summary>What <see cref="PypiMirror.MirrorAsync"/> did.</summary>
/// <param name="Files">Every file of the repository (wheels and pages), full paths, in a stable order.</param>
/// <param name="Wheels">Wheels listed.</param>
/// <param name="Projects">Projects listed.</param>
/// <param name="NotMirrored">Entries that are not wheels, each once (warned as CMIR460).</param>
/// <param name="Downloads">What the download step did (null when there was nothing to download or place).</param>
public sealed record PypiMirrorResult(IReadOnlyList<string> Files, int Wheels, int Projects, IReadOnlyList<PypiLockEntry> NotMirrored, DownloadSummary? Downloads);

/// <summary>What mirroring would do: wheels, how many the cache holds, and the entries that would be skipped.</summary>
public sealed record PypiMirrorPlan(int Wheels, int Projects, int Cached, int ToDownload, IReadOnlyList<PypiLockEntry> NotMirrored);

/// <summary>
/// Mirrors a lock's PyPI wheels as a static simple repository (PEP 503 HTML, PEP 691 JSON) under one output root:
/// <c>files/&lt;wheel&gt;</c> and its core metadata <c>files/&lt;wheel&gt;.metadata</c> (PEP 658, read from the verified wheel) (downloaded through <see cref="PackageDownloader"/> into the same verified, content-addressed
/// cache as conda packages, with the same retries and limits, then linked or copied like channel archives),
/// <c>simple/index.html</c> + <c>index.json</c>, and <c>simple/&lt;normalized name&gt;/index.html</c> + <c>index.json</c>.
/// Every path is built with <see cref="SafePath.Combine"/> from a validated wheel file name or normalized project
/// name; pages are rewritten only when their bytes change; wheels and project pages no longer listed are removed,
/// only inside the root. Source distributions, folders, editable and git entries cannot be served as wheels: one
/// warning lists them.
/// </summary>
public sealed class PypiMirror
{
    /// <summary>The subdir name downloads report for wheels (messages and progress only).</summary>
    public const string DownloadGroup = "pypi";

    private readonly DownloadOptions _options;
    private readonly IMirrorLog _log;
    private readonly HttpMessageHandler? _handler;

    /// <param name="options">Download settings; <see cref="DownloadOptions.Validation"/> is not applied (wheels are zip
    /// files, not conda archives), everything else is as for conda packages.</param>
    public PypiMirror(DownloadOptions options, IMirrorLog log, HttpMessageHandler? handler = null)
    {
        _options = new DownloadOptions
        {
            MaxParallel = options.MaxParallel,
            RetryCount = options.RetryCount,
            AttemptTimeout = options.AttemptTimeout,
            AttemptDeadline = options.AttemptDeadline,
            Budget = options.Budget,
            UnreachableAfter = options.UnreachableAfter,
            BaseDelay = options.BaseDelay,
            MaxRetryAfter = options.MaxRetryAfter,
            CacheRoot = options.CacheRoot,
            MaxPackageBytes = options.MaxPackageBytes,
            Credentials = options.Credentials,
            Mirrors = options.Mirrors,
            Validation = null,
            ProgressInterval = options.ProgressInterval,
        };
        _log = log;
        _handler = handler;
    }

    /// <summary>The entries of <paramref name="lockFile"/> used by any of <paramref name="platforms"/>, in lock order.</summary>
    public static IReadOnlyList<PypiLockEntry> Select(LockFile lockFile, IReadOnlyList<string> platforms) =>
        lockFile.Pypi.Where(e => e.Platforms.Any(p => platforms.Contains(p, StringComparer.Ordinal))).ToList();

    /// <summary>Downloads what the cache lacks, places every wheel and writes the pages; then removes what is no longer listed.</summary>
    public async Task<PypiMirrorResult> MirrorAsync(IReadOnlyList<PypiLockEntry> entries, string outputRoot, CancellationToken cancellationToken)
    {
        var (wheels, notMirrored) = Partition(entries);
        WarnSkipped(notMirrored);
        var root = Path.GetFullPath(outputRoot);
        if (wheels.Count == 0)
        {
            // Nothing to serve: an earlier build's repository is pruned, and none is started.
            try
            {
                if (Directory.Exists(root)) Prune(root, new HashSet<string>(StringComparer.Ordinal), new HashSet<string>(StringComparer.Ordinal), removeRootPages: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw WriteFailed(root, e);
            }
            return new PypiMirrorResult(Array.Empty<string>(), 0, 0, notMirrored, null);
        }

        var unverified = wheels.Where(w => w.Sha256 is null).Select(w => w.FileName).ToList();
        if (unverified.Count > 0)
            _log.Warning(ErrorCodes.PypiUnverified,
                $"{unverified.Count} PyPI wheel(s) have no sha256 in the lock, so their bytes are {(wheels.Any(w => w.Sha256 is null && w.Entry.Md5 is not null) ? "only checked against md5 where the lock has one" : "not verified")} " +
                $"and their links carry no hash: {string.Join(", ", unverified)}. Re-lock with a tool that records sha256 (pixi, conda-lock).");

        var requests = wheels.Select(w => new DownloadRequest(_options.Credentials.RequestUrl(w.Entry.Url!), w.FileName, DownloadGroup, w.Sha256, w.Entry.Md5, null)).ToList();
        DownloadSummary summary;
        using (var downloader = new PackageDownloader(_options, _log, _handler))
            summary = await downloader.DownloadAsync(requests, cancellationToken).ConfigureAwait(false);

        var written = new List<string>();
        var files = new List<SimpleFile>(wheels.Count);
        var withMetadata = new HashSet<string>(StringComparer.Ordinal);
        var noMetadata = new List<string>();
        for (var i = 0; i < wheels.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var cachePath = summary.CachePaths[requests[i]];
            var destination = SafePath.Combine(root, "files", wheels[i].FileName);
            ChannelPlacement.LinkOrCopy(cachePath, destination, wheels[i].Sha256);
            written.Add(destination);
            string? metadataSha = null;
            if (WheelMetadata.TryRead(cachePath, wheels[i].Parsed, out var problem) is { } metadata)
            {
                var metadataPath = SafePath.Combine(root, "files", wheels[i].FileName + ".metadata");
                try { WriteIfChanged(metadataPath, metadata); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw WriteFailed(root, e); }
                written.Add(metadataPath);
                withMetadata.Add(wheels[i].FileName + ".metadata");
                metadataSha = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(metadata)).ToLowerInvariant();
            }
            else noMetadata.Add($"{wheels[i].FileName} ({problem})");
            files.Add(new SimpleFile(wheels[i].FileName, wheels[i].Entry.Version ?? wheels[i].Parsed.Version, wheels[i].Sha256,
                wheels[i].Entry.RequiresPython, new FileInfo(cachePath).Length, metadataSha));
        }
        if (noMetadata.Count > 0)
            _log.Warning(ErrorCodes.PypiMetadataUnavailable,
                $"{noMetadata.Count} PyPI wheel(s) get no core metadata file beside them (PEP 658), so installers must download them to resolve: " +
                $"{string.Join("; ", noMetadata)}. They are still listed.");

        var projects = wheels.Select((w, i) => (w.Entry.Name, File: files[i]))
            .GroupBy(x => x.Name, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new SimpleProject(g.Key, g.Select(x => x.File).OrderBy(f => f.FileName, StringComparer.Ordinal).ToList()))
            .ToList();
        try
        {
            foreach (var project in projects)
            {
                written.Add(WriteIfChanged(SafePath.Combine(root, "simple", project.Name, "index.html"), SimpleIndexWriter.ProjectHtml(project)));
                written.Add(WriteIfChanged(SafePath.Combine(root, "simple", project.Name, "index.json"), SimpleIndexWriter.ProjectJson(project)));
            }
            written.Add(WriteIfChanged(SafePath.Combine(root, "simple", "index.html"), SimpleIndexWriter.RootHtml(projects)));
            written.Add(WriteIfChanged(SafePath.Combine(root, "simple", "index.json"), SimpleIndexWriter.RootJson(projects)));
            Prune(root, wheels.Select(w => w.FileName).Concat(withMetadata).ToHashSet(StringComparer.Ordinal), projects.Select(p => p.Name).ToHashSet(StringComparer.Ordinal), removeRootPages: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw WriteFailed(root, e);
        }
        return new PypiMirrorResult(written, wheels.Count, projects.Count, notMirrored, summary);
    }

    /// <summary>Counts against the cache; downloads nothing and writes nothing.</summary>
    public PypiMirrorPlan Plan(IReadOnlyList<PypiLockEntry> entries)
    {
        var (wheels, notMirrored) = Partition(entries);
        var cache = new PackageCache(_options.CacheRoot);
        var cached = wheels.Count(w => cache.TryGetVerified(new DownloadRequest(w.Entry.Url!, w.FileName, DownloadGroup, w.Sha256, w.Entry.Md5, null), out _));
        return new PypiMirrorPlan(wheels.Count, wheels.Select(w => w.Entry.Name).Distinct(StringComparer.Ordinal).Count(), cached, wheels.Count - cached, notMirrored);
    }

    /// <summary>Writes one CMIR460 per entry a simple index of wheels cannot serve, naming it, so none is lost in a list.</summary>
    public void WarnSkipped(IReadOnlyList<PypiLockEntry> notMirrored)
    {
        foreach (var e in notMirrored)
            _log.Warning(ErrorCodes.PypiNotMirrored,
                $"PyPI package {e.Name}{(e.Version is null ? "" : " " + e.Version)} ({KindName(e.Kind)}: {UrlRedaction.RedactUrlOrText(e.Location)}) is not a wheel and is not mirrored into the simple index. " +
                "Installing from the mirror needs it from elsewhere: build a wheel for it (pip wheel) and lock that, or install it from its source.");
    }

    private static string KindName(PypiDistributionKind kind) => kind switch
    {
        PypiDistributionKind.Sdist => "source distribution",
        PypiDistributionKind.Git => "git",
        PypiDistributionKind.Editable => "editable",
        PypiDistributionKind.Directory => "local folder",
        _ => "not a wheel",
    };

    private sealed record Wheel(PypiLockEntry Entry, WheelFileName Parsed, string FileName, string? Sha256);

    /// <summary>Wheels to serve (validated, one per file name) and the entries that are not wheels.</summary>
    private static (List<Wheel> Wheels, List<PypiLockEntry> NotMirrored) Partition(IReadOnlyList<PypiLockEntry> entries)
    {
        var wheels = new List<Wheel>();
        var byFile = new Dictionary<string, Wheel>(StringComparer.OrdinalIgnoreCase);
        var notMirrored = new List<PypiLockEntry>();
        var invalid = new List<string>();
        foreach (var entry in entries)
        {
            if (entry.Kind != PypiDistributionKind.Wheel || entry.Url is null) { notMirrored.Add(entry); continue; }
            var fileName = entry.FileName;
            if (!WheelFileName.TryParse(fileName, out var parsed))
            {
                invalid.Add($"'{UrlRedaction.Redact(entry.Url)}' (line {entry.Line}) does not end in a valid wheel file name");
                continue;
            }
            if (parsed.NormalizedName != entry.Name)
            {
                invalid.Add($"'{fileName}' (line {entry.Line}) is a wheel of '{parsed.NormalizedName}', not of '{entry.Name}'");
                continue;
            }
            var wheel = new Wheel(entry, parsed, fileName!, entry.Sha256);
            // Case-insensitive: on Windows and macOS two names differing in case are one file.
            if (byFile.TryGetValue(fileName!, out var existing))
            {
                if (existing.FileName == fileName && existing.Sha256 is not null && existing.Sha256 == wheel.Sha256) continue; // the same wheel at two URLs
                throw new CondaMirrorException(ErrorCodes.PypiFileConflict,
                    $"the lock names two different wheels called '{fileName}' (lines {existing.Entry.Line} and {entry.Line}, sha256 {existing.Sha256 ?? "none"} and {wheel.Sha256 ?? "none"}); " +
                    "one simple index cannot serve both. Re-lock so each file name is one wheel.");
            }
            byFile[fileName!] = wheel;
            wheels.Add(wheel);
        }
        if (invalid.Count > 0)
            throw new CondaMirrorException(ErrorCodes.PypiFileNameInvalid,
                $"{invalid.Count} PyPI wheel(s) of the lock cannot be mirrored: {string.Join("; ", invalid.Take(10))}{(invalid.Count > 10 ? "; ..." : "")}. " +
                "A wheel URL must end in '<name>-<version>[-<build>]-<python>-<abi>-<platform>.whl' with the entry's name; fix the lock entry or re-lock.");
        return (wheels, notMirrored);
    }

    /// <summary>Removes, inside <paramref name="root"/> only, wheels (and their .metadata) under files/ and project pages under simple/ that are not listed.</summary>
    private static void Prune(string root, HashSet<string> keepFiles, HashSet<string> keepProjects, bool removeRootPages)
    {
        var filesDir = Path.Combine(root, "files");
        if (Directory.Exists(filesDir))
            foreach (var file in Directory.EnumerateFiles(filesDir, "*.whl").Concat(Directory.EnumerateFiles(filesDir, "*.whl.metadata")))
                if (!keepFiles.Contains(Path.GetFileName(file)) && SafePath.IsInside(root, file)) File.Delete(file);
        var simpleDir = Path.Combine(root, "simple");
        if (!Directory.Exists(simpleDir)) return;
        foreach (var dir in Directory.EnumerateDirectories(simpleDir))
        {
            if (keepProjects.Contains(Path.GetFileName(dir)) || !SafePath.IsInside(root, dir)) continue;
            // Only the pages this writer makes; a folder holding anything else is left alone.
            foreach (var page in new[] { "index.html", "index.json" }) File.Delete(Path.Combine(dir, page));
            if (!Directory.EnumerateFileSystemEntries(dir).Any()) Directory.Delete(dir);
        }
        if (removeRootPages)
            foreach (var page in new[] { "index.html", "index.json" }) File.Delete(Path.Combine(simpleDir, page));
    }

    private static string WriteIfChanged(string path, byte[] bytes)
    {
        var existing = new FileInfo(path);
        if (existing.Exists && existing.Length == bytes.Length && File.ReadAllBytes(path).AsSpan().SequenceEqual(bytes)) return path;
        AtomicFile.WriteAllBytes(path, bytes);
        return path;
    }

    private static CondaMirrorException WriteFailed(string root, Exception e) => new(ErrorCodes.PypiWriteFailed,
        string.Create(CultureInfo.InvariantCulture, $"Cannot write the PyPI simple index in '{root}': {e.Message} Check free disk space and that the folder is writable."),
        root, e);
}
