using CondaMirror.Core.Archives;
using CondaMirror.Core.Channels;
using CondaMirror.Core.Incremental;
using CondaMirror.Core.Networking;
using CondaMirror.Core.PackageFiles;
using Microsoft.Build.Framework;

namespace CondaMirror.MSBuild;

/// <summary>
/// Turns <c>CondaPackageFile</c> items into local archives for the index step: package and zip URLs are downloaded
/// into the verified package cache (checked against <c>Sha256</c>/<c>Md5</c> metadata), the .conda/.tar.bz2 members
/// of CI-artifact zips are extracted into it, local archives pass through. A step of its own, before the index step,
/// so that the network stays out of the index step's record: this step's inputs are the items (URLs by their text,
/// local files by their bytes, every metadata value); the index step's are the archives it hands on, by their bytes.
/// </summary>
public sealed class FetchCondaPackageFiles : DownloadTaskBase
{
    protected override string StepName => "packagefiles";

    /// <summary>CondaPackageFile items: local archives or zips, or http(s) URLs of either; metadata Sha256 or Md5 verifies them.</summary>
    [FileContentInput]
    public ITaskItem[] PackageFiles { get; set; } = Array.Empty<ITaskItem>();

    /// <summary>CondaChannel items: their credentials apply to URLs under the channel, as for locked packages.</summary>
    public ITaskItem[] Channels { get; set; } = Array.Empty<ITaskItem>();

    public string? ChannelAlias { get; set; }

    /// <summary>CondaMaxUnpackedPackageMB: the limit for each package (member check) and for what a zip's packages unpack to.</summary>
    public string? MaxUnpackedPackageMB { get; set; }

    /// <summary>The local archives to index, in item order.</summary>
    [Output]
    public ITaskItem[] Archives { get; private set; } = Array.Empty<ITaskItem>();

    protected override StepOutcome RunStep()
    {
        CheckNetworkLimits();
        var validation = IndexCondaChannel.ValidationOptions(MaxUnpackedPackageMB);
        var items = PackageFiles.Select(i => new PackageFileItem(
            IsUrl(i.ItemSpec) ? i.ItemSpec : i.GetMetadata("FullPath"),
            NullIfEmpty(i.GetMetadata("Sha256")), NullIfEmpty(i.GetMetadata("Md5")))).ToList();
        var options = new PackageFileOptions
        {
            Download = DownloadOptions(CredentialSet.FromChannels(ChannelAuthItems.From(Channels), ChannelResolver.RootResolver(ChannelAlias)), validation: validation),
            Zip = new ArtifactZipLimits { MaxUnpackedBytes = validation.MaxUnpackedBytes ?? ArtifactZipLimits.DefaultMaxUnpackedBytes },
        };
        var result = PackageFileCollector.CollectAsync(items, options, MirrorLog, CancellationToken).GetAwaiter().GetResult();
        Archives = ToItems(result.Archives);
        if (result.Downloaded + result.FromCache + result.Extracted > 0)
            Log.LogMessage(MessageImportance.Normal,
                $"Conda package files: {result.Archives.Count} archive(s) to index ({result.Downloaded} downloaded, {result.FromCache} from cache, {result.Extracted} extracted from zips).");
        // Cache files are read, not owned (clean leaves the shared cache alone): one evicted or changed reruns the step.
        return new StepOutcome(Array.Empty<string>(), ReadFiles: result.CacheFiles, Results: result.Archives);
    }

    protected override void UpToDate(StepRecord record) => Archives = ToItems(record.Results);

    private static ITaskItem[] ToItems(IEnumerable<string> paths) => paths.Select(p => (ITaskItem)new Microsoft.Build.Utilities.TaskItem(p)).ToArray();

    private static bool IsUrl(string spec) =>
        spec.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || spec.StartsWith("https://", StringComparison.OrdinalIgnoreCase);

    private static string? NullIfEmpty(string value) => string.IsNullOrEmpty(value) ? null : value;
}
