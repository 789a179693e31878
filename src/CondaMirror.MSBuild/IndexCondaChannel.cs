using CondaMirror.Core.Errors;
using CondaMirror.Core.Indexing;
using CondaMirror.Core.Archives;
using CondaMirror.Core.Channels;
using CondaMirror.Core.Downloads;
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

    /// <summary>CondaLock items: more locks whose union DownloadCondaPackages placed; metadata Environment (default LockEnvironment).</summary>
    [FileContentInput]
    public ITaskItem[] Locks { get; set; } = Array.Empty<ITaskItem>();

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

    /// <summary>CondaChannelLayout: <c>merged</c> (one channel) or <c>per-channel</c> (a channel folder per source channel).</summary>
    public string? ChannelLayout { get; set; }

    /// <summary>CondaChannelAlias: a source channel under it is named by the path after it (per-channel layout).</summary>
    public string? ChannelAlias { get; set; }

    /// <summary>CondaLocalChannelName: the channel folder of CondaPackageFile items in the per-channel layout.</summary>
    public string? LocalChannelName { get; set; }

    [Output]
    public ITaskItem[] RepodataFiles { get; private set; } = Array.Empty<ITaskItem>();

    /// <summary>Every index file of the channel (repodata.json, .zst, run_exports.json, channeldata.json, index.html).</summary>
    [Output]
    public ITaskItem[] IndexFiles { get; private set; } = Array.Empty<ITaskItem>();

    /// <summary>obj/…/index.metadata.json: what downloaded archives' info/ held, by sha256, so a rerun opens only new archives.</summary>
    [NotAStepInput]
    public string? ArchiveMetadataCacheFile { get; set; }

    /// <summary>
    /// CondaPackageCachePath: where the download step kept each new archive's info/ record, read before the archive
    /// itself. Only a shortcut (a missing or untrusted record means the archive is read), so not an input.
    /// </summary>
    [NotAStepInput]
    public string? CachePath { get; set; }

    protected override StepOutcome RunStep()
    {
        var policy = Naming;
        var validation = ValidationOptions(MaxUnpackedPackageMB);
        // A bad URL or layout fails before the stamp is removed or anything is read.
        var baseUrl = ChannelIndexer.BaseUrl(ChannelBaseUrl);
        var layout = Core.Channels.ChannelLayout.Create(ChannelLayout, ChannelAlias, LocalChannelName);
        var subdirs = new SortedSet<string>(Core.Settings.BuildSettingChecks.Platforms(SplitList(Platforms), policy), StringComparer.Ordinal);
        // Channel folder ("" for the merged root) → its entries; every folder is known and checked before anything is written.
        var channels = new SortedDictionary<string, List<ChannelEntry>>(StringComparer.Ordinal);
        var sources = new List<(string? Channel, string Folder)>();
        List<ChannelEntry> ChannelOf(string folder) => channels.TryGetValue(folder, out var list) ? list : channels[folder] = new List<ChannelEntry>();
        if (layout.Kind == ChannelLayoutKind.Merged) ChannelOf("");

        if (UseLockFile && (!string.IsNullOrEmpty(LockFile) || Locks.Length > 0))
        {
            var lockFile = LockFileCache.ReadUnion(BuildEngine, LockFile, Locks, LockEnvironment, MirrorLog, policy);
            var platforms = LockPlatforms.Select(lockFile, subdirs);
            foreach (var platform in platforms)
                subdirs.Add(platform);
            var byFolder = LockPlatforms.DistinctRecords(lockFile, platforms)
                .Select(r => (Record: r, Folder: layout.FolderOf(r.Channel, LockFile)))
                .GroupBy(x => x.Folder, StringComparer.Ordinal).ToList();
            foreach (var group in byFolder)
                sources.AddRange(group.Select(x => (x.Record.Channel, group.Key)));
            Core.Channels.ChannelLayout.CheckFolders(sources);
            foreach (var group in byFolder)
                ChannelOf(group.Key).AddRange(LockedEntries.FromRecords(group.Select(x => x.Record),
                    Core.Channels.ChannelLayout.PathOf(ChannelDirectory, group.Key), CancellationToken, policy));
        }

        var localFolder = layout.FolderOf(null);
        if (PackageFiles.Length > 0)
        {
            sources.Add((null, localFolder));
            Core.Channels.ChannelLayout.CheckFolders(sources);
        }
        // A channel subset is one merged channel (the build refuses it with CondaChannelLayout=per-channel, CMIR816).
        if (!string.IsNullOrEmpty(SubsetSelectionFile))
            foreach (var selected in SubsetSelection.Read(Path.GetFullPath(SubsetSelectionFile)))
            {
                CancellationToken.ThrowIfCancellationRequested();
                ChannelOf("").Add(SubsetEntry(selected));
                subdirs.Add(selected.Subdir);
            }

        // Local packages are checked and read on every core, in item order whatever the scheduling.
        if (PackageFiles.Length > 0)
            ChannelOf(localFolder).AddRange(ArchiveEntries.FromArchives(PackageFiles.Select(i => i.GetMetadata("FullPath")).ToList(),
                policy, validation, ct: CancellationToken));

        var indexFiles = new List<string>();
        var repodataFiles = new List<string>();
        var changed = new List<string>();
        var perSubdir = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var perChannel = new List<string>();
        long packageBytes = 0;
        var written = new Dictionary<string, IReadOnlySet<string>>(StringComparer.Ordinal);
        var placed = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (folder, entries) in channels)
        {
            var directory = Core.Channels.ChannelLayout.PathOf(ChannelDirectory, folder);
            var result = ChannelIndexer.Write(directory, entries, new IndexOptions
            {
                Subdirs = subdirs,
                SubdirNaming = policy,
                WriteZst = WriteZst,
                WriteRunExports = WriteRunExports,
                WriteChannelData = WriteChannelData,
                WriteIndexHtml = WriteIndexHtml,
                WriteSbom = WriteSbom,
                WriteShards = WriteShards,
                BaseUrl = baseUrl is null || folder.Length == 0 ? baseUrl : baseUrl + string.Join('/', folder.Split('/').Select(Uri.EscapeDataString)) + "/",
                Title = folder.Length == 0 ? null : folder,
                ArchiveMetadataCacheFile = MetadataCacheFile(folder),
                // Locked and subset archives came through the download's member check; local files are read here anyway.
                PackageCacheRoot = UseLockFile || !string.IsNullOrEmpty(SubsetSelectionFile)
                    ? (string.IsNullOrWhiteSpace(CachePath) ? PackageCache.DefaultRoot : Path.GetFullPath(CachePath)) : null,
            }, MirrorLog, CancellationToken);
            indexFiles.AddRange(result.IndexFiles);
            repodataFiles.AddRange(result.RepodataFiles);
            changed.AddRange(result.ChangedFiles);
            foreach (var (subdir, count) in result.PackagesPerSubdir)
                perSubdir[subdir] = perSubdir.GetValueOrDefault(subdir) + count;
            packageBytes += result.PackageBytes;
            // The line's text after the path holds no '/', so the terminal logger's link still opens the folder.
            perChannel.Add($"{folder.Replace('/', ':')} {result.PackagesPerSubdir.Values.Sum()}");
            written[directory] = new HashSet<string>(result.PackagesPerSubdir.Keys, StringComparer.Ordinal);
            // Local package files are placed into the channel by this step (locked ones by the download step): its outputs too.
            foreach (var e in entries.Where(e => e.SourceFile is not null))
                placed.TryAdd(Path.Combine(directory, e.Subdir, e.FileName), e.Record.Sha256 ?? "");
        }
        // What lies outside every channel just written: a channel no longer built, the other layout's files.
        var pruned = ChannelTree.PruneStale(ChannelDirectory, written, CancellationToken);
        if (pruned > 0) MirrorLog.Detail($"{pruned} file(s) of channels no longer built removed from {ChannelDirectory}.");

        var combined = new IndexResult(perSubdir, repodataFiles, 0, 0, packageBytes) { IndexFiles = indexFiles, ChangedFiles = changed };
        RepodataFiles = repodataFiles.Select(p => (ITaskItem)new Microsoft.Build.Utilities.TaskItem(p)).ToArray();
        IndexFiles = indexFiles.Select(p => (ITaskItem)new Microsoft.Build.Utilities.TaskItem(p)).ToArray();
        MirrorLog.Detail($"{changed.Count} index file(s) changed: {string.Join(", ", changed.Select(f => Path.GetRelativePath(ChannelDirectory, f)))}");
        var channel = ChannelContents(ChannelDirectory, combined)
            + (layout.Kind == ChannelLayoutKind.PerChannel ? $"; {perChannel.Count} channels: {string.Join(", ", perChannel)}" : "");
        Log.LogMessage(MessageImportance.High, ChannelLine(ProjectName, ChannelDirectory, channel, StepSummaries));
        // They are hard links to the user's files where possible: their sha256 lets a link made elsewhere pass as no edit.
        return new StepOutcome(indexFiles.Concat(placed.Keys), Summary: channel,
            Sha256s: placed.Where(kv => kv.Value.Length > 0).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal));
    }

    /// <summary>obj/…/index.metadata.json for the merged channel; one file per channel folder in the per-channel layout (each run keeps only what it used).</summary>
    private string? MetadataCacheFile(string folder)
    {
        if (string.IsNullOrEmpty(ArchiveMetadataCacheFile)) return null;
        var file = Path.GetFullPath(ArchiveMetadataCacheFile);
        return folder.Length == 0 ? file : Path.ChangeExtension(file, null) + "." + folder.Replace('/', '~') + ".json";
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
