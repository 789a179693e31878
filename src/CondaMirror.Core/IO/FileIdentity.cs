using System.Runtime.InteropServices;

namespace CondaMirror.Core.IO;

/// <summary>
/// What a stat says about a file: size, last write time and (on Linux) inode. Two equal identities mean "not written
/// and not replaced since" for every write that does not also reset the modification time on purpose.
/// </summary>
/// <param name="Inode">0 where the platform gives none cheaply (the other fields still apply).</param>
public readonly partial record struct FileIdentity(long Size, long MtimeTicks, ulong Inode)
{
    public static FileIdentity Of(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists) throw new FileNotFoundException($"'{path}' does not exist", path);
        return new FileIdentity(info.Length, info.LastWriteTimeUtc.Ticks, InodeOf(path));
    }

    /// <summary>The inode via statx (its layout is the same on every Linux architecture); 0 elsewhere or when unavailable.</summary>
    private static ulong InodeOf(string path)
    {
        if (!OperatingSystem.IsLinux()) return 0;
        Span<byte> buffer = stackalloc byte[256];
        try
        {
            const int AtFdCwd = -100, StatxIno = 0x100;
            if (statx(AtFdCwd, path, 0, StatxIno, ref MemoryMarshal.GetReference(buffer)) != 0) return 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return 0; // an old libc without statx: size and mtime still guard the file
        }
        // struct statx: stx_mask (u32) at 0, stx_ino (u64) at 32, native byte order.
        if ((MemoryMarshal.Read<uint>(buffer) & 0x100) == 0) return 0;
        return MemoryMarshal.Read<ulong>(buffer[32..]);
    }

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int statx(int dirfd, string path, int flags, uint mask, ref byte buffer);
}
