using CondaMirror.Core.IO;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using CondaMirror.Core.Errors;

namespace CondaMirror.Core.Downloads;

/// <summary>
/// The global content-addressed package cache, shared by every build on the machine:
/// <c>&lt;root&gt;/&lt;first 2 hex&gt;/&lt;sha256&gt;/&lt;fileName&gt;</c> (versions before the md5 index stored md5-only packages under
/// their md5; those entries are still found). A file only ever gets there by an atomic rename after verification, and
/// a sidecar <c>&lt;fileName&gt;.verified</c> (sha256, md5 when computed, size, stat) is written after it, so a cache hit
/// is "file + sidecar present and the file's identity (<see cref="FileIdentity"/>: size, modification time, and on
/// Linux change time, inode and device) unchanged since it was verified" — no re-hashing of gigabytes on every build.
/// A file whose identity changed (edited in place through a hard link in a channel, even with its modification time
/// put back; replaced) is hashed again: kept if still intact, evicted otherwise, so it is never published. New hard
/// links change the change time too, so placement records the identity again right after linking
/// (<see cref="BeginPlacement"/>).
/// Cached files are read-only on Unix, so an ordinary in-place write through a channel's hard link fails.
/// Requests that only carry an md5 find entries through <c>&lt;root&gt;/.md5/&lt;first 2 hex&gt;/&lt;md5&gt;</c>, a pointer to the
/// sha256 entry; the pointer is only a hint, the entry's own verified md5 decides (<see cref="TryGetVerified"/>).
/// Beside an archive that passed the member check on its way in, <c>&lt;fileName&gt;.info.json</c> keeps what the index
/// step reads from its <c>info/</c> (<see cref="ArchiveInfoRecord"/>), trusted only while the sidecar names its sha256.
/// In-flight downloads live in <c>&lt;root&gt;/.partial/</c> as <c>&lt;owner&gt;.&lt;guid&gt;.part</c>; the owner (one per
/// process) holds <c>&lt;owner&gt;.owner</c> open exclusively, so a later build can tell a dead writer's leftovers.
/// </summary>
public sealed class PackageCache
{
    public const string SidecarSuffix = ".verified";
    public const string PartialFolder = ".partial";
    public const string Md5Folder = ".md5";

    public PackageCache(string root)
    {
        Root = Path.GetFullPath(root);
    }

    public string Root { get; }

    public string PartialDirectory => Path.Combine(Root, PartialFolder);

    /// <summary>
    /// $CONDAMIRROR_PACKAGE_CACHE, else the per-user cache folder of the OS:
    /// Windows %LOCALAPPDATA%\CondaMirror\pkgs, macOS ~/Library/Caches/CondaMirror/pkgs,
    /// Linux $XDG_CACHE_HOME/condamirror/pkgs or ~/.cache/condamirror/pkgs.
    /// </summary>
    public static string DefaultRoot
    {
        get
        {
            var configured = Environment.GetEnvironmentVariable("CONDAMIRROR_PACKAGE_CACHE");
            if (!string.IsNullOrWhiteSpace(configured)) return Path.GetFullPath(configured);
            return UserCache.Directory("pkgs");
        }
    }

    /// <summary>
    /// The hash that identifies a request's content: its sha256, else its md5 (lower-case hex); null when it has neither
    /// (such a request can never be a cache hit). Entries are stored under their sha256 whatever the request carried.
    /// </summary>
    public static string? KeyOf(DownloadRequest request) =>
        !string.IsNullOrEmpty(request.Sha256) ? request.Sha256.ToLowerInvariant()
        : !string.IsNullOrEmpty(request.Md5) ? request.Md5.ToLowerInvariant()
        : null;

    public string PathFor(string sha256OrMd5Key, string fileName)
    {
        var key = sha256OrMd5Key.ToLowerInvariant();
        // Key and file name come from lock entries: never let them name a path outside the cache.
        return SafePath.Combine(Root, key[..2], key, fileName);
    }

    /// <summary>The md5 index's pointer file for <paramref name="md5"/>: it holds the sha256 of an entry believed to have that md5.</summary>
    public string Md5PointerPath(string md5)
    {
        var key = md5.ToLowerInvariant();
        return SafePath.Combine(Root, Md5Folder, key[..2], key);
    }

