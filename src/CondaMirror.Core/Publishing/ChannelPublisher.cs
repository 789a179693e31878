using System.Diagnostics;
using CondaMirror.Core.Diagnostics;
using CondaMirror.Core.Errors;
using CondaMirror.Core.IO;
using CondaMirror.Core.Networking;

namespace CondaMirror.Core.Publishing;

public sealed record PublishOptions
{
    /// <summary>Uploads in flight at once within a phase.</summary>
    public int MaxParallelUploads { get; init; } = 4;

    /// <summary>Decide and report only: the remote state is read, nothing is written or deleted.</summary>
    public bool PlanOnly { get; init; }

    /// <summary>More objects than this under the prefix is CMIR367 (the listing is held in memory).</summary>
    public int MaxRemoteObjects { get; init; } = 1_000_000;

    /// <summary>A larger manifest is CMIR367.</summary>
    public long MaxManifestBytes { get; init; } = 256L << 20;

    /// <summary>Where the local files' hashes are remembered between publishes (obj/…/publish.hashes); null hashes every file every time.</summary>
    public string? HashCacheFile { get; init; }

    /// <summary>A single PUT carries at most 5 GiB (S3's limit); a larger channel file is CMIR368.</summary>
    public long MaxObjectBytes { get; init; } = 5L << 30;

    /// <summary>What is published: the conda channel (default) or the PyPI simple index; decides the order and content types.</summary>
    public PublishLayout Layout { get; init; } = PublishLayout.Conda;
}

/// <summary>Requests a publish made, by kind (what a no-change publish costs is the point of the manifest).</summary>
public sealed record PublishRequests(int Lists, int Gets, int Heads, int Puts, int Deletes);

public sealed record PublishResult(
    string Url,
    int Uploaded,
    long UploadedBytes,
    int Unchanged,
    int Pruned,
    int StaleKept,
    IReadOnlyList<string> UploadOrder,
    PublishRequests Requests,
    TimeSpan Elapsed,
    bool PlanOnly);

