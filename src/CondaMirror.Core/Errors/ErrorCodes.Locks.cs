namespace CondaMirror.Core.Errors;

/// <summary>4xx: lock files (pixi.lock, conda-lock.yml, @EXPLICIT) — reading and writing.</summary>
public static partial class ErrorCodes
{
    /// <summary>The lock file does not exist or cannot be read.</summary>
    public const string LockFileUnreadable = "CMIR400";

    /// <summary>The file is none of the supported lock formats (pixi.lock, conda-lock.yml v1, @EXPLICIT).</summary>
    public const string LockFormatUnrecognized = "CMIR401";

    /// <summary>The YAML is malformed (syntax error, duplicate key, wrong node kind where a map/list is expected).</summary>
    public const string LockYamlInvalid = "CMIR402";

    /// <summary>The lock file's format version is too old or newer than this build understands.</summary>
    public const string LockVersionUnsupported = "CMIR403";

    /// <summary>The requested environment is not in the lock file.</summary>
    public const string LockEnvironmentNotFound = "CMIR404";

    /// <summary>The environment contains source/path/git packages, which have no archive to mirror.</summary>
    public const string LockSourcePackages = "CMIR405";

    /// <summary>A package entry lacks a required field or has an unusable URL, hash or file name.</summary>
    public const string LockEntryInvalid = "CMIR406";

    /// <summary>A conda-lock style file without a <c>version</c> key (pre-v1 conda-lock or pixi.lock v1).</summary>
    public const string CondaLockMissingVersion = "CMIR407";

    /// <summary>A text lock with package URLs but no <c>@EXPLICIT</c> header.</summary>
    public const string ExplicitHeaderMissing = "CMIR408";

    /// <summary>The target platform of an @EXPLICIT file cannot be determined.</summary>
    public const string ExplicitPlatformUnknown = "CMIR409";

    /// <summary>A platform name in the lock is unknown, duplicated or not declared (pixi.lock v7 <c>platforms:</c>).</summary>
    public const string LockPlatformInvalid = "CMIR410";

    /// <summary>The lock document handed to the writer is inconsistent (missing fields, conflicting records).</summary>
    public const string LockWriteInvalid = "CMIR411";

    /// <summary>Two locks of one channel (CondaLock items) hold different conda files of the same subdir and file name.</summary>
    public const string LockUnionConflict = "CMIR412";

    /// <summary>Two locks of one channel (CondaLock items) hold different PyPI files of the same file name.</summary>
    public const string LockUnionPypiConflict = "CMIR413";

    /// <summary>CondaLockFile names more than one file; several locks are CondaLock items.</summary>
    public const string LockFileSeveral = "CMIR414";

    /// <summary>The YAML uses an alias (<c>*name</c>); lock files never need one, and expanding them is a memory bomb.</summary>
    public const string LockYamlAlias = "CMIR450";

    /// <summary>The YAML nests deeper than a lock file ever does (64 levels).</summary>
    public const string LockYamlTooDeep = "CMIR451";

    /// <summary>The lock file is larger than the limit (256 MB, or <c>CONDAMIRROR_MAX_LOCK_BYTES</c>).</summary>
    public const string LockFileTooLarge = "CMIR452";

    /// <summary>A line of an @EXPLICIT file is longer than 64 KB, far beyond any package URL.</summary>
    public const string LockLineTooLong = "CMIR453";
}
