using CondaMirror.Core.IO;
using System.Runtime.InteropServices;
using CondaMirror.Core.Errors;

namespace CondaMirror.Core.Downloads;

/// <summary>
/// Puts an archive (from the package cache, or a local package file) into a channel folder: a hard link when the file system allows it (no extra disk,
/// instant), else a copy. Either way the destination appears atomically (temp name in the destination folder,
/// then rename), so a channel never shows a half-written archive.
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

    /// <summary>Links or copies <paramref name="cachePath"/> to <paramref name="destinationPath"/>, skipping the work
    /// when the destination already holds identical content.</summary>
    /// <param name="knownSha256">The source's sha256 when the caller already has it (saves hashing the source).</param>
    /// <returns>True when the destination was written, false when it was already up to date.</returns>
    public static bool LinkOrCopy(string cachePath, string destinationPath, string? knownSha256 = null)
    {
        var destinationDir = Path.GetDirectoryName(Path.GetFullPath(destinationPath))!;
        string? temp = null;
        try
        {
            if (IsIdentical(cachePath, destinationPath, knownSha256)) return false;
            Directory.CreateDirectory(destinationDir);
            temp = Path.Combine(destinationDir, "." + Path.GetFileName(destinationPath) + "." + Guid.NewGuid().ToString("N")[..12] + ".tmp");
            if (!TryCreateHardLink(cachePath, temp))
                File.Copy(cachePath, temp, overwrite: false);
            File.Move(temp, destinationPath, overwrite: true);
            temp = null;
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

    /// <summary>Same size and same sha256 (the caller or the cache's sidecar gives the source's; the destination is hashed).</summary>
    private static bool IsIdentical(string cachePath, string destinationPath, string? knownSha256)
    {
        var destination = new FileInfo(destinationPath);
        if (!destination.Exists) return false;
        var source = new FileInfo(cachePath);
        if (!source.Exists)
            throw new FileNotFoundException($"the cached file '{cachePath}' does not exist", cachePath);
        if (source.Length != destination.Length) return false;
        var sourceSha = knownSha256
            ?? (PackageCache.TryReadSidecar(cachePath, out var sidecar) && sidecar.Size == source.Length
                ? sidecar.Sha256
                : PackageCache.Sha256Of(cachePath));
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

    [LibraryImport("libc", EntryPoint = "link", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int link(string oldpath, string newpath);

    [LibraryImport("kernel32.dll", EntryPoint = "CreateHardLinkW", StringMarshalling = StringMarshalling.Utf16, SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static partial bool CreateHardLinkW(string fileName, string existingFileName, IntPtr securityAttributes);
}
