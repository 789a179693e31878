using CondaMirror.Core.Incremental;
using Microsoft.Build.Framework;

namespace CondaMirror.MSBuild;

/// <summary>`dotnet clean`: removes exactly the files the steps' records list as written, inside the given folders (see <see cref="StepClean"/>).</summary>
public sealed class CleanCondaMirror : CondaTaskBase
{
    [Required]
    public string StateDirectory { get; set; } = "";

    /// <summary>The folders the build writes into (channel, PyPI index, bundle folder, import root): nothing outside them is removed.</summary>
    public string[] Roots { get; set; } = Array.Empty<string>();

    protected override void Run()
    {
        var result = StepClean.Run(Path.GetFullPath(StateDirectory), Roots);
        Log.LogMessage(MessageImportance.Normal, $"Conda clean: {result.FilesRemoved} file(s) and {result.FoldersRemoved} empty folder(s) removed.");
    }
}
