using CondaMirror.Core.Errors;
using CondaMirror.Core.IO;
using CondaMirror.Core.Locks;
using CondaMirror.Core.Platforms;
using CondaMirror.Core.Records;

namespace CondaMirror.Core.Indexing;

/// <summary>
/// Channel entries for a lock's packages, which the download step already placed at
/// <c>&lt;channel&gt;/&lt;subdir&gt;/&lt;file&gt;</c>. Full records (pixi.lock) are published as locked, keeping upstream
/// repodata patches; partial ones (conda-lock v1, @EXPLICIT) are completed from the archive's info/index.json.
/// </summary>
public static class LockedEntries
{
    public static IReadOnlyList<ChannelEntry> FromLock(LockFile lockFile, IReadOnlyList<string> platforms, string channelDirectory, CancellationToken ct = default,
        SubdirNaming subdirs = SubdirNaming.KnownOnly) =>
        FromRecords(LockPlatforms.DistinctRecords(lockFile, platforms), channelDirectory, ct, subdirs);

    /// <summary>Entries for locked records the download step placed into <paramref name="channelDirectory"/> (one channel of the per-channel layout, or the merged one).</summary>
    public static IReadOnlyList<ChannelEntry> FromRecords(IEnumerable<RepodataRecord> records, string channelDirectory, CancellationToken ct = default,
        SubdirNaming subdirs = SubdirNaming.KnownOnly)
    {
        var result = new List<ChannelEntry>();
        foreach (var locked in records)
        {
            ct.ThrowIfCancellationRequested();
            var archive = SafePath.Combine(channelDirectory, locked.Subdir, locked.FileName);
            if (!File.Exists(archive))
                throw new CondaMirrorException(ErrorCodes.IndexPackageFileMissing,
                    $"{locked.Subdir}/{locked.FileName} from the lock is not in the channel folder; the download step did not run or its output was deleted. Rebuild (or run with -t:Rebuild).",
                    archive);
            result.Add(new ChannelEntry(Complete(locked, archive, subdirs), locked.FileName) { Url = locked.Url, Channel = locked.Channel });
        }
        return result;
    }

    private static PackageRecord Complete(RepodataRecord locked, string archive, SubdirNaming subdirs)
    {
        if (!locked.HasFullRecord)
        {
            // The archive itself is the only full source; its hashes are the ones the download just verified.
            return ArchiveEntries.RecordFromArchive(archive, subdirs: subdirs);
        }
        var record = locked.Record.Clone();
        record.Subdir ??= locked.Subdir;
        // Lock formats may omit size or md5; conda needs size, and md5 is what older clients verify.
        if (record.Size is null || record.Md5 is null || record.Sha256 is null)
        {
            var hashes = FileHashes.Compute(archive);
            record.Size ??= hashes.Size;
            record.Md5 ??= hashes.Md5;
            record.Sha256 ??= hashes.Sha256;
        }
        return record;
    }
}
