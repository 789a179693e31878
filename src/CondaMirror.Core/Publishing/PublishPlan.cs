namespace CondaMirror.Core.Publishing;

/// <summary>
/// The upload phases, in the order they run. A file is uploaded only after every file that can list it, so a reader
/// polling the bucket never sees an index that names a missing object: archives; CEP-16 shards (they list archives);
/// everything else (run_exports.json, channeldata.json, index.html, the SBOM); the shard index (it lists shards);
/// the other repodata forms (repodata.json.zst, current_repodata.json, …); repodata.json itself, of every subdir, last.
/// </summary>
public enum PublishPhase
{
    Archives = 0,
    Shards = 1,
    Other = 2,
    ShardIndex = 3,
    CompressedRepodata = 4,
    Repodata = 5,
}

/// <summary>One file of the local channel: its path relative to the channel root with '/', and its content hash.</summary>
/// <remarks><paramref name="Remembered"/>: the hash came from the hash cache (the file's stat matched), not from reading it now.</remarks>
public sealed record LocalFile(string RelativePath, string FullPath, long Size, string Sha256, bool Remembered = false);

/// <summary>What is known of one remote object: its size and sha256 (null when unknown, which means upload).</summary>
public sealed record RemoteState(long Size, string? Sha256);

/// <summary>One upload; <paramref name="Phase"/> indexes the layout's <see cref="PublishLayout.PhaseNames"/>.</summary>
public sealed record PublishUpload(LocalFile File, string Key, int Phase);

/// <summary>
/// What a publish does, decided from the local tree and the remote state before anything is written: uploads grouped
/// by phase (phases run strictly in order, files within one in parallel), unchanged files, and the keys to delete
/// (only when pruning was asked for; only keys under the prefix; never our own state under <c>.condamirror/</c>).
/// </summary>
public sealed class PublishPlan
{
    private PublishPlan(IReadOnlyList<IReadOnlyList<PublishUpload>> phases, IReadOnlyList<LocalFile> unchanged, IReadOnlyList<string> prune, IReadOnlyList<string> stale)
    {
        Phases = phases;
        Unchanged = unchanged;
        Prune = prune;
        Stale = stale;
    }

    /// <summary>Uploads per phase, in the layout's phase order (empty phases included); keys sorted within a phase.</summary>
    public IReadOnlyList<IReadOnlyList<PublishUpload>> Phases { get; }

    public IEnumerable<PublishUpload> Uploads => Phases.SelectMany(p => p);
    public IReadOnlyList<LocalFile> Unchanged { get; }

    /// <summary>Keys to delete after the uploads (empty unless pruning).</summary>
    public IReadOnlyList<string> Prune { get; }

    /// <summary>Keys under the prefix that the channel no longer has, whether or not they are pruned.</summary>
    public IReadOnlyList<string> Stale { get; }

    /// <summary>The folder under the prefix where publishing keeps its own state (the manifest); never published from the tree, never pruned.</summary>
    public const string StateFolder = ".condamirror/";

    public static PublishPhase PhaseOf(string relativePath)
    {
        var slash = relativePath.LastIndexOf('/');
        var name = relativePath[(slash + 1)..];
        if (name.EndsWith(".conda", StringComparison.Ordinal) || name.EndsWith(".tar.bz2", StringComparison.Ordinal)) return PublishPhase.Archives;
        if (relativePath.Contains("/shards/", StringComparison.Ordinal) || relativePath.StartsWith("shards/", StringComparison.Ordinal)) return PublishPhase.Shards;
        if (name == "repodata.json") return PublishPhase.Repodata;
        if (name.StartsWith("repodata_shards", StringComparison.Ordinal)) return PublishPhase.ShardIndex;
        if (name.StartsWith("repodata", StringComparison.Ordinal) || name.StartsWith("current_repodata", StringComparison.Ordinal)) return PublishPhase.CompressedRepodata;
        return PublishPhase.Other;
    }

    /// <param name="keyPrefix">"" or "prefix/": what every key of the channel starts with.</param>
    /// <param name="remote">Every object under the prefix, by full key, with what is known of its content.</param>
    /// <param name="layout">How files are ordered; the conda channel's when null.</param>
    public static PublishPlan Create(IReadOnlyList<LocalFile> local, string keyPrefix, IReadOnlyDictionary<string, RemoteState> remote, bool prune,
        PublishLayout? layout = null)
    {
        layout ??= PublishLayout.Conda;
        var phases = layout.PhaseNames.Select(_ => new List<PublishUpload>()).ToArray();
        var unchanged = new List<LocalFile>();
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in local.OrderBy(f => f.RelativePath, StringComparer.Ordinal))
        {
            var key = keyPrefix + file.RelativePath;
            keys.Add(key);
            if (remote.TryGetValue(key, out var state) && state.Size == file.Size && string.Equals(state.Sha256, file.Sha256, StringComparison.Ordinal))
                unchanged.Add(file);
            else
            {
                var phase = layout.PhaseOf(file.RelativePath);
                phases[phase].Add(new PublishUpload(file, key, phase));
            }
        }
        var stale = remote.Keys
            .Where(k => k.StartsWith(keyPrefix, StringComparison.Ordinal) && !keys.Contains(k)
                        && !k[keyPrefix.Length..].StartsWith(StateFolder, StringComparison.Ordinal))
            .OrderBy(k => k, StringComparer.Ordinal).ToList();
        return new PublishPlan(phases, unchanged, prune ? stale : [], stale);
    }
}
