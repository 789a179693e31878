namespace CondaMirror.Core.Repodata;

/// <summary>
/// Indexed repodata shared by every resolve of one build node (a host such as MSBuild keeps one instance for the
/// build): a solution with several conda projects indexes each channel subdir once. Entries are keyed by the file
/// they were indexed from, its size and write time, so a cache file replaced since (a refetch, another build) is
/// indexed again. Shared instances are not closed by their users; <see cref="Dispose"/> closes them all.
/// </summary>
public sealed class ParsedRepodataCache : IDisposable
{
    private readonly Dictionary<string, SparseRepodata> _entries = new(StringComparer.Ordinal);
    private readonly object _gate = new();
    private bool _disposed;

    /// <summary>How many times an entry was handed out again (for logs and tests).</summary>
    public int Hits { get; private set; }

    internal static string? KeyOf(string path, Uri channelBase, string subdir, Platforms.SubdirNaming policy)
    {
        var info = new FileInfo(path);
        return info.Exists ? $"{info.FullName}|{info.Length}|{info.LastWriteTimeUtc.Ticks}|{channelBase.AbsoluteUri}|{subdir}|{policy}" : null;
    }

    internal SparseRepodata? TryGet(string? key)
    {
        if (key is null) return null;
        lock (_gate)
        {
            if (_disposed || !_entries.TryGetValue(key, out var hit)) return null;
            Hits++;
            return hit;
        }
    }

    /// <summary>Keeps <paramref name="repodata"/> under <paramref name="key"/>; from now on the cache owns it.</summary>
    internal void Add(string? key, SparseRepodata repodata)
    {
        if (key is null) return;
        lock (_gate)
        {
            if (_disposed) return;
            repodata.MarkShared();
            if (_entries.Remove(key, out var replaced) && !ReferenceEquals(replaced, repodata)) replaced.CloseShared();
            _entries[key] = repodata;
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            foreach (var entry in _entries.Values) entry.CloseShared();
            _entries.Clear();
        }
    }
}
