using CondaMirror.Core.Errors;
using CondaMirror.Core.Indexing;
using CondaMirror.Core.Archives;
using CondaMirror.Core.IO;
using CondaMirror.Core.Incremental;
using CondaMirror.Core.Locks;
using CondaMirror.Core.Platforms;
using CondaMirror.Core.Subsets;
using Microsoft.Build.Framework;

namespace CondaMirror.MSBuild;

/// <summary>
/// Writes repodata.json for every subdir of the channel (always noarch), and unless switched off repodata.json.zst,
/// run_exports.json and index.html beside it, channeldata.json and index.html at the root. Records come from the lock file when
/// there is one (they carry upstream repodata patches) and from each archive's info/index.json for local
/// <c>CondaPackageFile</c> items and for lock formats without full records (conda-lock v1, @EXPLICIT).
/// </summary>
public sealed class IndexCondaChannel : CondaStepTask
{
    protected override string StepName => "index";

    [Required]
    public string ChannelDirectory { get; set; } = "";

    /// <summary>The lock whose packages DownloadCondaPackages placed in the channel.</summary>
    [FileContentInput]
    public string? LockFile { get; set; }

    /// <summary>False when there is no lock (only local package files are indexed).</summary>
    public bool UseLockFile { get; set; }

    public string LockEnvironment { get; set; } = "default";

    /// <summary>Subdirs to publish (';'-separated). Empty: the lock's platforms, or those of the local files.</summary>
    public string? Platforms { get; set; }

    /// <summary>Local .conda/.tar.bz2 files to add to the channel (their bytes are inputs).</summary>
    [FileContentInput]
    public ITaskItem[] PackageFiles { get; set; } = Array.Empty<ITaskItem>();


    /// <summary>The subset step's selection (obj/…/condamirror/subset.selection.json): CondaChannelSubset records, published with upstream's JSON.</summary>
    [FileContentInput]
    public string? SubsetSelectionFile { get; set; }

    /// <summary>CondaMaxUnpackedPackageMB: a fixed limit on what one local package may unpack to; empty for the default rule.</summary>
    public string? MaxUnpackedPackageMB { get; set; }

    /// <summary>What the resolve and download steps of this build did (their Summary outputs), shown on the channel's output line.</summary>
    [NotAStepInput]
    public string[] StepSummaries { get; set; } = Array.Empty<string>();

    /// <summary>CondaWriteZst: repodata.json.zst beside every repodata.json.</summary>
    public bool WriteZst { get; set; } = true;

    /// <summary>CondaWriteRunExports: run_exports.json per subdir (CEP 12).</summary>
    public bool WriteRunExports { get; set; } = true;

    /// <summary>CondaWriteChannelData: channeldata.json at the channel root.</summary>
    public bool WriteChannelData { get; set; } = true;

    /// <summary>CondaWriteIndexHtml: index.html at the root and in every subdir.</summary>
    public bool WriteIndexHtml { get; set; } = true;

    /// <summary>CondaWriteShards: CEP-16 sharded repodata per subdir.</summary>
    public bool WriteShards { get; set; } = true;

    /// <summary>CondaWriteSbom: sbom.cdx.json (CycloneDX 1.6) at the channel root.</summary>
    public bool WriteSbom { get; set; } = true;

    /// <summary>CondaChannelBaseUrl: the URL the channel will be served from; repodata.json then carries base_url (CEP 15).</summary>
    public string? ChannelBaseUrl { get; set; }

    [Output]
    public ITaskItem[] RepodataFiles { get; private set; } = Array.Empty<ITaskItem>();

    /// <summary>Every index file of the channel (repodata.json, .zst, run_exports.json, channeldata.json, index.html).</summary>
    [Output]
    public ITaskItem[] IndexFiles { get; private set; } = Array.Empty<ITaskItem>();

