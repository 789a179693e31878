using CondaMirror.Core.Errors;
using CondaMirror.Core.Records;

namespace CondaMirror.Core.Locks;

/// <summary>
/// Several locks (CondaLock items) as one: every platform any of them has, every package of each, one channel.
/// Records stay exactly as their lock states them; the union only decides which lock's record a file takes.
/// </summary>
public static class LockUnion
{
    /// <summary>
    /// The union of <paramref name="locks"/>, in their order. A file (subdir/file name) in two locks is one package when
    /// their sha256 agree (md5 when either lacks sha256); otherwise CMIR412 naming both locks. The same rule holds for
    /// PyPI files (CMIR413). When two locks agree on a file, the first full record wins over a partial one (conda-lock
    /// v1, @EXPLICIT), so the index does not have to open the archive for it.
    /// </summary>
    public static LockFile Combine(IReadOnlyList<LockFile> locks)
    {
        if (locks.Count == 0) throw new ArgumentException("at least one lock is needed", nameof(locks));
        if (locks.Count == 1) return locks[0];

        var chosen = new Dictionary<string, (RepodataRecord Record, string Lock)>(StringComparer.Ordinal);
        foreach (var lockFile in locks)
            foreach (var record in lockFile.PackagesByPlatform.Values.SelectMany(r => r))
            {
                var key = record.Subdir + "/" + record.FileName;
                if (!chosen.TryGetValue(key, out var first))
                {
                    chosen[key] = (record, lockFile.Path);
                    continue;
                }
                if (!SameFile(first.Record.Record.Sha256, first.Record.Record.Md5, first.Record.Url, record.Record.Sha256, record.Record.Md5, record.Url))
                    throw Conflict(ErrorCodes.LockUnionConflict, key, first.Lock, lockFile.Path, first.Record.Record.Sha256 ?? first.Record.Record.Md5, record.Record.Sha256 ?? record.Record.Md5);
                if (!first.Record.HasFullRecord && record.HasFullRecord) chosen[key] = (record, lockFile.Path);
            }

        var byPlatform = new SortedDictionary<string, List<RepodataRecord>>(StringComparer.Ordinal);
        var placed = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var lockFile in locks)
            foreach (var (platform, records) in lockFile.PackagesByPlatform)
            {
                if (!byPlatform.TryGetValue(platform, out var list))
                {
                    byPlatform[platform] = list = new List<RepodataRecord>();
                    placed[platform] = new HashSet<string>(StringComparer.Ordinal);
                }
                foreach (var record in records)
                {
                    var key = record.Subdir + "/" + record.FileName;
                    if (placed[platform].Add(key)) list.Add(chosen[key].Record);
                }
            }

        return new LockFile(locks[0].Format, locks[0].Version, locks[0].Path,
            string.Join(", ", locks.Select(l => l.Environment).Distinct(StringComparer.Ordinal)),
            locks.SelectMany(l => l.Channels).Distinct(StringComparer.Ordinal).ToList(),
            byPlatform.ToDictionary(p => p.Key, p => (IReadOnlyList<RepodataRecord>)p.Value, StringComparer.Ordinal),
            locks.SelectMany(l => l.SkippedPypi).Distinct(StringComparer.Ordinal).ToList(),
            CombinePypi(locks),
            locks.SelectMany(l => l.PypiIndexes).Distinct(StringComparer.Ordinal).ToList());
    }

    private static List<PypiLockEntry> CombinePypi(IReadOnlyList<LockFile> locks)
    {
        var result = new List<PypiLockEntry>();
        var index = new Dictionary<string, (int At, string Lock)>(StringComparer.Ordinal);
        foreach (var lockFile in locks)
            foreach (var entry in lockFile.Pypi)
            {
                // Wheels meet in one files/ folder, so they are one when their file names are; other kinds by location.
                var key = entry.FileName ?? entry.Location;
                if (!index.TryGetValue(key, out var first))
                {
                    index[key] = (result.Count, lockFile.Path);
                    result.Add(entry);
                    continue;
                }
                var existing = result[first.At];
                if (!SameFile(existing.Sha256, existing.Md5, existing.Url ?? existing.Location, entry.Sha256, entry.Md5, entry.Url ?? entry.Location))
                    throw Conflict(ErrorCodes.LockUnionPypiConflict, key, first.Lock, lockFile.Path, existing.Sha256 ?? existing.Md5, entry.Sha256 ?? entry.Md5);
                result[first.At] = existing with
                {
                    Platforms = existing.Platforms.Union(entry.Platforms, StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList(),
                };
            }
        return result;
    }

    // Hashes decide; a file with no hash both locks give is one package only when both name the same URL.
    private static bool SameFile(string? sha256A, string? md5A, string urlA, string? sha256B, string? md5B, string urlB)
    {
        if (sha256A is not null && sha256B is not null) return string.Equals(sha256A, sha256B, StringComparison.OrdinalIgnoreCase);
        if (md5A is not null && md5B is not null) return string.Equals(md5A, md5B, StringComparison.OrdinalIgnoreCase);
        return string.Equals(urlA, urlB, StringComparison.Ordinal);
    }

    private static CondaMirrorException Conflict(string code, string file, string firstLock, string secondLock, string? firstHash, string? secondHash) =>
        new(code,
            $"'{file}' is in both '{firstLock}' ({Describe(firstHash)}) and '{secondLock}' ({Describe(secondHash)}), as two different files; " +
            "one channel can hold only one file of that name. Re-lock one of them so both use the same build, or mirror them into separate channels.",
            secondLock);

    private static string Describe(string? hash) => hash is null ? "no hash" : hash.Length == 64 ? "sha256 " + hash : "md5 " + hash;
}
