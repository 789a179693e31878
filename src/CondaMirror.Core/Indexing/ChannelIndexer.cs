using CondaMirror.Core.Archives;
using CondaMirror.Core.Diagnostics;
using CondaMirror.Core.Downloads;
using CondaMirror.Core.Errors;
using CondaMirror.Core.IO;
using CondaMirror.Core.Platforms;
using CondaMirror.Core.Records;
using CondaMirror.Core.Repodata.Shards;
using CondaMirror.Core.Sbom;
using CondaMirror.Core.Zstd;

namespace CondaMirror.Core.Indexing;

public sealed class IndexOptions
{
    /// <summary>Subdirs that get a repodata.json even when empty (the build's platforms). noarch is always added.</summary>
    public IReadOnlyCollection<string> Subdirs { get; init; } = Array.Empty<string>();

    /// <summary>Delete archives and subdirs in the channel that the new index no longer lists (the channel is a build output).</summary>
    public bool Prune { get; init; } = true;

    /// <summary>Whether subdirs other than conda's platforms may be published (the CondaAllowCustomSubdirs property).</summary>
    public SubdirNaming SubdirNaming { get; init; } = SubdirNaming.KnownOnly;

    /// <summary>repodata.json.zst beside every repodata.json (conda 23+ asks for it first).</summary>
    public bool WriteZst { get; init; } = true;

    /// <summary>run_exports.json per subdir (CEP 12).</summary>
    public bool WriteRunExports { get; init; } = true;

    /// <summary>channeldata.json at the channel root.</summary>
    public bool WriteChannelData { get; init; } = true;

    /// <summary>CEP-16 sharded repodata per subdir: repodata_shards.msgpack.zst and shards/&lt;sha256&gt;.msgpack.zst.</summary>
    public bool WriteShards { get; init; } = true;

    /// <summary>sbom.cdx.json (CycloneDX 1.6) at the channel root.</summary>
    public bool WriteSbom { get; init; } = true;

    /// <summary>Version of the tool recorded in the SBOM's metadata.</summary>
    public string ToolVersion { get; init; } = typeof(ChannelIndexer).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    /// <summary>index.html at the channel root and in every subdir.</summary>
    public bool WriteIndexHtml { get; init; } = true;

    /// <summary>
    /// Where the channel will be served (CondaChannelBaseUrl): repodata.json then says <c>base_url</c> =
    /// this URL + subdir + "/" and <c>repodata_version</c> 2 (CEP 15). Null: packages are relative to repodata.json.
    /// </summary>
    public string? BaseUrl { get; init; }

    /// <summary>The title of the index.html pages; the channel folder's name when null.</summary>
    public string? Title { get; init; }

    /// <summary>Subdirs written at the same time at most (0: one per core). The files written do not depend on it.</summary>
    public int MaxParallelism { get; init; }

    internal bool NeedsMetadata => WriteRunExports || WriteChannelData || WriteIndexHtml;

    /// <summary>
    /// Where what was read from downloaded archives' info/ is remembered by sha256 between runs (obj/…/index.metadata.json),
    /// so an index run opens only archives it has not seen; null reads every archive every time.
    /// </summary>
    public string? ArchiveMetadataCacheFile { get; init; }

    /// <summary>
    /// The package cache the download step filled: what its member check kept from each new archive's info/
    /// (<see cref="ArchiveInfoRecord"/>) is read from there before the archive itself, so a cold build does not decode
    /// every archive a second time; null reads the archives.
    /// </summary>
    public string? PackageCacheRoot { get; init; }
}

/// <param name="PackageBytes">Total size of the archives the channel lists (what a copy of the channel weighs, less repodata).</param>
public sealed record IndexResult(IReadOnlyDictionary<string, int> PackagesPerSubdir, IReadOnlyList<string> RepodataFiles, int FilesPlaced, int FilesPruned, long PackageBytes)
{
    /// <summary>Every index file the channel now has (repodata.json, repodata.json.zst, run_exports.json, channeldata.json, index.html), sorted.</summary>
    public IReadOnlyList<string> IndexFiles { get; init; } = Array.Empty<string>();

    /// <summary>The index files this run changed (written with new bytes, or removed because their output was switched off).</summary>
    public IReadOnlyList<string> ChangedFiles { get; init; } = Array.Empty<string>();
}

