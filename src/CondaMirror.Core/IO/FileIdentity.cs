using System.Runtime.InteropServices;

namespace CondaMirror.Core.IO;

/// <summary>
/// What one stat says about a file: size, last write time, and on Linux its change time, inode and device. Two equal
/// identities mean "not written and not replaced since". On Linux that holds for every write: the change time (ctime)
/// moves with every write, chmod, <c>touch</c> and link count change, and unlike the modification time nobody can set
/// it back (only the system clock can). On Windows and macOS .NET offers no cheap change time or inode, so there the
/// identity is size and modification time, and a write that also restores the modification time on purpose is not
/// seen.
/// </summary>
/// <param name="Inode">0 where the platform gives none cheaply (the other fields still apply).</param>
/// <param name="CtimeTicks">The change time (statx <c>stx_ctime</c>) in <see cref="DateTime"/> ticks (UTC); 0 where the platform gives none cheaply.</param>
/// <param name="Device">The file system's device number (statx <c>stx_dev_major:stx_dev_minor</c>); 0 where the platform gives none.</param>
public readonly partial record struct FileIdentity(long Size, long MtimeTicks, ulong Inode, long CtimeTicks = 0, ulong Device = 0)
{
    public static FileIdentity Of(string path)
    {
        if (OperatingSystem.IsLinux() && TryStatx(path, out var identity)) return identity;
        var info = new FileInfo(path);
        if (!info.Exists) throw new FileNotFoundException($"'{path}' does not exist", path);
        return new FileIdentity(info.Length, info.LastWriteTimeUtc.Ticks, 0);
    }

    /// <summary>
    /// Same file, same size and modification time; only the change time may differ. That is what a new hard link to
    /// the file, a rename of one of its names or a removed link does to it, and also what a write that restores the
    /// modification time does: only use this to carry a trusted identity across an operation of one's own.
    /// </summary>
    public bool SameExceptChangeTime(FileIdentity other) => this with { CtimeTicks = 0 } == other with { CtimeTicks = 0 };

    /// <summary>True when both are the same file (inode and device), where the platform tells; false where it does not.</summary>
    public bool IsSameFileAs(FileIdentity other) => Inode != 0 && Inode == other.Inode && Device == other.Device;

    /// <summary>
    /// One statx call for everything (its struct layout is the same on every Linux architecture). False when statx is
    /// unavailable or failed for a reason other than a missing file (the caller falls back to <see cref="FileInfo"/>).
    /// </summary>
    private static bool TryStatx(string path, out FileIdentity identity)
    {
        identity = default;
        Span<byte> buffer = stackalloc byte[256];
        int result;
        try
        {
            const int AtFdCwd = -100;
            const uint BasicStats = 0x7ff; // type, mode, nlink, uid, gid, atime, mtime, ctime, ino, size, blocks
            result = statx(AtFdCwd, path, 0, BasicStats, ref MemoryMarshal.GetReference(buffer));
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false; // an old libc without statx
        }
        if (result != 0)
        {
            const int Enoent = 2, Enotdir = 20;
            var errno = Marshal.GetLastPInvokeError();
            if (errno is Enoent or Enotdir) throw new FileNotFoundException($"'{path}' does not exist", path);
            return false;
        }
        // struct statx: stx_mask u32 @0, stx_mode u16 @28, stx_ino u64 @32, stx_size u64 @40, stx_ctime @96 and stx_mtime @112
        // (each i64 seconds + u32 nanoseconds), stx_dev_major u32 @136, stx_dev_minor u32 @140; native byte order.
        const uint Mtime = 0x40, Ctime = 0x80, Ino = 0x100, Size = 0x200;
        var mask = MemoryMarshal.Read<uint>(buffer);
        if ((mask & (Mtime | Size)) != (Mtime | Size)) return false;
        const ushort TypeMask = 0xF000, Directory = 0x4000;
        if ((MemoryMarshal.Read<ushort>(buffer[28..]) & TypeMask) == Directory) // stx_mode u16 @28; FileInfo says "no file" too
            throw new FileNotFoundException($"'{path}' is a folder, not a file", path);
        var device = ((ulong)MemoryMarshal.Read<uint>(buffer[136..]) << 32) | MemoryMarshal.Read<uint>(buffer[140..]);
        identity = new FileIdentity(
            (long)MemoryMarshal.Read<ulong>(buffer[40..]),
            Ticks(buffer[112..]),
            (mask & Ino) != 0 ? MemoryMarshal.Read<ulong>(buffer[32..]) : 0,
            (mask & Ctime) != 0 ? Ticks(buffer[96..]) : 0,
            device);
        return true;
    }

    // The way .NET turns a Unix timestamp into LastWriteTimeUtc: whole 100 ns ticks since 0001-01-01, truncated.
    private static long Ticks(ReadOnlySpan<byte> timestamp) =>
        DateTime.UnixEpoch.Ticks + MemoryMarshal.Read<long>(timestamp) * TimeSpan.TicksPerSecond + MemoryMarshal.Read<uint>(timestamp[8..]) / 100;

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int statx(int dirfd, string path, int flags, uint mask, ref byte buffer);
}
