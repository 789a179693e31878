using System.Globalization;
using CondaMirror.Core.Channels;
using CondaMirror.Core.Downloads;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Incremental;
using CondaMirror.Core.IO;
using CondaMirror.Core.Networking;
using CondaMirror.Core.Platforms;
using CondaMirror.Core.Repodata;
using CondaMirror.Core.Settings;
using CondaMirror.Core.Subsets;
using Microsoft.Build.Framework;

namespace CondaMirror.MSBuild;

/// <summary>
/// Mirrors filtered whole channels (CondaChannelSubset items, what conda-mirror does): per item and subdir, the
/// upstream repodata is revalidated and read name by name (Core's <see cref="SubsetSelector"/>), the kept records are
/// checked against MaxSizeGB before any package is requested, then downloaded through the verified cache and placed
/// into the channel (<see cref="ChannelMirror"/>). The selection file it writes under obj/ is what the index step
/// publishes, with upstream's record JSON. Files that left the selection since the last run are removed from the
/// channel (only files this step placed).
/// The step runs on every build: following upstream is its job, and a run where upstream did not change makes only
/// conditional requests (304) and writes nothing.
/// </summary>
public sealed class MirrorCondaSubsets : DownloadTaskBase
{
    protected override string StepName => "subset";

    /// <summary>Always runs (see the class summary); it still saves a record of the files it placed, for CleanCondaMirror.</summary>
    protected override bool Recorded => false;

    /// <summary>CondaChannelSubset items: Include is a channel name or URL; Platforms, Whitelist, Blacklist, LatestVersions, WithDependencies, MaxSizeGB.</summary>
    public ITaskItem[] Subsets { get; set; } = Array.Empty<ITaskItem>();

    [Required]
    public string ChannelDirectory { get; set; } = "";

    /// <summary>obj/…/condamirror/subset.selection.json: the kept records, read by the index step.</summary>
    [Required]
    public string SelectionFile { get; set; } = "";

    /// <summary>CondaPlatforms: the subdirs of an item without Platforms metadata (noarch is added).</summary>
    public string? Platforms { get; set; }

    public ITaskItem[] Channels { get; set; } = Array.Empty<ITaskItem>();
    public ITaskItem[] ChannelMirrors { get; set; } = Array.Empty<ITaskItem>();
    public string? ChannelAlias { get; set; }
    public string? ProjectDirectory { get; set; }
    public string? RepodataCachePath { get; set; }
    public bool Offline { get; set; }
    public long MaxRepodataBytes { get; set; } = RepodataFetchOptions.DefaultMaxRepodataBytes;
    public long MaxShardBytes { get; set; } = RepodataFetchOptions.DefaultMaxShardBytes;
    public bool UseShardedRepodata { get; set; } = true;
    public string? MaxUnpackedPackageMB { get; set; }

    /// <summary>Plan mode: select and report counts and sizes; download nothing, write nothing.</summary>
    public bool PlanOnly { get; set; }

    [Output]
    public string Summary { get; private set; } = "";

