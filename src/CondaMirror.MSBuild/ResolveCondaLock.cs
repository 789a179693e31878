using CondaMirror.Core.Environments;
using CondaMirror.Core.Policies;
using CondaMirror.Core.Channels;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Settings;
using CondaMirror.Core.Incremental;
using CondaMirror.Core.Networking;
using CondaMirror.Core.Repodata;
using CondaMirror.Core.Resolving;
using CondaMirror.Core.Solving;
using Microsoft.Build.Framework;

namespace CondaMirror.MSBuild;

/// <summary>
/// Solves the CondaPackage items for every platform against the CondaChannel items and writes the lock file.
/// Does nothing (no repodata fetch, no solve) when the lock already records the same inputs; in locked mode it
/// never writes and fails with a diff when the inputs moved.
/// </summary>
public sealed class ResolveCondaLock : CondaStepTask
{
    protected override string StepName => "resolve";

    /// <summary>CondaPackage items: Include is a MatchSpec or a name; metadata Version, Build, Channel refine it.</summary>
    public ITaskItem[] Packages { get; set; } = Array.Empty<ITaskItem>();

    /// <summary>CondaEnvironmentFile items: conda environment.yml files whose dependencies are solved with the
    /// CondaPackage items and whose channels follow the CondaChannel items.</summary>
    [FileContentInput]
    public ITaskItem[] EnvironmentFiles { get; set; } = Array.Empty<ITaskItem>();

    /// <summary>CondaChannel items in priority order. None: conda-forge.</summary>
    public ITaskItem[] Channels { get; set; } = Array.Empty<ITaskItem>();

    /// <summary>CondaChannelMirror items: fetch a channel's files from these mirrors instead (the lock and channel keep canonical URLs).</summary>
    public ITaskItem[] ChannelMirrors { get; set; } = Array.Empty<ITaskItem>();

    /// <summary>CondaVirtualPackage items (Include = name such as __glibc; metadata Version, Build, Platform).</summary>
    public ITaskItem[] VirtualPackages { get; set; } = Array.Empty<ITaskItem>();

    /// <summary>CondaExclude items: Include (or Name metadata) a name glob; optional License, Build and Channel metadata.</summary>
    public ITaskItem[] Excludes { get; set; } = Array.Empty<ITaskItem>();

    /// <summary>CondaAllowLicense items: Include (or License metadata) a license glob; when present, only matching licenses.</summary>
    public ITaskItem[] AllowedLicenses { get; set; } = Array.Empty<ITaskItem>();

    /// <summary>';'-separated subdirs. Empty: the platforms of the existing lock, else the platform of the building machine.</summary>
    public string? Platforms { get; set; }

    /// <summary>The lock environment the solution is written to (CondaLockEnvironment); download and index read the same one.</summary>
    public string? LockEnvironment { get; set; }

    public string? ChannelAlias { get; set; }

    /// <summary>The lock: read (locked records, recorded inputs) and written; its bytes are an input of the next check.</summary>
    [Required]
    [FileContentInput]
    public string LockFile { get; set; } = "";

    public bool LockedMode { get; set; }
    public bool Offline { get; set; }
    public string? RepodataCachePath { get; set; }
    public int RetryCount { get; set; } = 5;
    public int HttpTimeoutSeconds { get; set; } = 100;

    /// <summary>Limit for one whole attempt (CondaHttpRequestDeadlineSeconds); 0 for none.</summary>
    public int HttpRequestDeadlineSeconds { get; set; } = 600;

    /// <summary>The longest Retry-After honoured (CondaMaxRetryAfterSeconds); a longer one fails at once.</summary>
    public int MaxRetryAfterSeconds { get; set; } = 60;

    /// <summary>Network time of this whole step, every request and retry included (CondaNetworkDeadlineSeconds); 0 for none.</summary>
    public int NetworkDeadlineSeconds { get; set; } = 600;

    /// <summary>Most bytes of one repodata file, as sent and decompressed (CondaMaxRepodataBytes).</summary>
    public long MaxRepodataBytes { get; set; } = RepodataFetchOptions.DefaultMaxRepodataBytes;

