using CondaMirror.Core.Records;

namespace CondaMirror.Core.Repodata.Shards;

/// <summary>
/// One CEP-16 shard: the records of one package name, keyed by file name as in repodata.json
/// (<c>packages</c> for <c>.tar.bz2</c>, <c>packages.conda</c> for <c>.conda</c>), and the removed file names.
/// </summary>
public sealed class Shard
{
    /// <summary>The <c>packages</c> map: <c>.tar.bz2</c> file name → record.</summary>
    public SortedDictionary<string, PackageRecord> Packages { get; } = new(StringComparer.Ordinal);

    /// <summary>The <c>packages.conda</c> map: <c>.conda</c> file name → record.</summary>
    public SortedDictionary<string, PackageRecord> CondaPackages { get; } = new(StringComparer.Ordinal);

    /// <summary>File names removed from the channel (their URLs may still work).</summary>
    public SortedSet<string> Removed { get; } = new(StringComparer.Ordinal);

    public int RecordCount => Packages.Count + CondaPackages.Count;

    /// <summary>Every record with its file name, <c>.tar.bz2</c> first, each map in ordinal order.</summary>
    public IEnumerable<(string FileName, PackageRecord Record)> AllRecords() =>
        Packages.Select(p => (p.Key, p.Value)).Concat(CondaPackages.Select(p => (p.Key, p.Value)));

    /// <summary>Adds a record to the map its file name's extension selects.</summary>
    public void Add(string fileName, PackageRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (!ArchiveFileName.TryGetFormat(fileName, out var format))
            throw new ArgumentException($"'{fileName}' is neither a .conda nor a .tar.bz2 file name", nameof(fileName));
        (format == ArchiveFormat.Conda ? CondaPackages : Packages)[fileName] = record;
    }
}
