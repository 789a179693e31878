using System.Globalization;
using System.IO.Compression;
using CondaMirror.Core.Errors;
using CondaMirror.Core.IO;
using CondaMirror.Core.Records;

namespace CondaMirror.Core.Archives;

/// <summary>Bounds on what a CI-artifact zip may make a build read and write.</summary>
public sealed class ArtifactZipLimits
{
    public const int DefaultMaxMembers = 100_000;
    public const long DefaultMaxUnpackedBytes = PackageValidationOptions.DefaultMaximumLimitBytes;
    public const int DefaultMaxRatio = 100;
    public const long DefaultRatioFloorBytes = 1L << 20;

    /// <summary>Members listed in the zip's directory, of any kind.</summary>
    public int MaxMembers { get; init; } = DefaultMaxMembers;

    /// <summary>Bytes one package member, and all package members together, may inflate to (CondaMaxUnpackedPackageMB, else 16 GB).</summary>
    public long MaxUnpackedBytes { get; init; } = DefaultMaxUnpackedBytes;

    /// <summary>A package is already compressed, so a member inflating more than this many times its stored size is a bomb ...</summary>
    public int MaxRatio { get; init; } = DefaultMaxRatio;

    /// <summary>... once it is larger than this (tiny members may have any ratio).</summary>
    public long RatioFloorBytes { get; init; } = DefaultRatioFloorBytes;
}

/// <summary>A .conda or .tar.bz2 member of an artifact zip.</summary>
/// <param name="Path">The member's name in the zip (for messages only: nothing is ever written by it).</param>
/// <param name="FileName">Its last segment, the package's file name.</param>
/// <param name="Length">Uncompressed size from the zip's directory; reading stops one byte past it.</param>
public sealed record ArtifactZipMember(string Path, string FileName, long CompressedLength, long Length);

/// <summary>
/// A zip of CI artifacts given as a <c>CondaPackageFile</c>: the .conda and .tar.bz2 members at any depth are its
/// packages; everything else (READMEs, logs, zips inside it, which are not opened) is skipped. Every member name is
/// checked, even of skipped members (a hostile name marks a hostile zip), and the package members' sizes are bounded
/// from the directory before anything is inflated and again while inflating, so a lying header cannot get further.
/// </summary>
public sealed class ArtifactZip : IDisposable
{
    private readonly ZipArchive _zip;
    private readonly Dictionary<ArtifactZipMember, ZipArchiveEntry> _entries = new();
    private readonly ArtifactZipLimits _limits;

    private ArtifactZip(ZipArchive zip, string display, ArtifactZipLimits limits)
    {
        _zip = zip;
        _limits = limits;
        Display = display;
    }

    /// <summary>How the zip is named in messages (the item: a path or a redacted URL).</summary>
    public string Display { get; }

    /// <summary>The package members, in the zip's order.</summary>
    public IReadOnlyList<ArtifactZipMember> Packages { get; private set; } = Array.Empty<ArtifactZipMember>();

    /// <summary>Members that are not packages (directories not counted), zips inside included.</summary>
    public int Skipped { get; private set; }

    /// <summary>Skipped members that are zips themselves: not opened.</summary>
    public int NestedZips { get; private set; }

