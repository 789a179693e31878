using System.Collections;
using System.Text;
using CondaMirror.MSBuild.NetFramework;
using Microsoft.Build.Framework;

namespace CondaMirror.NetFramework.Harness;

/// <summary>
/// Runs one CondaMirror task through <see cref="OutOfProcessTaskFactory"/>, as .NET Framework MSBuild 17 would:
/// the factory from its UsingTask settings, the parameters it reports, a task object, parameters set through
/// IGeneratedTask, Execute, outputs read back. Prints what happened, one fact a line, for the test to check.
/// <code>
/// harness &lt;task&gt; &lt;settings file&gt; [Name=value | Name=@item1|item2 | Name=@item?meta=value&amp;meta2=value]... [--cancel-after=ms]
/// </code>
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        var runtime = Type.GetType("Mono.Runtime") is { } mono
            ? "Mono " + mono.GetMethod("GetDisplayName", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)?.Invoke(null, null)
            : ".NET Framework " + Environment.Version;
        Console.WriteLine($"runtime\t{runtime}");
        var taskName = args[0];
        var settings = File.ReadAllText(args[1]);
        var engine = new HarnessEngine();

        var factory = new OutOfProcessTaskFactory();
        if (!factory.Initialize(taskName, new Dictionary<string, TaskPropertyInfo>(), settings, engine))
        {
            engine.Print();
            Console.WriteLine("initialize\tfailed");
            return 1;
        }
        var parameters = factory.GetTaskParameters().ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
        foreach (var p in parameters.Values.OrderBy(p => p.Name, StringComparer.Ordinal))
            Console.WriteLine($"parameter\t{p.Name}\t{p.PropertyType.Name}\t{(p.Output ? "output" : "input")}\t{(p.Required ? "required" : "optional")}");

        var task = (IGeneratedTask)factory.CreateTask(engine);
        task.BuildEngine = engine;
        int? cancelAfter = null;
        foreach (var arg in args.Skip(2))
        {
            if (arg.StartsWith("--cancel-after=", StringComparison.Ordinal))
            {
                cancelAfter = int.Parse(arg.Substring("--cancel-after=".Length));
                continue;
            }
            var equals = arg.IndexOf('=');
            var name = arg.Substring(0, equals);
            var text = arg.Substring(equals + 1);
            var property = parameters[name];
            task.SetPropertyValue(property, Convert(text, property.PropertyType));
        }

        var started = DateTime.UtcNow;
        if (cancelAfter is { } ms)
            new Thread(() => { Thread.Sleep(ms); ((ICancelableTask)task).Cancel(); }) { IsBackground = true }.Start();
        var result = task.Execute();
        engine.Print();
        foreach (var p in parameters.Values.Where(p => p.Output).OrderBy(p => p.Name, StringComparer.Ordinal))
        {
            var value = task.GetPropertyValue(p);
            var text = value is ITaskItem[] items
                ? string.Join("|", items.Select(i => i.ItemSpec))
                : value?.ToString() ?? "";
            Console.WriteLine($"output\t{p.Name}\t{text}");
        }
        Console.WriteLine($"elapsed\t{(int)(DateTime.UtcNow - started).TotalMilliseconds}");
        Console.WriteLine($"result\t{result}");
        ((IDisposable)task).Dispose();
        factory.CleanupTask(task);
        return 0;
    }

    /// <summary>Text → the parameter's type; for items, <c>@spec?meta=value&amp;meta2=value|spec2</c>.</summary>
    private static object Convert(string text, Type type)
    {
        if (type == typeof(ITaskItem[]))
            return text.TrimStart('@').Split(new[] { '|' }, StringSplitOptions.RemoveEmptyEntries).Select(Item).ToArray();
        if (type == typeof(ITaskItem)) return Item(text.TrimStart('@'));
        if (type == typeof(string[])) return text.Split(';');
        if (type == typeof(bool)) return bool.Parse(text);
        if (type == typeof(string)) return text;
        return System.Convert.ChangeType(text, type, System.Globalization.CultureInfo.InvariantCulture);
    }

    private static ITaskItem Item(string text)
    {
        var question = text.IndexOf('?');
        var item = new HarnessItem(question < 0 ? text : text.Substring(0, question));
        if (question >= 0)
            foreach (var pair in text.Substring(question + 1).Split('&'))
            {
                var equals = pair.IndexOf('=');
                item.SetMetadata(pair.Substring(0, equals), pair.Substring(equals + 1));
            }
        return item;
    }
}

/// <summary>The build engine MSBuild 17 would give the task: it records every event and answers the engine services the task asks for.</summary>
internal sealed class HarnessEngine : IBuildEngine10
{
    private readonly List<string> _events = new();

    public bool ContinueOnError => false;
    public int LineNumberOfTaskNode => 7;
    public int ColumnNumberOfTaskNode => 5;
    public string ProjectFileOfTaskNode => "/harness/CondaMirror.MSBuild.targets";
    public bool IsRunningMultipleNodes => false;
    public bool AllowFailureWithoutError { get; set; }
    public EngineServices EngineServices { get; } = new Services();