    /// <summary>obj/…/index.metadata.json: what downloaded archives' info/ held, by sha256, so a rerun opens only new archives.</summary>
    [NotAStepInput]
    public string? ArchiveMetadataCacheFile { get; set; }

    protected override StepOutcome RunStep()
    {
        var policy = Naming;
        var validation = ValidationOptions(MaxUnpackedPackageMB);
        // A bad URL fails before the stamp is removed or anything is read.
        var baseUrl = ChannelIndexer.BaseUrl(ChannelBaseUrl);
        var entries = new List<ChannelEntry>();
        var subdirs = new SortedSet<string>(Core.Settings.BuildSettingChecks.Platforms(SplitList(Platforms), policy), StringComparer.Ordinal);

        if (UseLockFile && !string.IsNullOrEmpty(LockFile))
        {
            var lockFile = LockFileCache.Read(BuildEngine, LockFile!, LockEnvironment, MirrorLog, policy);
            var platforms = LockPlatforms.Select(lockFile, subdirs);
            foreach (var platform in platforms)
                subdirs.Add(platform);
            entries.AddRange(LockedEntries.FromLock(lockFile, platforms, ChannelDirectory, CancellationToken, policy));
        }

        if (!string.IsNullOrEmpty(SubsetSelectionFile))
            foreach (var selected in SubsetSelection.Read(Path.GetFullPath(SubsetSelectionFile)))
            {
                CancellationToken.ThrowIfCancellationRequested();
                entries.Add(SubsetEntry(selected));
                subdirs.Add(selected.Subdir);
            }

        foreach (var item in PackageFiles)
        {
            CancellationToken.ThrowIfCancellationRequested();
            entries.Add(ArchiveEntries.FromArchive(item.GetMetadata("FullPath"), subdirs: policy, validation: validation, ct: CancellationToken));
        }

        var result = ChannelIndexer.Write(ChannelDirectory, entries, new IndexOptions
        {
            Subdirs = subdirs,
            SubdirNaming = policy,
            WriteZst = WriteZst,
            WriteRunExports = WriteRunExports,
            WriteChannelData = WriteChannelData,
            WriteIndexHtml = WriteIndexHtml,
            WriteSbom = WriteSbom,
            WriteShards = WriteShards,
            BaseUrl = baseUrl,
            ArchiveMetadataCacheFile = string.IsNullOrEmpty(ArchiveMetadataCacheFile) ? null : Path.GetFullPath(ArchiveMetadataCacheFile),
        }, MirrorLog, CancellationToken);
        RepodataFiles = result.RepodataFiles.Select(p => (ITaskItem)new Microsoft.Build.Utilities.TaskItem(p)).ToArray();
        IndexFiles = result.IndexFiles.Select(p => (ITaskItem)new Microsoft.Build.Utilities.TaskItem(p)).ToArray();
        MirrorLog.Detail($"{result.ChangedFiles.Count} index file(s) changed: {string.Join(", ", result.ChangedFiles.Select(f => Path.GetRelativePath(ChannelDirectory, f)))}");
        var channel = ChannelContents(ChannelDirectory, result);
        Log.LogMessage(MessageImportance.High, ChannelLine(ProjectName, ChannelDirectory, channel, StepSummaries));
        // Local package files are placed into the channel by this step (locked ones by the download step): its outputs too.
        var placed = entries.Where(e => e.SourceFile is not null).Select(e => Path.Combine(ChannelDirectory, e.Subdir, e.FileName));
        return new StepOutcome(result.IndexFiles.Concat(placed), Summary: channel);
    }

