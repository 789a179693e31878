namespace CondaMirror.TestKit;

/// <summary>Every file and folder below a root with its size and write time, to prove that a run wrote nothing where it must not.</summary>
public sealed record FileTreeSnapshot(IReadOnlyList<string> Entries)
{
    /// <summary>Entries below <paramref name="root"/>, except those below any of <paramref name="excluded"/> (e.g. the channel folder).</summary>
    public static FileTreeSnapshot Take(string root, params string[] excluded)
    {
        var skip = excluded.Select(e => Path.TrimEndingDirectorySeparator(Path.GetFullPath(e))).ToList();
        var entries = new List<string>();
        if (Directory.Exists(root))
            foreach (var path in Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories))
            {
                var full = Path.GetFullPath(path);
                if (skip.Any(s => full == s || full.StartsWith(s + Path.DirectorySeparatorChar, StringComparison.Ordinal))) continue;
                var info = new FileInfo(full);
                entries.Add(File.Exists(full)
                    ? $"{Path.GetRelativePath(root, full)} {info.Length} {info.LastWriteTimeUtc.Ticks}"
                    : Path.GetRelativePath(root, full) + "/");
            }
        entries.Sort(StringComparer.Ordinal);
        return new FileTreeSnapshot(entries);
    }

    /// <summary>Every file below <paramref name="root"/> (except dot files, the build's own records) as "path sha256", sorted: what two channels must share to be the same channel.</summary>
    public static List<string> ContentHashes(string root) =>
        Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Where(f => !Path.GetFileName(f).StartsWith('.'))
            .Select(f => Path.GetRelativePath(root, f) + " " + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f))))
            .Order(StringComparer.Ordinal).ToList();

    public bool Equals(FileTreeSnapshot? other) => other is not null && Entries.SequenceEqual(other.Entries);

    public override int GetHashCode() => Entries.Count;

    public override string ToString() => string.Join("\n", Entries);
}
