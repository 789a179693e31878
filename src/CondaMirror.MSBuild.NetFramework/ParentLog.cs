using CondaMirror.MSBuild.TaskRunner.Wire;
using Microsoft.Build.Framework;

namespace CondaMirror.MSBuild.NetFramework;

/// <summary>Logs in the real build what the runner reports, and the route's own errors (CMIR807, CMIR802, CMIR899).</summary>
internal sealed class ParentLog
{
    private readonly IBuildEngine _engine;
    private readonly string _sender;
    private readonly string? _reportFile;

    /// <param name="reportFile">Where the route's own errors point: the user's project (the task's ProjectFile parameter).</param>
    public ParentLog(IBuildEngine engine, string sender, string? reportFile)
    {
        _engine = engine;
        _sender = sender;
        _reportFile = string.IsNullOrEmpty(reportFile) ? engine.ProjectFileOfTaskNode : reportFile;
    }

    public bool LoggedErrors { get; private set; }

    public void Message(string?[] f) =>
        _engine.LogMessageEvent(new BuildMessageEventArgs(f[2], f[3], f[4], Int(f, 5), Int(f, 6), Int(f, 7), Int(f, 8), f[9], null, _sender,
            (MessageImportance)WireRecord.ParseInt(f[1])));

    public void Warning(string?[] f)
    {
        // What TaskLoggingHelper does in-process: a warning the build treats as an error (-warnaserror) is logged as one.
        if (_engine is IBuildEngine8 engine && f[2] is { Length: > 0 } code && engine.ShouldTreatWarningAsError(code))
        {
            Error(f);
            return;
        }
        _engine.LogWarningEvent(new BuildWarningEventArgs(f[1], f[2], f[4], Int(f, 5), Int(f, 6), Int(f, 7), Int(f, 8), f[9], f[3], _sender));
    }

    public void Error(string?[] f)
    {
        LoggedErrors = true;
        _engine.LogErrorEvent(new BuildErrorEventArgs(f[1], f[2], f[4], Int(f, 5), Int(f, 6), Int(f, 7), Int(f, 8), f[9], f[3], _sender));
    }

    public void Low(string message) =>
        _engine.LogMessageEvent(new BuildMessageEventArgs(message, null, _sender, MessageImportance.Low));

    /// <summary>CMIR807: the tasks cannot run here, with what to do about it.</summary>
    public void CannotRun(string reason) => OwnError("CMIR807",
        "CondaMirror.MSBuild runs its tasks on .NET 8 or newer, in a process of their own, when MSBuild runs on .NET Framework before version 18 " +
        $"(Visual Studio 2022 or its msbuild.exe), and {reason}. Install the .NET 8 runtime or newer (any .NET SDK from 8 on includes it), " +
        "or set the property CondaMirrorDotnetHostPath to the dotnet executable to use; or build with `dotnet build`, or with Visual Studio 2026.");

    public bool Cancelled()
    {
        OwnError("CMIR802", $"{_sender} was cancelled; its process was stopped. Build again to continue.");
        return false;
    }

    public void Crashed(int exitCode, string diagnostics)
    {
        OwnError("CMIR899", $"{_sender} failed unexpectedly: its .NET task process ended with exit code {exitCode} before the task finished. Build with -v:diag for details and please report it.");
        if (diagnostics.Length > 0) Low("The task runner's diagnostics:\n" + diagnostics);
    }

    private void OwnError(string code, string message)
    {
        LoggedErrors = true;
        _engine.LogErrorEvent(new BuildErrorEventArgs(null, code, _reportFile, 0, 0, 0, 0, message, null, _sender));
    }

    private static int Int(string?[] fields, int index) => index < fields.Length ? WireRecord.ParseInt(fields[index]) : 0;
}
