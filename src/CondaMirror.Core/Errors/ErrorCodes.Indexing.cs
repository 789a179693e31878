namespace CondaMirror.Core.Errors;

public static partial class ErrorCodes
{
    /// <summary>A package has no subdir in its record or info/index.json, so it cannot be placed in the channel.</summary>
    public const string IndexMissingSubdir = "CMIR301";

    /// <summary>Two different packages would be published under the same file name in one subdir.</summary>
    public const string IndexDuplicateFileName = "CMIR302";

    /// <summary>The archive file name does not match name-version-build of its record.</summary>
    public const string IndexFileNameMismatch = "CMIR303";

    /// <summary>A package file to index does not exist (or is not a .conda/.tar.bz2 file).</summary>
    public const string IndexPackageFileMissing = "CMIR304";

    /// <summary>The channel folder could not be written (permissions, disk full, path too long).</summary>
    public const string IndexWriteFailed = "CMIR305";

    /// <summary>CondaChannelBaseUrl is not an absolute http(s) or file URL.</summary>
    public const string IndexBaseUrlInvalid = "CMIR306";

    /// <summary>A package's run_exports (info/run_exports.json or the record's) is not an object of spec lists.</summary>
    public const string RunExportsInvalid = "CMIR307";

    /// <summary>CondaChannelLayout=per-channel: a channel's name (from its URL, or CondaLocalChannelName) is not a safe relative folder.</summary>
    public const string ChannelFolderUnsafe = "CMIR341";

    /// <summary>CondaChannelLayout=per-channel: one channel's folder would lie inside another's (pkgs and pkgs/main).</summary>
    public const string ChannelFoldersNested = "CMIR342";

    /// <summary>CondaChannelLayout=per-channel: two source channels (or one and the local package files) would share one folder.</summary>
    public const string ChannelFolderShared = "CMIR343";

    /// <summary>A path the build would write (channel folder, package cache) lies outside its output root.</summary>
    public const string OutputPathEscapes = "CMIR330";

}