/// <summary>
/// Turns a set of archives into a conda channel folder: every archive at <c>&lt;subdir&gt;/&lt;file&gt;</c>, a
/// repodata.json in every subdir (always noarch, which conda and pixi require), and, each unless switched off,
/// repodata.json.zst, run_exports.json and index.html per subdir, channeldata.json and index.html at the root.
/// Order of work keeps the previous channel usable if anything fails: validate everything first, then place
/// archives (extra files never break a channel), then replace each subdir's files atomically (.zst before .json, so
/// a client never reads a .zst older than the .json beside it), then the channel's files, then prune.
/// Every file is written only when its bytes change, so a rebuild that changes one subdir leaves the others' files
/// (and their timestamps) alone; an output switched off is removed, never left stale.
/// </summary>
public static class ChannelIndexer
{
    /// <summary>Level 3 looking for 6-byte matches: repodata's hex digests make shorter ones a loss (see <see cref="ZstdEncoderOptions.MinMatch"/>).</summary>
    internal static readonly ZstdEncoderOptions RepodataZstd = new() { MinMatch = 6 };

    public static IndexResult Write(string channelDir, IEnumerable<ChannelEntry> entries, IndexOptions? options = null, IMirrorLog? log = null, CancellationToken ct = default)
    {
        options ??= new IndexOptions();
        log ??= NullMirrorLog.Instance;
        channelDir = Path.GetFullPath(channelDir);

        var bySubdir = Validate(entries, options);
        var baseUrl = BaseUrl(options.BaseUrl); // a setting error, like a bad entry, fails before the channel is touched
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

            if (options.NeedsMetadata)
                LoadMetadata(channelDir, bySubdir, options.ArchiveMetadataCacheFile, options.PackageCacheRoot is { } cacheRoot ? new PackageCache(cacheRoot) : null, log, ct);
            var title = options.Title ?? Path.GetFileName(Path.TrimEndingDirectorySeparator(channelDir));
            // Subdirs share no file: each is written on its own core, its outputs in their fixed order inside it. What
            // each changed is kept per subdir and joined in subdir order, so the result does not depend on scheduling.
            var subdirs = bySubdir.ToList();
            var outcomes = new SubdirOutcome?[subdirs.Count];
            var failed = new Exception?[subdirs.Count];
            var firstFailed = int.MaxValue;
            Parallel.For(0, subdirs.Count, new ParallelOptions { CancellationToken = ct, MaxDegreeOfParallelism = options.MaxParallelism > 0 ? options.MaxParallelism : Environment.ProcessorCount }, i =>
            {
                // A subdir after one known to fail is left as it was; earlier ones still run, so the error reported is the
                // first in name order, as when they were written one after the other.
                if (i > Volatile.Read(ref firstFailed)) return;
                try
                {
                    outcomes[i] = WriteSubdir(channelDir, subdirs[i].Key, subdirs[i].Value, options, baseUrl, title, ct);
                }
                catch (Exception e)
                {
                    failed[i] = e;
                    int seen;
                    while (i < (seen = Volatile.Read(ref firstFailed)) && Interlocked.CompareExchange(ref firstFailed, i, seen) != seen) { }
                }
            });
            if (firstFailed != int.MaxValue) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failed[firstFailed]!);
            var changed = new List<string>();
            var indexFiles = new List<string>();
            var repodataFiles = new List<string>();
            for (var i = 0; i < subdirs.Count; i++)
            {
                var outcome = outcomes[i]!;
                changed.AddRange(outcome.Changed);
                indexFiles.AddRange(outcome.IndexFiles);
                repodataFiles.Add(outcome.Repodata);
                log.Detail($"Indexed {subdirs[i].Value.Count} package(s) into {outcome.Repodata}");
            }

            // The channel's own files after every subdir's.
            var all = bySubdir.Values.SelectMany(f => f.Values).ToList();
            var root = new SubdirOutcome("");
            root.Output(SafePath.Combine(channelDir, "channeldata.json"), options.WriteChannelData, () => ChannelDataWriter.ToBytes(bySubdir.Keys, all));
            root.Output(SafePath.Combine(channelDir, "index.html"), options.WriteIndexHtml, () => IndexHtmlWriter.Channel(title, bySubdir.Keys, all));
            root.Output(SafePath.Combine(channelDir, ChannelSbom.FileName), options.WriteSbom, () => ChannelSbom.ToBytes(
                all.Select(e => new SbomPackage(e.Record, e.FileName, e.Url, e.Channel)), new SbomOptions { ChannelName = title, ToolVersion = options.ToolVersion }));
            changed.AddRange(root.Changed);
            indexFiles.AddRange(root.IndexFiles);