    /// <summary>Most bytes of one CEP-16 shard index or shard, as sent and decompressed (CondaMaxShardBytes).</summary>
    public long MaxShardBytes { get; set; } = RepodataFetchOptions.DefaultMaxShardBytes;

    /// <summary>Read a channel's CEP-16 shard index when it has one (CondaUseShardedRepodata, default true).</summary>
    public bool UseShardedRepodata { get; set; } = true;

    /// <summary>Seconds per platform for finding conda's best solution after the first valid one (CondaSolveOptimizeSeconds).</summary>
    public double OptimizeSeconds { get; set; } = SolveRequest.DefaultOptimizeBudget.TotalSeconds;
    public string? ProjectDirectory { get; set; }


    [Output]
    public bool LockWritten { get; private set; }

    /// <summary>What the solve changed, briefly ("lock linux-64 56 (+2), win-64 54"), for the channel's output line; empty when up to date.</summary>
    [Output]
    public string Summary { get; private set; } = "";

    protected override StepOutcome RunStep()
    {
        if (OptimizeSeconds < 0 || double.IsNaN(OptimizeSeconds) || OptimizeSeconds > 86400)
            throw new CondaMirrorException(ErrorCodes.InvalidBuildSetting,
                $"CondaSolveOptimizeSeconds must be between 0 and 86400 (got {OptimizeSeconds}); 0 keeps the first valid solution.");
        BuildSettingChecks.NetworkLimits(null, RetryCount, HttpTimeoutSeconds, HttpRequestDeadlineSeconds, MaxRetryAfterSeconds, NetworkDeadlineSeconds);
        if (MaxRepodataBytes < 1 || MaxShardBytes < 1)
            throw new CondaMirrorException(ErrorCodes.InvalidBuildSetting,
                $"CondaMaxRepodataBytes and CondaMaxShardBytes must be ≥ 1 (got {MaxRepodataBytes}, {MaxShardBytes}).");
        var alias = ChannelResolver.AliasOrDefault(ChannelAlias);
        var environments = ReadEnvironmentFiles();
        // CondaChannel items first, then each environment file's channels in item order; none at all: conda-forge.
        var channelItems = Channels.Select(c => (Name: c.ItemSpec, Folder: ProjectDirectory))
            .Concat(environments.SelectMany(e => e.Channels.Select(c => (Name: c.Value, Folder: Path.GetDirectoryName(e.Path)))))
            .ToList();
        if (channelItems.Count == 0) channelItems.Add(("conda-forge", ProjectDirectory));
        var credentials = CredentialSet.FromChannels(ChannelAuthItems.From(Channels), ChannelResolver.RootResolver(alias, ProjectDirectory));
        var channels = channelItems
            .Select(c => ChannelResolver.Resolve(c.Name, alias, c.Folder))
            .DistinctBy(c => c.PublicBaseUrl.AbsoluteUri.TrimEnd('/'), StringComparer.Ordinal)
            .ToList();
        var requests = Packages.Select(ToRequest)
            .Concat(environments.SelectMany(e => e.Dependencies.Select(d => new RequestedPackage(d.Value, $"'{d.Value}' ({Path.GetFileName(e.Path)} line {d.Line})"))))
            .ToList();

        // noarch is solved with every platform anyway; naming it is allowed everywhere and changes nothing.
        var platforms = BuildSettingChecks.Platforms(SplitList(Platforms), Naming).Where(p => p != "noarch").ToList();

        var settings = new ResolveSettings
        {
            Packages = requests,
            Channels = channels,
            Platforms = platforms.Distinct(StringComparer.Ordinal).ToList(),
            VirtualPackages = VirtualPackages.Select(v => new VirtualPackageOverride(v.ItemSpec, v.GetMetadata("Version"),
                NullIfEmpty(v.GetMetadata("Build")), NullIfEmpty(v.GetMetadata("Platform")))).ToList(),
            LockFile = LockFile,
            Environment = BuildSettingChecks.Environment(LockEnvironment),
            LockedMode = LockedMode,
            Policy = new PackagePolicy(
                Excludes.Select(e => new ExcludeRule(NullIfEmpty(e.GetMetadata("Name")) ?? e.ItemSpec,
                    NullIfEmpty(e.GetMetadata("License")), NullIfEmpty(e.GetMetadata("Build")), NullIfEmpty(e.GetMetadata("Channel")))),
                AllowedLicenses.Select(l => NullIfEmpty(l.GetMetadata("License")) ?? l.ItemSpec)),
            OptimizeBudget = TimeSpan.FromSeconds(OptimizeSeconds),
            Fetch = RepodataSettings.FetchOptions(RepodataCachePath, Offline, RetryCount, HttpTimeoutSeconds, HttpRequestDeadlineSeconds, MaxRetryAfterSeconds,
                MaxRepodataBytes, MaxShardBytes, UseShardedRepodata, credentials, ChannelMirrorItems.From(ChannelMirrors, alias, ProjectDirectory), Naming,
                new NetworkBudget(TimeSpan.FromSeconds(NetworkDeadlineSeconds)), parsedCache: SharedRepodata()),
        };

        ResolveOutcome outcome;
        try
        {
            outcome = new LockResolver(MirrorLog).Resolve(settings, CancellationToken);
        }
        catch (CondaMirrorException e) when (e.File is null && LocateItem(e.RequestIndexes) is { } element)
        {
            // A solver error about the requested items: point at the CondaPackage element it names first.
            throw new CondaMirrorException(e.Code, e.Message, element.File, e) { Line = element.Line };
        }
        catch (CondaMirrorException e) when (e.File is null && LocateDependency(e.RequestIndexes, environments) is { } dependency)
        {
            // Or at the environment file's line that asked for it.
            throw new CondaMirrorException(e.Code, e.Message, dependency.File, e) { Line = dependency.Line };
        }
        LockWritten = outcome.LockWritten;
        if (!outcome.UpToDate && outcome.Changes.Count > 0)
            Summary = "lock " + string.Join(", ", outcome.Changes.Select(c => c.Brief()));
        if (outcome.UpToDate)
            Log.LogMessage(MessageImportance.Normal, $"Conda lock {LockFile} is up to date.");
        else
            foreach (var change in outcome.Changes)
            {
                Log.LogMessage(MessageImportance.High, $"Conda lock {change}" + (change.Stats is null ? "" : $" in {change.Stats.TotalTime.TotalSeconds:F2} s"));
                foreach (var difference in change.Differences)
                    Log.LogMessage(MessageImportance.Normal, $"Conda lock {change.Platform}: {difference}");
                if (change.Stats is { OptimizationComplete: false } stats)
                    Log.LogMessage(MessageImportance.High,
                        $"Conda lock {change.Platform}: the solve's optimisation stopped at its budget of {OptimizeSeconds:0.##} s after {stats.OptimizeSteps} searches; " +
                        "the lock is valid but may differ from conda's choice. Raise CondaSolveOptimizeSeconds to let it finish.");
            }
        return new StepOutcome(Array.Empty<string>(), Tracked: new[] { LockFile });
    }

