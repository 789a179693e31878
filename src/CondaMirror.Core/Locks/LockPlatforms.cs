using CondaMirror.Core.Errors;
using CondaMirror.Core.Records;

namespace CondaMirror.Core.Locks;

/// <summary>Which of a lock's platforms a build mirrors, and the archives that takes.</summary>
public static class LockPlatforms
{
    /// <summary>
    /// The requested platforms (all must be in the lock), or every platform of the lock when none are requested.
    /// Throws CMIR410 naming what the lock does have.
    /// </summary>
    public static IReadOnlyList<string> Select(LockFile lockFile, IEnumerable<string> requested)
    {
        var wanted = requested.Where(p => p != "noarch").Distinct(StringComparer.Ordinal).ToList();
        if (wanted.Count == 0) return lockFile.PackagesByPlatform.Keys.OrderBy(p => p, StringComparer.Ordinal).ToList();
        var missing = wanted.Where(p => !lockFile.PackagesByPlatform.ContainsKey(p)).ToList();
        if (missing.Count > 0)
            throw new CondaMirrorException(ErrorCodes.LockPlatformInvalid,
                $"CondaPlatforms asks for {string.Join(", ", missing)}, but environment '{lockFile.Environment}' of the lock only has " +
                $"{(lockFile.PackagesByPlatform.Count == 0 ? "no platforms" : string.Join(", ", lockFile.PackagesByPlatform.Keys.OrderBy(p => p, StringComparer.Ordinal)))}. " +
                "Re-lock for those platforms or remove them from CondaPlatforms.", lockFile.Path);
        return wanted.OrderBy(p => p, StringComparer.Ordinal).ToList();
    }

    /// <summary>Every archive the selected platforms need, each once (noarch packages are shared), in a stable order.</summary>
    public static IReadOnlyList<RepodataRecord> DistinctRecords(LockFile lockFile, IReadOnlyList<string> platforms)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<RepodataRecord>();
        foreach (var platform in platforms)
            foreach (var record in lockFile.PackagesByPlatform[platform])
                if (seen.Add(record.Subdir + "/" + record.FileName)) result.Add(record);
        return result;
    }
}
