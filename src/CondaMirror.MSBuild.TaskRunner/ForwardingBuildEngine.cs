using System.Collections;
using System.Collections.Concurrent;
using Microsoft.Build.Framework;

namespace CondaMirror.MSBuild.TaskRunner;

/// <summary>
/// The build engine the task sees in the runner. Every log event goes to the parent, which logs it in the real build:
/// messages with their importance, warnings and errors with code, file, line and column. Only messages of an importance
/// the parent's loggers want are produced (<see cref="EngineServices.LogsMessagesOfImportance"/>). Whether a warning is
/// an error (-warnaserror) is the parent's call, made when it logs the warning. Task objects live as long as the
/// runner, i.e. this one task; building other projects is not available here.
/// </summary>
internal sealed class ForwardingBuildEngine : IBuildEngine10
{
    private readonly RecordWriter _parent;
    private readonly ConcurrentDictionary<object, object> _taskObjects = new();

    public ForwardingBuildEngine(RecordWriter parent, string? projectFileOfTaskNode, int line, int column, bool continueOnError, MessageImportance lowestImportance)
    {
        _parent = parent;
        ProjectFileOfTaskNode = projectFileOfTaskNode ?? "";
        LineNumberOfTaskNode = line;
        ColumnNumberOfTaskNode = column;
        ContinueOnError = continueOnError;
        EngineServices = new Services(lowestImportance);
    }

    public bool ContinueOnError { get; }
    public int LineNumberOfTaskNode { get; }
    public int ColumnNumberOfTaskNode { get; }
    public string ProjectFileOfTaskNode { get; }
    public bool IsRunningMultipleNodes => false;
    public bool AllowFailureWithoutError { get; set; }
    public EngineServices EngineServices { get; }

    public void LogErrorEvent(BuildErrorEventArgs e) =>
        _parent.Write("error", e.Subcategory, e.Code, e.HelpKeyword, e.File, N(e.LineNumber), N(e.ColumnNumber), N(e.EndLineNumber), N(e.EndColumnNumber), e.Message);

    public void LogWarningEvent(BuildWarningEventArgs e) =>
        _parent.Write("warning", e.Subcategory, e.Code, e.HelpKeyword, e.File, N(e.LineNumber), N(e.ColumnNumber), N(e.EndLineNumber), N(e.EndColumnNumber), e.Message);

    public void LogMessageEvent(BuildMessageEventArgs e) =>
        _parent.Write("message", N((int)e.Importance), e.Subcategory, e.Code, e.File, N(e.LineNumber), N(e.ColumnNumber), N(e.EndLineNumber), N(e.EndColumnNumber), e.Message);

    public void LogCustomEvent(CustomBuildEventArgs e) =>
        _parent.Write("message", N((int)MessageImportance.Low), null, null, null, "0", "0", "0", "0", e.Message);

    public void LogTelemetry(string eventName, IDictionary<string, string> properties) { }

    public bool ShouldTreatWarningAsError(string warningCode) => false;

    public IReadOnlyDictionary<string, string> GetGlobalProperties() => new Dictionary<string, string>();

    public bool BuildProjectFile(string projectFileName, string[] targetNames, IDictionary globalProperties, IDictionary targetOutputs) =>
        throw new NotSupportedException("Building other projects is not available in the out-of-process task runner.");

    public bool BuildProjectFile(string projectFileName, string[] targetNames, IDictionary globalProperties, IDictionary targetOutputs, string toolsVersion) =>
        BuildProjectFile(projectFileName, targetNames, globalProperties, targetOutputs);

    public bool BuildProjectFilesInParallel(string[] projectFileNames, string[] targetNames, IDictionary[] globalProperties, IDictionary[] targetOutputsPerProject,
        string[] toolsVersion, bool useResultsCache, bool unloadProjectsOnCompletion) => BuildProjectFile("", targetNames, null!, null!);

    public BuildEngineResult BuildProjectFilesInParallel(string[] projectFileNames, string[] targetNames, IDictionary[] globalProperties,
        IList<string>[] removeGlobalProperties, string[] toolsVersion, bool returnTargetOutputs) =>
        throw new NotSupportedException("Building other projects is not available in the out-of-process task runner.");

    public void Yield() { }
    public void Reacquire() { }
    public int RequestCores(int requestedCores) => Math.Max(1, Math.Min(requestedCores, Environment.ProcessorCount));
    public void ReleaseCores(int coresToRelease) { }

    public void RegisterTaskObject(object key, object obj, RegisteredTaskObjectLifetime lifetime, bool allowEarlyCollection) => _taskObjects[key] = obj;

    public object? GetRegisteredTaskObject(object key, RegisteredTaskObjectLifetime lifetime) => _taskObjects.TryGetValue(key, out var value) ? value : null;

    public object? UnregisterTaskObject(object key, RegisteredTaskObjectLifetime lifetime) => _taskObjects.TryRemove(key, out var value) ? value : null;

    /// <summary>What MSBuild does at the end of a build: registered objects that are disposable are disposed (files closed).</summary>
    public void DisposeTaskObjects()
    {
        foreach (var value in _taskObjects.Values)
            try { (value as IDisposable)?.Dispose(); }
            catch (Exception e) { Console.Error.WriteLine($"warning: disposing a task object failed: {e.Message}"); }
        _taskObjects.Clear();
    }

    private static string N(int value) => Wire.WireRecord.Number(value);

    private sealed class Services : EngineServices
    {
        private readonly MessageImportance _lowest;
        public Services(MessageImportance lowest) => _lowest = lowest;
        public override bool LogsMessagesOfImportance(MessageImportance importance) => importance <= _lowest;
        public override bool IsTaskInputLoggingEnabled => false;
    }
}
