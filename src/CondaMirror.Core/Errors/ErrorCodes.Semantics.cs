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
}
