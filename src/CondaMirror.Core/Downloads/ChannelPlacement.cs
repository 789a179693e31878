using CondaMirror.Core.IO;
using System.Runtime.InteropServices;
using CondaMirror.Core.Errors;

namespace CondaMirror.Core.Downloads;

/// <summary>
/// Puts an archive (from the package cache, or a local package file) into a channel folder: a reflink where the file
/// system has them (btrfs, XFS: a file of its own sharing the cache's blocks, so an edit of the channel file never
/// reaches the cache), else a hard link (no extra disk, instant; the cache file is read-only and the cache re-hashes a
/// file whose identity changed, see <see cref="PackageCache"/>), else a copy. Either way the destination appears
/// atomically (temp name in the destination folder, then rename), so a channel never shows a half-written archive.
/// A destination is kept only while it is the source itself (the same inode: a hard link made before) or, where only
/// a copy could replace it, while its bytes hash to the source's; anything else (a link to an older or evicted cache
/// file, a file edited in place) is replaced.
/// </summary>
public static partial class ChannelPlacement
{
    /// <summary>
    /// Links or copies <paramref name="cachePath"/> to <c>&lt;channelDirectory&gt;/&lt;subdir&gt;/&lt;fileName&gt;</c>. Subdir and
    /// file name come from records, so the destination is built with <see cref="SafePath.Combine"/>: CMIR330 when it
    /// would lie outside the channel folder.
    /// </summary>
    /// <returns>The destination path, and whether it was written (false when it already held the same content).</returns>
    public static (string Path, bool Written) PlaceInChannel(string cachePath, string channelDirectory, string subdir, string fileName, string? knownSha256 = null)
    {
        var destination = SafePath.Combine(channelDirectory, subdir, fileName);
        return (destination, LinkOrCopy(cachePath, destination, knownSha256));
    }

    /// <summary>
    /// Links or copies <paramref name="cachePath"/> to <paramref name="destinationPath"/>, skipping the work when the
    /// destination already is the source (same inode), or holds identical bytes and only a copy could replace it.
    /// A source that is a package cache entry is checked against its sidecar first (CMIR532 when it changed since it
    /// was verified) and its recorded identity is renewed after the link, which changes its change time.
    /// </summary>
    /// <param name="knownSha256">The source's sha256 when the caller already has it (saves hashing the source).</param>
    /// <returns>True when the destination was written, false when it was already up to date.</returns>
    public static bool LinkOrCopy(string cachePath, string destinationPath, string? knownSha256 = null)
    {
        var destinationDir = Path.GetDirectoryName(Path.GetFullPath(destinationPath))!;
        string? temp = null;
        try
        {
            var cacheEntry = PackageCache.BeginPlacement(cachePath);
            var source = FileIdentity.Of(cachePath);
            var destination = File.Exists(destinationPath) ? FileIdentity.Of(destinationPath) : (FileIdentity?)null;
            if (destination is { } existing && existing.IsSameFileAs(source)) return false;
            // Where the platform gives no inode (Windows, macOS), identical bytes are the only test there is.
            if (destination is not null && source.Inode == 0 && IsIdentical(cachePath, destinationPath, knownSha256 ?? cacheEntry?.Sha256)) return false;
            Directory.CreateDirectory(destinationDir);
            temp = Path.Combine(destinationDir, "." + Path.GetFileName(destinationPath) + "." + Guid.NewGuid().ToString("N")[..12] + ".tmp");
            var linked = TryReflink(cachePath, temp, destinationDir) || TryCreateHardLink(cachePath, temp);
            if (!linked)
            {
                // Only a copy can replace the destination: worth it only when the bytes differ.
                if (destination is not null && IsIdentical(cachePath, destinationPath, knownSha256 ?? cacheEntry?.Sha256)) return false;
                File.Copy(cachePath, temp, overwrite: false);
            }
            File.Move(temp, destinationPath, overwrite: true);
            temp = null;
            if (linked) cacheEntry?.Linked();
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CondaMirrorException(ErrorCodes.ChannelPlacementFailed,
                $"Cannot place {Path.GetFileName(destinationPath)} into '{destinationDir}': {e.Message} " +
                "Check free disk space and that the output folder is writable and not locked by another process.",
                destinationPath, e);
        }
        finally
        {
            if (temp is not null) AtomicFile.TryDelete(temp);
        }
    }

    /// <summary>Same size and same sha256 (given, or hashed from the source); the destination is hashed.</summary>
    private static bool IsIdentical(string cachePath, string destinationPath, string? knownSha256)
    {
        var destination = new FileInfo(destinationPath);
        if (!destination.Exists || new FileInfo(cachePath).Length != destination.Length) return false;
        var sourceSha = knownSha256 ?? PackageCache.Sha256Of(cachePath);
        return PackageCache.HashEquals(sourceSha, PackageCache.Sha256Of(destinationPath));
    }

    /// <summary>Hard link via the OS (File.CreateHardLink only arrived after .NET 8). False when not possible
    /// (another volume, a file system without links, permissions): the caller copies instead.</summary>
    internal static bool TryCreateHardLink(string existing, string newLink)
    {
        try
        {
            return OperatingSystem.IsWindows()
                ? CreateHardLinkW(newLink, existing, IntPtr.Zero)
                : link(existing, newLink) == 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    // Folders whose file system refused a reflink: asked once per process, not once per package.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> NoReflink = new(StringComparer.Ordinal);

    /// <summary>ioctl(FICLONE) on Linux: a copy-on-write clone. False (and nothing left behind) where the file system or
    /// the pair of folders (another volume) does not support it.</summary>
    internal static bool TryReflink(string existing, string newFile, string destinationDir)
    {
        if (!OperatingSystem.IsLinux() || NoReflink.ContainsKey(destinationDir)) return false;
        using var source = new FileStream(existing, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1);
        bool cloned;
        using (var target = new FileStream(newFile, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1))
        {
            try
            {
                const uint Ficlone = 0x40049409;
                cloned = ioctl(target.SafeFileHandle.DangerousGetHandle().ToInt32(), Ficlone, source.SafeFileHandle.DangerousGetHandle().ToInt32()) == 0;
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
            {
                cloned = false;
            }
        }
        if (cloned) return true;
        File.Delete(newFile);
        NoReflink[destinationDir] = true;
        return false;
    }

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static partial int ioctl(int fd, nuint request, int sourceFd);

    [LibraryImport("libc", EntryPoint = "link", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int link(string oldpath, string newpath);

    [LibraryImport("kernel32.dll", EntryPoint = "CreateHardLinkW", StringMarshalling = StringMarshalling.Utf16, SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static partial bool CreateHardLinkW(string fileName, string existingFileName, IntPtr securityAttributes);
}
