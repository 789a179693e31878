using CondaMirror.Core.Records;

namespace CondaMirror.Core.Repodata;

/// <summary>
/// One channel subdir as the solver sees it: records per package name, produced on first request. Implemented by
/// the monolithic index (<see cref="SparseRepodata"/>) and by the CEP-16 shard client (<see cref="ShardedSubdir"/>).
/// </summary>
public interface ISubdirRepodata
{
    /// <summary>info.subdir, or the subdir it was fetched as.</summary>
    string Subdir { get; }

    /// <summary>Every package name the subdir has (from the index; no records are read).</summary>
    IEnumerable<string> PackageNames { get; }

    bool Contains(string name);

    /// <summary>The records of one name; unknown names give an empty list. Safe to call from several threads.</summary>
    IReadOnlyList<RepodataRecord> Records(string name);

    /// <summary>
    /// A hint that these names will probably be asked for soon: a source that fetches per name starts fetching them
    /// now, in parallel, so the solver does not wait one round trip per name. Never throws; failures surface in
    /// <see cref="Records"/>.
    /// </summary>
    void Prefetch(IEnumerable<string> names) { }
}
