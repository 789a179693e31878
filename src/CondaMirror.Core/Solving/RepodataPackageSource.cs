using CondaMirror.Core.Records;
using CondaMirror.Core.Repodata;

namespace CondaMirror.Core.Solving;

/// <summary>
/// The solver's view of loaded channels: each channel's platform subdir and noarch, in channel priority order.
/// Records are materialised per name only when the solver asks (SparseRepodata parses lazily, a sharded subdir
/// fetches the name's shard). When a name is asked for, the names its records depend on are passed on as a
/// prefetch hint, so a sharded subdir fetches them in parallel while the solver works on this one.
/// </summary>
public sealed class RepodataPackageSource : IPackageSource
{
    private readonly IReadOnlyList<ISubdirRepodata> _subdirs;

    /// <param name="subdirsInPriorityOrder">For each channel, highest priority first: its platform subdir and its noarch subdir.</param>
    public RepodataPackageSource(IEnumerable<ISubdirRepodata> subdirsInPriorityOrder)
    {
        _subdirs = subdirsInPriorityOrder.ToList();
    }

    public IReadOnlyList<RepodataRecord> GetRecords(string name)
    {
        // Start every subdir's fetch of this name before waiting on any of them.
        foreach (var subdir in _subdirs) subdir.Prefetch(new[] { name });
        var result = new List<RepodataRecord>();
        foreach (var subdir in _subdirs) result.AddRange(subdir.Records(name));
        var next = new HashSet<string>(StringComparer.Ordinal);
        foreach (var record in result)
            foreach (var depend in record.Record.Depends)
                if (DependencyName(depend) is { Length: > 0 } dependName && !dependName.StartsWith("__", StringComparison.Ordinal)) next.Add(dependName);
        if (next.Count > 0)
            foreach (var subdir in _subdirs) subdir.Prefetch(next);
        return result;
    }

    public bool HasName(string name) => _subdirs.Any(s => s.Contains(name));

    public IEnumerable<string> AllNames => _subdirs.SelectMany(s => s.PackageNames).Distinct(StringComparer.Ordinal);

    /// <summary>
    /// The package name of a depends entry ("python >=3.10", "numpy=1.26", "conda-forge::zlib"): enough for a
    /// prefetch hint, which is all it is used for; a wrong guess costs one unneeded fetch, never a wrong solve.
    /// </summary>
    internal static string DependencyName(string depend)
    {
        var text = depend.AsSpan().Trim();
        var pinned = text.IndexOf("::", StringComparison.Ordinal);
        if (pinned >= 0) text = text[(pinned + 2)..];
        var end = text.IndexOfAny(" =<>!~[;,");
        return (end < 0 ? text : text[..end]).ToString();
    }
}
