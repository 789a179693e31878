using System.Diagnostics;
using CondaMirror.Core.Diagnostics;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Networking;
using CondaMirror.Core.Networking.Oci;

namespace CondaMirror.Core.Publishing;

/// <summary>
/// Publishes a built channel to an OCI registry in the layout rattler and pixi read (<see cref="OciReference"/>):
/// every archive as the layer of its <c>version-build</c> tag in its name's repository, then every subdir's
/// repodata.json (with repodata.json.zst beside it as a second layer) as <c>latest</c> of
/// <c>&lt;channel&gt;/&lt;subdir&gt;/repodata.json</c> — archives first, repodata last, so a reader never finds
/// repodata naming a package that is not there yet. Incremental: a blob the repository has (HEAD by digest) is not
/// uploaded again, and a tag whose manifest already has our manifest's digest is not written again. Other files of
/// the channel (channeldata.json, index.html, run_exports.json, the SBOM) have no place in that layout and stay local.
/// </summary>
public static class OciChannelPublisher
{
    public static async Task<PublishResult> PublishAsync(string channelDirectory, PublishTarget target, NetworkClient network,
        OciSettings settings, PublishOptions options, IMirrorLog log, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var registry = network.OciRegistry;
        var hashCache = PublishHashCache.Load(options.HashCacheFile);
        var files = ChannelPublisher.ReadTree(channelDirectory, options.MaxObjectBytes, hashCache, PublishLayout.Conda);
        if (options.HashCacheFile is not null && !options.PlanOnly)
        {
            try
            {
                hashCache.Retain(files.Select(f => f.RelativePath));
                hashCache.Save(options.HashCacheFile);
            }
            catch (IOException e)
            {
                log.Detail($"Publish: the hash cache {options.HashCacheFile} could not be written ({e.Message}); the next publish hashes every file again.");
            }
        }

        var archives = new List<(LocalFile File, OciReference Reference)>();
        var repodata = new SortedDictionary<string, List<LocalFile>>(StringComparer.Ordinal);
        var skipped = 0;
        foreach (var file in files.OrderBy(f => f.RelativePath, StringComparer.Ordinal))
        {
            var parts = file.RelativePath.Split('/');
            var name = parts[^1];
            var isArchive = name.EndsWith(".conda", StringComparison.Ordinal) || name.EndsWith(".tar.bz2", StringComparison.Ordinal);
            var isRepodata = name is "repodata.json" or "repodata.json.zst";
            if (!isArchive && !isRepodata)
            {
                skipped++;
                continue;
            }
            if (parts.Length != 2)
                throw new CondaMirrorException(ErrorCodes.OciChannelNotPublishable,
                    $"{file.RelativePath} is not <subdir>/<file> of one channel; an OCI destination holds one channel (CondaChannelLayout=Merged, the default), so publish each channel folder to a destination of its own.",
                    file.FullPath);
            if (isRepodata)
            {
                (repodata.TryGetValue(parts[0], out var list) ? list : repodata[parts[0]] = []).Add(file);
                continue;
            }
            var reference = OciReference.ForFile(target.Bucket, target.Prefix, parts[0], name)
                ?? throw new CondaMirrorException(ErrorCodes.OciChannelNotPublishable,
                    $"{file.RelativePath} has no place in an OCI registry: its repository ({target.Prefix}/{parts[0]}/<name>) must be lower-case letters, digits and '.', '_', '-', and its tag (version-build) at most 128 such characters.",
                    file.FullPath);
            archives.Add((file, reference));
        }
        if (!repodata.ContainsKey("noarch"))
            throw new CondaMirrorException(ErrorCodes.OciChannelNotPublishable,
                $"There is no noarch/repodata.json at the root of {channelDirectory}: an OCI destination holds one channel (CondaChannelLayout=Merged, the default).", channelDirectory);
        if (skipped > 0)
            log.Detail($"Publish: {skipped} file(s) of the channel (channeldata.json, index.html, run_exports.json, …) have no place in the OCI layout and are not published to {target.Url}.");

        var state = new Counters();
        var written = new List<string>();
        var gate = new ParallelOptions { MaxDegreeOfParallelism = options.MaxParallelUploads, CancellationToken = cancellationToken };

        async Task PushAsync(string repository, string tag, IReadOnlyList<(LocalFile File, string MediaType)> layers, CancellationToken ct)
        {
            var manifest = OciManifest.Write(layers.Select(l => new OciLayer(l.MediaType, "sha256:" + l.File.Sha256, l.File.Size, l.File.RelativePath.Split('/')[^1])).ToList());
            var digest = OciManifest.DigestOf(manifest);
            var current = await Retry(network, target, $"{repository}:{tag}", t => registry.ManifestDigestAsync(target.Bucket, repository, tag, settings.PublishCredential, t), ct).ConfigureAwait(false);
            state.Heads();
            if (current == digest)
            {
                state.Unchanged(layers.Count);
                return;
            }
            foreach (var (file, _) in layers)
                await EnsureBlobAsync(repository, "sha256:" + file.Sha256, () => OpenLocal(file), file.Size, file.RelativePath, ct).ConfigureAwait(false);
            await EnsureBlobAsync(repository, OciManifest.EmptyConfigDigest, () => new MemoryStream(OciManifest.EmptyConfig, writable: false), OciManifest.EmptyConfig.Length, null, ct).ConfigureAwait(false);
            if (options.PlanOnly) return;
            await Retry(network, target, $"{repository}:{tag}", async t =>
            {
                await registry.PutManifestAsync(target.Bucket, repository, tag, manifest, settings.PublishCredential, t).ConfigureAwait(false);
                return true;
            }, ct).ConfigureAwait(false);
            state.Puts();
            lock (written) written.Add($"{repository}:{tag}");
        }

        async Task EnsureBlobAsync(string repository, string digest, Func<Stream> open, long size, string? countedFile, CancellationToken ct)
        {
            var has = await Retry(network, target, digest, t => registry.HasBlobAsync(target.Bucket, repository, digest, settings.PublishCredential, t), ct).ConfigureAwait(false);
            state.Heads();
            if (has)
            {
                if (countedFile is not null) state.Unchanged(1);
                return;
            }
            if (countedFile is not null) state.Uploaded(size);
            if (options.PlanOnly) return;
            await Retry(network, target, digest, async t =>
            {
                await registry.UploadBlobAsync(target.Bucket, repository, digest, open, size, settings.PublishCredential, t).ConfigureAwait(false);
                return true;
            }, ct).ConfigureAwait(false);
            state.Puts();
        }

        // Archives first, in parallel; every subdir's repodata only once all of them are in place.
        log.Detail($"Publish: Archives: {archives.Count} file(s) to {target.Url}");
        await Parallel.ForEachAsync(archives, gate, async (a, ct) =>
            await PushAsync(a.Reference.Repository, a.Reference.Tag, [(a.File, a.Reference.MediaType)], ct).ConfigureAwait(false)).ConfigureAwait(false);
        log.Detail($"Publish: Repodata: {repodata.Count} subdir(s) to {target.Url}");
        await Parallel.ForEachAsync(repodata, gate, async (entry, ct) =>
        {
            var layers = entry.Value.OrderBy(f => f.RelativePath.EndsWith(".zst", StringComparison.Ordinal) ? 1 : 0)
                .Select(f => (f, f.RelativePath.EndsWith(".zst", StringComparison.Ordinal) ? OciReference.RepodataZstMediaType : OciReference.RepodataMediaType)).ToList();
            var reference = OciReference.ForFile(target.Bucket, target.Prefix, entry.Key, "repodata.json")
                ?? throw new CondaMirrorException(ErrorCodes.OciChannelNotPublishable,
                    $"The subdir '{entry.Key}' is no OCI repository name component (lower-case letters, digits, '.', '_', '-').", Path.Combine(channelDirectory, entry.Key));
            await PushAsync(reference.Repository, reference.Tag, layers, ct).ConfigureAwait(false);
        }).ConfigureAwait(false);

        return new PublishResult(target.Url, state.UploadedFiles, state.UploadedBytes, state.UnchangedFiles, 0, 0, written,
            new PublishRequests(0, 0, state.HeadCount, state.PutCount, 0), clock.Elapsed, options.PlanOnly);
    }

