using CondaMirror.Core.Diagnostics;
using CondaMirror.Core.Downloads;
using CondaMirror.Core.Errors;
using CondaMirror.Core.IO;
using CondaMirror.Core.Platforms;
using CondaMirror.Core.Records;

namespace CondaMirror.Core.Indexing;

public sealed class IndexOptions
{
    /// <summary>Subdirs that get a repodata.json even when empty (the build's platforms). noarch is always added.</summary>
    public IReadOnlyCollection<string> Subdirs { get; init; } = Array.Empty<string>();

    /// <summary>Delete archives and subdirs in the channel that the new index no longer lists (the channel is a build output).</summary>
    public bool Prune { get; init; } = true;

    /// <summary>Whether subdirs other than conda's platforms may be published (the CondaAllowCustomSubdirs property).</summary>
    public SubdirPolicy SubdirPolicy { get; init; } = SubdirPolicy.KnownOnly;
}

/// <param name="PackageBytes">Total size of the archives the channel lists (what a copy of the channel weighs, less repodata).</param>
public sealed record IndexResult(IReadOnlyDictionary<string, int> PackagesPerSubdir, IReadOnlyList<string> RepodataFiles, int FilesPlaced, int FilesPruned, long PackageBytes);

/// <summary>
/// Turns a set of archives into a conda channel folder: every archive at <c>&lt;subdir&gt;/&lt;file&gt;</c>, a
/// repodata.json in every subdir (always noarch, which conda and pixi require), nothing else.
/// Order of work keeps the previous channel usable if anything fails: validate everything first, then place
/// archives (extra files never break a channel), then replace each repodata.json atomically, then prune.
/// </summary>
public static class ChannelIndexer
{
    public static IndexResult Write(string channelDir, IEnumerable<ChannelEntry> entries, IndexOptions? options = null, IMirrorLog? log = null, CancellationToken ct = default)
    {
        options ??= new IndexOptions();
        log ??= NullMirrorLog.Instance;
        channelDir = Path.GetFullPath(channelDir);

        var bySubdir = Validate(entries, options);
        ct.ThrowIfCancellationRequested();

        try
        {
            var placed = 0;
            foreach (var (subdir, files) in bySubdir)
            {
                var dir = SafePath.Combine(channelDir, subdir);
                Directory.CreateDirectory(dir);
                foreach (var entry in files.Values)
                {
                    ct.ThrowIfCancellationRequested();
                    if (entry.SourceFile is null) continue;
                    var target = SafePath.Combine(channelDir, subdir, entry.FileName);
                    if (SameFile(entry.SourceFile, target)) continue;
                    // The record's sha256 was just computed from the source file: no need to hash it again.
                    if (ChannelPlacement.LinkOrCopy(entry.SourceFile, target, entry.Record.Sha256)) placed++;
                }
            }

            var repodataFiles = new List<string>();
            foreach (var (subdir, files) in bySubdir)
            {
                ct.ThrowIfCancellationRequested();
                var path = SafePath.Combine(channelDir, subdir, "repodata.json");
                AtomicFile.Write(path, s => RepodataWriter.Write(s, subdir, files.Values));
                repodataFiles.Add(path);
                log.Detail($"Indexed {files.Count} package(s) into {path}");
            }

            var pruned = options.Prune ? Prune(channelDir, bySubdir) : 0;
            return new IndexResult(bySubdir.ToDictionary(kv => kv.Key, kv => kv.Value.Count), repodataFiles, placed, pruned, PackageBytes(channelDir, bySubdir));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CondaMirrorException(ErrorCodes.IndexWriteFailed,
                $"Could not write the channel: {e.Message}. Check that the folder is writable and the disk has space.", channelDir, e);
        }
    }

