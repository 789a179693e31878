using System.Globalization;
using CondaMirror.Core.Downloads;
using CondaMirror.Core.Errors;
using CondaMirror.Core.IO;
using CondaMirror.Core.Locks;
using CondaMirror.Core.PyPI;
using Microsoft.Build.Framework;

namespace CondaMirror.MSBuild;

/// <summary>
/// Mirrors the lock's PyPI wheels (selected environment and platforms) as a static simple index through Core's
/// <see cref="PypiMirror"/>: same verified cache, retries and limits as conda packages. Maps items and properties to
/// the mirror's options and its result to outputs and log lines; records completion in a stamp listing every file.
/// </summary>
public sealed class MirrorPyPIPackages : CondaTaskBase
{
    [Required]
    public string LockFile { get; set; } = "";

    public string LockEnvironment { get; set; } = "default";

    public string? Platforms { get; set; }

    /// <summary>The repository root (CondaPyPIOutputPath): files/ and simple/ are written below it.</summary>
    [Required]
    public string OutputDirectory { get; set; } = "";

    /// <summary>CondaPyPIIndex items: BearerToken, BearerTokenEnvironmentVariable, or UserEnvironmentVariable + PasswordEnvironmentVariable.</summary>
    public ITaskItem[] Indexes { get; set; } = Array.Empty<ITaskItem>();

    public string? CachePath { get; set; }
    public int MaxParallelDownloads { get; set; } = 8;
    public int RetryCount { get; set; } = 5;
    public int HttpTimeoutSeconds { get; set; } = 100;
    public int HttpRequestDeadlineSeconds { get; set; } = 600;
    public int MaxRetryAfterSeconds { get; set; } = 60;
    public bool AllowCustomSubdirs { get; set; }

    /// <summary>Deleted before anything is written and written (listing every file) after the last one, so a failed run is never taken for a finished one.</summary>
    public string? StampFile { get; set; }

    public bool PlanOnly { get; set; }

    [Output]
    public string Summary { get; private set; } = "";

    [Output]
    public ITaskItem[] Files { get; private set; } = Array.Empty<ITaskItem>();

    protected override void Run()
    {
        if (MaxParallelDownloads < 1 || RetryCount < 0 || HttpTimeoutSeconds < 1 || HttpRequestDeadlineSeconds < 0 || MaxRetryAfterSeconds < 0)
            throw new CondaMirrorException(ErrorCodes.InvalidBuildSetting,
                $"CondaMaxParallelDownloads must be ≥ 1, CondaRetryCount ≥ 0, CondaHttpTimeoutSeconds ≥ 1, CondaHttpRequestDeadlineSeconds ≥ 0 and CondaMaxRetryAfterSeconds ≥ 0 " +
                $"(got {MaxParallelDownloads}, {RetryCount}, {HttpTimeoutSeconds}, {HttpRequestDeadlineSeconds}, {MaxRetryAfterSeconds}).");
        if (!PlanOnly) DeleteStamp();

        var lockFile = LockFileCache.Read(BuildEngine, LockFile, LockEnvironment, MirrorLog,
            AllowCustomSubdirs ? Core.Platforms.SubdirNaming.AllowCustom : Core.Platforms.SubdirNaming.KnownOnly);
        var platforms = LockPlatforms.Select(lockFile, SplitList(Platforms));
        var entries = PypiMirror.Select(lockFile, platforms);

        var options = new DownloadOptions
        {
            MaxParallel = MaxParallelDownloads,
            RetryCount = RetryCount,
            AttemptTimeout = TimeSpan.FromSeconds(HttpTimeoutSeconds),
            AttemptDeadline = TimeSpan.FromSeconds(HttpRequestDeadlineSeconds),
            MaxRetryAfter = TimeSpan.FromSeconds(MaxRetryAfterSeconds),
            CacheRoot = string.IsNullOrWhiteSpace(CachePath) ? PackageCache.DefaultRoot : Path.GetFullPath(CachePath),
            // Only names of variables pass through here; Core reads the secrets.
            Credentials = PypiCredentials.For(ChannelAuthItems.From(Indexes), entries),
        };
        var mirror = new PypiMirror(options, MirrorLog);
        if (PlanOnly)
        {
            var plan = mirror.Plan(entries);
            mirror.WarnSkipped(plan.NotMirrored);
            if (entries.Count > 0)
                Log.LogMessage(MessageImportance.High,
                    $"PyPI plan: {plan.Wheels} wheels of {plan.Projects} projects; {plan.Cached} in the cache, {plan.ToDownload} to download; {plan.NotMirrored.Count} not mirrored (not wheels); the simple index is not written.");
            return;
        }

        var result = mirror.MirrorAsync(entries, OutputDirectory, CancellationToken).GetAwaiter().GetResult();
        Files = result.Files.Select(f => (ITaskItem)new Microsoft.Build.Utilities.TaskItem(f)).ToArray();
        if (result.Downloads is { } d)
        {
            Summary = string.Create(CultureInfo.InvariantCulture,
                $"{result.Wheels} PyPI wheels ({d.Downloaded} downloaded, {d.FromCache} from cache)");
            var line = string.Create(CultureInfo.InvariantCulture,
                $"PyPI packages: {result.Wheels} wheels of {result.Projects} projects in {Path.GetFullPath(OutputDirectory)} ({d.Downloaded} downloaded, {d.FromCache} from cache, {d.BytesDownloaded / 1048576.0:F1} MB in {d.Elapsed.TotalSeconds:F2} s)");
            Log.LogMessage(MessageImportance.High, line + (result.NotMirrored.Count > 0 ? $"; {result.NotMirrored.Count} not mirrored (not wheels)." : "."));
        }
        WriteStamp(result.Files);
    }

    private void DeleteStamp()
    {
        if (string.IsNullOrEmpty(StampFile)) return;
        try { if (System.IO.File.Exists(StampFile)) System.IO.File.Delete(StampFile); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CondaMirrorException(ErrorCodes.PypiWriteFailed, $"Cannot remove the PyPI step's stamp '{StampFile}': {e.Message}", StampFile, e);
        }
    }

    private void WriteStamp(IReadOnlyList<string> files)
    {
        if (string.IsNullOrEmpty(StampFile)) return;
        try { AtomicFile.WriteAllText(StampFile, string.Concat(files.Select(f => f + "\n"))); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CondaMirrorException(ErrorCodes.PypiWriteFailed, $"Cannot write the PyPI step's stamp '{StampFile}': {e.Message}", StampFile, e);
        }
    }
}
