namespace CondaMirror.Core.Errors;

// Downloads and the package cache: CMIR500-CMIR599.
public static partial class ErrorCodes
{
    /// <summary>The server answered 404/410: the channel no longer has the package.</summary>
    public const string DownloadNotFound = "CMIR501";

    /// <summary>The server answered 401/403: credentials are missing or wrong.</summary>
    public const string DownloadUnauthorized = "CMIR502";

    /// <summary>The downloaded bytes do not match the sha256/md5 recorded in the lock.</summary>
    public const string DownloadChecksumMismatch = "CMIR503";

    /// <summary>The downloaded bytes do not have the size recorded in the lock.</summary>
    public const string DownloadSizeMismatch = "CMIR504";

    /// <summary>Network errors, timeouts or 408/429/5xx persisted through every retry.</summary>
    public const string DownloadFailedAfterRetries = "CMIR505";

    /// <summary>The server answered with a status that retrying cannot fix (e.g. 400, 405).</summary>
    public const string DownloadHttpError = "CMIR506";

    /// <summary>A file:// URL or local path names a file that does not exist or cannot be read.</summary>
    public const string DownloadLocalSourceMissing = "CMIR507";

    /// <summary>The package cache could not be written (permissions, disk full, bad CONDAMIRROR_PACKAGE_CACHE).</summary>
    public const string PackageCacheWriteFailed = "CMIR508";

    /// <summary>A cached package could not be linked or copied into the channel folder.</summary>
    public const string ChannelPlacementFailed = "CMIR509";

    /// <summary>Several packages failed; the message lists each one.</summary>
    public const string DownloadsFailed = "CMIR510";

    /// <summary>A download request is malformed (empty or unsupported URL, unsafe file name).</summary>
    public const string DownloadInvalidRequest = "CMIR511";

    /// <summary>Warning: a lock entry has neither sha256 nor md5, so its download cannot be verified or cached by content.</summary>
    public const string DownloadUnverifiable = "CMIR512";

    /// <summary>A package host cannot be reached at all (DNS, connection refused, connect timeout): every download from it stopped.</summary>
    public const string DownloadHostUnreachable = "CMIR513";

    /// <summary>Every attempt at a package ran out of its whole-transfer deadline (CondaHttpRequestDeadlineSeconds) while the server was still sending.</summary>
    public const string DownloadDeadlineExceeded = "CMIR520";

    /// <summary>The server's Retry-After asks for a longer wait than CondaMaxRetryAfterSeconds; the message says until when.</summary>
    public const string DownloadRetryAfterTooLong = "CMIR521";

    /// <summary>The server sent (or announced) more bytes than the lock's size for the package; reading stopped there.</summary>
    public const string DownloadTooLarge = "CMIR530";

    /// <summary>A lock entry's size is negative or larger than any package can be.</summary>
    public const string DownloadSizeInvalid = "CMIR531";

    /// <summary>A cached package changed after it was verified (written through a channel's hard link, or replaced) and could not be evicted.</summary>
    public const string PackageCacheEntryTampered = "CMIR532";

    /// <summary>CMIR540: a CondaPackageFile URL is not an http(s) URL, or its last segment is not a .conda, .tar.bz2 or .zip file name.</summary>
    public const string PackageFileUrlUnsupported = "CMIR540";

    /// <summary>CMIR541: a CondaPackageFile's bytes do not match its Sha256 (or Md5) metadata.</summary>
    public const string PackageFileHashMismatch = "CMIR541";

    /// <summary>CMIR542: a CondaPackageFile's Sha256 or Md5 metadata is not a hex digest of the right length.</summary>
    public const string PackageFileHashInvalid = "CMIR542";

    /// <summary>CMIR543 (warning): a CondaPackageFile URL has no Sha256 or Md5, so what it served is indexed unverified.</summary>
    public const string PackageFileUnverified = "CMIR543";
}
