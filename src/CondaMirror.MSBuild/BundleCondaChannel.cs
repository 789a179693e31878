using CondaMirror.Core.Bundles;
using CondaMirror.Core.Incremental;
using Microsoft.Build.Framework;

namespace CondaMirror.MSBuild;

/// <summary>
/// Writes the air-gap bundle of the channel (CondaBundle=true): one tar with the channel, the lock and SHA256SUMS;
/// with CondaBundleBase (a previous SHA256SUMS) only what changed since.
/// </summary>
public sealed class BundleCondaChannel : CondaStepTask
{
    protected override string StepName => "bundle";

    /// <summary>The records of the steps that wrote the channel (download, index): the channel's content as an input, without hashing every archive.</summary>
    [FileContentInput]
    public ITaskItem[] ChannelRecords { get; set; } = Array.Empty<ITaskItem>();

    [Required]
    public string ChannelDirectory { get; set; } = "";

    [Required]
    public string BundlePath { get; set; } = "";

    [FileContentInput]
    public string? LockFile { get; set; }

    /// <summary>CondaBundleBase: the SHA256SUMS of the bundle the offline side already has.</summary>
    [FileContentInput]
    public string? BaseManifest { get; set; }

    /// <summary>CondaBundleCompress: zstd-compress the tar (unpack with tar --zstd -xf).</summary>
    public bool Compress { get; set; }

    /// <summary>The bundle's SHA256SUMS, written beside it: the CondaBundleBase of the next incremental bundle.</summary>
    [Output]
    public string ManifestPath { get; private set; } = "";

    protected override StepOutcome RunStep()
    {
        var result = ChannelBundle.Write(ChannelDirectory, BundlePath, new BundleOptions
        {
            LockFile = string.IsNullOrWhiteSpace(LockFile) || !File.Exists(LockFile) ? null : LockFile,
            BaseManifest = string.IsNullOrWhiteSpace(BaseManifest) ? null : BaseManifest,
            Compress = Compress,
        }, MirrorLog, CancellationToken);
        ManifestPath = ChannelBundle.WriteManifestBeside(result);
        Log.LogMessage(MessageImportance.High,
            $"Conda bundle: {result.Path} ({result.FilesInBundle} file(s), {Sizes.Format(result.Bytes)}{(result.FilesLeftOut > 0 ? $"; {result.FilesLeftOut} unchanged since {BaseManifest} left out" : "")}); manifest {ManifestPath}.");
        return new StepOutcome(new[] { result.Path, ManifestPath });
    }
}
