using CondaMirror.Core.Records;
using CondaMirror.Core.Repodata;
using CondaMirror.Core.Solving;

namespace CondaMirror.Core.Resolving;

/// <summary>
/// The solver's view of the channels for one platform: for each channel (priority order) its platform subdir and
/// its noarch subdir. Records are materialised by the sparse repodata only when the solver asks for a name.
/// </summary>
public sealed class ChannelPackageSource : IPackageSource
{
    private readonly IReadOnlyList<SparseRepodata> _subdirs;

    /// <param name="subdirs">Repodata in channel priority order; within a channel, platform before noarch.</param>
    public ChannelPackageSource(IReadOnlyList<SparseRepodata> subdirs) => _subdirs = subdirs;

    public IReadOnlyList<RepodataRecord> GetRecords(string name)
    {
        var result = new List<RepodataRecord>();
        foreach (var subdir in _subdirs)
            if (subdir.Contains(name)) result.AddRange(subdir.Records(name));
        return result;
    }

    public bool HasName(string name) => _subdirs.Any(s => s.Contains(name));

    public IEnumerable<string> AllNames => _subdirs.SelectMany(s => s.PackageNames).Distinct(StringComparer.Ordinal);
}