/// <summary>
/// Publishes a built channel folder to an object store: read the remote state (listing, our manifest, HEAD for
/// objects the manifest cannot vouch for), plan (<see cref="PublishPlan"/>), upload phase by phase, write the
/// manifest after repodata.json, then delete what the channel no longer has if pruning was asked for.
/// A failure in a phase stops before the next one starts, so the remote repodata never lists a file that is missing.
/// </summary>
public static class ChannelPublisher
{
    public static async Task<PublishResult> PublishAsync(string channelDirectory, PublishTarget target, IObjectStore store,
        PublishOptions options, IMirrorLog log, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var hashCache = PublishHashCache.Load(options.HashCacheFile);
        var layout = options.Layout;
        var local = ReadTree(channelDirectory, options.MaxObjectBytes, hashCache, layout);

        int lists = 0, gets = 0, heads = 0, puts = 0, deletes = 0;

        // Remote state: the listing (sizes, ETags), our manifest, then HEAD for what the manifest does not cover.
        lists++;
        // Keys outside the prefix are not ours whatever a server lists: never compared, never pruned.
        var listed = (await store.ListAsync(target.KeyPrefix, options.MaxRemoteObjects, cancellationToken).ConfigureAwait(false))
            .Where(o => o.Key.StartsWith(target.KeyPrefix, StringComparison.Ordinal))
            .GroupBy(o => o.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var manifestKey = target.KeyOf(PublishManifest.RelativeKey);
        byte[]? oldManifestBytes = null;
        Dictionary<string, ManifestEntry>? manifest = null;
        if (listed.ContainsKey(manifestKey))
        {
            gets++;
            oldManifestBytes = await store.GetSmallAsync(manifestKey, options.MaxManifestBytes, cancellationToken).ConfigureAwait(false);
            if (oldManifestBytes is not null)
            {
                manifest = PublishManifest.Read(oldManifestBytes, out var problem);
                if (manifest is null)
                    log.Info($"Publish: {target.Url}/{PublishManifest.RelativeKey} is unreadable ({problem}); every object is checked with a HEAD request instead, and the manifest is rewritten.");
            }
        }

        var remote = new Dictionary<string, RemoteState>(StringComparer.Ordinal);
        var known = new Dictionary<string, ManifestEntry>(StringComparer.Ordinal); // relative key -> entry, for the new manifest
        var localByKey = local.ToDictionary(f => target.KeyOf(f.RelativePath), StringComparer.Ordinal);
        var toHead = new List<string>();
        foreach (var (key, obj) in listed)
        {
            if (key == manifestKey) continue;
            var relative = key[target.KeyPrefix.Length..];
            if (manifest is not null && manifest.TryGetValue(relative, out var entry) && entry.Size == obj.Size
                && entry.ETag is not null && string.Equals(entry.ETag, obj.ETag, StringComparison.Ordinal))
            {
                remote[key] = new RemoteState(obj.Size, entry.Sha256);
                known[relative] = entry;
            }
            else if (localByKey.TryGetValue(key, out var file) && file.Size == obj.Size)
                toHead.Add(key); // same size: worth asking for its recorded hash
            else
                remote[key] = new RemoteState(obj.Size, null); // different size or not ours to keep: no need to know more
        }
        heads += toHead.Count;
        await Parallel.ForEachAsync(toHead, new ParallelOptions { MaxDegreeOfParallelism = options.MaxParallelUploads, CancellationToken = cancellationToken },
            async (key, ct) =>
            {
                var head = await store.HeadAsync(key, ct).ConfigureAwait(false);
                lock (remote)
                {
                    if (head is null) return; // deleted since the listing: uploaded like a new file
                    remote[key] = new RemoteState(head.Size, head.Sha256);
                    if (head.Sha256 is not null) known[key[target.KeyPrefix.Length..]] = new ManifestEntry(head.Sha256, head.Size, head.ETag);
                }
            }).ConfigureAwait(false);

        var plan = PublishPlan.Create(local, target.KeyPrefix, remote, target.Prune, layout);
        // A remembered hash may only save work, never decide an upload: what is uploaded is hashed now, and a file whose
        // bytes match the remote object after all is left alone (and its remembered hash corrected).
        if (plan.Uploads.Any(u => u.File.Remembered))
        {
            var toRehash = plan.Uploads.Where(u => u.File.Remembered).Select(u => u.File.RelativePath).ToHashSet(StringComparer.Ordinal);
            local = local.Select(f => toRehash.Contains(f.RelativePath) ? Rehash(f, hashCache) : f).ToList();
            plan = PublishPlan.Create(local, target.KeyPrefix, remote, target.Prune, layout);
        }
        if (options.HashCacheFile is not null && !options.PlanOnly)
        {
            try
            {
                hashCache.Retain(local.Select(f => f.RelativePath));
                hashCache.Save(options.HashCacheFile);
            }
            catch (IOException e)
            {
                // Only a shortcut for the next publish: it hashes again. Said, not hidden.
                log.Detail($"Publish: the hash cache {options.HashCacheFile} could not be written ({e.Message}); the next publish hashes every file again.");
            }
        }
        var uploadCount = plan.Uploads.Count();
        var uploadBytes = plan.Uploads.Sum(u => u.File.Size);
        if (options.PlanOnly)
        {
            return new PublishResult(target.Url, uploadCount, uploadBytes, plan.Unchanged.Count, plan.Prune.Count, plan.Stale.Count - plan.Prune.Count,
                plan.Uploads.Select(u => u.Key).ToList(), new PublishRequests(lists, gets, heads, puts, deletes), clock.Elapsed, PlanOnly: true);
        }

        var order = new List<string>();
        foreach (var phase in plan.Phases)
        {
            if (phase.Count == 0) continue;
            var phaseName = layout.PhaseNames[phase[0].Phase];
            log.Detail($"Publish: {phaseName}: {phase.Count} file(s)");
            // Phases are strictly ordered: the next starts only when every upload of this one succeeded.
            await Parallel.ForEachAsync(phase, new ParallelOptions { MaxDegreeOfParallelism = options.MaxParallelUploads, CancellationToken = cancellationToken },
                async (upload, ct) =>
                {
                    string? etag;
                    await using (var stream = OpenLocal(upload.File))
                        etag = await store.PutAsync(upload.Key, stream, layout.ContentTypeOf(upload.File.RelativePath), upload.File.Sha256, ct).ConfigureAwait(false);
                    lock (order)
                    {
                        order.Add(upload.Key);
                        known[upload.File.RelativePath] = new ManifestEntry(upload.File.Sha256, upload.File.Size, etag);
                    }
                }).ConfigureAwait(false);
            puts += phase.Count;
        }

        // The manifest, after repodata.json: it only ever describes objects that are in place. Entries for files the
        // channel no longer has are dropped; a kept stale object is checked by HEAD if it ever comes back.
        var entries = known.Where(e => localByKey.ContainsKey(target.KeyOf(e.Key))).ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);
        var manifestBytes = PublishManifest.Write(entries);
        if (oldManifestBytes is null || !manifestBytes.AsSpan().SequenceEqual(oldManifestBytes))
        {
            using var stream = new MemoryStream(manifestBytes, writable: false);
            await store.PutAsync(manifestKey, stream, "application/json", Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(manifestBytes)).ToLowerInvariant(),
                cancellationToken).ConfigureAwait(false);
            puts++;
        }

