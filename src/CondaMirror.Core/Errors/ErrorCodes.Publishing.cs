namespace CondaMirror.Core.Errors;

public static partial class ErrorCodes
{
    /// <summary>A CondaPublish item is not an `s3://bucket[/prefix]` URL, or its Endpoint is not an absolute http(s) URL.</summary>
    public const string PublishUrlInvalid = "CMIR360";

    /// <summary>A CondaPublish item carries metadata that looks like a credential; credentials come from the environment only.</summary>
    public const string PublishSecretInProject = "CMIR361";

    /// <summary>No credentials were found in the environment (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, shared credentials file).</summary>
    public const string PublishNoCredentials = "CMIR362";

    /// <summary>The object store refused the credentials or the operation (AccessDenied, InvalidAccessKeyId, SignatureDoesNotMatch).</summary>
    public const string PublishAccessDenied = "CMIR363";

    /// <summary>The bucket does not exist at the endpoint.</summary>
    public const string PublishNoSuchBucket = "CMIR364";

    /// <summary>The endpoint could not be reached, or did not answer within CondaHttpTimeoutSeconds after CondaRetryCount retries.</summary>
    public const string PublishUnreachable = "CMIR365";

    /// <summary>The object store answered a request with an error other than the ones above (after retries).</summary>
    public const string PublishRequestFailed = "CMIR366";

    /// <summary>The remote state is larger than publishing reads: too many objects under the prefix, or an oversized manifest.</summary>
    public const string PublishRemoteTooLarge = "CMIR367";

    /// <summary>The channel folder to publish is missing, has no noarch/repodata.json, or holds a file that cannot be an object (too large, unreadable).</summary>
    public const string PublishChannelInvalid = "CMIR368";

    /// <summary>CondaPublish metadata other than the URL is invalid (Region, ForcePathStyle, Prune, PyPIFolderKeys), or two items name one destination.</summary>
    public const string PublishMetadataInvalid = "CMIR369";

    /// <summary>Two publish destinations overlap (one prefix inside the other, in one bucket): an item's PyPI and channel destinations, or those of two items.</summary>
    public const string PublishDestinationsOverlap = "CMIR370";

    /// <summary>An Azure Blob destination (azblob://account/container[/prefix] or https://account.blob.core.windows.net/container[/prefix]) is malformed, or carries S3-only metadata.</summary>
    public const string PublishAzureUrlInvalid = "CMIR376";

    /// <summary>Neither AZURE_STORAGE_SAS_TOKEN nor AZURE_STORAGE_KEY is set for an Azure Blob destination.</summary>
    public const string PublishAzureNoCredentials = "CMIR377";

    /// <summary>AZURE_STORAGE_SAS_TOKEN or AZURE_STORAGE_KEY is not what it should be (not a SAS query string, not base64), or both are set.</summary>
    public const string PublishAzureCredentialInvalid = "CMIR378";

    /// <summary>Azure Blob Storage refused the credential or the operation (HTTP 401/403, AuthenticationFailed, AuthorizationFailure…).</summary>
    public const string PublishAzureAccessDenied = "CMIR379";

    /// <summary>The Azure Blob container does not exist at the account.</summary>
    public const string PublishAzureNoSuchContainer = "CMIR380";
}