    /// <summary>One registry operation with the client's retries; what outlasts them is CMIR374 (our codes pass through).</summary>
    private static async Task<T> Retry<T>(NetworkClient network, PublishTarget target, string subject, Func<CancellationToken, Task<T>> operation, CancellationToken cancellationToken)
    {
        var baseUrl = network.OciRegistry.BaseOf(target.Bucket);
        try
        {
            return await network.ExecuteAsync(baseUrl, subject, async (_, token) =>
            {
                using var deadline = CancellationTokenSource.CreateLinkedTokenSource(token);
                if (network.Options.AttemptDeadline > TimeSpan.Zero) deadline.CancelAfter(network.Options.AttemptDeadline);
                try
                {
                    return await operation(deadline.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (deadline.IsCancellationRequested && !token.IsCancellationRequested)
                {
                    throw new TimeoutException($"{subject} took longer than {network.Options.AttemptDeadline.TotalSeconds:0} s");
                }
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not CondaMirrorException && !cancellationToken.IsCancellationRequested && HttpResilience.Classify(e) != HttpFailureKind.None)
        {
            throw new CondaMirrorException(ErrorCodes.OciPublishFailed,
                $"Publishing to {target.Url} failed at {subject}: {UrlRedaction.Redact(e.Message)}. Check that the registry runs and is reachable" +
                $" (plain http only for hosts listed in {OciSettings.PlainHttpVariable}); nothing that lists this file was written.", null, e);
        }
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

    private sealed class Counters
    {
        private int _uploaded, _unchanged, _heads, _puts;
        private long _bytes;
        public int UploadedFiles => _uploaded;
        public long UploadedBytes => Interlocked.Read(ref _bytes);
        public int UnchangedFiles => _unchanged;
        public int HeadCount => _heads;
        public int PutCount => _puts;
        public void Uploaded(long bytes) { Interlocked.Increment(ref _uploaded); Interlocked.Add(ref _bytes, bytes); }
        public void Unchanged(int files) => Interlocked.Add(ref _unchanged, files);
        public void Heads() => Interlocked.Increment(ref _heads);
        public void Puts() => Interlocked.Increment(ref _puts);
    }
}
