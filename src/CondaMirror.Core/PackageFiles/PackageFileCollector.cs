using System.Globalization;
using System.Security.Cryptography;
using CondaMirror.Core.Archives;
using CondaMirror.Core.Diagnostics;
using CondaMirror.Core.Downloads;
using CondaMirror.Core.Errors;
using CondaMirror.Core.IO;
using CondaMirror.Core.Networking;
using CondaMirror.Core.Records;

namespace CondaMirror.Core.PackageFiles;

/// <summary>One CondaPackageFile item: a local path or an http(s) URL, of a package or of a zip of CI artifacts.</summary>
/// <param name="Location">An absolute local path, or an http(s) URL (which may carry credentials).</param>
/// <param name="Sha256">Expected SHA-256 of the file (the zip itself, for a zip), when given.</param>
/// <param name="Md5">Expected MD5, when given and there is no SHA-256.</param>
public sealed record PackageFileItem(string Location, string? Sha256 = null, string? Md5 = null)
{
    public override string ToString() => UrlRedaction.Redact(Location);
}

/// <summary>How package files are fetched and checked.</summary>
public sealed class PackageFileOptions
{
    /// <summary>Network limits, credentials and the cache, as for locked packages; its <see cref="DownloadOptions.Validation"/> checks every package.</summary>
    public DownloadOptions Download { get; init; } = new();

    public ArtifactZipLimits Zip { get; init; } = new();
}

/// <summary>What the collection made of the items.</summary>
/// <param name="Archives">Local package archives to index, in item order (zip members in the zip's order), each once.</param>
/// <param name="CacheFiles">The package-cache files among them and the cached zips they came from: what a later build checks are still there.</param>
public sealed record PackageFileResult(IReadOnlyList<string> Archives, IReadOnlyList<string> CacheFiles, int Downloaded, int FromCache, int Extracted);

/// <summary>
/// Turns CondaPackageFile items into local package archives the index step reads like any local file: URLs are
/// downloaded through <see cref="PackageDownloader"/> (credentials, retries, deadlines, the verified cache) and checked
/// against their Sha256/Md5; zips of CI artifacts have their .conda/.tar.bz2 members extracted into the package cache
/// (content-addressed, never by the zip's own paths) after every member has been inflated within bounds and passed the
/// package checks. All or nothing: a failing item or member leaves no new cache entry from a zip, and the index step,
/// which alone writes the channel, does not run.
/// </summary>
public static class PackageFileCollector
{
    private enum Kind { Archive, Zip }

    private sealed record Planned(PackageFileItem Item, bool IsUrl, Kind Kind, string FileName, string Display);

    public static async Task<PackageFileResult> CollectAsync(IReadOnlyList<PackageFileItem> items, PackageFileOptions options, IMirrorLog log, CancellationToken ct)
    {
        // Every item is checked before any request or extraction.
        var planned = items.Select(Plan).ToList();
        var unverified = planned.Where(p => p.IsUrl && string.IsNullOrEmpty(p.Item.Sha256) && string.IsNullOrEmpty(p.Item.Md5)).Select(p => p.Display).ToList();
        if (unverified.Count > 0)
            log.Warning(ErrorCodes.PackageFileUnverified,
                $"{unverified.Count} CondaPackageFile URL(s) have no Sha256 metadata, so their bytes are indexed unverified (and downloaded again whenever this step runs): " +
                $"{string.Join(", ", unverified)}. Add Sha256=\"<hex>\" to each item.");

        var local = new Dictionary<Planned, string>();
        int downloaded = 0, fromCache = 0;
        var cacheFiles = new List<string>();
        foreach (var kind in new[] { Kind.Archive, Kind.Zip })
        {
            var urls = planned.Where(p => p.IsUrl && p.Kind == kind).ToList();
            if (urls.Count == 0) continue;
            // A zip is not a conda package: the member check applies to its members, after extraction.
            var summary = await DownloadAsync(urls, Copy(options.Download, kind == Kind.Archive ? options.Download.Validation ?? new PackageValidationOptions() : null), log, ct).ConfigureAwait(false);
            downloaded += summary.Downloaded;
            fromCache += summary.FromCache;
            foreach (var p in urls)
            {
                local[p] = summary.CachePaths.First(kv => kv.Key.Url == p.Item.Location).Value;
                cacheFiles.Add(local[p]);
            }
        }
        foreach (var p in planned.Where(p => !p.IsUrl))
        {
            ct.ThrowIfCancellationRequested();
            VerifyLocal(p);
            local[p] = p.Item.Location;
        }

        var zips = planned.Where(p => p.Kind == Kind.Zip).ToList();
        var extracted = zips.Count == 0 ? new Dictionary<Planned, IReadOnlyList<string>>() : ExtractAll(zips, local, options, log, ct);
        var archives = new List<string>();
        foreach (var p in planned)
        {
            if (p.Kind == Kind.Archive) archives.Add(local[p]);
            else
            {
                archives.AddRange(extracted[p]);
                cacheFiles.AddRange(extracted[p]);
            }
        }
        return new PackageFileResult(archives.Distinct(StringComparer.Ordinal).ToList(), cacheFiles.Distinct(StringComparer.Ordinal).ToList(),
            downloaded, fromCache, extracted.Values.Sum(v => v.Count));
    }

