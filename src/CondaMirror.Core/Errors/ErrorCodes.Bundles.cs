namespace CondaMirror.Core.Errors;

public static partial class ErrorCodes
{
    /// <summary>A SHA256SUMS manifest (a bundle's, or the CondaBundleBase one) is not in the format sha256sum writes.</summary>
    public const string BundleManifestInvalid = "CMIR350";

    /// <summary>A bundle holds a member that is not a plain file inside the bundle (absolute path, `..`, link, device), or one its manifest does not list.</summary>
    public const string BundleMemberUnsafe = "CMIR351";

    /// <summary>A file of a bundle (or of the channel it is merged into) does not have the SHA-256 its manifest lists, or is missing.</summary>
    public const string BundleChecksumMismatch = "CMIR352";

    /// <summary>A bundle is larger than the limit (256 GiB), or is not a (zstd-compressed) tar.</summary>
    public const string BundleUnreadable = "CMIR353";

    /// <summary>The bundle, or the channel it is merged into, could not be written (permissions, disk full).</summary>
    public const string BundleWriteFailed = "CMIR354";

    /// <summary>A .tar.zst bundle declares members far larger than its compressed bytes could honestly hold (a zstd bomb); refused at the member's header, before its data is read.</summary>
    public const string BundleInflationTooHigh = "CMIR355";

    /// <summary>Importing a bundle (unpack and verify) ran past its time limit (CondaBundleImportDeadlineSeconds).</summary>
    public const string BundleImportDeadlineExceeded = "CMIR356";
}
