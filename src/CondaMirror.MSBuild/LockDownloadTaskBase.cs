using CondaMirror.Core.Downloads;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Settings;
using CondaMirror.Core.Locks;

namespace CondaMirror.MSBuild;

/// <summary>
/// What the tasks that download a lock's files share (conda packages, PyPI wheels): which lock, environment and
/// platforms, on top of the download settings of <see cref="DownloadTaskBase"/>.
/// </summary>
public abstract class LockDownloadTaskBase : DownloadTaskBase
{
    /// <summary>The lock CondaLockFile names (or the one resolve wrote); empty when the build has only CondaLock items.</summary>
    [FileContentInput]
    public string LockFile { get; set; } = "";

    /// <summary>CondaLock items: more locks whose union the channel holds; metadata Environment (default LockEnvironment).</summary>
    [FileContentInput]
    public Microsoft.Build.Framework.ITaskItem[] Locks { get; set; } = Array.Empty<Microsoft.Build.Framework.ITaskItem>();

    public string LockEnvironment { get; set; } = "default";

    public string? Platforms { get; set; }

    /// <summary>Plan mode: report what would be downloaded and what the cache holds; download nothing, write nothing.</summary>
    public bool PlanOnly { get; set; }

    protected override bool Recorded => base.Recorded && !PlanOnly;

    /// <summary>CondaPlatforms, checked.</summary>
    protected IReadOnlyList<string> SelectedPlatforms => BuildSettingChecks.Platforms(SplitList(Platforms), Naming);

    /// <summary>Checks the limits, then reads the lock (once per build node, see <see cref="LockFileCache"/>).</summary>
    protected LockFile ReadLock()
    {
        CheckNetworkLimits();
        return LockFileCache.ReadUnion(BuildEngine, LockFile, Locks, BuildSettingChecks.Environment(LockEnvironment), MirrorLog, Naming);
    }
}

/// <summary>
/// What every task that downloads shares: the cache; the download limits (CondaMaxParallelDownloads, CondaRetryCount,
/// the HTTP timeouts) checked once and turned into Core's <see cref="DownloadOptions"/> the same way for all of them.
/// </summary>
public abstract class DownloadTaskBase : CondaStepTask
{
    public string? CachePath { get; set; }
    public int MaxParallelDownloads { get; set; } = 8;
    public int RetryCount { get; set; } = 5;
    public int HttpTimeoutSeconds { get; set; } = 100;

    /// <summary>Limit for one whole attempt (CondaHttpRequestDeadlineSeconds); 0 for none.</summary>
    public int HttpRequestDeadlineSeconds { get; set; } = 600;

    /// <summary>The longest Retry-After honoured (CondaMaxRetryAfterSeconds); a longer one fails at once.</summary>
    public int MaxRetryAfterSeconds { get; set; } = 60;

    /// <summary>Network time of this whole step, every request and retry included (CondaNetworkDeadlineSeconds); 0 for none.</summary>
    public int NetworkDeadlineSeconds { get; set; } = 600;

    private Core.Networking.NetworkBudget? _budget;

    /// <summary>The step's one network budget, shared by every fetcher the step makes.</summary>
    protected Core.Networking.NetworkBudget StepBudget => _budget ??= new(TimeSpan.FromSeconds(NetworkDeadlineSeconds));

    /// <summary>The limits, checked (CMIR803).</summary>
    protected void CheckNetworkLimits() =>
        BuildSettingChecks.NetworkLimits(MaxParallelDownloads, RetryCount, HttpTimeoutSeconds, HttpRequestDeadlineSeconds, MaxRetryAfterSeconds, NetworkDeadlineSeconds);

    /// <summary>The download limits and cache as Core options, with each task's credentials, mirrors and archive checks.</summary>
    protected DownloadOptions DownloadOptions(Core.Networking.CredentialSet credentials, Core.Networking.MirrorMap? mirrors = null,
        Core.Archives.PackageValidationOptions? validation = null) => new()
    {
        MaxParallel = MaxParallelDownloads,
        RetryCount = RetryCount,
        AttemptTimeout = TimeSpan.FromSeconds(HttpTimeoutSeconds),
        AttemptDeadline = TimeSpan.FromSeconds(HttpRequestDeadlineSeconds),
        Budget = StepBudget,
        MaxRetryAfter = TimeSpan.FromSeconds(MaxRetryAfterSeconds),
        CacheRoot = string.IsNullOrWhiteSpace(CachePath) ? PackageCache.DefaultRoot : Path.GetFullPath(CachePath),
        Credentials = credentials,
        Mirrors = mirrors ?? Core.Networking.MirrorMap.None,
        Validation = validation,
    };
}
