using CondaMirror.Core.Errors;
using Microsoft.Build.Framework;
using Task = Microsoft.Build.Utilities.Task;

namespace CondaMirror.MSBuild;

/// <summary>
/// What every CondaMirror task shares: cancellation (Ctrl+C in the build), and the rule that a task never throws —
/// a <see cref="CondaMirrorException"/> becomes exactly one MSBuild error with its code and file, a cancellation
/// becomes CMIR802, and anything unexpected becomes CMIR899 with the message only (the stack goes to the
/// diagnostic log, not the user's face).
/// </summary>
public abstract class CondaTaskBase : Task, ICancelableTask
{
    private readonly CancellationTokenSource _cancel = new();

    protected CancellationToken CancellationToken => _cancel.Token;

    /// <summary>
    /// The user's project ($(MSBuildProjectFullPath)). Errors without a file of their own point here: MSBuild's
    /// default would be the file declaring the task call, i.e. this package's .targets in the NuGet cache.
    /// </summary>
    public string? ProjectFile { get; set; }

    /// <summary>Where errors and warnings without a file of their own are reported.</summary>
    protected string? ReportFile => string.IsNullOrEmpty(ProjectFile) ? BuildEngine?.ProjectFileOfTaskNode : ProjectFile;

    public void Cancel() => _cancel.Cancel();

    public sealed override bool Execute()
    {
        try
        {
            Run();
        }
        catch (CondaMirrorException e)
        {
            LogCondaError(e);
        }
        catch (OperationCanceledException) when (_cancel.IsCancellationRequested)
        {
            Log.LogError(subcategory: null, errorCode: ErrorCodes.BuildCancelled, helpKeyword: null, file: ReportFile,
                lineNumber: 0, columnNumber: 0, endLineNumber: 0, endColumnNumber: 0,
                message: $"{GetType().Name} was cancelled; nothing partial was left in the cache or the channel. Build again to continue.");
        }
        catch (AggregateException e) when (e.InnerExceptions.All(x => x is CondaMirrorException))
        {
            foreach (var inner in e.InnerExceptions.Cast<CondaMirrorException>()) LogCondaError(inner);
        }
        catch (Exception e)
        {
            Log.LogError(subcategory: null, errorCode: ErrorCodes.InternalError, helpKeyword: null, file: ReportFile,
                lineNumber: 0, columnNumber: 0, endLineNumber: 0, endColumnNumber: 0,
                message: $"{GetType().Name} failed unexpectedly: {e.GetType().Name}: {e.Message} Build with -v:diag for details and please report it.");
            Log.LogMessage(MessageImportance.Low, e.ToString());
        }
        return !Log.HasLoggedErrors;
    }

    /// <summary>The task's work. Throw CondaMirrorException for anything the user must fix.</summary>
    protected abstract void Run();

    protected MSBuildMirrorLog MirrorLog => new(Log, ReportFile);

    private void LogCondaError(CondaMirrorException e) =>
        Log.LogError(subcategory: null, errorCode: e.Code, helpKeyword: null, file: e.File ?? ReportFile,
            lineNumber: e.Line, columnNumber: 0, endLineNumber: 0, endColumnNumber: 0, message: e.Message);

    /// <summary>An item's own metadata (not MSBuild's well-known metadata), names compared without case as MSBuild does.</summary>
    internal static Dictionary<string, string> CustomMetadata(ITaskItem item)
    {
        var metadata = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (System.Collections.DictionaryEntry entry in item.CloneCustomMetadata())
            metadata[(string)entry.Key] = (string?)entry.Value ?? "";
        return metadata;
    }

    protected static string[] SplitList(string? value) =>
        string.IsNullOrWhiteSpace(value)
            ? Array.Empty<string>()
            : value.Split(new[] { ';', ',' }, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
