using CondaMirror.Core.Archives;
using CondaMirror.Core.Errors;
using CondaMirror.Core.IO;
using CondaMirror.Core.Records;

namespace CondaMirror.Core.Indexing;

/// <summary>
/// Builds a repodata record from an archive's own info/index.json, for files that come with no upstream record
/// (local packages, conda-lock v1 and @EXPLICIT entries). Like conda-index: index.json minus the keys conda-index
/// drops, plus md5, sha256 and size of the file itself.
/// </summary>
public static class ArchiveEntries
{
    // Deprecated or build-machine keys conda-index removes from index.json before publishing.
    private static readonly string[] DroppedKeys =
        { "has_prefix", "mtime", "ucs", "requires_features", "binstar", "target-triplet", "machine", "operatingsystem" };

    public static ChannelEntry FromArchive(string path, string? fileName = null)
    {
        if (!File.Exists(path))
            throw new CondaMirrorException(ErrorCodes.IndexPackageFileMissing, $"Package file {path} does not exist.", path);
        var record = RecordFromArchive(path);
        return new ChannelEntry(record, fileName ?? Path.GetFileName(path), path);
    }

    public static PackageRecord RecordFromArchive(string path, FileHashes? knownHashes = null)
    {
        var info = PackageArchive.ReadInfo(path, InfoMembers.IndexJson);
        var record = info.Index.Clone();
        record.Arch = null;
        record.Platform = null;
        foreach (var key in DroppedKeys) record.Extra.Remove(key);
        if (string.IsNullOrEmpty(record.Subdir) && record.Noarch is not null) record.Subdir = "noarch";
        var hashes = knownHashes ?? FileHashes.Compute(path);
        record.Md5 = hashes.Md5;
        record.Sha256 = hashes.Sha256;
        record.Size = hashes.Size;
        return record;
    }
}
