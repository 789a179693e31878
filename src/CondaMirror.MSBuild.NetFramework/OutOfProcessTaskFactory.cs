using Microsoft.Build.Framework;

namespace CondaMirror.MSBuild.NetFramework;

/// <summary>
/// The task factory of the out-of-process route (CondaMirrorTaskHost=OutOfProcess), for .NET Framework MSBuild before
/// 18 (Visual Studio 2022), which can load neither the net8.0 task assembly nor a .NET task host. Registered per task:
/// <code>
/// &lt;UsingTask TaskName="CondaMirror.MSBuild.IndexCondaChannel" TaskFactory="CondaMirror.MSBuild.NetFramework.OutOfProcessTaskFactory"
///            AssemblyFile="…/tasks/net472/CondaMirror.MSBuild.NetFramework.dll"&gt;
///   &lt;Task Evaluate="true"&gt;TaskAssembly=…/tasks/net8.0/CondaMirror.MSBuild.dll
///     Runner=…/tasks/net8.0/runner/CondaMirror.MSBuild.TaskRunner.dll
///     DotnetHostPath=$(CondaMirrorDotnetHostPath)
///     NetCoreRoot=$(NetCoreRoot)&lt;/Task&gt;
/// &lt;/UsingTask&gt;
/// </code>
/// The task's parameters are read from the net8.0 assembly's metadata (<see cref="TaskParameters"/>), so there is no
/// second list of them; each task object (<see cref="OutOfProcessTask"/>) runs the real task in the .NET runner.
/// </summary>
public sealed class OutOfProcessTaskFactory : ITaskFactory
{
    private string _taskName = "";
    private RunnerSettings _settings = new();
    private TaskPropertyInfo[] _parameters = Array.Empty<TaskPropertyInfo>();

    public string FactoryName => "CondaMirror out-of-process task factory";

    public Type TaskType => typeof(OutOfProcessTask);

    public bool Initialize(string taskName, IDictionary<string, TaskPropertyInfo> parameterGroup, string taskBody, IBuildEngine taskFactoryLoggingHost)
    {
        _taskName = taskName;
        _settings = RunnerSettings.Parse(taskBody);
        try
        {
            _parameters = TaskParameters.Read(_settings.TaskAssembly, taskName);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or BadImageFormatException or InvalidOperationException)
        {
            taskFactoryLoggingHost.LogErrorEvent(new BuildErrorEventArgs(null, "CMIR807", taskFactoryLoggingHost.ProjectFileOfTaskNode,
                taskFactoryLoggingHost.LineNumberOfTaskNode, taskFactoryLoggingHost.ColumnNumberOfTaskNode, 0, 0,
                $"CondaMirror.MSBuild cannot read the task {taskName} from '{_settings.TaskAssembly}' ({e.Message}). The package is incomplete: restore it again.",
                null, FactoryName));
            return false;
        }
    }

    public TaskPropertyInfo[] GetTaskParameters() => _parameters;

    public ITask CreateTask(IBuildEngine taskFactoryLoggingHost) => new OutOfProcessTask(_taskName, _settings, _parameters);

    public void CleanupTask(ITask task) => (task as IDisposable)?.Dispose();
}

/// <summary>The factory's settings, one <c>Name=value</c> per line of the UsingTask's Task body.</summary>
internal sealed class RunnerSettings
{
    /// <summary>The net8.0 task assembly (CondaMirrorTaskAssembly).</summary>
    public string TaskAssembly { get; private set; } = "";

    /// <summary>The .NET runner, a framework-dependent app run with <c>dotnet</c>.</summary>
    public string Runner { get; private set; } = "";

    /// <summary>CondaMirrorDotnetHostPath: the dotnet executable to use; empty to search for one.</summary>
    public string DotnetHostPath { get; private set; } = "";

    /// <summary>The .NET SDK's root, as the SDK the project builds with defines it (NetCoreRoot).</summary>
    public string NetCoreRoot { get; private set; } = "";

    public static RunnerSettings Parse(string? body)
    {
        var settings = new RunnerSettings();
        foreach (var raw in (body ?? "").Split('\r', '\n'))
        {
            var line = raw.Trim();
            var equals = line.IndexOf('=');
            if (equals <= 0) continue;
            var value = line.Substring(equals + 1).Trim();
            switch (line.Substring(0, equals).Trim())
            {
                case "TaskAssembly": settings.TaskAssembly = value; break;
                case "Runner": settings.Runner = value; break;
                case "DotnetHostPath": settings.DotnetHostPath = value; break;
                case "NetCoreRoot": settings.NetCoreRoot = value; break;
            }
        }
        return settings;
    }
}