            var pruned = options.Prune ? Prune(channelDir, bySubdir) : 0;
            indexFiles.Sort(StringComparer.Ordinal);
            return new IndexResult(bySubdir.ToDictionary(kv => kv.Key, kv => kv.Value.Count), repodataFiles, placed, pruned, PackageBytes(channelDir, bySubdir))
            {
                IndexFiles = indexFiles,
                ChangedFiles = changed,
            };
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CondaMirrorException(ErrorCodes.IndexWriteFailed,
                $"Could not write the channel: {e.Message}. Check that the folder is writable and the disk has space.", channelDir, e);
        }
    }

    /// <summary>One subdir's index files, written in the order that keeps the subdir usable if a write fails (.zst before .json).</summary>
    private static SubdirOutcome WriteSubdir(string channelDir, string subdir, SortedDictionary<string, ChannelEntry> files, IndexOptions options,
        string? baseUrl, string title, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var outcome = new SubdirOutcome(SafePath.Combine(channelDir, subdir, "repodata.json"));
        var repodata = RepodataWriter.ToBytes(subdir, files.Values, baseUrl is null ? null : baseUrl + Uri.EscapeDataString(subdir) + "/");
        outcome.Output(SafePath.Combine(channelDir, subdir, "repodata.json.zst"), options.WriteZst, () => ZstdCodec.Compress(repodata, RepodataZstd));
        outcome.Output(outcome.Repodata, true, () => repodata);
        outcome.Output(SafePath.Combine(channelDir, subdir, "run_exports.json"), options.WriteRunExports, () => RunExportsWriter.ToBytes(subdir, files.Values));
        outcome.Output(SafePath.Combine(channelDir, subdir, "index.html"), options.WriteIndexHtml, () => IndexHtmlWriter.Subdir(title, subdir, files.Values, Listed(channelDir, subdir)));
        WriteShards(channelDir, subdir, files.Values, options.WriteShards, baseUrl, outcome.Output, outcome.Changed, outcome.IndexFiles);
        return outcome;
    }

    /// <summary>What writing one subdir (or the channel's own files) did: the files it changed and the index files it has.</summary>
    private sealed class SubdirOutcome(string repodata)
    {
        public string Repodata => repodata;
        public List<string> Changed { get; } = new();
        public List<string> IndexFiles { get; } = new();

        /// <summary>Writes an enabled output when its bytes differ; removes a disabled one that is still there.</summary>
        public void Output(string path, bool enabled, Func<byte[]> bytes)
        {
            if (enabled)
            {
                if (WriteIfChanged(path, bytes())) Changed.Add(path);
                IndexFiles.Add(path);
            }
            else if (File.Exists(path))
            {
                File.Delete(path);
                Changed.Add(path);
            }
        }
    }

    /// <summary>Subdir index files that index.html links to, in a fixed order, with the sizes just written.</summary>
    private static List<(string Name, long Size)> Listed(string channelDir, string subdir)
    {
        var listed = new List<(string, long)>();
        foreach (var name in new[] { "repodata.json", "repodata.json.zst", "run_exports.json" })
        {
            var file = new FileInfo(SafePath.Combine(channelDir, subdir, name));
            if (file.Exists) listed.Add((name, file.Length));
        }
        return listed;
    }

    /// <summary>Replaces <paramref name="path"/> atomically unless it already holds exactly <paramref name="bytes"/>.</summary>
    public static bool WriteIfChanged(string path, byte[] bytes)
    {
        var existing = new FileInfo(path);
        // Equal length first: only then is the old file (no larger than ours) read to compare.
        if (existing.Exists && existing.Length == bytes.Length && File.ReadAllBytes(path).AsSpan().SequenceEqual(bytes)) return false;
        AtomicFile.WriteAllBytes(path, bytes);
        return true;
    }

    /// <summary>The CondaChannelBaseUrl, checked and ending in '/'; null when not set.</summary>
    public static string? BaseUrl(string? url)
    {
        if (string.IsNullOrWhiteSpace(url)) return null;
        if (!Uri.TryCreate(url.Trim(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeFile)
            || Networking.UrlRedaction.StripCredentials(uri).AbsoluteUri != uri.AbsoluteUri || uri.Query.Length > 0 || uri.Fragment.Length > 0)
            throw new CondaMirrorException(ErrorCodes.IndexBaseUrlInvalid,
                $"CondaChannelBaseUrl '{Networking.UrlRedaction.Redact(url)}' is not an absolute http, https or file URL without credentials, query or fragment. Set it to the URL the channel will be served from (e.g. https://example.org/conda/mychannel/), or leave it empty.");
        var text = uri.AbsoluteUri;
        return text.EndsWith('/') ? text : text + "/";
    }

    // about.json and run_exports.json of every archive that came without them (downloads, locks), read from the
    // placed file. The archive's run_exports win (CEP 12: the file mirrors the archives); a record's own
    // run_exports stand in for archives that have no info/run_exports.json.
    private static void LoadMetadata(string channelDir, SortedDictionary<string, SortedDictionary<string, ChannelEntry>> bySubdir,
        string? cacheFile, PackageCache? packageCache, IMirrorLog log, CancellationToken ct)
    {
        var cache = ArchiveMetadataCache.Load(cacheFile, out var problem);
        if (problem is not null) log.Detail($"The archive metadata cache {cacheFile} was not used ({problem}); every archive's info/ is read again.");
        var todo = bySubdir.SelectMany(kv => kv.Value.Where(e => !e.Value.HasMetadata).Select(e => (Subdir: kv.Key, Name: e.Key, Entry: e.Value))).ToList();
        var loaded = new ChannelEntry?[todo.Count];
        var failed = new Exception?[todo.Count];
        var read = 0;
        var fromPackageCache = 0;
        // Archives are independent reads: use the cores. Results land by position, so output and the error reported
        // (the first failing archive in channel order) do not depend on scheduling.
        Parallel.For(0, todo.Count, new ParallelOptions { CancellationToken = ct, MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            var (subdir, name, entry) = todo[i];
            try
            {
                var path = SafePath.Combine(channelDir, subdir, name);
                var sha256 = entry.Record.Sha256?.ToLowerInvariant();
                if (cache.TryGet(sha256, out var about, out var archiveRunExports)) { }
                else if (sha256 is not null && packageCache?.TryReadArchiveInfo(sha256, entry.FileName) is { } kept)
                {
                    // What the download's member check read from this archive's info/ (the record's sha256, verified then).
                    about = PackageAbout.FromJson(kept.About);
                    archiveRunExports = kept.RunExports is { } own ? RunExports.Normalize(own, path) : null;
                    cache.Set(sha256, about, archiveRunExports);
                    Interlocked.Increment(ref fromPackageCache);
                }
                else
                {
                    // Every member was checked when the archive entered the cache; here only info/ is wanted.
                    var info = PackageArchive.ReadInfo(path, InfoMembers.IndexJson | InfoMembers.About | InfoMembers.RunExports | InfoMembers.StopAtPayload, ct);
                    about = PackageAbout.FromJson(info.About);
                    archiveRunExports = info.RunExports is { } own ? RunExports.Normalize(own, path) : null;
                    if (sha256 is not null) cache.Set(sha256, about, archiveRunExports);
                    Interlocked.Increment(ref read);
                }
                var runExports = archiveRunExports ?? (entry.Record.Extra.TryGetValue("run_exports", out var fromRecord) ? fromRecord : null);
                loaded[i] = entry with { About = about, RunExports = RunExports.Normalize(runExports, path) };
            }
            catch (Exception e) when (e is CondaMirrorException or IOException or UnauthorizedAccessException)
            {
                failed[i] = e;
            }
        });
        for (var i = 0; i < todo.Count; i++)
        {
            if (failed[i] is { } e) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e);
            bySubdir[todo[i].Subdir][todo[i].Name] = loaded[i]!;
        }
        if (todo.Count > 0)
            log.Detail($"Archive metadata: {todo.Count - read - fromPackageCache} of {todo.Count} from the cache, {fromPackageCache} from the package cache's info records, {read} archive(s) read.");
        if (cacheFile is null) return;
        try
        {
            cache.Save(cacheFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Only a shortcut for the next run, which then reads the archives again: said, not fatal.
            log.Detail($"The archive metadata cache {cacheFile} could not be written ({e.Message}); the next index run reads every archive's info/ again.");
        }
    }

    private static SortedDictionary<string, SortedDictionary<string, ChannelEntry>> Validate(IEnumerable<ChannelEntry> entries, IndexOptions options)
    {
        var bySubdir = new SortedDictionary<string, SortedDictionary<string, ChannelEntry>>(StringComparer.Ordinal);
        foreach (var subdir in options.Subdirs.Append("noarch"))
            if (!bySubdir.ContainsKey(subdir))
                bySubdir[Subdirs.Validate(subdir, options.SubdirNaming, "channel platforms", null)] = new(StringComparer.Ordinal);

        foreach (var entry in entries)
        {
            var where = entry.SourceFile ?? entry.FileName;
            if (string.IsNullOrEmpty(entry.Record.Subdir))
                throw new CondaMirrorException(ErrorCodes.IndexMissingSubdir,
                    $"Package {entry.FileName} does not say which subdir (platform) it belongs to; its info/index.json needs a \"subdir\" field. Rebuild it with a current conda-build or rattler-build.", where);
            // Entries reach the indexer from several readers; the subdir and file name become paths, so check them here too.
            Subdirs.Validate(entry.Record.Subdir, options.SubdirNaming, $"package {entry.FileName}", where);
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

    /// <summary>The files the indexer writes in every subdir besides the archives (and the shards/ folder).</summary>
    public static readonly IReadOnlySet<string> SubdirIndexFiles = new HashSet<string>(StringComparer.Ordinal)
        { "repodata.json", "repodata.json.zst", "run_exports.json", "index.html", ShardIndexFileName };

    public const string ShardIndexFileName = "repodata_shards.msgpack.zst";
    public const string ShardsFolder = "shards";

    /// <summary>
    /// CEP-16, the way rattler-index lays it out: one content-addressed shard per package name in shards/ (written
    /// only when new: a shard's name is its hash), the index beside repodata.json, then shards no name uses any more
    /// removed. Switched off, both go. A record's run_exports (CEP-21) ride along when known.
    /// </summary>
    private static void WriteShards(string channelDir, string subdir, IEnumerable<ChannelEntry> files, bool enabled, string? baseUrl,
        Action<string, bool, Func<byte[]>> output, List<string> changed, List<string> indexFiles)
    {
        var folder = SafePath.Combine(channelDir, subdir, ShardsFolder);
        var indexPath = SafePath.Combine(channelDir, subdir, ShardIndexFileName);
        var keep = new HashSet<string>(StringComparer.Ordinal);
        if (enabled)
        {
            var index = new ShardIndex
            {
                Subdir = subdir,
                BaseUrl = baseUrl is null ? "./" : baseUrl + Uri.EscapeDataString(subdir) + "/",
                ShardsBaseUrl = "./" + ShardsFolder + "/",
            };
            foreach (var byName in files.GroupBy(e => e.Record.Name, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                var shard = new Shard();
                foreach (var entry in byName.OrderBy(e => e.FileName, StringComparer.Ordinal))
                {
                    var record = entry.Record;
                    if (entry.RunExports is { } runExports && !record.Extra.ContainsKey("run_exports"))
                    {
                        record = record.Clone();
                        record.Extra["run_exports"] = runExports;
                    }
                    shard.Add(entry.FileName, record);
                }
                var (compressed, sha256) = ShardWriter.WriteCompressedShard(shard);
                index.SetShard(byName.Key, sha256);
                var name = ShardHash.FileName(sha256);
                keep.Add(name);
                var path = SafePath.Combine(channelDir, subdir, ShardsFolder, name);
                Directory.CreateDirectory(folder);
                // Content-addressed: a shard already there under its hash is the same bytes.
                if (!File.Exists(path) || new FileInfo(path).Length != compressed.Length)
                {
                    AtomicFile.WriteAllBytes(path, compressed);
                    changed.Add(path);
                }
                indexFiles.Add(path);
            }
            output(indexPath, true, () => ShardWriter.WriteCompressedIndex(index));
        }
        else output(indexPath, false, () => []);

        if (Directory.Exists(folder))
        {
            foreach (var file in Directory.EnumerateFiles(folder))
                if (!keep.Contains(Path.GetFileName(file)))
                {
                    File.Delete(file);
                    changed.Add(file);
                }
            if (!Directory.EnumerateFileSystemEntries(folder).Any()) Directory.Delete(folder);
        }
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
                var indexFile = SubdirIndexFiles.Contains(name);
                var ours = indexFile || ArchiveFileName.TryGetFormat(name, out _) || (name.StartsWith('.') && name.EndsWith(".tmp", StringComparison.Ordinal));
                if (!ours) continue;
                // A listed subdir's index files were just written (or removed when switched off).
                if (keep is not null && (keep.ContainsKey(name) || indexFile)) continue;
                File.Delete(file);
                pruned++;
            }
            // A subdir that is no longer part of the channel takes its shards along.
            var shards = Path.Combine(dir, ShardsFolder);
            if (keep is null && Directory.Exists(shards))
                foreach (var file in Directory.EnumerateFiles(shards, "*.msgpack.zst"))
                {
                    File.Delete(file);
                    pruned++;
                }
            if (keep is null && Directory.Exists(shards) && !Directory.EnumerateFileSystemEntries(shards).Any()) Directory.Delete(shards);
            if (keep is null && !Directory.EnumerateFileSystemEntries(dir).Any()) Directory.Delete(dir);
        }
        return pruned;
    }
}
