namespace CondaMirror.Core.Errors;

/// <summary>Package archives (.conda, .tar.bz2): CMIR200–CMIR249.</summary>
public static partial class ErrorCodes
{
    /// <summary>CMIR200: the package file is empty (0 bytes), usually an interrupted download.</summary>
    public const string ArchiveEmpty = "CMIR200";

    /// <summary>CMIR201: the archive ends before its structure is complete (zip directory, bzip2 or zstd stream, or tar member cut off).</summary>
    public const string ArchiveTruncated = "CMIR201";

    /// <summary>CMIR202: the file does not start like its extension says (.conda is not a zip, .tar.bz2 is not bzip2).</summary>
    public const string ArchiveWrongMagic = "CMIR202";

    /// <summary>CMIR203: a .conda zip has no <c>info-&lt;stem&gt;.tar.zst</c> member, so it is not a conda package.</summary>
    public const string CondaInfoMemberMissing = "CMIR203";

    /// <summary>CMIR204: the <c>info-&lt;stem&gt;.tar.zst</c> member's stem differs from the .conda file name (renamed file).</summary>
    public const string CondaStemMismatch = "CMIR204";

    /// <summary>CMIR205: the archive has no <c>info/index.json</c>, so it is not a conda package.</summary>
    public const string IndexJsonMissing = "CMIR205";

    /// <summary>CMIR206: <c>info/index.json</c> is not a valid JSON object (or lacks name/version/build).</summary>
    public const string IndexJsonInvalid = "CMIR206";

    /// <summary>CMIR207: a member path is absolute, contains a <c>..</c> segment, or (in the info part) lies outside <c>info/</c>.</summary>
    public const string ArchiveUnsafeMemberPath = "CMIR207";

    /// <summary>CMIR208: an info member whose content is needed (index.json, about.json, ...) is a link, directory or device, not a regular file.</summary>
    public const string InfoMemberNotRegularFile = "CMIR208";

    /// <summary>CMIR209: an info member is larger than the limit for buffering it (index.json 16 MB, paths.json 256 MB, others 64 MB).</summary>
    public const string InfoMemberTooLarge = "CMIR209";

    /// <summary>CMIR210: the zstd stream of the .conda info member is corrupt.</summary>
    public const string ArchiveZstdCorrupt = "CMIR210";

    /// <summary>CMIR211: the zstd frame asks for a window larger than the decoder allows (a decompression bomb or a hostile file).</summary>
    public const string ArchiveZstdWindowTooLarge = "CMIR211";

    /// <summary>CMIR212: the bzip2 stream of a .tar.bz2 is corrupt (bad block, CRC mismatch).</summary>
    public const string ArchiveBzip2Corrupt = "CMIR212";

    /// <summary>CMIR213: the tar stream inside the archive is malformed (bad header checksum, bad size field, bad pax record).</summary>
    public const string ArchiveTarCorrupt = "CMIR213";

    /// <summary>CMIR214: the file name ends in neither .conda nor .tar.bz2.</summary>
    public const string ArchiveUnknownExtension = "CMIR214";

    /// <summary>CMIR215: an optional info file (about.json, run_exports.json, paths.json) is not valid JSON.</summary>
    public const string InfoJsonInvalid = "CMIR215";

    /// <summary>CMIR216: the archive could not be opened or read (missing file, permissions, I/O error).</summary>
    public const string ArchiveUnreadable = "CMIR216";

    /// <summary>CMIR217: the zip structure of a .conda is corrupt (bad central directory, compressed or encrypted members).</summary>
    public const string CondaZipCorrupt = "CMIR217";

    /// <summary>CMIR220: a package cannot be written: invalid or duplicate member path, or an unsupported output extension.</summary>
    public const string ArchiveWriteInvalid = "CMIR220";

    /// <summary>A symbolic or hard link inside a package points outside the package (absolute target, or <c>..</c> past its root).</summary>
    public const string ArchiveLinkEscapes = "CMIR230";

    /// <summary>A package unpacks to more bytes than the limit (a decompression bomb, or a limit to raise with CondaMaxUnpackedPackageMB).</summary>
    public const string ArchiveUnpackedTooLarge = "CMIR231";

    /// <summary>CMIR240: a CondaPackageFile zip (CI artifacts) cannot be read as a zip: not a zip, a corrupt or encrypted member, a member shorter than its header says.</summary>
    public const string ArtifactZipUnreadable = "CMIR240";

    /// <summary>CMIR241: a member name of a CondaPackageFile zip is absolute, has a <c>..</c> segment, a drive letter, a backslash or a control character.</summary>
    public const string ArtifactZipUnsafeMemberName = "CMIR241";

    /// <summary>CMIR242: a CondaPackageFile zip has more members than the limit (100,000).</summary>
    public const string ArtifactZipTooManyMembers = "CMIR242";

    /// <summary>CMIR243: a package member of a CondaPackageFile zip, or all of them together, would unpack to more than the limit.</summary>
    public const string ArtifactZipTooLarge = "CMIR243";

    /// <summary>CMIR244: a package member of a CondaPackageFile zip is a decompression bomb: it inflates more than 100-fold, or to more bytes than its header says.</summary>
    public const string ArtifactZipMemberBomb = "CMIR244";

    /// <summary>CMIR245: a .conda or .tar.bz2 member of a CondaPackageFile zip is not a valid conda package.</summary>
    public const string ArtifactZipMemberNotPackage = "CMIR245";

    /// <summary>CMIR246: a CondaPackageFile zip holds no .conda or .tar.bz2 member at all.</summary>
    public const string ArtifactZipNoPackages = "CMIR246";
}