    /// <summary>Opens <paramref name="path"/> and checks its directory: member count, every name, package sizes and ratios.</summary>
    public static ArtifactZip Open(string path, string display, ArtifactZipLimits? limits = null)
    {
        limits ??= new ArtifactZipLimits();
        FileStream stream;
        try { stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 65536); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CondaMirrorException(ErrorCodes.ArchiveUnreadable, $"Cannot read the zip {display}: {e.Message}", display, e);
        }
        ZipArchive zip;
        try { zip = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: false); }
        catch (Exception e) when (e is InvalidDataException or IOException or ArgumentException)
        {
            stream.Dispose();
            throw Unreadable(display, $"it is not a readable zip ({e.Message})", e);
        }
        var result = new ArtifactZip(zip, display, limits);
        try
        {
            result.Check();
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    private void Check()
    {
        IReadOnlyCollection<ZipArchiveEntry> entries;
        try { entries = _zip.Entries; }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            throw Unreadable(Display, $"its directory is corrupt ({e.Message})", e);
        }
        if (entries.Count > _limits.MaxMembers)
            throw new CondaMirrorException(ErrorCodes.ArtifactZipTooManyMembers, string.Create(CultureInfo.InvariantCulture,
                $"The zip {Display} lists {entries.Count} members, more than the {_limits.MaxMembers} an artifact zip may have; it was not read further. Zip only the package files."), Display);
        var packages = new List<ArtifactZipMember>();
        long total = 0;
        foreach (var entry in entries)
        {
            var name = entry.FullName;
            CheckName(name);
            if (name.EndsWith('/')) continue; // a directory
            var fileName = name[(name.LastIndexOf('/') + 1)..];
            if (!ArchiveFileName.TryGetFormat(fileName, out _))
            {
                Skipped++;
                if (fileName.EndsWith(".zip", StringComparison.OrdinalIgnoreCase)) NestedZips++;
                continue;
            }
            ArchiveFileName.ValidateSafe(fileName, $"member '{name}' of the zip {Display}", Display);
            var member = new ArtifactZipMember(name, fileName, entry.CompressedLength, entry.Length);
            CheckSize(member);
            total += member.Length;
            if (total > _limits.MaxUnpackedBytes)
                throw new CondaMirrorException(ErrorCodes.ArtifactZipTooLarge, string.Create(CultureInfo.InvariantCulture,
                    $"The package members of the zip {Display} unpack to more than {_limits.MaxUnpackedBytes} bytes together (reached at '{name}'); nothing was extracted. ") +
                    "Raise CondaMaxUnpackedPackageMB if the artifacts are genuinely that large.", Display);
            packages.Add(member);
            _entries[member] = entry;
        }
        Packages = packages;
    }

    /// <summary>No name of the zip may look like a path that leaves a folder, even though none is used as one.</summary>
    private void CheckName(string name)
    {
        string? problem = null;
        if (name.Length == 0) problem = "is empty";
        else if (name.Contains('\\')) problem = "holds a backslash";
        else if (name.StartsWith('/')) problem = "is absolute";
        else if (name.Length >= 2 && name[1] == ':' && char.IsAsciiLetter(name[0])) problem = "starts with a drive letter";
        else if (name.Any(char.IsControl)) problem = "holds a control character";
        else if (name.Split('/').Any(s => s == "..")) problem = "has a '..' segment";
        if (problem is null) return;
        throw new CondaMirrorException(ErrorCodes.ArtifactZipUnsafeMemberName,
            $"The zip {Display} has a member whose name {problem} ('{Printable(name)}'): a zip with such names is refused and nothing was extracted. " +
            "Rebuild the artifact with plain relative member names.", Display);
    }

    private void CheckSize(ArtifactZipMember member)
    {
        if (member.Length > _limits.MaxUnpackedBytes)
            throw new CondaMirrorException(ErrorCodes.ArtifactZipTooLarge, string.Create(CultureInfo.InvariantCulture,
                $"Member '{member.Path}' of the zip {Display} unpacks to {member.Length} bytes, more than the {_limits.MaxUnpackedBytes}-byte limit; nothing was extracted. ") +
                "Raise CondaMaxUnpackedPackageMB if the package is genuinely that large.", Display);
        if (member.Length > _limits.RatioFloorBytes && member.Length > member.CompressedLength * (long)_limits.MaxRatio)
            throw Bomb(member, string.Create(CultureInfo.InvariantCulture,
                $"it inflates from {member.CompressedLength} to {member.Length} bytes, more than {_limits.MaxRatio}-fold, which no conda package (already compressed) does"));
    }

    /// <summary>
    /// Inflates one package member into <paramref name="destination"/>: exactly the bytes its header promises, never one
    /// more. Failures of the zip are coded here; failures writing <paramref name="destination"/> are the caller's.
    /// </summary>
    public void CopyTo(ArtifactZipMember member, Stream destination, CancellationToken ct = default)
    {
        var entry = _entries[member];
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(128 * 1024);
        try
        {
            Stream source;
            try { source = entry.Open(); }
            catch (Exception e) when (e is InvalidDataException or IOException or NotSupportedException)
            {
                throw Unreadable(Display, $"member '{member.Path}' cannot be opened ({e.Message})", e);
            }
            using (source)
            {
                long copied = 0;
                while (true)
                {
                    ct.ThrowIfCancellationRequested();
                    // One byte past the promise is enough to know it lied.
                    var want = (int)Math.Min(buffer.Length, member.Length - copied + 1);
                    int read;
                    try { read = source.Read(buffer, 0, want); }
                    catch (Exception e) when (e is InvalidDataException or IOException or NotSupportedException)
                    {
                        throw Unreadable(Display, $"member '{member.Path}' cannot be inflated ({e.Message})", e);
                    }
                    if (read == 0) break;
                    copied += read;
                    if (copied > member.Length)
                        throw Bomb(member, string.Create(CultureInfo.InvariantCulture, $"it inflates to more than the {member.Length} bytes its header gives"));
                    destination.Write(buffer, 0, read);
                }
                if (copied != member.Length)
                    throw Unreadable(Display, string.Create(CultureInfo.InvariantCulture, $"member '{member.Path}' ends after {copied} of the {member.Length} bytes its header gives"), null);
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private CondaMirrorException Bomb(ArtifactZipMember member, string what) => new(ErrorCodes.ArtifactZipMemberBomb,
        $"Member '{member.Path}' of the zip {Display} is refused as a decompression bomb: {what}. Nothing was written to the channel; remove the member or rebuild the artifact.",
        Display);

    private static CondaMirrorException Unreadable(string display, string what, Exception? inner) => new(ErrorCodes.ArtifactZipUnreadable,
        $"Cannot read the zip {display}: {what}. Nothing was written to the channel; download or build the artifact again.", display, inner);

    private static string Printable(string name) => new(name.Select(c => char.IsControl(c) ? '?' : c).Take(200).ToArray());

    public void Dispose() => _zip.Dispose();
}
