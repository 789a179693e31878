using CondaMirror.Core.Records;
using CondaMirror.Core.Sbom;

namespace CondaMirror.Core.Indexing;

/// <summary>
/// The output folder as a tree of channels: the merged layout has one channel at the root, the per-channel layout
/// one per source channel below it. <see cref="ChannelIndexer"/> prunes inside each channel; this removes what lies
/// outside every current channel: a channel no longer built, the other layout's files after a switch (the merged
/// root's subdirs and root files, or the per-channel folders). Only files the indexer or the download step write are
/// removed (archives, index files, shards, temporary files of an atomic write), then folders left empty; anything
/// else, and every folder whose name starts with '.', stays.
/// </summary>
public static class ChannelTree
{
    /// <summary>The files the indexer writes at a channel's root.</summary>
    public static readonly IReadOnlySet<string> ChannelIndexFiles = new HashSet<string>(StringComparer.Ordinal)
        { "channeldata.json", "index.html", ChannelSbom.FileName };

    /// <param name="root">The output folder (CondaChannelOutputPath).</param>
    /// <param name="channels">Every channel just indexed: its folder (absolute) and its subdirs, which its own index run pruned.</param>
    /// <returns>How many files were removed.</returns>
    public static int PruneStale(string root, IReadOnlyDictionary<string, IReadOnlySet<string>> channels, CancellationToken ct = default)
    {
        root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        var kept = channels.ToDictionary(kv => Path.TrimEndingDirectorySeparator(Path.GetFullPath(kv.Key)), kv => kv.Value, PathComparer);
        return Directory.Exists(root) ? Visit(root, kept, ct) : 0;
    }

    private static readonly bool IgnoreCase = OperatingSystem.IsWindows() || OperatingSystem.IsMacOS();
    private static readonly StringComparer PathComparer = IgnoreCase ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;
    private static readonly StringComparison PathComparison = IgnoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;

    private static int Visit(string dir, Dictionary<string, IReadOnlySet<string>> kept, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var removed = 0;
        var isChannel = kept.TryGetValue(dir, out var subdirs);
        // Above a channel (the per-channel root, or "pkgs" above "pkgs/main"): a merged channel's root files are stale.
        if (!isChannel)
            foreach (var file in Directory.EnumerateFiles(dir))
                if (IsOurs(file, inShards: false)) removed += Delete(file);
        foreach (var child in Directory.EnumerateDirectories(dir))
        {
            var name = Path.GetFileName(child);
            if (name.StartsWith('.')) continue;
            if (isChannel && subdirs!.Contains(name)) continue;
            if (kept.ContainsKey(child) || kept.Keys.Any(k => k.StartsWith(child + Path.DirectorySeparatorChar, PathComparison)))
                removed += Visit(child, kept, ct);
            else
                removed += RemoveOurs(child, ct);
        }
        return removed;
    }

    // A folder no current channel uses: our files, at any depth, then the folders they leave empty.
    private static int RemoveOurs(string dir, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var removed = 0;
        var inShards = Path.GetFileName(dir) == ChannelIndexer.ShardsFolder;
        foreach (var file in Directory.EnumerateFiles(dir))
            if (IsOurs(file, inShards)) removed += Delete(file);
        foreach (var child in Directory.EnumerateDirectories(dir))
            if (!Path.GetFileName(child).StartsWith('.')) removed += RemoveOurs(child, ct);
        if (!Directory.EnumerateFileSystemEntries(dir).Any()) Directory.Delete(dir);
        return removed;
    }

    private static bool IsOurs(string file, bool inShards)
    {
        var name = Path.GetFileName(file);
        return ChannelIndexFiles.Contains(name) || ChannelIndexer.SubdirIndexFiles.Contains(name) || ArchiveFileName.TryGetFormat(name, out _)
            || (inShards && name.EndsWith(".msgpack.zst", StringComparison.Ordinal))
            || (name.StartsWith('.') && name.EndsWith(".tmp", StringComparison.Ordinal));
    }

    private static int Delete(string file)
    {
        File.Delete(file);
        return 1;
    }
}