    private static Planned Plan(PackageFileItem item)
    {
        var location = item.Location;
        var display = UrlRedaction.Redact(location);
        CheckHash(item.Sha256, 64, "Sha256", display);
        CheckHash(item.Md5, 32, "Md5", display);
        var isUrl = location.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || location.StartsWith("https://", StringComparison.OrdinalIgnoreCase);
        string fileName;
        if (isUrl)
        {
            if (!Uri.TryCreate(location, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
                throw Unsupported(display, "it is not a valid URL");
            var path = uri.AbsolutePath;
            var last = Uri.UnescapeDataString(path[(path.LastIndexOf('/') + 1)..]);
            fileName = ArchiveFileName.ValidateSafe(last, $"CondaPackageFile {display}", display);
        }
        else
        {
            var scheme = location.IndexOf("://", StringComparison.Ordinal);
            if (scheme > 0) throw Unsupported(display, $"only http and https URLs are downloaded, not {location[..scheme]}");
            fileName = Path.GetFileName(location);
        }
        if (fileName.EndsWith(".zip", StringComparison.OrdinalIgnoreCase)) return new Planned(item, isUrl, Kind.Zip, fileName, display);
        if (isUrl && !ArchiveFileName.TryGetFormat(fileName, out _))
            throw Unsupported(display, $"its file name '{fileName}' ends in none of .conda, .tar.bz2 or .zip");
        return new Planned(item, isUrl, Kind.Archive, fileName, display);
    }

    private static void CheckHash(string? value, int length, string name, string display)
    {
        if (string.IsNullOrEmpty(value) || (value.Length == length && value.All(char.IsAsciiHexDigit))) return;
        throw new CondaMirrorException(ErrorCodes.PackageFileHashInvalid,
            $"CondaPackageFile {display}: its {name} metadata '{value}' is not {length} hex digits. Give the file's {name} in hex (e.g. from `{(length == 64 ? "sha256sum" : "md5sum")}`), or remove the metadata.",
            display);
    }

    private static CondaMirrorException Unsupported(string display, string why) => new(ErrorCodes.PackageFileUrlUnsupported,
        $"CondaPackageFile {display} cannot be used: {why}. Give an http(s) URL of a .conda, .tar.bz2 or .zip file, or a local path.", display);

    private static async Task<DownloadSummary> DownloadAsync(IReadOnlyList<Planned> urls, DownloadOptions options, IMirrorLog log, CancellationToken ct)
    {
        var requests = urls.Select(p => new DownloadRequest(p.Item.Location, p.FileName, "", Lower(p.Item.Sha256),
            string.IsNullOrEmpty(p.Item.Sha256) ? Lower(p.Item.Md5) : null, null)).ToList();
        using var downloader = new PackageDownloader(options, log);
        try
        {
            return await downloader.DownloadAsync(requests, ct).ConfigureAwait(false);
        }
        catch (CondaMirrorException e) when (e.Code == ErrorCodes.DownloadChecksumMismatch && urls.FirstOrDefault(p => p.Display == e.File) is { } item)
        {
            // The downloader's words are about locks; this is the item's metadata.
            var (algorithm, expected) = !string.IsNullOrEmpty(item.Item.Sha256) ? ("Sha256", item.Item.Sha256!) : ("Md5", item.Item.Md5!);
            throw new CondaMirrorException(ErrorCodes.PackageFileHashMismatch,
                $"CondaPackageFile {item.Display}: the downloaded bytes do not match its {algorithm} metadata ({expected.ToLowerInvariant()}). Nothing was placed in the cache or the channel. " +
                "Fix the metadata if the file was re-published; otherwise the server or a proxy sent something else.", item.Display, e);
        }
    }

    private static string? Lower(string? hash) => string.IsNullOrEmpty(hash) ? null : hash.ToLowerInvariant();

    /// <summary>A local file with a hash in its metadata must have those bytes (a local file without one is the user's own).</summary>
    private static void VerifyLocal(Planned p)
    {
        if (string.IsNullOrEmpty(p.Item.Sha256) && string.IsNullOrEmpty(p.Item.Md5)) return;
        if (!File.Exists(p.Item.Location))
            throw new CondaMirrorException(ErrorCodes.IndexPackageFileMissing, $"Package file {p.Item.Location} does not exist.", p.Item.Location);
        var hashes = FileHashes.Compute(p.Item.Location);
        var (algorithm, expected, actual) = !string.IsNullOrEmpty(p.Item.Sha256) ? ("sha256", p.Item.Sha256!, hashes.Sha256) : ("md5", p.Item.Md5!, hashes.Md5);
        if (!string.Equals(expected, actual, StringComparison.OrdinalIgnoreCase))
            throw new CondaMirrorException(ErrorCodes.PackageFileHashMismatch,
                $"CondaPackageFile {p.Display} does not have the bytes its metadata names (expected {algorithm} {expected.ToLowerInvariant()}, got {actual}). Nothing was placed in the channel. " +
                "Fix the metadata, or restore the file.", p.Item.Location);
    }

    private sealed record Staged(string TempPath, string FileName, PackageCache.Sidecar Verified);

    /// <summary>
    /// Every package member of every zip, inflated into the cache's partial folder while hashing and checked as a
    /// package; only when all passed are they committed to the cache. Returns each zip's cache files in member order.
    /// </summary>
    private static Dictionary<Planned, IReadOnlyList<string>> ExtractAll(IReadOnlyList<Planned> zips, IReadOnlyDictionary<Planned, string> local,
        PackageFileOptions options, IMirrorLog log, CancellationToken ct)
    {
        var cache = new PackageCache(options.Download.CacheRoot);
        var validation = options.Download.Validation ?? new PackageValidationOptions();
        var staged = new Dictionary<Planned, List<Staged>>();
        PackageCache.PartialOwner owner;
        try { owner = cache.ClaimPartials(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw PackageCache.WriteFailed(cache.Root, e); }
        using (owner)
        {
            try
            {
                foreach (var zip in zips)
                {
                    if (!File.Exists(local[zip]))
                        throw new CondaMirrorException(ErrorCodes.IndexPackageFileMissing, $"Package file {local[zip]} does not exist.", local[zip]);
                    staged[zip] = Extract(zip, local[zip], cache, owner, validation, options.Zip, log, ct);
                }
                var result = new Dictionary<Planned, IReadOnlyList<string>>();
                foreach (var (zip, members) in staged)
                {
                    var paths = new List<string>();
                    foreach (var member in members)
                    {
                        try { paths.Add(cache.Commit(member.TempPath, member.FileName, member.Verified)); }
                        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw PackageCache.WriteFailed(cache.Root, e); }
                    }
                    result[zip] = paths;
                }
                return result;
            }
            finally
            {
                foreach (var member in staged.Values.SelectMany(m => m)) AtomicFile.TryDelete(member.TempPath); // no-op once committed
            }
        }
    }

    private static List<Staged> Extract(Planned zip, string path, PackageCache cache, PackageCache.PartialOwner owner, PackageValidationOptions validation,
        ArtifactZipLimits limits, IMirrorLog log, CancellationToken ct)
    {
        var staged = new List<Staged>();
        try
        {
            using var artifact = ArtifactZip.Open(path, zip.Display, limits);
            if (artifact.Packages.Count == 0)
                throw new CondaMirrorException(ErrorCodes.ArtifactZipNoPackages,
                    $"The zip {zip.Display} holds no .conda or .tar.bz2 member ({artifact.Skipped} other member(s){NestedNote(artifact)}). Point the CondaPackageFile item at the artifact that holds the packages.",
                    zip.Display);
            foreach (var member in artifact.Packages)
            {
                var temp = cache.NewPartialPath(owner);
                var sidecar = Inflate(artifact, member, temp, cache, ct);
                staged.Add(new Staged(temp, member.FileName, sidecar));
                var display = $"{member.Path} in {zip.Display}";
                try
                {
                    PackageArchive.ValidateMembers(temp, member.FileName, display, validation, ct);
                    using var stream = new FileStream(temp, FileMode.Open, FileAccess.Read, FileShare.Read);
                    ArchiveFileName.TryGetFormat(member.FileName, out var format);
                    PackageArchive.ReadInfo(stream, display, format, InfoMembers.IndexJson, ct);
                }
                catch (CondaMirrorException e)
                {
                    throw new CondaMirrorException(ErrorCodes.ArtifactZipMemberNotPackage,
                        $"Member '{member.Path}' of the zip {zip.Display} is not a valid conda package ({e.Code}: {e.Message}). Nothing was written to the channel; fix or remove the member.",
                        zip.Display, e);
                }
            }
            log.Info($"CondaPackageFile {zip.Display}: {artifact.Packages.Count} package(s) extracted; {artifact.Skipped} other member(s) skipped{NestedNote(artifact)}.");
            return staged;
        }
        catch
        {
            foreach (var s in staged) AtomicFile.TryDelete(s.TempPath);
            throw;
        }
    }

    private static string NestedNote(ArtifactZip artifact) =>
        artifact.NestedZips == 0 ? "" : string.Create(CultureInfo.InvariantCulture, $", {artifact.NestedZips} of them zip(s), which are not opened");

    /// <summary>One member into a fresh partial file, hashed as it is written.</summary>
    private static PackageCache.Sidecar Inflate(ArtifactZip artifact, ArtifactZipMember member, string temp, PackageCache cache, CancellationToken ct)
    {
        using var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        try
        {
            using var output = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1);
            using var hashing = new HashingStream(output, sha256, md5);
            artifact.CopyTo(member, hashing, ct);
            return new PackageCache.Sidecar(Convert.ToHexString(sha256.GetHashAndReset()).ToLowerInvariant(),
                Convert.ToHexString(md5.GetHashAndReset()).ToLowerInvariant(), hashing.Written);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            AtomicFile.TryDelete(temp);
            throw PackageCache.WriteFailed(cache.Root, e);
        }
    }

    /// <summary>A write-only stream that hashes what passes through it.</summary>
    private sealed class HashingStream(Stream inner, IncrementalHash sha256, IncrementalHash md5) : Stream
    {
        public long Written { get; private set; }
        public override void Write(byte[] buffer, int offset, int count)
        {
            sha256.AppendData(buffer, offset, count);
            md5.AppendData(buffer, offset, count);
            inner.Write(buffer, offset, count);
            Written += count;
        }
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => Written;
        public override long Position { get => Written; set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }

    private static DownloadOptions Copy(DownloadOptions o, PackageValidationOptions? validation) => new()
    {
        MaxParallel = o.MaxParallel,
        RetryCount = o.RetryCount,
        AttemptTimeout = o.AttemptTimeout,
        AttemptDeadline = o.AttemptDeadline,
        Budget = o.Budget,
        UnreachableAfter = o.UnreachableAfter,
        BaseDelay = o.BaseDelay,
        MaxRetryAfter = o.MaxRetryAfter,
        CacheRoot = o.CacheRoot,
        MaxPackageBytes = o.MaxPackageBytes,
        Credentials = o.Credentials,
        Mirrors = o.Mirrors,
        Validation = validation,
        WarnUnverifiable = false,
        ProgressInterval = o.ProgressInterval,
    };
}
