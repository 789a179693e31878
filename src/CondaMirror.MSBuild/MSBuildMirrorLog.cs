using CondaMirror.Core.Diagnostics;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace CondaMirror.MSBuild;

/// <summary>Forwards Core's progress messages to MSBuild: Info at normal verbosity (-v:n), Detail at detailed; one-line summaries are logged by the tasks at high importance.</summary>
public sealed class MSBuildMirrorLog : IMirrorLog
{
    private readonly TaskLoggingHelper _log;
    private readonly string? _defaultFile;

    /// <param name="defaultFile">Where warnings without a file of their own point: the user's project.</param>
    public MSBuildMirrorLog(TaskLoggingHelper log, string? defaultFile = null)
    {
        _log = log;
        _defaultFile = defaultFile;
    }

    public void Info(string message) => _log.LogMessage(MessageImportance.Normal, message);

    public void Detail(string message) => _log.LogMessage(MessageImportance.Low, message);

    public void Warning(string code, string message, string? file = null) =>
        _log.LogWarning(subcategory: null, warningCode: code, helpKeyword: null, file: file ?? _defaultFile,
            lineNumber: 0, columnNumber: 0, endLineNumber: 0, endColumnNumber: 0, message: message);
}