    /// <summary>
    /// True when the cache holds a verified copy of the request's archive: no hashing, no I/O beyond a stat and a tiny
    /// read, unless the file's identity changed since it was verified (then it is hashed again, and evicted when its
    /// content changed). A request with only an md5 is looked up under the md5 (older entries), then through the md5
    /// index; an entry found that way whose md5 was never computed is hashed once to learn it.
    /// </summary>
    public bool TryGetVerified(DownloadRequest request, out string path)
    {
        path = string.Empty;
        if (!string.IsNullOrEmpty(request.Sha256))
            return TryEntry(PathFor(request.Sha256, request.FileName), request, out path);
        if (request.Md5 is not { Length: 32 } md5 || !md5.All(char.IsAsciiHexDigit)) return false;
        var legacy = PathFor(md5, request.FileName);
        if (File.Exists(legacy + SidecarSuffix) && TryEntry(legacy, request, out path)) return true;
        return ReadMd5Pointer(request.Md5) is { } sha256 && TryEntry(PathFor(sha256, request.FileName), request, out path);
    }

    private bool TryEntry(string candidate, DownloadRequest request, out string path)
    {
        path = string.Empty;
        if (!TryReadSidecar(candidate, out var sidecar)) return false;
        if (request.Size is { } size && size != sidecar.Size) return false;
        if (!string.IsNullOrEmpty(request.Sha256) && !HashEquals(request.Sha256, sidecar.Sha256)) return false;
        if (!string.IsNullOrEmpty(request.Md5) && sidecar.Md5 is not null && !HashEquals(request.Md5, sidecar.Md5)) return false;
        // With no sha256 in the request, the md5 is what names the content: it must be one we computed.
        var md5Only = string.IsNullOrEmpty(request.Sha256);
        var needsMd5 = md5Only && sidecar.Md5 is null;
        if (IdentityOf(candidate) is not { } current) return false;
        if (sidecar.Identity != current && VouchedNow(candidate, sidecar, current, out var now)
            && (!md5Only || (now.Md5 is not null && HashEquals(request.Md5!, now.Md5))))
        {
            path = candidate;
            return true;
        }
        if (needsMd5 || current.Size != sidecar.Size || sidecar.Identity != current)
        {
            // Written, replaced or re-linked since it was verified (or a sidecar from before identities were recorded),
            // or an md5 to learn.
            if (Reverify(candidate, sidecar, computeMd5: needsMd5) is not { } verified) return false;
            if (md5Only && !HashEquals(request.Md5!, verified.Md5 ?? "")) return false;
        }
        path = candidate;
        return true;
    }

    /// <summary>
    /// Hashes a cached file whose identity changed. Intact: its sidecar records the new identity (and the md5, when
    /// asked to compute it) and the new sidecar is returned. Changed: file and sidecar are evicted (sidecar first, so a
    /// half-done eviction is never a hit), null is returned and the caller downloads it again. Null too, without
    /// eviction, when the file kept changing while it was hashed (nothing can be vouched for then).
    /// </summary>
    private Sidecar? Reverify(string cached, Sidecar sidecar, bool computeMd5)
    {
        try
        {
            Rehashed++;
            var outcome = VerifyContent(cached, sidecar, computeMd5);
            if (outcome is null) return null;
            if (outcome.Value.Intact) return outcome.Value.Sidecar;
            Evict(cached);
            Evicted++;
            return null;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null; // evicted by another build meanwhile
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CondaMirrorException(ErrorCodes.PackageCacheEntryTampered,
                $"The cached package '{cached}' changed after it was verified (it was written through a hard link in a channel, or replaced) and it cannot be evicted: {e.Message} " +
                "Delete that folder of the package cache by hand and build again.", cached, e);
        }
    }

