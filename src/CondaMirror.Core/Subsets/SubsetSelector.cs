using System.Text;
using CondaMirror.Core.Diagnostics;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Channels;
using CondaMirror.Core.Records;
using CondaMirror.Core.Repodata;
using CondaMirror.Core.Specs;
using CondaMirror.Core.Versions;

namespace CondaMirror.Core.Subsets;

/// <summary>Opens one channel subdir's repodata (the fetcher's <c>FetchSubdirAsync</c>, or a test's files).</summary>
public delegate Task<ISubdirRepodata> SubdirSource(ChannelSource channel, string subdir, CancellationToken cancellationToken);

/// <summary>
/// Computes the records a set of <see cref="SubsetRule"/>s keep. Each subdir is read name by name and nothing of a
/// name is kept but the records the rule keeps (monolithic repodata is indexed by byte range, 16 bytes per record,
/// and read back per name without caching), so memory grows with the selection, not with the channel. The kept
/// records' JSON, exactly as upstream served it, is spilled to a file beside the selection file until
/// <see cref="SubsetSelection.Write"/> copies it there.
/// </summary>
public static class SubsetSelector
{
    public static async Task<SubsetSelection> SelectAsync(IReadOnlyList<SubsetRule> rules, SubdirSource source, string spillPath,
        IMirrorLog log, CancellationToken ct = default)
    {
        var spill = new FileStream(spillPath, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose);
        var selection = new SubsetSelection(spill);
        try
        {
            foreach (var rule in rules)
                await SelectRuleAsync(rule, source, selection, log, ct).ConfigureAwait(false);
            selection.Sort();
            return selection;
        }
        catch
        {
            selection.Dispose();
            throw;
        }
    }

    private static async Task SelectRuleAsync(SubsetRule rule, SubdirSource source, SubsetSelection selection, IMirrorLog log, CancellationToken ct)
    {
        var subdirs = new Dictionary<string, ISubdirRepodata>(StringComparer.Ordinal);
        try
        {
            foreach (var platform in rule.Platforms)
                subdirs[platform] = await source(rule.Channel, platform, ct).ConfigureAwait(false);
            var kept = new List<SelectedRecord>();
            var stats = new List<SubsetSubdirStats>();
            foreach (var (subdir, repodata) in subdirs)
            {
                var total = 0;
                var before = kept.Count;
                var names = repodata.PackageNames.ToList();
                repodata.Prefetch(names);
                foreach (var name in names)
                {
                    ct.ThrowIfCancellationRequested();
                    var records = Read(repodata, name);
                    total += records.Count;
                    var matching = records.Where(r => rule.Filter.Keep(r.Record.Record)).ToList();
                    if (rule.LatestVersions is { } n) matching = Newest(matching, n);
                    foreach (var (record, json) in matching)
                        if (selection.Add(rule, record, json) is { } added) kept.Add(added);
                }
                stats.Add(new SubsetSubdirStats(rule.Item, subdir, total, kept.Count - before, kept.Skip(before).Sum(r => r.Record.Record.Size ?? 0)));
            }
            var withDependencies = rule.WithDependencies ? AddDependencies(rule, subdirs, kept, selection, log, ct) : 0;
            var bytes = kept.Sum(r => r.Record.Record.Size ?? 0);
            selection.AddRule(rule, stats, kept.Count, withDependencies, bytes);
            if (bytes > rule.MaxBytes)
                throw new CondaMirrorException(ErrorCodes.SubsetTooLarge,
                    $"{rule.Item} selects {kept.Count} packages, {bytes / 1e9:0.###} GB, more than its MaxSizeGB of {rule.MaxBytes / 1e9:0.###} GB; nothing was downloaded. " +
                    "Narrow it with Whitelist, Blacklist or LatestVersions, or raise MaxSizeGB.");
        }
        finally
        {
            foreach (var repodata in subdirs.Values) (repodata as IDisposable)?.Dispose();
        }
    }

    /// <summary>The records of the newest <paramref name="n"/> versions (conda's version order), every build of each.</summary>
    private static List<(RepodataRecord Record, byte[] Json)> Newest(List<(RepodataRecord Record, byte[] Json)> records, int n)
    {
        var versions = records.Select(r => Version(r.Record)).Where(v => v is not null).Distinct().OrderByDescending(v => v).Take(n).ToHashSet();
        return records.Where(r => Version(r.Record) is { } v && versions.Contains(v)).ToList();
    }

    private static CondaVersion? Version(RepodataRecord r) => CondaVersion.TryParse(r.Record.Version, out var v) ? v : null;

    /// <summary>
    /// Every record matching each depends spec of the kept records, transitively: from the record's own subdir and
    /// noarch (a noarch record's from every subdir of the rule). Not one solution: every match.
    /// </summary>
    private static int AddDependencies(SubsetRule rule, Dictionary<string, ISubdirRepodata> subdirs, List<SelectedRecord> kept,
        SubsetSelection selection, IMirrorLog log, CancellationToken ct)
    {
        var queue = new Queue<SelectedRecord>(kept);
        var asked = new HashSet<(string Subdir, string Spec)>();
        var byName = new Dictionary<(string Subdir, string Name), IReadOnlyList<(RepodataRecord Record, byte[] Json)>>();
        var added = 0;
        while (queue.Count > 0)
        {
            ct.ThrowIfCancellationRequested();
            var from = queue.Dequeue();
            var pools = from.Subdir == "noarch" ? subdirs.Keys.ToList()
                : subdirs.Keys.Where(s => s == from.Subdir || s == "noarch").ToList();
            foreach (var depends in from.Record.Record.Depends)
            {
                if (!MatchSpec.TryParse(depends, out var spec, out var error) || spec is null)
                {
                    log.Detail($"{rule.Item}: the dependency '{depends}' of {from.Subdir}/{from.FileName} is not a MatchSpec ({error}); not followed.");
                    continue;
                }
                if (spec.Name == "*") continue;
                foreach (var pool in pools)
                {
                    if (!asked.Add((pool, depends))) continue;
                    if (!byName.TryGetValue((pool, spec.Name), out var candidates))
                        byName[(pool, spec.Name)] = candidates = Read(subdirs[pool], spec.Name);
                    foreach (var (record, json) in candidates)
                    {
                        if (!spec.Matches(record) || rule.Filter.Blacklisted(record.Record)) continue;
                        if (selection.Add(rule, record, json) is not { } next) continue;
                        kept.Add(next);
                        queue.Enqueue(next);
                        added++;
                    }
                }
            }
        }
        return added;
    }

    /// <summary>One name's records with their JSON: upstream's bytes from monolithic repodata, our sorted-key form from shards.</summary>
    private static IReadOnlyList<(RepodataRecord Record, byte[] Json)> Read(ISubdirRepodata repodata, string name) =>
        repodata is SparseRepodata sparse ? sparse.RecordsWithJson(name)
            : repodata.Records(name).Select(r => (r, Encoding.UTF8.GetBytes(PackageRecordJson.ToJson(r.Record)))).ToList();
}
