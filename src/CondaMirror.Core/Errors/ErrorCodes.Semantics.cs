namespace CondaMirror.Core.Errors;

public static partial class ErrorCodes
{
    /// <summary>A version string conda's VersionOrder would reject (bad characters, empty component, ...).</summary>
    public const string InvalidVersion = "CMIR101";

    /// <summary>A version spec (<c>&gt;=1.2,&lt;2|3.*</c>) that conda's VersionSpec would reject.</summary>
    public const string InvalidVersionSpec = "CMIR102";

    /// <summary>A package match spec (<c>numpy &gt;=1.20 py*</c>) that conda's MatchSpec would reject.</summary>
    public const string InvalidMatchSpec = "CMIR103";

    /// <summary>A conditional dependency (<c>pkg[when="__linux"]</c>), a syntax newer than conda 25.11.</summary>
    public const string UnsupportedConditionalSpec = "CMIR104";

    /// <summary>A platform/subdir name that is not one conda knows (e.g. <c>linux64</c> for <c>linux-64</c>).</summary>
    public const string UnknownPlatform = "CMIR105";

    /// <summary>A build-number spec (<c>build_number='&gt;3'</c>) that conda's BuildNumberMatch would reject.</summary>
    public const string InvalidBuildNumberSpec = "CMIR106";

    /// <summary>A subdir from a package, repodata record or lock is not a safe single folder name (absolute path, <c>..</c>, separators, reserved name).</summary>
    public const string SubdirUnsafe = "CMIR120";

    /// <summary>A subdir from a package, repodata record or lock is a safe name but not a conda platform, and custom subdirs are not allowed.</summary>
    public const string SubdirNotAllowed = "CMIR121";

    /// <summary>A package file name from a record or lock (<c>fn</c>, a URL's last segment) is not a single safe file name.</summary>
    public const string PackageFileNameUnsafe = "CMIR122";

    /// <summary>A package name from a repodata record, shard, lock entry or package's info/index.json is not a conda package name (<c>../../evil</c>, <c>a/b</c>, upper case, empty).</summary>
    public const string PackageNameInvalid = "CMIR123";

    /// <summary>A CondaPackage item (or environment file dependency) names a package that cannot be a conda package name.</summary>
    public const string RequestedNameInvalid = "CMIR124";
}
