using CondaMirror.Core.Bundles;
using CondaMirror.Core.Incremental;
using Microsoft.Build.Framework;

namespace CondaMirror.MSBuild;

/// <summary>
/// The offline side (CondaBundleImport items, in order): verifies each bundle against its SHA256SUMS and merges it
/// into the import folder, all or nothing per bundle.
/// </summary>
public sealed class ImportCondaBundle : CondaStepTask
{
    protected override string StepName => "import";

    /// <summary>The bundles, by content: another bundle at the same path with an older time is still another bundle.</summary>
    [Required]
    [FileContentInput]
    public ITaskItem[] Bundles { get; set; } = Array.Empty<ITaskItem>();

    /// <summary>CondaBundleImportRoot: the folder bundles unpack into (the channel is its channel/ folder).</summary>
    [Required]
    public string Root { get; set; } = "";

    /// <summary>CondaBundleImportDeadlineSeconds: the time limit of importing one bundle, unpacking and verifying; 0 for none.</summary>
    public int ImportDeadlineSeconds { get; set; } = 1800;

    protected override StepOutcome RunStep()
    {
        if (ImportDeadlineSeconds < 0)
            throw new Core.Errors.CondaMirrorException(Core.Errors.ErrorCodes.InvalidBuildSetting,
                $"CondaBundleImportDeadlineSeconds must be ≥ 0, 0 for none (got {ImportDeadlineSeconds}).");
        var options = new BundleOptions { ImportDeadline = TimeSpan.FromSeconds(ImportDeadlineSeconds) };
        IReadOnlyList<string> files = Array.Empty<string>();
        foreach (var bundle in Bundles)
        {
            var path = bundle.GetMetadata("FullPath");
            var result = ChannelBundle.Import(path, Root, options, MirrorLog, CancellationToken);
            files = result.Files;
            Log.LogMessage(MessageImportance.High,
                $"Conda bundle {Path.GetFileName(path)} imported into {Root}: {result.FilesWritten} written, {result.FilesRemoved} removed, {result.FilesVerified} verified.");
        }
        return new StepOutcome(files);
    }
}
