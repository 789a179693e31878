using CondaMirror.Core.Records;

namespace CondaMirror.Core.Locks;

/// <summary>A parsed lock file with one environment selected: what to mirror, per target platform.</summary>
public sealed class LockFile
{
    internal LockFile(LockFileFormat format, int version, string path, string environment, IReadOnlyList<string> channels,
        IReadOnlyDictionary<string, IReadOnlyList<RepodataRecord>> packagesByPlatform, IReadOnlyList<string> skippedPypi,
        IReadOnlyList<PypiLockEntry>? pypi = null, IReadOnlyList<string>? pypiIndexes = null)
    {
        Format = format;
        Version = version;
        Path = path;
        Environment = environment;
        Channels = channels;
        PackagesByPlatform = packagesByPlatform;
        SkippedPypi = skippedPypi;
        Pypi = pypi ?? Array.Empty<PypiLockEntry>();
        PypiIndexes = pypiIndexes ?? Array.Empty<string>();
    }

    public LockFileFormat Format { get; }

    /// <summary>The file's format version (pixi.lock 2–7, conda-lock 1; 0 for @EXPLICIT, which has none).</summary>
    public int Version { get; }

    public string Path { get; }

    /// <summary>The selected environment (always "default" for conda-lock and @EXPLICIT files).</summary>
    public string Environment { get; }

    /// <summary>Channel URLs in priority order, credentials removed. For @EXPLICIT files: derived from package URLs.</summary>
    public IReadOnlyList<string> Channels { get; }

    /// <summary>
    /// Target platform (as named in the lock, e.g. linux-64) → its conda packages, in file order, unique by URL.
    /// Noarch packages appear under every platform that uses them, with <c>Record.Subdir == "noarch"</c>.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyList<RepodataRecord>> PackagesByPlatform { get; }

    /// <summary>Names of the PyPI packages the lock holds for the environment (as written); a conda channel cannot serve them.</summary>
    public IReadOnlyList<string> SkippedPypi { get; }

    /// <summary>The environment's PyPI distributions, one per location, in file order, each with the platforms using it.</summary>
    public IReadOnlyList<PypiLockEntry> Pypi { get; }

    /// <summary>The environment's package indexes (pixi <c>indexes:</c>), credentials removed, in priority order.</summary>
    public IReadOnlyList<string> PypiIndexes { get; }

    /// <summary>Every distinct archive across platforms (noarch packages once), in a stable order.</summary>
    public IEnumerable<RepodataRecord> DistinctPackages()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var platform in PackagesByPlatform.Keys.OrderBy(k => k, StringComparer.Ordinal))
            foreach (var record in PackagesByPlatform[platform])
                if (seen.Add(record.Url)) yield return record;
    }
}