    /// <summary>
    /// Hashes <paramref name="cached"/> (sha256, and md5 when asked) between two identical stats, up to three times
    /// while something else keeps changing it. Intact: the sidecar is rewritten with the identity it was hashed under
    /// (and the md5 computed, which also becomes the md5 index's pointer). Null when no stable stat was had.
    /// </summary>
    private static (bool Intact, Sidecar Sidecar)? VerifyContent(string cached, Sidecar sidecar, bool computeMd5)
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var before = FileIdentity.Of(cached);
            var (sha256, md5, size) = HashFile(cached, computeMd5);
            var after = FileIdentity.Of(cached);
            if (after != before)
            {
                // Other builds placing the same package link it meanwhile, and record the identity after their link.
                if (!computeMd5 && VouchedNow(cached, sidecar, after, out var vouched)) return (true, vouched);
                continue;
            }
            if (size != sidecar.Size || !HashEquals(sha256, sidecar.Sha256)) return (false, sidecar);
            var updated = sidecar with { Md5 = md5 ?? sidecar.Md5, Identity = before };
            try
            {
                // Only the identity lines change unless an md5 was learned: then the text moves, written whole.
                if (updated.Md5 == sidecar.Md5) RewriteSidecarInPlace(cached, updated);
                else WriteSidecar(cached, updated);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { /* a read-only cache: hashed again next time */ }
            if (md5 is not null) TryWriteMd5Pointer(RootOf(cached), md5, sha256, replace: true);
            return (true, updated);
        }
        return null;
    }

    /// <summary>
    /// The sidecar read again, for a file whose identity the first read did not vouch for: another build may have
    /// linked the file and recorded its new identity between that read and the stat. True when the sidecar now holds
    /// the same verified content (sha256, size) and exactly the file's current identity: the trust of any hit check.
    /// </summary>
    private static bool VouchedNow(string cached, Sidecar first, FileIdentity current, out Sidecar now)
    {
        now = first;
        if (!TryReadSidecar(cached, out var again) || !HashEquals(again.Sha256, first.Sha256) || again.Size != first.Size) return false;
        now = again;
        return again.Identity == current;
    }

    private static void Evict(string cached)
    {
        File.Delete(cached + SidecarSuffix);
        File.Delete(cached);
        File.Delete(cached + ArchiveInfoRecord.Suffix);
    }

    /// <summary>
    /// What the member check kept from the <c>info/</c> of the cached archive <paramref name="sha256"/> named
    /// <paramref name="fileName"/>: null when there is no such entry or record (an entry from before records were kept,
    /// one added without a member check), or when the record's bytes are not the ones the entry's sidecar names
    /// (edited or replaced since). The caller then reads the archive itself.
    /// </summary>
    public ArchiveInfoRecord? TryReadArchiveInfo(string sha256, string fileName)
    {
        if (sha256.Length != 64 || !sha256.All(char.IsAsciiHexDigit)) return null;
        string cached;
        try { cached = PathFor(sha256, fileName); }
        catch (CondaMirrorException) { return null; } // a name that would leave the cache is no entry of it
        if (!TryReadSidecar(cached, out var sidecar) || sidecar.InfoSha256 is not { } expected || !HashEquals(sidecar.Sha256, sha256)) return null;
        byte[] bytes;
        try
        {
            using var stream = new FileStream(cached + ArchiveInfoRecord.Suffix, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1);
            if (stream.Length > ArchiveInfoRecord.MaxBytes) return null;
            bytes = new byte[stream.Length];
            stream.ReadExactly(bytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        return ArchiveInfoRecord.Parse(bytes, expected, sha256);
    }

    /// <summary>How many changed entries this instance evicted (tests and diagnostics).</summary>
    public int Evicted { get; private set; }

    /// <summary>How many entries this instance hashed again because their identity changed or an md5 was needed (tests and diagnostics).</summary>
    public int Rehashed { get; private set; }

    private static FileIdentity? IdentityOf(string path)
    {
        try { return FileIdentity.Of(path); }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    /// <summary>
    /// Placing a cached file by hard link (or reflink) changes its change time, which the next hit check would take
    /// for a write. Call before linking: when the file still has the identity its sidecar recorded, the returned
    /// <see cref="Placement"/> records the identity again after the link (<see cref="Placement.Linked"/>), so links
    /// cost no re-hash. When it does not (written since its hit check, or another build linked it meanwhile), the file
    /// is hashed now: intact, it is recorded and placed; changed, it is evicted and this is CMIR532, so a changed file
    /// never reaches a channel. Null for a file that is not a cache entry (no sidecar beside it).
    /// </summary>
    internal static Placement? BeginPlacement(string cachedFile)
    {
        if (!TryReadSidecar(cachedFile, out var sidecar)) return null;
        var current = FileIdentity.Of(cachedFile);
        if (sidecar.Identity == current) return new Placement(cachedFile, sidecar, current);
        if (VouchedNow(cachedFile, sidecar, current, out var now)) return new Placement(cachedFile, now, current);
        var outcome = VerifyContent(cachedFile, sidecar, computeMd5: false);
        if (outcome is { Intact: true } intact) return new Placement(cachedFile, intact.Sidecar, intact.Sidecar.Identity!.Value);
        if (outcome is not null)
        {
            try { Evict(cachedFile); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { /* reported below either way */ }
        }
        throw new CondaMirrorException(ErrorCodes.PackageCacheEntryTampered,
            $"The cached package '{cachedFile}' changed after this build verified it (it was written through a hard link in a channel, or replaced), so it was not placed" +
            (outcome is null ? " (it kept changing while it was hashed). " : " and it was evicted from the cache. ") +
            "Build again to download it again; if this repeats, something is writing into the package cache.", cachedFile);
    }

    /// <summary>A cached file about to be linked, with the identity its sidecar vouches for.</summary>
    internal sealed class Placement(string cachedFile, Sidecar sidecar, FileIdentity before)
    {
        /// <summary>The verified sha256 of the file.</summary>
        public string Sha256 => sidecar.Sha256;

        /// <summary>
        /// After the link (and the rename of the link into place, which also changes the change time): when the file is
        /// still the same file with the same size and modification time, its sidecar records the new identity.
        /// Anything else is left for the next hit check to re-hash. Best effort: a read-only cache stays as it was.
        /// </summary>
        public void Linked()
        {
            try
            {
                var after = FileIdentity.Of(cachedFile);
                if (after == before || !after.SameExceptChangeTime(before)) return;
                RewriteSidecarInPlace(cachedFile, sidecar with { Identity = after });
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>What verification established about a cached file, and the file's identity when it was established.</summary>
    /// <param name="Md5">Only ever an md5 computed from the file's bytes (never one a lock claimed); null when not computed.</param>
    /// <param name="InfoSha256">The sha256 of the entry's <see cref="ArchiveInfoRecord"/> file, written before this sidecar; null when none was kept.</param>
    public sealed record Sidecar(string Sha256, string? Md5, long Size, FileIdentity? Identity = null, string? InfoSha256 = null);

    public static bool TryReadSidecar(string cachedFile, out Sidecar sidecar)
    {
        sidecar = null!;
        string[] lines;
        try { lines = File.ReadAllLines(cachedFile + SidecarSuffix); }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
        string? sha = null, md5 = null, info = null;
        long? size = null, mtime = null;
        long ctime = 0;
        ulong inode = 0, device = 0;
        foreach (var line in lines)
        {
            var eq = line.IndexOf('=');
            if (eq <= 0) continue;
            var value = line[(eq + 1)..].Trim();
            switch (line[..eq].Trim())
            {
                case "sha256": sha = value; break;
                case "md5": md5 = value.Length > 0 ? value : null; break;
                case "info": info = value.Length == 64 && value.All(char.IsAsciiHexDigit) ? value : null; break;
                case "size" when long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n): size = n; break;
                case "mtime" when long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var t): mtime = t; break;
                case "ctime" when long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var c): ctime = c; break;
                case "inode" when ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var i): inode = i; break;
                case "dev" when ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var d): device = d; break;
            }
        }
        if (sha is null || size is null) return false;
        // A sidecar from before change times were recorded reads with ctime 0: on Linux that differs from every file's
        // identity, so the file is hashed once and the sidecar upgraded.
        sidecar = new Sidecar(sha, md5, size.Value, mtime is { } m ? new FileIdentity(size.Value, m, inode, ctime, device) : null, info);
        return true;
    }

    /// <summary>The sha256 the md5 index names for <paramref name="md5"/>, or null (no pointer, or not a sha256).</summary>
    private string? ReadMd5Pointer(string md5)
    {
        if (md5.Length != 32 || !md5.All(char.IsAsciiHexDigit)) return null;
        string text;
        try { text = File.ReadAllText(Md5PointerPath(md5)).Trim(); }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
        return text.Length == 64 && text.All(char.IsAsciiHexDigit) ? text.ToLowerInvariant() : null;
    }

    /// <summary>
    /// Points the md5 index at an entry. <paramref name="replace"/>: the md5 was computed from the entry's bytes, so it
    /// wins over whatever was there; otherwise it is a lock's claim, written only where there is no pointer yet (a
    /// wrong claim costs one md5 hash of that entry, never a wrong hit). Best effort: the index is only a shortcut.
    /// </summary>
    private static void TryWriteMd5Pointer(string root, string md5, string sha256, bool replace)
    {
        if (md5.Length != 32 || !md5.All(char.IsAsciiHexDigit)) return;
        try
        {
            var key = md5.ToLowerInvariant();
            var pointer = SafePath.Combine(root, Md5Folder, key[..2], key);
            if (!replace && File.Exists(pointer)) return;
            Directory.CreateDirectory(Path.GetDirectoryName(pointer)!);
            AtomicFile.WriteAllText(pointer, sha256.ToLowerInvariant() + "\n");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CondaMirrorException) { }
    }

    /// <summary>The cache root of an entry's file: <c>&lt;root&gt;/&lt;2 hex&gt;/&lt;hash&gt;/&lt;file&gt;</c>.</summary>
    private static string RootOf(string cachedFile) => Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(cachedFile)!)!)!;

    /// <summary>A fresh, unique temp file path in the partial folder, named after the run that owns it.</summary>
    internal string NewPartialPath(PartialOwner owner) =>
        Path.Combine(PartialDirectory, owner.Id + "." + Guid.NewGuid().ToString("N") + PartialSuffix);

    public const string PartialSuffix = ".part";
    public const string OwnerSuffix = ".owner";

    /// <summary>
    /// Claims partial files for one download run: <c>&lt;pid&gt;-&lt;random&gt;.owner</c>, held open exclusively until the
    /// run ends (an advisory lock on Unix, a sharing lock on Windows) and then deleted. The OS drops the lock when the
    /// process dies, however it dies, so "can another process open it exclusively?" answers "is the writer gone?"
    /// without trusting PIDs (reused, or from another container sharing the cache).
    /// </summary>
    internal PartialOwner ClaimPartials()
    {
        Directory.CreateDirectory(PartialDirectory);
        var id = Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N")[..8];
        var path = Path.Combine(PartialDirectory, id + OwnerSuffix);
        // Locked under a temporary name and then renamed, so no cleaner ever sees the record unlocked.
        var temp = path + ".tmp";
        var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Delete);
        try
        {
            File.Move(temp, path);
        }
        catch
        {
            stream.Dispose();
            AtomicFile.TryDelete(temp);
            throw;
        }
        return new PartialOwner(id, path, stream);
    }

    internal sealed class PartialOwner(string id, string path, FileStream held) : IDisposable
    {
        public string Id { get; } = id;

        public void Dispose()
        {
            held.Dispose();
            AtomicFile.TryDelete(path);
        }
    }

    /// <summary>
    /// Moves a verified temp file into the cache under its sha256 and writes its sidecar. Another build may have stored
    /// the same file meanwhile: if that copy is sound we keep it and drop ours. The md5 index then points at the entry:
    /// for the md5 computed while downloading, or else for the md5 the request claimed (a hint, see
    /// <see cref="TryWriteMd5Pointer"/>). <paramref name="infoRecord"/>, what the member check read from the archive's
    /// <c>info/</c> (<see cref="ArchiveInfoRecord"/>), is written beside it before the sidecar that names its hash.
    /// </summary>
    internal string Commit(string tempPath, string fileName, Sidecar verified, string? claimedMd5 = null, byte[]? infoRecord = null)
    {
        var target = PathFor(verified.Sha256, fileName);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        if (infoRecord is not null)
        {
            // Same archive, same bytes: a concurrent build storing the same package writes the same record.
            AtomicFile.WriteAllBytes(target + ArchiveInfoRecord.Suffix, infoRecord);
            verified = verified with { InfoSha256 = ArchiveInfoRecord.HashOf(infoRecord) };
        }
        var committed = false;
        try
        {
            MoveIntoPlace(tempPath, target, verified);
            committed = true;
        }
        finally
        {
            // A record whose archive did not get in (and that no sidecar of another build names) is not left behind.
            if (!committed && infoRecord is not null && !File.Exists(target + SidecarSuffix)) AtomicFile.TryDelete(target + ArchiveInfoRecord.Suffix);
        }
        if (verified.Md5 is not null) TryWriteMd5Pointer(Root, verified.Md5, verified.Sha256, replace: true);
        else if (!string.IsNullOrEmpty(claimedMd5)) TryWriteMd5Pointer(Root, claimedMd5, verified.Sha256, replace: false);
        return target;
    }

    /// <summary>The verified temp file becomes the entry, with its sidecar; or, another build having stored it meanwhile, the sound copy stays.</summary>
    private static void MoveIntoPlace(string tempPath, string target, Sidecar verified)
    {
        try
        {
            File.Move(tempPath, target, overwrite: false);
            MakeReadOnly(target);
            WriteSidecar(target, verified with { Identity = FileIdentity.Of(target) });
        }
        catch (IOException) when (File.Exists(target))
        {
            // Lost the race (or a leftover without sidecar). Keep the existing file only if it is the same content
            // and unchanged since it was verified, or hashes to it now.
            var existing = TryReadSidecar(target, out var e) && HashEquals(e.Sha256, verified.Sha256) ? e : null;
            var md5 = verified.Md5 ?? existing?.Md5;
            if (existing?.Identity is { } recorded && IdentityOf(target) == recorded)
            {
                AtomicFile.TryDelete(tempPath);
                var info = verified.InfoSha256 ?? existing.InfoSha256;
                if (md5 != existing.Md5 || info != existing.InfoSha256) WriteSidecar(target, existing with { Md5 = md5, InfoSha256 = info });
            }
            else if (FileIdentity.Of(target) is var before && before.Size == verified.Size && HashEquals(Sha256Of(target), verified.Sha256) && FileIdentity.Of(target) == before)
            {
                AtomicFile.TryDelete(tempPath);
                WriteSidecar(target, verified with { Md5 = md5, Identity = before });
            }
            else
            {
                File.Move(tempPath, target, overwrite: true);
                MakeReadOnly(target);
                WriteSidecar(target, verified with { Identity = FileIdentity.Of(target) });
            }
        }
    }

    // Channels hard-link cached files: read-only, an ordinary in-place write through a channel file fails instead of
    // changing the cache (root or a chmod still get through; the recorded identity catches those). Windows is left alone:
    // there a read-only file cannot be deleted, which would break pruning and `dotnet clean` of every channel.
    private static void MakeReadOnly(string path)
    {
        if (OperatingSystem.IsWindows()) return;
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
    }

    /// <summary>Writes the sidecar of <paramref name="target"/>; <see cref="Sidecar.Identity"/> is the identity its content was verified under.</summary>
    private static void WriteSidecar(string target, Sidecar verified) => AtomicFile.WriteAllText(target + SidecarSuffix, SidecarText(verified));

    /// <summary>
    /// Rewrites an existing sidecar in place, for a new identity of the same verified content (after a link, or after
    /// a re-hash found the file intact). Not atomic on purpose: on ext4,
    /// renaming a new file over an existing one flushes the new file's data (auto_da_alloc), about 1 ms per sidecar,
    /// which for every package of every fresh channel cost more than the links themselves (see docs/benchmarks.md,
    /// cache-safety); an in-place write of the same short text costs about 20 µs. Only the identity lines change, so
    /// a reader that sees a torn mix of old and new values gets an identity that matches no later state of the file,
    /// and re-hashes: never a hit it should not have. A missing sidecar is written atomically as usual.
    /// </summary>
    private static void RewriteSidecarInPlace(string target, Sidecar verified)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(SidecarText(verified));
        FileStream stream;
        try { stream = new FileStream(target + SidecarSuffix, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, 1); }
        catch (FileNotFoundException)
        {
            WriteSidecar(target, verified);
            return;
        }
        using (stream)
        {
            stream.Write(bytes);
            stream.SetLength(bytes.Length);
        }
    }

    private static string SidecarText(Sidecar verified)
    {
        var identity = verified.Identity ?? throw new ArgumentException("a sidecar records the identity its file was verified under", nameof(verified));
        return string.Create(CultureInfo.InvariantCulture,
            $"sha256={verified.Sha256}\nmd5={verified.Md5}\nsize={verified.Size}\n{(verified.InfoSha256 is { } info ? "info=" + info + "\n" : "")}mtime={identity.MtimeTicks}\nctime={identity.CtimeTicks}\ninode={identity.Inode}\ndev={identity.Device}\n");
    }

    /// <summary>
    /// Deletes leftovers of dead builds: partial files whose owner record no process holds any more (the writer was
    /// killed), and anything else in the partial folder older than <paramref name="age"/>. Partial files of running
    /// builds, also of other processes sharing the cache, are kept.
    /// </summary>
    public int CleanStalePartials(TimeSpan age)
    {
        if (!Directory.Exists(PartialDirectory)) return 0;
        var cutoff = DateTime.UtcNow - age;
        var removed = 0;
        var owners = new Dictionary<string, bool>(StringComparer.Ordinal);
        bool Alive(string owner) => owners.TryGetValue(owner, out var alive) ? alive : owners[owner] = OwnerAlive(owner);
        foreach (var file in Directory.EnumerateFiles(PartialDirectory))
        {
            var name = Path.GetFileName(file);
            var dot = name.IndexOf('.');
            // Owned names start with "<pid>-<random>."; older versions wrote bare "<guid>.part", judged by age only.
            var owned = dot > 0 && name.AsSpan(0, dot).Contains('-') &&
                (name.EndsWith(PartialSuffix, StringComparison.Ordinal) || name.EndsWith(OwnerSuffix, StringComparison.Ordinal));
            try
            {
                var stale = owned ? !Alive(name[..dot]) : File.GetLastWriteTimeUtc(file) < cutoff;
                if (!stale || name.EndsWith(OwnerSuffix, StringComparison.Ordinal)) continue;
                File.Delete(file);
                removed++;
            }
            catch (IOException) { /* another build removed it first, or it is in use: the next run tries again */ }
            catch (UnauthorizedAccessException) { }
        }
        // Owner records of dead runs go last, once their partial files are gone.
        foreach (var (owner, alive) in owners)
            if (!alive) AtomicFile.TryDelete(Path.Combine(PartialDirectory, owner + OwnerSuffix));
        return removed;
    }

    /// <summary>True while some process holds <c>&lt;owner&gt;.owner</c> open (it was created before the owner's first partial file).</summary>
    private bool OwnerAlive(string owner)
    {
        var path = Path.Combine(PartialDirectory, owner + OwnerSuffix);
        try
        {
            using (new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.None)) { }
            return false;
        }
        catch (FileNotFoundException) { return false; }
        catch (IOException) { return true; } // locked: its process is alive
        catch (UnauthorizedAccessException) { return true; } // not ours to judge
    }

    internal static string Sha256Of(string path) => FileHashes.Sha256Of(path);

    /// <summary>sha256 (and md5 when asked) of a file in one read, and how many bytes were read.</summary>
    private static (string Sha256, string? Md5, long Size) HashFile(string path, bool md5)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1, FileOptions.SequentialScan);
        if (!md5)
        {
            var sha = SHA256.HashData(stream);
            return (Convert.ToHexString(sha).ToLowerInvariant(), null, stream.Position);
        }
        using var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var md5Hash = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(128 * 1024);
        long total = 0;
        try
        {
            int read;
            while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
            {
                sha256.AppendData(buffer, 0, read);
                md5Hash.AppendData(buffer, 0, read);
                total += read;
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
        return (Convert.ToHexString(sha256.GetHashAndReset()).ToLowerInvariant(), Convert.ToHexString(md5Hash.GetHashAndReset()).ToLowerInvariant(), total);
    }

    internal static bool HashEquals(string a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);

    internal static CondaMirrorException WriteFailed(string root, Exception e) => new(
        ErrorCodes.PackageCacheWriteFailed,
        $"Cannot write to the package cache '{root}': {e.Message}. Free disk space, fix the folder's permissions, or point CONDAMIRROR_PACKAGE_CACHE at a writable folder.",
        root, e);
}
