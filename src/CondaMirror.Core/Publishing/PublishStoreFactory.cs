using CondaMirror.Core.Networking;

namespace CondaMirror.Core.Publishing;

/// <summary>The network bounds every store is opened with (CondaHttpTimeoutSeconds, CondaHttpRequestDeadlineSeconds, CondaRetryCount,
/// and the publish step's network budget, CondaNetworkDeadlineSeconds).</summary>
public sealed record StoreBounds(TimeSpan Timeout, TimeSpan RequestDeadline, int RetryCount, NetworkBudget Budget);

/// <summary>Opens the object store a destination is on: S3 (credentials from the AWS SDK's default chain) or Azure Blob (from AZURE_STORAGE_*).</summary>
public static class PublishStoreFactory
{
    /// <summary>
    /// Fails now, with the store's own code, when a destination's credential is missing or malformed and the store
    /// reads it only from the environment (Azure Blob). S3 credentials have other sources (profiles, instance roles)
    /// the SDK resolves when it connects; OCI registries may be anonymous.
    /// </summary>
    public static void CheckCredential(PublishTarget target, Func<string, string?> environment)
    {
        if (target.Store == PublishStore.AzureBlob)
            AzureBlobObjectStore.CheckCredential(environment, AzureBlobObjectStore.Describe(target.Account!, target.Bucket, target.AzureServiceUri!));
    }

    public static IObjectStore Open(PublishTarget target, StoreBounds bounds) => target.Store switch
    {
        PublishStore.AzureBlob => new AzureBlobObjectStore(new AzureBlobStoreOptions
        {
            Account = target.Account!,
            Container = target.Bucket,
            ServiceUri = target.AzureServiceUri!,
            Timeout = bounds.Timeout,
            RequestDeadline = bounds.RequestDeadline,
            RetryCount = bounds.RetryCount,
            Budget = bounds.Budget,
        }),
        _ => new S3ObjectStore(new S3StoreOptions
        {
            Bucket = target.Bucket,
            Endpoint = target.Endpoint,
            Region = target.Region,
            ForcePathStyle = target.ForcePathStyle,
            Timeout = bounds.Timeout,
            RequestDeadline = bounds.RequestDeadline,
            RetryCount = bounds.RetryCount,
            Budget = bounds.Budget,
        }),
    };
}