        // Pruning last: the new repodata no longer lists these, so no reader is sent to them any more.
        await Parallel.ForEachAsync(plan.Prune, new ParallelOptions { MaxDegreeOfParallelism = options.MaxParallelUploads, CancellationToken = cancellationToken },
            async (key, ct) => await store.DeleteAsync(key, ct).ConfigureAwait(false)).ConfigureAwait(false);
        deletes += plan.Prune.Count;
        if (plan.Stale.Count > plan.Prune.Count)
            log.Info($"Publish: {plan.Stale.Count - plan.Prune.Count} object(s) under {target.Url} are no longer in the {layout.Name} and were kept; set Prune=\"true\" on the CondaPublish item to delete them.");

        return new PublishResult(target.Url, uploadCount, uploadBytes, plan.Unchanged.Count, plan.Prune.Count, plan.Stale.Count - plan.Prune.Count,
            order, new PublishRequests(lists, gets, heads, puts, deletes), clock.Elapsed, PlanOnly: false);
    }

    private static LocalFile Rehash(LocalFile file, PublishHashCache hashCache)
    {
        var identity = FileIdentity.Of(file.FullPath);
        var hashes = FileHashes.Compute(file.FullPath);
        if (FileIdentity.Of(file.FullPath) == identity && hashes.Size == identity.Size) hashCache.Set(file.RelativePath, identity, hashes.Sha256);
        return file with { Size = hashes.Size, Sha256 = hashes.Sha256, Remembered = false };
    }

    /// <summary>
    /// Every file of the channel, hashed. Files and folders whose name starts with '.' are not part of a channel
    /// (the owner record, temporary files of an atomic write) and are skipped.
    /// </summary>
    /// <remarks>A file the layout also serves under other keys (<see cref="PublishLayout.AliasesOf"/>) appears once per key.</remarks>
    public static IReadOnlyList<LocalFile> ReadTree(string channelDirectory, long maxObjectBytes, PublishHashCache? hashCache = null, PublishLayout? layout = null)
    {
        hashCache ??= PublishHashCache.Empty;
        layout ??= PublishLayout.Conda;
        var root = Path.GetFullPath(channelDirectory);
        if (!layout.IsBuilt(root))
            throw new CondaMirrorException(ErrorCodes.PublishChannelInvalid, layout == PublishLayout.Conda
                ? $"There is no channel to publish at {root} (no noarch/repodata.json, at its root or in a channel folder below it). The channel is built by the index step, which runs before publishing."
                : $"There is no {layout.Name} to publish at {root} (no {layout.RootFile}). It is built by the PyPI step, which runs before publishing.", root);
        var files = new List<LocalFile>();
        foreach (var path in Directory.EnumerateFiles(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = false }))
        {
            var relative = Path.GetRelativePath(root, path).Replace('\\', '/');
            if (relative.Split('/').Any(s => s.StartsWith('.'))) continue;
            try
            {
                var identity = FileIdentity.Of(path);
                if (identity.Size > maxObjectBytes)
                    throw new CondaMirrorException(ErrorCodes.PublishChannelInvalid,
                        $"{relative} is {identity.Size} bytes, more than one upload may carry ({maxObjectBytes} bytes).", path);
                var sha = hashCache.Lookup(relative, identity);
                var remembered = sha is not null;
                if (sha is null)
                {
                    var hashes = FileHashes.Compute(path);
                    // Stat again after hashing: a file rewritten meanwhile is not recorded with a hash of other bytes.
                    if (FileIdentity.Of(path) == identity && hashes.Size == identity.Size) hashCache.Set(relative, identity, hashes.Sha256);
                    sha = hashes.Sha256;
                    identity = identity with { Size = hashes.Size };
                }
                files.Add(new LocalFile(relative, path, identity.Size, sha, Remembered: remembered));
                foreach (var alias in layout.AliasesOf(relative))
                    files.Add(new LocalFile(alias, path, identity.Size, sha, Remembered: remembered));
            }
            catch (IOException e)
            {
                throw new CondaMirrorException(ErrorCodes.PublishChannelInvalid, $"{relative} could not be read to publish it: {e.Message}", path, e);
            }
            catch (UnauthorizedAccessException e)
            {
                throw new CondaMirrorException(ErrorCodes.PublishChannelInvalid, $"{relative} could not be read to publish it: {e.Message}", path, e);
            }
        }
        return files;
    }

    private static FileStream OpenLocal(LocalFile file)
    {
        try
        {
            return new FileStream(file.FullPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous);
        }
        catch (IOException e)
        {
            throw new CondaMirrorException(ErrorCodes.PublishChannelInvalid, $"{file.RelativePath} could not be read to publish it: {e.Message}", file.FullPath, e);
        }
    }
}
