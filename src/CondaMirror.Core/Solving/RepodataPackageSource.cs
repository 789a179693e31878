using CondaMirror.Core.Records;
using CondaMirror.Core.Repodata;

namespace CondaMirror.Core.Solving;

/// <summary>
/// The solver's view of loaded channels: each channel's platform subdir and noarch, in channel priority order.
/// Records are materialised per name only when the solver asks (SparseRepodata parses lazily).
/// </summary>
public sealed class RepodataPackageSource : IPackageSource
{
    private readonly IReadOnlyList<SparseRepodata> _subdirs;

    /// <param name="subdirsInPriorityOrder">For each channel, highest priority first: its platform subdir and its noarch subdir.</param>
    public RepodataPackageSource(IEnumerable<SparseRepodata> subdirsInPriorityOrder)
    {
        _subdirs = subdirsInPriorityOrder.ToList();
    }

    public IReadOnlyList<RepodataRecord> GetRecords(string name)
    {
        var result = new List<RepodataRecord>();
        foreach (var subdir in _subdirs) result.AddRange(subdir.Records(name));
        return result;
    }

    public bool HasName(string name) => _subdirs.Any(s => s.Contains(name));

    public IEnumerable<string> AllNames => _subdirs.SelectMany(s => s.PackageNames).Distinct(StringComparer.Ordinal);
}
