using System.IO.Compression;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Records;
using CondaMirror.Core.Zstd;

namespace CondaMirror.Core.Archives;

public static partial class PackageArchive
{
    /// <summary>
    /// The largest zstd window accepted for an info tarball: libzstd's default decoder limit (2^27 = 128 MB),
    /// which is also what conda enforces through conda-package-handling/python-zstandard. A package needing
    /// more would not install with conda either; a frame asking for more is damaged or a memory bomb.
    /// </summary>
    internal const long MaxZstdWindowBytes = 1L << 27;

    private static PackageInfo ReadConda(Stream stream, ReadOnlySpan<byte> magic, string file, InfoMembers wanted, CancellationToken ct)
    {
        // A zip starts with a local file header, or (no members at all) with the end-of-central-directory record.
        if (magic.Length < 4 || !(magic.SequenceEqual("PK\x03\x04"u8) || magic.SequenceEqual("PK\x05\x06"u8)))
            throw WrongMagic(file, "a zip file (the .conda format)", magic);

        if (!stream.CanSeek)
        {
            // ZipArchive needs to seek to the central directory at the end; a .conda must be buffered to do that.
            var buffered = new MemoryStream();
            try
            {
                stream.CopyTo(buffered);
            }
            catch (IOException e)
            {
                throw Unreadable(file, e);
            }
            buffered.Position = 0;
            stream = buffered;
        }

        ZipArchive zip;
        var start = stream.Position;
        try
        {
            zip = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (InvalidDataException e)
        {
            if (!HasEndOfCentralDirectory(stream, start))
                throw Truncated(file, "the zip directory at the end of the .conda file is missing", e);
            throw ZipCorrupt(file, e);
        }

        using (zip)
        {
            ZipArchiveEntry entry;
            Stream member;
            try
            {
                // Both read the (possibly damaged) central directory and local header lazily.
                entry = FindInfoMember(zip, file);
                member = entry.Open();
            }
            catch (InvalidDataException e)
            {
                throw ZipCorrupt(file, e);
            }

            var options = new ZstdDecoderOptions { MaxWindowSize = MaxZstdWindowBytes, VerifyChecksum = true };
            try
            {
                using var tar = ZstdCodec.Decompress(member, options, leaveOpen: false);
                return ReadInfoTar(tar, file, ArchiveFormat.Conda, infoTarOnly: true, wanted, ct);
            }
            catch (ZstdFormatException e)
            {
                throw e.Code switch
                {
                    ErrorCodes.ZstdWindowTooLarge => new CondaMirrorException(ErrorCodes.ArchiveZstdWindowTooLarge,
                        $"Package archive's {entry.FullName} is a zstd frame that claims a window larger than allowed ({e.Problem}); " +
                        "the file is damaged or hostile. Remove it from the folder.", file, e),
                    ErrorCodes.ZstdTruncated => Truncated(file, $"{entry.FullName} ends in the middle of a zstd frame", e),
                    _ => new CondaMirrorException(ErrorCodes.ArchiveZstdCorrupt,
                        $"Package archive is corrupt: {entry.FullName} is not valid zstd data ({e.Message}). Re-download it or remove it from the folder.", file, e),
                };
            }
            catch (EndOfStreamException e)
            {
                throw Truncated(file, $"{entry.FullName} ends early", e);
            }
            catch (InvalidDataException e)
            {
                throw ZipCorrupt(file, e);
            }
            catch (IOException e)
            {
                throw Unreadable(file, e);
            }
        }
    }

    /// <summary>Finds <c>info-&lt;stem&gt;.tar.zst</c>; its stem must match the file name (conda rejects renamed .conda files).</summary>
    private static ZipArchiveEntry FindInfoMember(ZipArchive zip, string file)
    {
        var fileName = Path.GetFileName(file);
        var stem = fileName.EndsWith(".conda", StringComparison.Ordinal) ? fileName[..^".conda".Length] : null;
        var infoMembers = zip.Entries
            .Where(e => e.FullName.StartsWith("info-", StringComparison.Ordinal) && e.FullName.EndsWith(".tar.zst", StringComparison.Ordinal))
            .ToList();
        if (infoMembers.Count == 0)
            throw new CondaMirrorException(ErrorCodes.CondaInfoMemberMissing,
                $"Not a conda package: the .conda zip has no info-<name>-<version>-<build>.tar.zst member (members: {string.Join(", ", zip.Entries.Select(e => e.FullName).Take(5))}). " +
                "Re-download it or remove it from the folder.", file);
        if (stem is null) return infoMembers[0];
        var match = infoMembers.FirstOrDefault(e => e.FullName == $"info-{stem}.tar.zst");
        if (match is not null) return match;
        throw new CondaMirrorException(ErrorCodes.CondaStemMismatch,
            $"The .conda file name does not match its contents: it holds '{infoMembers[0].FullName}', expected 'info-{stem}.tar.zst'. " +
            "conda refuses renamed .conda files; restore the original file name or re-download the package.", file);
    }

    /// <summary>Whether the end-of-central-directory signature is in the last 64 KB (where the zip spec puts it).</summary>
    private static bool HasEndOfCentralDirectory(Stream stream, long start)
    {
        var length = stream.Length - start;
        var tail = (int)Math.Min(length, 22 + 65535);
        var buffer = new byte[tail];
        stream.Seek(-tail, SeekOrigin.End);
        var read = ReadUpTo(stream, buffer);
        return buffer.AsSpan(0, read).LastIndexOf("PK\x05\x06"u8) >= 0;
    }

    private static CondaMirrorException ZipCorrupt(string file, Exception e) => new(ErrorCodes.CondaZipCorrupt,
        $"Package archive is corrupt: its zip structure cannot be read ({e.Message}). Re-download it or remove it from the folder.", file, e);
}
