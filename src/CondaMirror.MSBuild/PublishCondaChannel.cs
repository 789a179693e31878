using CondaMirror.Core.Errors;
using CondaMirror.Core.Networking;
using CondaMirror.Core.Networking.Oci;
using CondaMirror.Core.Publishing;
using CondaMirror.MSBuild.ProjectChecks;
using Microsoft.Build.Framework;

namespace CondaMirror.MSBuild;

/// <summary>
/// Publishes the built channel to each CondaPublish destination (s3://bucket/prefix with Endpoint, Region,
/// ForcePathStyle and Prune metadata, or azblob://account/container/prefix with Endpoint and Prune): only new or
/// changed files, archives first and repodata.json last. With PlanOnly, reports what would be published and writes
/// nothing. Credentials come from the environment (the AWS SDK's default chain; AZURE_STORAGE_SAS_TOKEN or
/// AZURE_STORAGE_KEY); item metadata that looks like one is CMIR361. An item's PyPI metadata (a destination on the
/// same store) also publishes the PyPI simple index the build wrote, wheels first and simple/index.* last.
/// </summary>
public sealed class PublishCondaChannel : CondaTaskBase
{
    [Required]
    public string ChannelDirectory { get; set; } = "";

    /// <summary>The CondaPublish items.</summary>
    [Required]
    public ITaskItem[] Destinations { get; set; } = Array.Empty<ITaskItem>();

    public int HttpTimeoutSeconds { get; set; } = 100;

    /// <summary>CondaHttpRequestDeadlineSeconds: the most one S3 or Azure call may take, retries and body included.</summary>
    public int HttpRequestDeadlineSeconds { get; set; } = 600;

    public int RetryCount { get; set; } = 5;

    /// <summary>Network time of the whole publish, every destination, call and retry included (CondaNetworkDeadlineSeconds); 0 for none.</summary>
    public int NetworkDeadlineSeconds { get; set; } = 600;

    public bool PlanOnly { get; set; }

    /// <summary>Where the channel files' hashes are remembered between builds (obj/…/condamirror/publish.hashes).</summary>
    public string? HashCacheFile { get; set; }

    /// <summary>The PyPI simple index folder ($(CondaPyPIOutputPath)); empty when the build writes none (CondaMirrorPyPI=false).</summary>
    public string? PyPIDirectory { get; set; }

    /// <summary>Where the PyPI index files' hashes are remembered (obj/…/condamirror/publish-pypi.hashes).</summary>
    public string? PyPIHashCacheFile { get; set; }

    private NetworkBudget? _budget;

    protected override void Run()
    {
        if (HttpTimeoutSeconds < 1 || RetryCount < 0 || HttpRequestDeadlineSeconds < 1 || NetworkDeadlineSeconds < 0)
            throw new CondaMirrorException(ErrorCodes.PublishMetadataInvalid,
                $"CondaHttpTimeoutSeconds and CondaHttpRequestDeadlineSeconds must be ≥ 1, CondaRetryCount and CondaNetworkDeadlineSeconds ≥ 0 " +
                $"(got {HttpTimeoutSeconds}, {HttpRequestDeadlineSeconds}, {RetryCount}, {NetworkDeadlineSeconds}).");
        _budget = new NetworkBudget(TimeSpan.FromSeconds(NetworkDeadlineSeconds));
        // Every destination is checked before anything is published to any of them.
        var targets = Destinations.Select(Parse).ToList();
        PublishTarget.CheckDistinct(targets);

        // The index exists only when the PyPI step wrote it (the lock has PyPI entries and CondaMirrorPyPI is not false).
        var pypiBuilt = !string.IsNullOrWhiteSpace(PyPIDirectory) && File.Exists(Path.Combine(PyPIDirectory!, PublishLayout.PyPI.RootFile));
        foreach (var target in targets)
        {
            if (target.IsOci)
            {
                PublishOci(target);
                continue;
            }
            Publish(ChannelDirectory, target, PublishLayout.Conda, HashCacheFile);
            if (target.PyPI is null) continue;
            if (pypiBuilt)
                Publish(PyPIDirectory!, target.PyPI, target.PyPILayout, PyPIHashCacheFile);
            else
                Log.LogMessage(MessageImportance.Low,
                    $"No PyPI index to publish to {target.PyPI.Url}: this build wrote none (the lock has no PyPI entries, or CondaMirrorPyPI is false).");
        }
    }

