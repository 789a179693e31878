namespace CondaMirror.Core.Errors;

public static partial class ErrorCodes
{
    /// <summary>The lock file named by CondaLockFile does not exist (raised by the .targets).</summary>
    public const string LockFileNotFound = "CMIR801";

    /// <summary>The build was cancelled while a task ran.</summary>
    public const string BuildCancelled = "CMIR802";

    /// <summary>A property or item has a value the tasks cannot use (e.g. a negative retry count).</summary>
    public const string InvalidBuildSetting = "CMIR803";

    /// <summary>Warning: the lock holds PyPI packages, which a conda channel cannot serve, and they are not mirrored as a simple index (CondaMirrorPyPI=false); they are listed and skipped.</summary>
    public const string LockPypiSkipped = "CMIR804";

    /// <summary>A CondaPackage Include holds '*' or '?', which MSBuild expands as a file wildcard, so the spec would be lost.</summary>
    public const string PackageSpecWildcard = "CMIR805";

    /// <summary>A CondaPackage item names an existing file: a wildcard in Include matched files instead of being a spec.</summary>
    public const string PackageSpecIsFile = "CMIR806";

    /// <summary>The build runs on .NET Framework MSBuild older than 18, which cannot run the .NET task host (raised by the .targets).</summary>
    public const string UnsupportedMSBuild = "CMIR807";

    /// <summary>CondaChannelOutputPath is already the channel of another project; two projects would overwrite each other's repodata.</summary>
    public const string ChannelOutputShared = "CMIR808";

    /// <summary>A CondaChannelMirror item is not an absolute http(s) or file URL, or has no Url metadata.</summary>
    public const string ChannelMirrorInvalid = "CMIR809";

    /// <summary>A build step's record in obj/condamirror/ (what it read and wrote) could not be removed or written.</summary>
    public const string StepRecordFailed = "CMIR810";

    /// <summary>A CondaChannelSubset item's metadata is unusable: Platforms, LatestVersions, WithDependencies or MaxSizeGB.</summary>
    public const string SubsetSettingInvalid = "CMIR811";

    /// <summary>A CondaChannelSubset Whitelist or Blacklist entry is neither a MatchSpec nor field=glob.</summary>
    public const string SubsetFilterInvalid = "CMIR812";

    /// <summary>CondaChannelLayout is neither merged nor per-channel.</summary>
    public const string ChannelLayoutInvalid = "CMIR815";

    /// <summary>CondaChannelSubset items with CondaChannelLayout=per-channel: a subset is mirrored into one merged channel.</summary>
    public const string SubsetNeedsMergedLayout = "CMIR816";

    /// <summary>An unexpected failure inside a task; a bug to report.</summary>
    public const string InternalError = "CMIR899";
}
