using CondaMirror.Core.Archives;
using CondaMirror.Core.Errors;
using CondaMirror.Core.IO;
using CondaMirror.Core.Platforms;
using CondaMirror.Core.Records;

namespace CondaMirror.Core.Indexing;

/// <summary>
/// Builds a repodata record from an archive's own info/index.json, for files that come with no upstream record
/// (local packages, conda-lock v1 and @EXPLICIT entries). Like rattler-index and conda-index: index.json (arch and
/// platform included) minus the keys conda-index drops, plus md5, sha256 and size of the file itself.
/// </summary>
public static class ArchiveEntries
{
    // Deprecated or build-machine keys conda-index removes from index.json before publishing.
    private static readonly string[] DroppedKeys =
        { "has_prefix", "mtime", "ucs", "requires_features", "binstar", "target-triplet", "machine", "operatingsystem" };

    /// <summary>
    /// A local package file (a CondaPackageFile item): every member is checked first (<see cref="PackageArchive.ValidateMembers(string, PackageValidationOptions?, CancellationToken)"/>),
    /// since no download step has looked at it, then its record is read.
    /// </summary>
    public static ChannelEntry FromArchive(string path, string? fileName = null, SubdirNaming subdirs = SubdirNaming.KnownOnly,
        PackageValidationOptions? validation = null, CancellationToken ct = default)
    {
        if (!File.Exists(path))
            throw new CondaMirrorException(ErrorCodes.IndexPackageFileMissing, $"Package file {path} does not exist.", path);
        // One decompression: the member pass keeps what the record, run_exports.json and channeldata.json need from info/.
        var (_, info) = PackageArchive.ValidateAndReadInfo(path, InfoMembers.IndexJson | InfoMembers.About | InfoMembers.RunExports, validation, ct);
        var record = Record(info, path, null, subdirs);
        return new ChannelEntry(record, ArchiveFileName.ValidateSafe(fileName ?? Path.GetFileName(path), "package file", path), path)
        {
            About = PackageAbout.FromJson(info.About),
            RunExports = RunExports.Normalize(info.RunExports, path),
        };
    }

    /// <summary>
    /// <see cref="FromArchive"/> for many local package files at once, on up to <paramref name="maxParallelism"/>
    /// threads (0: one per core). Memory stays bounded: at most that many packages are open at a time, each read as a
    /// stream. The result is in the order of <paramref name="paths"/> whatever the scheduling, and so is the error:
    /// when packages fail, the first failing one in that order is reported, and no later package is started after a
    /// failure is known.
    /// </summary>
    public static IReadOnlyList<ChannelEntry> FromArchives(IReadOnlyList<string> paths, SubdirNaming subdirs = SubdirNaming.KnownOnly,
        PackageValidationOptions? validation = null, int maxParallelism = 0, CancellationToken ct = default)
    {
        var entries = new ChannelEntry?[paths.Count];
        var failed = new Exception?[paths.Count];
        var firstFailed = int.MaxValue;
        var parallel = new ParallelOptions
        {
            CancellationToken = ct,
            MaxDegreeOfParallelism = maxParallelism > 0 ? maxParallelism : Environment.ProcessorCount,
        };
        Parallel.For(0, paths.Count, parallel, i =>
        {
            // A package after one known to fail cannot change the outcome: skip it. Earlier ones still run, so the
            // error reported is the first in input order.
            if (i > Volatile.Read(ref firstFailed)) return;
            try
            {
                entries[i] = FromArchive(paths[i], null, subdirs, validation, ct);
            }
            catch (Exception e) when (e is CondaMirrorException or IOException or UnauthorizedAccessException)
            {
                failed[i] = e;
                int seen;
                while (i < (seen = Volatile.Read(ref firstFailed)) && Interlocked.CompareExchange(ref firstFailed, i, seen) != seen) { }
            }
        });
        if (firstFailed != int.MaxValue) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failed[firstFailed]!);
        return entries!;
    }

    /// <summary>The record of an archive from its info/index.json; its subdir must be allowed by <paramref name="subdirs"/>.</summary>
    public static PackageRecord RecordFromArchive(string path, FileHashes? knownHashes = null, SubdirNaming subdirs = SubdirNaming.KnownOnly)
        => Record(PackageArchive.ReadInfo(path, InfoMembers.IndexJson), path, knownHashes, subdirs);

    private static PackageRecord Record(PackageInfo info, string path, FileHashes? knownHashes, SubdirNaming subdirs)
    {
        var record = info.Index.Clone();
        foreach (var key in DroppedKeys) record.Extra.Remove(key);
        if (string.IsNullOrEmpty(record.Subdir) && record.Noarch is not null) record.Subdir = "noarch";
        // A missing subdir is CMIR301 in the indexer; a present one must be a platform (or an allowed custom name).
        if (!string.IsNullOrEmpty(record.Subdir))
            Subdirs.Validate(record.Subdir, subdirs, $"info/index.json of {Path.GetFileName(path)}", path);
        PackageName.Validate(record.Name, $"info/index.json of {Path.GetFileName(path)}", path);
        var hashes = knownHashes ?? FileHashes.Compute(path);
        record.Md5 = hashes.Md5;
        record.Sha256 = hashes.Sha256;
        record.Size = hashes.Size;
        return record;
    }
}
