using System.Globalization;
using CondaMirror.Core.Downloads;
using CondaMirror.Core.Errors;
using CondaMirror.Core.IO;
using CondaMirror.Core.Incremental;
using CondaMirror.Core.Locks;
using CondaMirror.Core.PyPI;
using Microsoft.Build.Framework;

namespace CondaMirror.MSBuild;

/// <summary>
/// Mirrors the lock's PyPI wheels (selected environment and platforms) as a static simple index through Core's
/// <see cref="PypiMirror"/>: same verified cache, retries and limits as conda packages. Maps items and properties to
/// the mirror's options and its result to outputs and log lines; records completion in a stamp listing every file.
/// </summary>
public sealed class MirrorPyPIPackages : LockDownloadTaskBase
{
    protected override string StepName => "pypi";

    /// <summary>The repository root (CondaPyPIOutputPath): files/ and simple/ are written below it.</summary>
    [Required]
    public string OutputDirectory { get; set; } = "";

    /// <summary>CondaPyPIIndex items: BearerToken, BearerTokenEnvironmentVariable, or UserEnvironmentVariable + PasswordEnvironmentVariable.</summary>
    public ITaskItem[] Indexes { get; set; } = Array.Empty<ITaskItem>();

    [Output]
    public string Summary { get; private set; } = "";

    [Output]
    public ITaskItem[] Files { get; private set; } = Array.Empty<ITaskItem>();

    protected override StepOutcome RunStep()
    {
        var lockFile = ReadLock();
        var platforms = LockPlatforms.Select(lockFile, SelectedPlatforms);
        var entries = PypiMirror.Select(lockFile, platforms);

        // Only names of variables pass through here; Core reads the secrets.
        var options = DownloadOptions(PypiCredentials.For(ChannelAuthItems.From(Indexes), entries));
        var mirror = new PypiMirror(options, MirrorLog);
        if (PlanOnly)
        {
            var plan = mirror.Plan(entries);
            mirror.WarnSkipped(plan.NotMirrored);
            if (entries.Count > 0)
                Log.LogMessage(MessageImportance.High,
                    $"PyPI plan: {plan.Wheels} wheels of {plan.Projects} projects; {plan.Cached} in the cache, {plan.ToDownload} to download; {plan.NotMirrored.Count} not mirrored (not wheels); the simple index is not written.");
            return StepOutcome.Nothing;
        }

        // A folder outside the project may be shared by mistake: the first project to write it owns it (CMIR808 for
        // the next), as for the channel. Only claimed when there is something to write.
        var projectFile = Path.GetFullPath(ProjectFile ?? BuildEngine.ProjectFileOfTaskNode);
        var owned = new List<string>();
        if (entries.Count > 0 && !SafePath.IsInside(Path.GetDirectoryName(projectFile)!, OutputDirectory))
            owned.Add(FolderClaim.Claim(Path.GetFullPath(OutputDirectory), projectFile, "CondaPyPIOutputPath", "PyPI index"));
        var result = mirror.MirrorAsync(entries, OutputDirectory, CancellationToken).GetAwaiter().GetResult();
        Files = result.Files.Select(f => (ITaskItem)new Microsoft.Build.Utilities.TaskItem(f)).ToArray();
        if (result.Downloads is { } d)
        {
            Summary = string.Create(CultureInfo.InvariantCulture,
                $"{result.Wheels} PyPI wheels ({d.Downloaded} downloaded, {d.FromCache} from cache)");
            var line = string.Create(CultureInfo.InvariantCulture,
                $"PyPI packages: {result.Wheels} wheels of {result.Projects} projects in {Path.GetFullPath(OutputDirectory)} ({d.Downloaded} downloaded, {d.FromCache} from cache, {Sizes.Format(d.BytesDownloaded)} in {d.Elapsed.TotalSeconds:F2} s)");
            Log.LogMessage(MessageImportance.High, line + (result.NotMirrored.Count > 0 ? $"; {result.NotMirrored.Count} not mirrored (not wheels)." : "."));
        }
        owned.AddRange(result.Files);
        return new StepOutcome(owned);
    }
}
