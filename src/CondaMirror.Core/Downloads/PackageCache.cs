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
/// "file + sidecar present and sizes agree" — no re-hashing of gigabytes on every build.
/// In-flight downloads live in <c>&lt;root&gt;/.partial/</c> under unique names.
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
        if (length != sidecar.Size) return false;
        if (request.Size is { } size && size != length) return false;
        if (!string.IsNullOrEmpty(request.Sha256) && !HashEquals(request.Sha256, sidecar.Sha256)) return false;
        if (!string.IsNullOrEmpty(request.Md5) && sidecar.Md5 is not null && !HashEquals(request.Md5, sidecar.Md5)) return false;
        path = candidate;
        return true;
    }

    /// <summary>What verification established about a cached file.</summary>
    public sealed record Sidecar(string Sha256, string? Md5, long Size);

    public static bool TryReadSidecar(string cachedFile, out Sidecar sidecar)
    {
        sidecar = null!;
        string[] lines;
        try { lines = File.ReadAllLines(cachedFile + SidecarSuffix); }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
        string? sha = null, md5 = null;
        long? size = null;
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
            }
        }
        if (sha is null || size is null) return false;
        sidecar = new Sidecar(sha, md5, size.Value);
        return true;
    }

    /// <summary>A fresh, unique temp file path in the partial folder (created on demand).</summary>
    internal string NewPartialPath()
    {
        Directory.CreateDirectory(PartialDirectory);
        return Path.Combine(PartialDirectory, Guid.NewGuid().ToString("N") + ".part");
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
        }
        catch (IOException) when (File.Exists(target))
        {
            // Lost the race (or a leftover without sidecar). Keep the existing file only if it is the same content.
            if (TryReadSidecar(target, out var existing) && existing.Size == new FileInfo(target).Length && HashEquals(existing.Sha256, verified.Sha256))
            {
                AtomicFile.TryDelete(tempPath);
                return target;
            }
            if (new FileInfo(target).Length == verified.Size && HashEquals(Sha256Of(target), verified.Sha256))
                AtomicFile.TryDelete(tempPath);
            else
                File.Move(tempPath, target, overwrite: true);
        }
        WriteSidecar(target, verified);
        return target;
    }

    private static void WriteSidecar(string target, Sidecar verified)
    {
        AtomicFile.WriteAllText(target + SidecarSuffix,
            $"sha256={verified.Sha256}\nmd5={verified.Md5}\nsize={verified.Size.ToString(CultureInfo.InvariantCulture)}\n");
    }

    /// <summary>Deletes partial files older than <paramref name="age"/>: leftovers of killed builds. Files in use elsewhere are skipped.</summary>
    public int CleanStalePartials(TimeSpan age)
    {
        if (!Directory.Exists(PartialDirectory)) return 0;
        var cutoff = DateTime.UtcNow - age;
        var removed = 0;
        foreach (var file in Directory.EnumerateFiles(PartialDirectory))
        {
            try
            {
                if (File.GetLastWriteTimeUtc(file) >= cutoff) continue;
                File.Delete(file);
                removed++;
            }
            catch (IOException) { /* still being written by another build, or gone already */ }
            catch (UnauthorizedAccessException) { }
        }
        return removed;
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