    /// <summary>
    /// The build node's indexed repodata: projects of one solution resolving against the same channels index each
    /// subdir once. Kept in MSBuild's task-object cache for the build, which disposes it (closing the files) at its end.
    /// </summary>
    private ParsedRepodataCache? SharedRepodata()
    {
        if (BuildEngine is not IBuildEngine4 engine) return null;
        const string key = "CondaMirror.ParsedRepodata";
        if (engine.GetRegisteredTaskObject(key, RegisteredTaskObjectLifetime.Build) is ParsedRepodataCache cached) return cached;
        var created = new ParsedRepodataCache();
        engine.RegisterTaskObject(key, created, RegisteredTaskObjectLifetime.Build, allowEarlyCollection: false);
        return created;
    }

    /// <summary>Item → MatchSpec: Include may already be a full spec; Version/Build/Channel metadata add to it.</summary>
    private static RequestedPackage ToRequest(ITaskItem item)
    {
        var spec = item.ItemSpec.Trim();
        var version = item.GetMetadata("Version").Trim();
        var build = item.GetMetadata("Build").Trim();
        var channel = item.GetMetadata("Channel").Trim();
        if (version.Length > 0 || build.Length > 0)
            spec = $"{spec} {(version.Length > 0 ? version : "*")}{(build.Length > 0 ? " " + build : "")}";
        if (channel.Length > 0) spec = $"{channel}::{spec}";
        return new RequestedPackage(spec, $"CondaPackage '{item.ItemSpec}'");
    }