    /// <summary>A CondaChannelSubset record: placed by the subset step, published with the JSON upstream served.</summary>
    private ChannelEntry SubsetEntry(SelectionEntry selected)
    {
        var archive = SafePath.Combine(ChannelDirectory, selected.Subdir, selected.FileName);
        if (!File.Exists(archive))
            throw new CondaMirrorException(ErrorCodes.IndexPackageFileMissing,
                $"{selected.Subdir}/{selected.FileName} of the channel subset is not in the channel folder; its output was deleted. Build again.", archive);
        Core.Records.PackageRecord record;
        try { record = Core.Records.PackageRecordJson.Parse(selected.RecordJson); }
        catch (System.Text.Json.JsonException e)
        {
            throw new CondaMirrorException(ErrorCodes.SubsetSelectionInvalid,
                $"The channel subset record {selected.Subdir}/{selected.FileName} in {SubsetSelectionFile} is unreadable ({e.Message}). Delete the file and build again.", SubsetSelectionFile, e);
        }
        record.Subdir ??= selected.Subdir;
        return new ChannelEntry(record, selected.FileName) { Url = selected.Url, Channel = selected.Channel, RawJson = selected.RecordJson };
    }

    /// <summary>A no-op build still says where the channel is and what it holds, as the last complete run found it.</summary>
    protected override void UpToDate(StepRecord record) =>
        Log.LogMessage(MessageImportance.High, ChannelLine(ProjectName, ChannelDirectory, record.Summary ?? "", StepSummaries.Append("up to date").ToArray()));

    private string? ProjectName => string.IsNullOrEmpty(ProjectFile) ? null : Path.GetFileNameWithoutExtension(ProjectFile);

    /// <summary>
    /// "Name -&gt; path (...)", Name being the project file's name without extension ($(MSBuildProjectName)), is
    /// MSBuild's output-path line: the console logger prints it at minimal verbosity, and the terminal logger, which
    /// shows no informational message below detailed verbosity, shows the text after " -&gt; " on the project's result
    /// line (the last such line of the project wins, so the channel replaces the assembly there, as a publish folder
    /// does). The summary after the path holds no directory separator, so the terminal logger's link still opens the
    /// channel folder.
    /// </summary>
    internal static string ChannelLine(string? projectName, string channelDirectory, IndexResult result, IReadOnlyList<string>? steps = null) =>
        ChannelLine(projectName, channelDirectory, ChannelContents(channelDirectory, result), steps);

    /// <summary>"56 conda packages, 41.2 MB; linux-64: 30, noarch: 26".</summary>
    internal static string ChannelContents(string channelDirectory, IndexResult result)
    {
        var total = result.PackagesPerSubdir.Values.Sum();
        var subdirs = string.Join(", ", result.PackagesPerSubdir.Select(kv => $"{kv.Key}: {kv.Value}"));
        return $"{total} conda packages, {Sizes.Format(result.PackageBytes)}; {subdirs}";
    }

    internal static string ChannelLine(string? projectName, string channelDirectory, string contents, IReadOnlyList<string>? steps = null)
    {
        var who = string.IsNullOrWhiteSpace(projectName) ? "Conda channel" : projectName;
        // What this build did goes on the same line: it is the only informational line the terminal logger shows.
        var did = steps?.Where(x => !string.IsNullOrWhiteSpace(x)).Select(x => x.Replace('/', ' ').Replace('\\', ' ')).ToList() ?? new List<string>();
        return $"{who} -> {channelDirectory} ({contents})" + (did.Count > 0 ? $" [{string.Join("; ", did)}]" : "");
    }

    /// <summary>The CondaMaxUnpackedPackageMB property: empty for the default rule, else a positive whole number of MB.</summary>
    internal static PackageValidationOptions ValidationOptions(string? maxUnpackedMB)
    {
        if (string.IsNullOrWhiteSpace(maxUnpackedMB)) return new PackageValidationOptions();
        if (!long.TryParse(maxUnpackedMB.Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var mb) || mb < 1 || mb > (long.MaxValue >> 20))
            throw new CondaMirrorException(ErrorCodes.InvalidBuildSetting,
                $"CondaMaxUnpackedPackageMB must be a positive whole number of megabytes (got '{maxUnpackedMB}'); leave it empty for the default limit.");
        return new PackageValidationOptions { MaxUnpackedBytes = mb << 20 };
    }
}