    public void LogErrorEvent(BuildErrorEventArgs e) => Add($"error\t{e.Code}\t{e.File}\t{e.LineNumber}\t{e.ColumnNumber}\t{e.SenderName}\t{e.Message}");
    public void LogWarningEvent(BuildWarningEventArgs e) => Add($"warning\t{e.Code}\t{e.File}\t{e.LineNumber}\t{e.ColumnNumber}\t{e.SenderName}\t{e.Message}");
    public void LogMessageEvent(BuildMessageEventArgs e) => Add($"message\t{e.Importance}\t{e.SenderName}\t{e.Message}");
    public void LogCustomEvent(CustomBuildEventArgs e) => Add($"custom\t{e.Message}");

    private void Add(string line)
    {
        lock (_events) _events.Add(line.Replace("\r", "\\r").Replace("\n", "\\n"));
    }

    public void Print()
    {
        lock (_events)
            foreach (var line in _events) Console.WriteLine(line);
    }

    public bool BuildProjectFile(string projectFileName, string[] targetNames, IDictionary globalProperties, IDictionary targetOutputs) => false;
    public bool BuildProjectFile(string projectFileName, string[] targetNames, IDictionary globalProperties, IDictionary targetOutputs, string toolsVersion) => false;
    public bool BuildProjectFilesInParallel(string[] projectFileNames, string[] targetNames, IDictionary[] globalProperties, IDictionary[] targetOutputsPerProject, string[] toolsVersion, bool useResultsCache, bool unloadProjectsOnCompletion) => false;
    public BuildEngineResult BuildProjectFilesInParallel(string[] projectFileNames, string[] targetNames, IDictionary[] globalProperties, IList<string>[] removeGlobalProperties, string[] toolsVersion, bool returnTargetOutputs) => new(false, null);
    public void Yield() { }
    public void Reacquire() { }
    public void RegisterTaskObject(object key, object obj, RegisteredTaskObjectLifetime lifetime, bool allowEarlyCollection) { }
    public object? GetRegisteredTaskObject(object key, RegisteredTaskObjectLifetime lifetime) => null;
    public object? UnregisterTaskObject(object key, RegisteredTaskObjectLifetime lifetime) => null;
    public void LogTelemetry(string eventName, IDictionary<string, string> properties) { }
    public IReadOnlyDictionary<string, string> GetGlobalProperties() => new Dictionary<string, string>();
    public bool ShouldTreatWarningAsError(string warningCode) => false;
    public int RequestCores(int requestedCores) => 1;
    public void ReleaseCores(int coresToRelease) { }

    /// <summary>Normal verbosity: low-importance messages are not wanted.</summary>
    private sealed class Services : EngineServices
    {
        public override bool LogsMessagesOfImportance(MessageImportance importance) => importance != MessageImportance.Low;
    }
}

/// <summary>An item as MSBuild hands one to a task (ITaskItem2: escaped include and metadata), with a defining project.</summary>
internal sealed class HarnessItem : ITaskItem2
{
    private readonly Dictionary<string, string> _metadata = new(StringComparer.OrdinalIgnoreCase);

    public HarnessItem(string spec) => ItemSpec = spec;

    public string ItemSpec { get; set; }
    public string EvaluatedIncludeEscaped { get => Escape(ItemSpec); set => ItemSpec = value; }
    public ICollection MetadataNames => _metadata.Keys.ToList();
    public int MetadataCount => _metadata.Count;

    public string GetMetadata(string metadataName) => metadataName switch
    {
        "DefiningProjectFullPath" => "/harness/Directory.Build.props",
        "DefiningProjectDirectory" => "/harness/",
        "DefiningProjectName" => "Directory.Build",
        "DefiningProjectExtension" => ".props",
        "Identity" => ItemSpec,
        _ => _metadata.TryGetValue(metadataName, out var v) ? v : "",
    };

    public string GetMetadataValueEscaped(string metadataName) => Escape(GetMetadata(metadataName));
    public void SetMetadata(string metadataName, string metadataValue) => _metadata[metadataName] = metadataValue;
    public void SetMetadataValueLiteral(string metadataName, string metadataValue) => _metadata[metadataName] = metadataValue;
    public void RemoveMetadata(string metadataName) => _metadata.Remove(metadataName);
    public void CopyMetadataTo(ITaskItem destinationItem) { foreach (var p in _metadata) destinationItem.SetMetadata(p.Key, Escape(p.Value)); }
    public IDictionary CloneCustomMetadata() => new Dictionary<string, string>(_metadata);
    public IDictionary CloneCustomMetadataEscaped() => _metadata.ToDictionary(p => p.Key, p => Escape(p.Value));

    private static string Escape(string value)
    {
        var text = new StringBuilder();
        foreach (var c in value)
            if ("%*?@$();'".IndexOf(c) >= 0) text.Append('%').Append(((int)c).ToString("X2"));
            else text.Append(c);
        return text.ToString();
    }
}
