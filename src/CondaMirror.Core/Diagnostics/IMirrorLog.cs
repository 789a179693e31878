namespace CondaMirror.Core.Diagnostics;

/// <summary>
/// How Core reports progress without knowing MSBuild: the tasks forward these to TaskLoggingHelper
/// (Info = normal importance, Detail = low importance). Errors are not logged here: they are thrown as
/// CondaMirrorException and turned into exactly one MSBuild error by the task.
/// </summary>
public interface IMirrorLog
{
    void Info(string message);
    void Detail(string message);
    void Warning(string code, string message, string? file = null);
}

/// <summary>A log that drops everything (library callers that do not care).</summary>
public sealed class NullMirrorLog : IMirrorLog
{
    public static readonly NullMirrorLog Instance = new();
    public void Info(string message) { }
    public void Detail(string message) { }
    public void Warning(string code, string message, string? file = null) { }
}

/// <summary>A log that keeps everything in memory; handy in tests and for summaries.</summary>
public sealed class RecordingMirrorLog : IMirrorLog
{
    private readonly object _gate = new();
    public List<string> Infos { get; } = new();
    public List<string> Details { get; } = new();
    public List<(string Code, string Message, string? File)> Warnings { get; } = new();
    public void Info(string message) { lock (_gate) Infos.Add(message); }
    public void Detail(string message) { lock (_gate) Details.Add(message); }
    public void Warning(string code, string message, string? file = null) { lock (_gate) Warnings.Add((code, message, file)); }
}
