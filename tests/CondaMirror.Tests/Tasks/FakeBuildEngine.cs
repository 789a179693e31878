using System.Collections;
using Microsoft.Build.Framework;

namespace CondaMirror.Tests.Tasks;

/// <summary>Collects what a task logs, so task tests can assert on errors (code, file, text) and messages.</summary>
public sealed class FakeBuildEngine : IBuildEngine
{
    private readonly object _gate = new();
    public List<BuildErrorEventArgs> Errors { get; } = new();
    public List<BuildWarningEventArgs> Warnings { get; } = new();
    public List<BuildMessageEventArgs> Messages { get; } = new();

    public bool ContinueOnError => false;
    public int LineNumberOfTaskNode => 0;
    public int ColumnNumberOfTaskNode => 0;
    public string ProjectFileOfTaskNode { get; set; } = "test.csproj";

    public bool BuildProjectFile(string projectFileName, string[] targetNames, IDictionary globalProperties, IDictionary targetOutputs) => throw new NotSupportedException();
    public void LogCustomEvent(CustomBuildEventArgs e) { }
    public void LogErrorEvent(BuildErrorEventArgs e) { lock (_gate) Errors.Add(e); }
    public void LogWarningEvent(BuildWarningEventArgs e) { lock (_gate) Warnings.Add(e); }
    public void LogMessageEvent(BuildMessageEventArgs e) { lock (_gate) Messages.Add(e); }

    public string AllMessages => string.Join("\n", Messages.Select(m => m.Message));

    public override string ToString() =>
        string.Join("\n", Errors.Select(e => $"error {e.Code} {e.File}: {e.Message}").Concat(Warnings.Select(w => $"warning {w.Code}: {w.Message}")));
}
