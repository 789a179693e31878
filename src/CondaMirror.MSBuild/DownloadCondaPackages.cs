using CondaMirror.Core.IO;
using CondaMirror.Core.Channels;
using CondaMirror.Core.Downloads;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Incremental;
using CondaMirror.Core.Locks;
using CondaMirror.Core.Networking;
using Microsoft.Build.Framework;

namespace CondaMirror.MSBuild;

/// <summary>
/// Mirrors every package of the lock (selected environment and platforms) into <c>&lt;channel&gt;/&lt;subdir&gt;/</c> through
/// Core's <see cref="ChannelMirror"/> (verified per-user cache, parallel downloads with retries, then a link or copy).
/// Cache hits make no request; a failure leaves neither cache nor channel with a partial file. This task only maps
/// items and properties to the mirror's options and its result to outputs and log lines.
/// </summary>
public sealed class DownloadCondaPackages : LockDownloadTaskBase
{
    protected override string StepName => "download";

    [Required]
    public string ChannelDirectory { get; set; } = "";

    /// <summary>CondaChannel items; metadata BearerToken or BearerTokenEnvironmentVariable authenticates requests to that channel.</summary>
    public ITaskItem[] Channels { get; set; } = Array.Empty<ITaskItem>();

    /// <summary>CondaChannelMirror items: fetch a channel's files from these mirrors instead (the lock and channel keep canonical URLs).</summary>
    public ITaskItem[] ChannelMirrors { get; set; } = Array.Empty<ITaskItem>();

    public string? ChannelAlias { get; set; }
    /// <summary>CondaMaxUnpackedPackageMB: a fixed limit on what one package may unpack to; empty for the default rule.</summary>
    public string? MaxUnpackedPackageMB { get; set; }

    /// <summary>CondaChannelLayout: <c>merged</c> (one channel) or <c>per-channel</c> (a channel folder per source channel).</summary>
    public string? ChannelLayout { get; set; }

    /// <summary>CondaLocalChannelName: the channel folder of locked packages without a source channel in the per-channel layout.</summary>
    public string? LocalChannelName { get; set; }

    /// <summary>CondaMirrorPyPI: the PyPI entries are mirrored by MirrorPyPIPackages, so this task does not warn that they are skipped (CMIR804).</summary>
    public bool PyPIMirrored { get; set; }

    /// <summary>"12 downloaded (35.2 MB in 4.1 s), 44 from cache", for the channel's output line.</summary>
    [Output]
    public string Summary { get; private set; } = "";

    [Output]
    public ITaskItem[] ChannelFiles { get; private set; } = Array.Empty<ITaskItem>();

    protected override StepOutcome RunStep()
    {
        var lockFile = ReadLock();
        if (lockFile.SkippedPypi.Count > 0 && !PyPIMirrored)
            Log.LogWarning(subcategory: null, warningCode: ErrorCodes.LockPypiSkipped, helpKeyword: null, file: lockFile.Path,
                lineNumber: 0, columnNumber: 0, endLineNumber: 0, endColumnNumber: 0,
                message: $"{lockFile.SkippedPypi.Count} PyPI package(s) in the lock are not mirrored (a conda channel cannot serve them; CondaMirrorPyPI=true mirrors them as a PyPI simple index): {string.Join(", ", lockFile.SkippedPypi)}.");
        var platforms = LockPlatforms.Select(lockFile, SelectedPlatforms);
        var records = LockPlatforms.DistinctRecords(lockFile, platforms);
        // Every record's channel folder is known, and checked, before the first request.
        var layout = Core.Channels.ChannelLayout.Create(ChannelLayout, ChannelAlias, LocalChannelName);
        var folders = new Dictionary<Core.Records.RepodataRecord, string>(ReferenceEqualityComparer.Instance);
        foreach (var r in records) folders[r] = layout.FolderOf(r.Channel, LockFile);
        Core.Channels.ChannelLayout.CheckFolders(records.Select(r => (r.Channel, folders[r])));

        var options = DownloadOptions(
            CredentialSet.FromChannels(ChannelAuthItems.From(Channels), ChannelResolver.RootResolver(ChannelAlias)),
            ChannelMirrorItems.From(ChannelMirrors, ChannelAlias, Path.GetDirectoryName(ProjectFile)),
            IndexCondaChannel.ValidationOptions(MaxUnpackedPackageMB));
        var mirror = new ChannelMirror(options, MirrorLog);
        if (PlanOnly)
        {
            LogPlan(mirror.Plan(records));
            return StepOutcome.Nothing;
        }
        var result = mirror.MirrorAsync(records, r => Core.Channels.ChannelLayout.PathOf(ChannelDirectory, folders[r]), CancellationToken).GetAwaiter().GetResult();

        var summary = result.Downloads;
        ChannelFiles = result.ChannelFiles.Select(path => (ITaskItem)new Microsoft.Build.Utilities.TaskItem(path)).ToArray();
        Summary = string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{summary.Downloaded} downloaded ({Sizes.Format(summary.BytesDownloaded)} in {summary.Elapsed.TotalSeconds:F1} s), {summary.FromCache} from cache");
        Log.LogMessage(MessageImportance.High, string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"Conda packages: {result.ChannelFiles.Count} in channel ({summary.Downloaded} downloaded, {summary.FromCache} from cache, {Sizes.Format(summary.BytesDownloaded)} in {summary.Elapsed.TotalSeconds:F2} s)."));
        // Hard links into the shared cache: another project's link to the same file moves their change time, not their bytes.
        return new StepOutcome(result.ChannelFiles, Sha256s: result.Sha256s);
    }

    /// <summary>One line per subdir and a total: packages, MB, how many the cache already holds, what remains to download.</summary>
    private void LogPlan(MirrorPlan plan)
    {
        static string Mb(long bytes) => (bytes / 1048576.0).ToString("F1", System.Globalization.CultureInfo.InvariantCulture);
        foreach (var row in plan.Subdirs)
            Log.LogMessage(MessageImportance.High,
                $"Conda plan {row.Subdir}: {row.Packages} packages, {Mb(row.Bytes)} MB; {row.Cached} in the cache, {row.ToDownload} to download ({Mb(row.BytesToDownload)} MB).");
        // In MSBuild's output-path shape ("Project -> ..."), the one informational line the terminal logger shows.
        var project = string.IsNullOrEmpty(ProjectFile) ? "Conda plan" : Path.GetFileNameWithoutExtension(ProjectFile);
        Log.LogMessage(MessageImportance.High,
            $"{project} -> Conda plan: {plan.Packages} packages, {Mb(plan.Bytes)} MB in all; {plan.ToDownload} to download ({Mb(plan.BytesToDownload)} MB), " +
            $"{plan.Cached} in the cache; to download per subdir: {string.Join(", ", plan.Subdirs.Select(r => $"{r.Subdir} {r.ToDownload} of {r.Packages}"))}; the channel is not written" + (plan.UnknownSize > 0 ? $"; {plan.UnknownSize} package(s) have no size in the lock and count as 0 MB" : "") + ".");
    }
}