    private static SortedDictionary<string, SortedDictionary<string, ChannelEntry>> Validate(IEnumerable<ChannelEntry> entries, IndexOptions options)
    {
        var bySubdir = new SortedDictionary<string, SortedDictionary<string, ChannelEntry>>(StringComparer.Ordinal);
        foreach (var subdir in options.Subdirs.Append("noarch"))
            if (!bySubdir.ContainsKey(subdir))
                bySubdir[Subdirs.Validate(subdir, options.SubdirPolicy, "channel platforms", null)] = new(StringComparer.Ordinal);

        foreach (var entry in entries)
        {
            var where = entry.SourceFile ?? entry.FileName;
            if (string.IsNullOrEmpty(entry.Record.Subdir))
                throw new CondaMirrorException(ErrorCodes.IndexMissingSubdir,
                    $"Package {entry.FileName} does not say which subdir (platform) it belongs to; its info/index.json needs a \"subdir\" field. Rebuild it with a current conda-build or rattler-build.", where);
            // Entries reach the indexer from several readers; the subdir and file name become paths, so check them here too.
            Subdirs.Validate(entry.Record.Subdir, options.SubdirPolicy, $"package {entry.FileName}", where);
            ArchiveFileName.ValidateSafe(entry.FileName, $"package {entry.FileName}", where);
            if (!ArchiveFileName.TryParse(entry.FileName, out var name) || name.Stem != entry.Record.Stem)
                throw new CondaMirrorException(ErrorCodes.IndexFileNameMismatch,
                    $"File name {entry.FileName} does not match the package inside ({entry.Record.Stem}); conda clients reject such channels. Rename the file to {entry.Record.Stem}{(name.Format == ArchiveFormat.TarBz2 ? ".tar.bz2" : ".conda")}.", where);
            if (entry.SourceFile is not null && !File.Exists(entry.SourceFile))
                throw new CondaMirrorException(ErrorCodes.IndexPackageFileMissing, $"Package file {entry.SourceFile} does not exist.", entry.SourceFile);

            if (!bySubdir.TryGetValue(entry.Subdir, out var files))
                bySubdir[entry.Subdir] = files = new(StringComparer.Ordinal);
            if (files.TryGetValue(entry.FileName, out var existing))
            {
                // The same archive reached us twice (e.g. a noarch package locked for several platforms): fine if identical.
                if (!SameArchive(existing.Record, entry.Record))
                    throw new CondaMirrorException(ErrorCodes.IndexDuplicateFileName,
                        $"Two different packages claim {entry.Subdir}/{entry.FileName} (sha256 {existing.Record.Sha256 ?? "?"} vs {entry.Record.Sha256 ?? "?"}). Remove one of them.", where);
                continue;
            }
            files[entry.FileName] = entry;
        }
        return bySubdir;
    }

    private static bool SameArchive(PackageRecord a, PackageRecord b) =>
        a.Sha256 is not null && b.Sha256 is not null
            ? string.Equals(a.Sha256, b.Sha256, StringComparison.OrdinalIgnoreCase)
            : string.Equals(a.Md5, b.Md5, StringComparison.OrdinalIgnoreCase) && a.Size == b.Size;

    private static bool SameFile(string source, string target) =>
        string.Equals(Path.GetFullPath(source), Path.GetFullPath(target), OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);

    // The placed file is the truth; the record's size only stands in for an archive that is not there.
    private static long PackageBytes(string channelDir, SortedDictionary<string, SortedDictionary<string, ChannelEntry>> bySubdir)
    {
        long total = 0;
        foreach (var (subdir, files) in bySubdir)
            foreach (var entry in files.Values)
            {
                var file = new FileInfo(Path.Combine(channelDir, subdir, entry.FileName));
                total += file.Exists ? file.Length : entry.Record.Size ?? 0;
            }
        return total;
    }

    // Removes archives no subdir lists any more, and subdirs that are no longer part of the channel.
    private static int Prune(string channelDir, SortedDictionary<string, SortedDictionary<string, ChannelEntry>> bySubdir)
    {
        var pruned = 0;
        foreach (var dir in Directory.EnumerateDirectories(channelDir))
        {
            var subdir = Path.GetFileName(dir);
            bySubdir.TryGetValue(subdir, out var keep);
            foreach (var file in Directory.EnumerateFiles(dir))
            {
                var name = Path.GetFileName(file);
                var ours = ArchiveFileName.TryGetFormat(name, out _) || name == "repodata.json" || (name.StartsWith('.') && name.EndsWith(".tmp", StringComparison.Ordinal));
                if (!ours) continue;
                if (keep is not null && (keep.ContainsKey(name) || name == "repodata.json")) continue;
                File.Delete(file);
                pruned++;
            }
            if (keep is null && !Directory.EnumerateFileSystemEntries(dir).Any()) Directory.Delete(dir);
        }
        return pruned;
    }
}