    private void Publish(string directory, PublishTarget target, PublishLayout layout, string? hashCacheFile)
    {
        using var store = PublishStoreFactory.Open(target,
            new StoreBounds(TimeSpan.FromSeconds(HttpTimeoutSeconds), TimeSpan.FromSeconds(HttpRequestDeadlineSeconds), RetryCount, _budget!));
        var result = ChannelPublisher.PublishAsync(directory, target, store, new PublishOptions
        {
            PlanOnly = PlanOnly,
            HashCacheFile = string.IsNullOrWhiteSpace(hashCacheFile) ? null : hashCacheFile,
            Layout = layout,
        }, MirrorLog, CancellationToken)
            .GetAwaiter().GetResult();
        var r = result.Requests;
        Log.LogMessage(MessageImportance.Low,
            $"Publish requests to {result.Url}: {r.Lists} list, {r.Gets} get, {r.Heads} head, {r.Puts} put, {r.Deletes} delete.");
        var channelName = Path.GetFileName(Path.TrimEndingDirectorySeparator(directory));
        if (PlanOnly)
            Log.LogMessage(MessageImportance.High,
                $"Would publish {channelName} to {result.Url}: {result.Uploaded} to upload ({Sizes.Format(result.UploadedBytes)}), {result.Unchanged} unchanged, " +
                $"{(target.Prune ? $"{result.Pruned} to prune" : $"{result.StaleKept} no longer in the {layout.Name} (kept; Prune is off)")}.");
        else
            Log.LogMessage(MessageImportance.High,
                $"Published {channelName} to {result.Url}: {result.Uploaded} uploaded ({Sizes.Format(result.UploadedBytes)}), {result.Unchanged} unchanged, " +
                $"{result.Pruned} pruned in {result.Elapsed.TotalSeconds:0.0} s");
    }

    private void PublishOci(PublishTarget target)
    {
        var settings = OciSettings.FromEnvironment();
        using var network = new NetworkClient(new NetworkOptions
        {
            Retry = new HttpRetrySettings
            {
                RetryCount = RetryCount,
                OnRetry = n => Log.LogMessage(MessageImportance.Low, $"Publishing {n.Subject} failed ({UrlRedaction.Redact(n.Failure.Message)}); retry {n.Retry} of {n.MaxRetries}."),
            },
            AttemptTimeout = TimeSpan.FromSeconds(HttpTimeoutSeconds),
            AttemptDeadline = TimeSpan.FromSeconds(HttpRequestDeadlineSeconds),
            OciSettings = settings,
        });
        var result = OciChannelPublisher.PublishAsync(ChannelDirectory, target, network, settings, new PublishOptions
        {
            PlanOnly = PlanOnly,
            HashCacheFile = string.IsNullOrWhiteSpace(HashCacheFile) ? null : HashCacheFile,
        }, MirrorLog, CancellationToken).GetAwaiter().GetResult();
        var r = result.Requests;
        Log.LogMessage(MessageImportance.Low, $"Publish requests to {result.Url}: {r.Heads} head, {r.Puts} put, {network.OciRegistry.TokenFetches} token.");
        var channelName = Path.GetFileName(Path.TrimEndingDirectorySeparator(ChannelDirectory));
        Log.LogMessage(MessageImportance.High, PlanOnly
            ? $"Would publish {channelName} to {result.Url}: {result.Uploaded} to upload ({Sizes.Format(result.UploadedBytes)}), {result.Unchanged} unchanged."
            : $"Published {channelName} to {result.Url}: {result.Uploaded} uploaded ({Sizes.Format(result.UploadedBytes)}), {result.Unchanged} unchanged, {result.UploadOrder.Count} tag(s) written in {result.Elapsed.TotalSeconds:0.0} s");
    }

    private PublishTarget Parse(ITaskItem item)
    {
        var metadata = CustomMetadata(item);
        try
        {
            return PublishTarget.Parse(item.ItemSpec, metadata, ReportFile);
        }
        catch (CondaMirrorException e) when (Locate(item.ItemSpec) is { } element)
        {
            // Point at the CondaPublish element in the project (MSBuild gives tasks no item lines).
            throw new CondaMirrorException(e.Code, e.Message, element.File, e) { Line = element.Line };
        }
    }

    private PackageElement? Locate(string include) => PackageElementScanner.Locate(ProjectFile, PackageElementScanner.PublishItem, include);
}
