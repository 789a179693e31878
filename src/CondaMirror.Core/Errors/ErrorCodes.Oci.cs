namespace CondaMirror.Core.Errors;

public static partial class ErrorCodes
{
    /// <summary>An oci:// CondaPublish item is not oci://host[:port]/namespace/channel (lower-case repository components), or has metadata OCI publishing does not take (Endpoint, Region, ForcePathStyle, Prune, PyPI).</summary>
    public const string OciPublishDestinationInvalid = "CMIR371";

    /// <summary>Only one of CONDAMIRROR_OCI_USERNAME and CONDAMIRROR_OCI_PASSWORD is set.</summary>
    public const string OciPublishCredentialsIncomplete = "CMIR372";

    /// <summary>The registry refused a push request (401/403) with the credentials given, or without any.</summary>
    public const string OciPublishAccessDenied = "CMIR373";

    /// <summary>The registry could not be reached, answered a push request with another error after the retries, or sent an upload to another host.</summary>
    public const string OciPublishFailed = "CMIR374";

    /// <summary>The channel holds a file the OCI layout has no place for (a package name that is no repository name, the per-channel layout).</summary>
    public const string OciChannelNotPublishable = "CMIR375";

    /// <summary>An oci:// channel or package URL is not oci://host/namespace/channel[/subdir/file].</summary>
    public const string OciUrlInvalid = "CMIR690";

    /// <summary>The registry's token service refused the token request, answered something that is not a token, or is not https.</summary>
    public const string OciTokenFailed = "CMIR691";

    /// <summary>A manifest of the registry is not a readable OCI manifest, is too large, or its layer has no sha256 digest.</summary>
    public const string OciManifestInvalid = "CMIR692";
}