    /// <summary>The element of the first CondaPackage item an error is about, found in the project's XML (MSBuild gives tasks no item lines).</summary>
    private ProjectChecks.PackageElement? LocateItem(IReadOnlyList<int> requestIndexes)
    {
        if (requestIndexes.Count == 0 || string.IsNullOrEmpty(ProjectFile) || requestIndexes[0] < 0 || requestIndexes[0] >= Packages.Length) return null;
        return ProjectChecks.PackageElementScanner.Locate(ProjectFile, ProjectChecks.PackageElementScanner.PackageItem, Packages[requestIndexes[0]].ItemSpec);
    }

    /// <summary>Each CondaEnvironmentFile, read and checked; its pip entries and ignored keys are reported here.</summary>
    private List<EnvironmentFile> ReadEnvironmentFiles()
    {
        var result = new List<EnvironmentFile>();
        foreach (var item in EnvironmentFiles)
        {
            var file = EnvironmentFileReader.Read(item.GetMetadata("FullPath"));
            Log.LogMessage(MessageImportance.Normal,
                $"Conda environment file {file.Path}{(file.Name is null ? "" : $" ('{file.Name}')")}: {file.Dependencies.Count} dependencies, channels {string.Join(", ", file.Channels.Select(c => c.Value))}.");
            if (file.PipEntries.Count > 0)
                Log.LogWarning(subcategory: null, warningCode: ErrorCodes.EnvironmentPipSkipped, helpKeyword: null, file: file.Path,
                    lineNumber: file.PipLine, columnNumber: 0, endLineNumber: 0, endColumnNumber: 0,
                    message: $"{file.PipEntries.Count} pip entr{(file.PipEntries.Count == 1 ? "y is" : "ies are")} not mirrored ({string.Join(", ", file.PipEntries)}): only conda dependencies are solved into the lock. Lock them with pixi or conda-lock and add that lock as a CondaLock item to mirror them.");
            foreach (var key in file.IgnoredKeys)
            {
                if (key.Known)
                    Log.LogMessage(MessageImportance.Normal, $"{file.Path}({key.Line}): '{key.Key}' is ignored: it chooses no package.");
                else
                    Log.LogWarning(subcategory: null, warningCode: ErrorCodes.EnvironmentKeyIgnored, helpKeyword: null, file: file.Path,
                        lineNumber: key.Line, columnNumber: 0, endLineNumber: 0, endColumnNumber: 0,
                        message: $"'{key.Key}' is not a key of conda's environment files and is ignored; the build reads 'name', 'channels' and 'dependencies'.");
            }
            result.Add(file);
        }
        return result;
    }

    /// <summary>The environment file and line of the first requested dependency an error is about (requests after the CondaPackage items).</summary>
    private (string File, int Line)? LocateDependency(IReadOnlyList<int> requestIndexes, IReadOnlyList<EnvironmentFile> environments)
    {
        if (requestIndexes.Count == 0) return null;
        var index = requestIndexes[0] - Packages.Length;
        if (index < 0) return null;
        foreach (var file in environments)
        {
            if (index < file.Dependencies.Count) return (file.Path, file.Dependencies[index].Line);
            index -= file.Dependencies.Count;
        }
        return null;
    }

    private static string? NullIfEmpty(string s) => string.IsNullOrWhiteSpace(s) ? null : s;
}
