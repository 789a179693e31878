using CondaMirror.Core.IO;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using CondaMirror.Core.Errors;

namespace CondaMirror.Core.Downloads;

/// <summary>
/// The global content-addressed package cache, shared by every build on the machine:
/// <c>&lt;root&gt;/&lt;first 2 hex&gt;/&lt;sha256&gt;/&lt;fileName&gt;</c> (the md5 when a lock has no sha256).
/// A file only ever gets there by an atomic rename after verification, and a sidecar
/// <c>&lt;fileName&gt;.verified</c> (sha256, md5, size) is written after it, so a cache hit is
/// "file + sidecar present and the file's stat (size, modification time, inode) unchanged since it was verified" —
/// no re-hashing of gigabytes on every build. A file whose stat changed (edited in place through a hard link in a
/// channel, replaced) is hashed again: kept if still intact, evicted otherwise, so it is never published.
/// Cached files are read-only on Unix, so an ordinary in-place write through a channel's hard link fails.
/// In-flight downloads live in <c>&lt;root&gt;/.partial/</c> as <c>&lt;owner&gt;.&lt;guid&gt;.part</c>; the owner (one per
/// process) holds <c>&lt;owner&gt;.owner</c> open exclusively, so a later build can tell a dead writer's leftovers.
/// </summary>
public sealed class PackageCache
{
    public const string SidecarSuffix = ".verified";
    public const string PartialFolder = ".partial";

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

    /// <summary>The cache key of a request: its sha256, else its md5 (lower-case hex); null when it has neither.</summary>
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

    /// <summary>True when the cache holds a verified copy of the request's archive (no hashing, no I/O beyond stat and a tiny read).</summary>
    public bool TryGetVerified(DownloadRequest request, out string path)
    {
        path = string.Empty;
        var key = KeyOf(request);
        if (key is null) return false;
        var candidate = PathFor(key, request.FileName);
        if (!TryReadSidecar(candidate, out var sidecar)) return false;
        long length;
        try { length = new FileInfo(candidate).Length; }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
        if (request.Size is { } size && size != sidecar.Size) return false;
        if (!string.IsNullOrEmpty(request.Sha256) && !HashEquals(request.Sha256, sidecar.Sha256)) return false;
        if (!string.IsNullOrEmpty(request.Md5) && sidecar.Md5 is not null && !HashEquals(request.Md5, sidecar.Md5)) return false;
        if (length != sidecar.Size || sidecar.Identity is not { } recorded || IdentityOf(candidate) != recorded)
        {
            // Written or replaced since it was verified (or a sidecar from before identities were recorded).
            if (!Reverify(candidate, sidecar)) return false;
        }
        path = candidate;
        return true;
    }

    /// <summary>
    /// Hashes a cached file whose stat changed. Intact: its sidecar records the new stat. Changed: file and sidecar are
    /// evicted (sidecar first, so a half-done eviction is never a hit) and the caller downloads it again.
    /// </summary>
    private bool Reverify(string cached, Sidecar sidecar)
    {
        try
        {
            var info = new FileInfo(cached);
            if (info.Length == sidecar.Size && HashEquals(Sha256Of(cached), sidecar.Sha256))
            {
                WriteSidecar(cached, sidecar);
                return true;
            }
            File.Delete(cached + SidecarSuffix);
            File.Delete(cached);
            Evicted++;
            return false;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CondaMirrorException(ErrorCodes.PackageCacheEntryTampered,
                $"The cached package '{cached}' changed after it was verified (it was written through a hard link in a channel, or replaced) and it cannot be evicted: {e.Message} " +
                "Delete that folder of the package cache by hand and build again.", cached, e);
        }
    }

    /// <summary>How many changed entries this instance evicted (tests and diagnostics).</summary>
    public int Evicted { get; private set; }

    private static FileIdentity? IdentityOf(string path)
    {
        try { return FileIdentity.Of(path); }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    /// <summary>What verification established about a cached file, and the file's stat when it was established.</summary>
    public sealed record Sidecar(string Sha256, string? Md5, long Size, FileIdentity? Identity = null);

    public static bool TryReadSidecar(string cachedFile, out Sidecar sidecar)
    {
        sidecar = null!;
        string[] lines;
        try { lines = File.ReadAllLines(cachedFile + SidecarSuffix); }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
        string? sha = null, md5 = null;
        long? size = null, mtime = null;
        ulong inode = 0;
        foreach (var line in lines)
        {
            var eq = line.IndexOf('=');
            if (eq <= 0) continue;
            var value = line[(eq + 1)..].Trim();
            switch (line[..eq].Trim())
            {
                case "sha256": sha = value; break;
                case "md5": md5 = value.Length > 0 ? value : null; break;
                case "size" when long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n): size = n; break;
                case "mtime" when long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var t): mtime = t; break;
                case "inode" when ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var i): inode = i; break;
            }
        }
        if (sha is null || size is null) return false;
        sidecar = new Sidecar(sha, md5, size.Value, mtime is { } m ? new FileIdentity(size.Value, m, inode) : null);
        return true;
    }

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
    /// Moves a verified temp file into the cache under <paramref name="key"/> and writes its sidecar.
    /// Another build may have stored the same file meanwhile: if that copy is sound we keep it and drop ours.
    /// </summary>
    internal string Commit(string tempPath, string key, string fileName, Sidecar verified)
    {
        var target = PathFor(key, fileName);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        try
        {
            File.Move(tempPath, target, overwrite: false);
            MakeReadOnly(target);
        }
        catch (IOException) when (File.Exists(target))
        {
            // Lost the race (or a leftover without sidecar). Keep the existing file only if it is the same content
            // and unchanged since it was verified.
            if (TryReadSidecar(target, out var existing) && existing.Identity is { } recorded && IdentityOf(target) == recorded && HashEquals(existing.Sha256, verified.Sha256))
            {
                AtomicFile.TryDelete(tempPath);
                return target;
            }
            if (new FileInfo(target).Length == verified.Size && HashEquals(Sha256Of(target), verified.Sha256))
                AtomicFile.TryDelete(tempPath);
            else
            {
                File.Move(tempPath, target, overwrite: true);
                MakeReadOnly(target);
            }
        }
        WriteSidecar(target, verified);
        return target;
    }

    // Channels hard-link cached files: read-only, an ordinary in-place write through a channel file fails instead of
    // changing the cache (root or a chmod still get through; the recorded stat catches those). Windows is left alone:
    // there a read-only file cannot be deleted, which would break pruning and `dotnet clean` of every channel.
    private static void MakeReadOnly(string path)
    {
        if (OperatingSystem.IsWindows()) return;
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
    }

    private static void WriteSidecar(string target, Sidecar verified)
    {
        var identity = FileIdentity.Of(target);
        AtomicFile.WriteAllText(target + SidecarSuffix, string.Create(CultureInfo.InvariantCulture,
            $"sha256={verified.Sha256}\nmd5={verified.Md5}\nsize={verified.Size}\nmtime={identity.MtimeTicks}\ninode={identity.Inode}\n"));
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

    internal static string Sha256Of(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1, FileOptions.SequentialScan);
        return Convert.ToHexString(SHA256.HashData(stream)).ToLowerInvariant();
    }

    internal static bool HashEquals(string a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);

    internal static CondaMirrorException WriteFailed(string root, Exception e) => new(
        ErrorCodes.PackageCacheWriteFailed,
        $"Cannot write to the package cache '{root}': {e.Message}. Free disk space, fix the folder's permissions, or point CONDAMIRROR_PACKAGE_CACHE at a writable folder.",
        root, e);
}