    protected override StepOutcome RunStep()
    {
        CheckNetworkLimits();
        var alias = ChannelResolver.AliasOrDefault(ChannelAlias);
        var rules = Subsets.Select(item => Rule(item, alias)).ToList();
        var selectionFile = Path.GetFullPath(SelectionFile);
        var previous = PlanOnly ? Array.Empty<SelectionEntry>() : SubsetSelection.Read(selectionFile);
        if (rules.Count == 0)
        {
            if (PlanOnly) return StepOutcome.Nothing;
            // No items any more: what the last run placed leaves the channel, and the index step publishes none of it.
            RemoveLeft(previous, new HashSet<(string, string)>());
            AtomicFile.TryDelete(selectionFile);
            SaveCleanRecord(Array.Empty<string>());
            return StepOutcome.Nothing;
        }

        // A mirror follows upstream: every run revalidates (ETag/Last-Modified; 304 costs no body).
        using var fetcher = new RepodataFetcher(RepodataSettings.FetchOptions(RepodataCachePath, Offline, RetryCount, HttpTimeoutSeconds, HttpRequestDeadlineSeconds,
            MaxRetryAfterSeconds, MaxRepodataBytes, MaxShardBytes, UseShardedRepodata, Credentials(alias), ChannelMirrorItems.From(ChannelMirrors, alias, ProjectDirectory),
            Naming, StepBudget, cacheTtl: TimeSpan.Zero), MirrorLog);

        var stateDir = Path.GetDirectoryName(selectionFile)!;
        Directory.CreateDirectory(stateDir);
        using var selection = SubsetSelector.SelectAsync(rules, (c, s, ct) => fetcher.FetchSubdirAsync(c, s, ct),
            Path.Combine(stateDir, $".subset.spill.{Guid.NewGuid():N}.tmp"), MirrorLog, CancellationToken).GetAwaiter().GetResult();

        var records = selection.Records.Select(r => r.Record).ToList();
        var mirror = new ChannelMirror(DownloadOptions(alias), MirrorLog);
        var plan = mirror.Plan(records);
        LogSelection(selection, plan);
        if (PlanOnly) return StepOutcome.Nothing;

        var result = mirror.MirrorAsync(records, ChannelDirectory, CancellationToken).GetAwaiter().GetResult();
        var removed = RemoveLeft(previous, selection.Records.Select(r => (r.Subdir, r.FileName)).ToHashSet());
        var changed = selection.Write(selectionFile);
        SaveCleanRecord(result.ChannelFiles);
        var downloads = result.Downloads;
        Summary = string.Create(CultureInfo.InvariantCulture,
            $"subset {records.Count} packages ({downloads.Downloaded} downloaded, {removed} removed)");
        Log.LogMessage(MessageImportance.High, string.Create(CultureInfo.InvariantCulture,
            $"Conda subset: {records.Count} packages in the channel, {Sizes.Format(selection.Bytes)}; {downloads.Downloaded} downloaded ({Sizes.Format(downloads.BytesDownloaded)}), {downloads.FromCache} from cache, {removed} removed; selection {(changed ? "changed" : "unchanged")}."));
        return StepOutcome.Nothing;
    }

    private SubsetRule Rule(ITaskItem item, string alias)
    {
        var where = $"CondaChannelSubset '{item.ItemSpec}'";
        var platforms = SplitList(item.GetMetadata("Platforms"));
        if (platforms.Length == 0 && SplitList(Platforms).Length > 0) platforms = SplitList(Platforms).Append("noarch").Distinct(StringComparer.Ordinal).ToArray();
        if (platforms.Length == 0)
            throw new CondaMirrorException(ErrorCodes.SubsetSettingInvalid, $"{where} names no platforms: set its Platforms metadata (e.g. Platforms=\"linux-64;noarch\") or CondaPlatforms.");
        foreach (var p in platforms)
            if (!Subdirs.IsAllowed(p, Naming))
                throw new CondaMirrorException(ErrorCodes.SubsetSettingInvalid,
                    $"{where}: Platforms holds '{p}', which is not a conda subdir. Use names such as linux-64, osx-arm64, win-64 or noarch.");
        ChannelSource channel;
        try { channel = ChannelResolver.Resolve(item.ItemSpec, alias, ProjectDirectory); }
        catch (Exception e) when (e is ArgumentException or UriFormatException)
        {
            throw new CondaMirrorException(ErrorCodes.SubsetSettingInvalid, $"{where}: Include must be a channel name or an http(s)://, oci:// or file:// URL ({e.Message}).");
        }
        return new SubsetRule(where, channel, platforms.Distinct(StringComparer.Ordinal).ToList(),
            SubsetFilter.Parse(Entries(item.GetMetadata("Whitelist")), Entries(item.GetMetadata("Blacklist")), where))
        {
            LatestVersions = SubsetRule.ParseLatestVersions(item.GetMetadata("LatestVersions"), where),
            WithDependencies = SubsetRule.ParseWithDependencies(item.GetMetadata("WithDependencies"), where),
            MaxBytes = SubsetRule.ParseMaxBytes(item.GetMetadata("MaxSizeGB"), where),
        };
    }

