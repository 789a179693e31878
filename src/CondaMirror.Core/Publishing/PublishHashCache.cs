using System.Globalization;
using System.Text;
using CondaMirror.Core.IO;

namespace CondaMirror.Core.Publishing;

/// <summary>
/// The sha256 of each channel file from the last publish, with the file's identity (<see cref="FileIdentity"/>: size,
/// modification time, and on Linux change time, inode and device), kept in the build's obj/ folder so that a publish
/// with nothing changed does not hash the whole channel again (about 1 s per 250 MB). A file whose identity differs is
/// hashed again; the same trust as the package cache's own check (see "The channel cannot poison the shared cache" in
/// docs/architecture.md). Archives hard-linked from the package cache share their inode with it, so another project
/// linking the same package changes their change time too and they are hashed once more. First line
/// <see cref="Header"/>, then lines "sha256 size mtime ctime dev inode path"; a file without that header (an older
/// version's) is ignored and everything hashed once.
/// </summary>
public sealed class PublishHashCache
{
    private const long MaxBytes = 64L << 20;
    public const string Header = "# condamirror publish hashes v2";
    private readonly Dictionary<string, (FileIdentity Identity, string Sha256)> _entries;

    private PublishHashCache(Dictionary<string, (FileIdentity, string)> entries) => _entries = entries;

    public static PublishHashCache Empty => new(new Dictionary<string, (FileIdentity, string)>(StringComparer.Ordinal));

    /// <summary>The cache at <paramref name="path"/>; empty when absent, too large or from another format (it is only ever a shortcut).</summary>
    public static PublishHashCache Load(string? path)
    {
        var result = Empty;
        if (path is null || !File.Exists(path) || new FileInfo(path).Length > MaxBytes) return result;
        var first = true;
        foreach (var line in File.ReadLines(path, Encoding.UTF8))
        {
            if (first)
            {
                if (line != Header) return Empty; // an older format (no change time): hash everything once
                first = false;
                continue;
            }
            var parts = line.Split(' ', 7);
            if (parts.Length != 7 || parts[0].Length != 64
                || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var size)
                || !long.TryParse(parts[2], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var mtime)
                || !long.TryParse(parts[3], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var ctime)
                || !ulong.TryParse(parts[4], NumberStyles.None, CultureInfo.InvariantCulture, out var device)
                || !ulong.TryParse(parts[5], NumberStyles.None, CultureInfo.InvariantCulture, out var inode))
                return Empty; // not ours or damaged: hash everything once
            result._entries[parts[6]] = (new FileIdentity(size, mtime, inode, ctime, device), parts[0]);
        }
        return result;
    }

    /// <summary>The recorded hash when the file's stat is the one recorded with it.</summary>
    public string? Lookup(string relativePath, FileIdentity identity) =>
        _entries.TryGetValue(relativePath, out var e) && e.Identity == identity ? e.Sha256 : null;

    public void Set(string relativePath, FileIdentity identity, string sha256) => _entries[relativePath] = (identity, sha256);

    /// <summary>Forgets files that are no longer in the channel.</summary>
    public void Retain(IEnumerable<string> relativePaths)
    {
        var keep = relativePaths.ToHashSet(StringComparer.Ordinal);
        foreach (var key in _entries.Keys.Where(k => !keep.Contains(k)).ToList()) _entries.Remove(key);
    }

    public void Save(string path)
    {
        var text = new StringBuilder(Header).Append('\n');
        foreach (var (relative, (identity, sha)) in _entries.OrderBy(e => e.Key, StringComparer.Ordinal))
            text.Append(CultureInfo.InvariantCulture, $"{sha} {identity.Size} {identity.MtimeTicks} {identity.CtimeTicks} {identity.Device} {identity.Inode} {relative}\n");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        AtomicFile.WriteAllText(path, text.ToString());
    }
}