    /// <summary>Whitelist/Blacklist entries: ';'-separated only (a MatchSpec may hold ',').</summary>
    private static IEnumerable<string> Entries(string? value) =>
        string.IsNullOrWhiteSpace(value) ? Array.Empty<string>() : value.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>The CondaChannel items' credentials and the subset items' own (the same metadata), for a private channel mirrored only as a subset.</summary>
    private CredentialSet Credentials(string alias)
    {
        var resolve = ChannelResolver.RootResolver(alias, ProjectDirectory);
        return CredentialSet.FromChannels(ChannelAuthItems.From(Channels), resolve)
            .Union(CredentialSet.FromChannels(ChannelAuthItems.From(Subsets), resolve, itemName: "CondaChannelSubset"));
    }

    private DownloadOptions DownloadOptions(string alias) =>
        DownloadOptions(Credentials(alias), ChannelMirrorItems.From(ChannelMirrors, alias, ProjectDirectory), IndexCondaChannel.ValidationOptions(MaxUnpackedPackageMB));

    /// <summary>One line per item and subdir (kept/total records, to download, bytes), and the selection's total.</summary>
    private void LogSelection(SubsetSelection selection, MirrorPlan plan)
    {
        static string Mb(long bytes) => (bytes / 1048576.0).ToString("F1", CultureInfo.InvariantCulture);
        var toDownload = plan.Subdirs.ToDictionary(s => s.Subdir, StringComparer.Ordinal);
        foreach (var rule in selection.Rules)
        {
            foreach (var s in rule.Subdirs)
                Log.LogMessage(MessageImportance.High,
                    $"Conda subset {rule.Item} {s.Subdir}: {s.Kept} of {s.Total} records kept, {Mb(s.KeptBytes)} MB.");
            if (rule.Dependencies > 0)
                Log.LogMessage(MessageImportance.High, $"Conda subset {rule.Item}: {rule.Dependencies} dependencies added.");
        }
        foreach (var s in plan.Subdirs)
            Log.LogMessage(MessageImportance.High,
                $"Conda subset channel {s.Subdir}: {s.Packages} packages, {Mb(s.Bytes)} MB; {s.ToDownload} to download ({Mb(s.BytesToDownload)} MB).");
        var project = string.IsNullOrEmpty(ProjectFile) ? "Conda subset" : Path.GetFileNameWithoutExtension(ProjectFile);
        if (PlanOnly)
            Log.LogMessage(MessageImportance.High,
                $"{project} -> Conda subset plan: {plan.Packages} packages, {Mb(plan.Bytes)} MB; {plan.ToDownload} to download ({Mb(plan.BytesToDownload)} MB); the channel is not written.");
    }

    /// <summary>Deletes the channel files the last run placed that the selection no longer holds.</summary>
    private int RemoveLeft(IReadOnlyList<SelectionEntry> previous, HashSet<(string, string)> now)
    {
        var removed = 0;
        foreach (var entry in previous)
        {
            if (now.Contains((entry.Subdir, entry.FileName))) continue;
            var path = SafePath.Combine(ChannelDirectory, entry.Subdir, entry.FileName);
            if (!File.Exists(path)) continue;
            File.Delete(path);
            removed++;
            MirrorLog.Detail($"Removed {entry.Subdir}/{entry.FileName}: it left the channel subset.");
        }
        return removed;
    }

    /// <summary>A record of the placed files so `dotnet clean` removes them; this step never reads it to skip itself.</summary>
    private void SaveCleanRecord(IReadOnlyList<string> files)
    {
        if (string.IsNullOrEmpty(StateDirectory)) return;
        StepRecord.Save(Path.GetFullPath(StateDirectory), Inputs(null, null), new StepOutcome(files));
    }
}
