using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using CondaMirror.MSBuild.TaskRunner.Wire;
using Microsoft.Build.Framework;

namespace CondaMirror.MSBuild.NetFramework;

/// <summary>
/// One task of the out-of-process route. MSBuild sets its parameters through <see cref="IGeneratedTask"/>; Execute
/// starts <c>dotnet &lt;runner&gt;</c>, sends the request (task, parameters with all item metadata) over the runner's
/// standard input — never through a file, parameters can carry credentials — and logs what the runner reports as it
/// arrives: messages with their importance, warnings and errors with code, file, line and column. Outputs come back
/// the same way. Cancel asks the runner to cancel the task and kills it if it has not ended a few seconds later.
/// A runner that cannot be started (no dotnet, no .NET 8 or newer) is one error, CMIR807, saying what to install.
/// </summary>
public sealed class OutOfProcessTask : IGeneratedTask, ICancelableTask, IDisposable
{
    /// <summary>How long a cancelled runner may take to end by itself before it is killed.</summary>
    internal static TimeSpan CancelGrace = TimeSpan.FromSeconds(5);

    private readonly string _taskName;
    private readonly RunnerSettings _settings;
    private readonly Dictionary<string, TaskPropertyInfo> _parameters;
    private readonly List<KeyValuePair<string, object?>> _inputs = new();
    private readonly Dictionary<string, object?> _outputs = new(StringComparer.OrdinalIgnoreCase);
    private readonly object _gate = new();
    private Process? _process;
    private StreamWriter? _input;
    private bool _cancelled;
    private Timer? _killTimer;

    internal OutOfProcessTask(string taskName, RunnerSettings settings, IEnumerable<TaskPropertyInfo> parameters)
    {
        _taskName = taskName;
        _settings = settings;
        _parameters = parameters.ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
    }

    public IBuildEngine BuildEngine { get; set; } = null!;
    public ITaskHost? HostObject { get; set; }

    private string ShortName => _taskName.Substring(_taskName.LastIndexOf('.') + 1);

    public void SetPropertyValue(TaskPropertyInfo property, object value)
    {
        _inputs.RemoveAll(p => string.Equals(p.Key, property.Name, StringComparison.OrdinalIgnoreCase));
        _inputs.Add(new KeyValuePair<string, object?>(property.Name, value));
    }

    public object? GetPropertyValue(TaskPropertyInfo property)
    {
        if (_outputs.TryGetValue(property.Name, out var value)) return value;
        foreach (var input in _inputs)
            if (string.Equals(input.Key, property.Name, StringComparison.OrdinalIgnoreCase)) return input.Value;
        return property.PropertyType.IsValueType ? Activator.CreateInstance(property.PropertyType) : null;
    }

    private object? GetPropertyValueOrNull(string name)
    {
        foreach (var input in _inputs)
            if (string.Equals(input.Key, name, StringComparison.OrdinalIgnoreCase)) return input.Value;
        return null;
    }

    public bool Execute()
    {
        var log = new ParentLog(BuildEngine, ShortName, GetPropertyValueOrNull("ProjectFile") as string);
        var dotnet = DotnetHost.Find(_settings.DotnetHostPath, _settings.NetCoreRoot);
        if (dotnet.Path is null)
        {
            log.CannotRun(dotnet.Problem!);
            return false;
        }
        if (!File.Exists(_settings.Runner))
        {
            log.CannotRun($"its .NET task runner '{_settings.Runner}' is missing; the package is incomplete, restore it again");
            return false;
        }

        var start = new ProcessStartInfo(dotnet.Path, Quote(_settings.Runner))
        {
            UseShellExecute = false,
            CreateNoWindow = true,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Directory.GetCurrentDirectory(),
        };
        var errorTail = new Tail(40);
        Process process;
        lock (_gate)
        {
            if (_cancelled) return log.Cancelled();
            try
            {
                process = Process.Start(start) ?? throw new Win32Exception("no process");
            }
            catch (Win32Exception e)
            {
                log.CannotRun($"'{dotnet.Path}' could not be started ({e.Message})");
                return false;
            }
            _process = process;
            _input = new StreamWriter(process.StandardInput.BaseStream, new UTF8Encoding(false)) { NewLine = "\n" };
        }
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) errorTail.Add(e.Data); };
        process.BeginErrorReadLine();

        try
        {
            SendRequest();
        }
        catch (IOException)
        {
            // The runner ended before reading the request; what it printed says why (below).
        }

        var output = new StreamReader(process.StandardOutput.BaseStream, new UTF8Encoding(false));
        bool? result = null;
        var ready = false;
        string? line;
        while ((line = output.ReadLine()) is not null)
        {
            var fields = WireRecord.Split(line);
            switch (fields[0])
            {
                case "ready":
                    ready = fields.Length > 1 && fields[1] == WireRecord.Version;
                    if (!ready)
                    {
                        log.CannotRun($"its .NET task runner speaks protocol {fields.ElementAtOrDefault(1)}, not {WireRecord.Version}; the package is inconsistent, restore it again");
                        Kill();
                        return false;
                    }
                    log.Low($"{ShortName} runs out of process: {dotnet.Path} {_settings.Runner} ({fields.ElementAtOrDefault(2)}).");
                    break;
                case "message":
                    log.Message(fields);
                    break;
                case "warning":
                    log.Warning(fields);
                    break;
                case "error":
                    log.Error(fields);
                    break;
                case "output":
                    if (fields.Length > 2 && _parameters.TryGetValue(fields[1] ?? "", out var property))
                    {
                        var index = 2;
                        _outputs[property.Name] = WireValue.Read(fields, ref index, property.PropertyType, item => new OutputTaskItem(item));
                    }
                    break;
                case "done":
                    result = fields.ElementAtOrDefault(1) == "True";
                    break;
            }
        }

        if (!process.WaitForExit(30000)) Kill();
        process.WaitForExit();
        lock (_gate) _killTimer?.Dispose();

        if (!ready)
        {
            var exitCode = process.HasExited ? process.ExitCode : -1;
            log.CannotRun(DotnetHost.Explain(dotnet.Path, exitCode, errorTail.Text));
            return false;
        }
        if (result is null)
        {
            if (_cancelled) return log.Cancelled();
            log.Crashed(process.ExitCode, errorTail.Text);
            return false;
        }
        if (errorTail.Text.Length > 0) log.Low("The task runner's diagnostics:\n" + errorTail.Text);
        return result.Value && !log.LoggedErrors;
    }

    private void SendRequest()
    {
        var writer = _input!;
        var records = new List<IReadOnlyList<string?>>
        {
            new string?[] { "request", WireRecord.Version },
            new string?[] { "task", Path.GetFullPath(_settings.TaskAssembly), _taskName },
            new string?[]
            {
                "node", BuildEngine.ProjectFileOfTaskNode, WireRecord.Number(BuildEngine.LineNumberOfTaskNode), WireRecord.Number(BuildEngine.ColumnNumberOfTaskNode),
                BuildEngine.ContinueOnError ? "True" : "False", WireRecord.Number((int)LowestImportance()),
            },
        };
        foreach (var input in _inputs)
        {
            var fields = new List<string?> { "param", input.Key };
            WireValue.Append(fields, input.Value);
            records.Add(fields);
        }
        records.Add(new string?[] { "execute" });
        lock (_gate)
        {
            foreach (var record in records) writer.WriteLine(WireRecord.Join(record));
            writer.Flush();
        }
    }

    /// <summary>The lowest importance the build's loggers take, so the runner does not even produce the others.</summary>
    private MessageImportance LowestImportance()
    {
        if (BuildEngine is not IBuildEngine10 { EngineServices: { } services }) return MessageImportance.Low;
        if (services.LogsMessagesOfImportance(MessageImportance.Low)) return MessageImportance.Low;
        return services.LogsMessagesOfImportance(MessageImportance.Normal) ? MessageImportance.Normal : MessageImportance.High;
    }

    public void Cancel()
    {
        lock (_gate)
        {
            if (_cancelled) return;
            _cancelled = true;
            if (_process is null) return;
            try
            {
                _input?.WriteLine("cancel");
                _input?.Flush();
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException) { }
            _killTimer = new Timer(_ => Kill(), null, CancelGrace, Timeout.InfiniteTimeSpan);
        }
    }

    private void Kill()
    {
        try
        {
            var process = _process;
            if (process is not null && !process.HasExited) process.Kill();
        }
        catch (Exception e) when (e is InvalidOperationException or Win32Exception or NotSupportedException) { }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _killTimer?.Dispose();
            Kill();
            _process?.Dispose();
            _process = null;
        }
    }

    private static string Quote(string path) => "\"" + path.Replace("\"", "\\\"") + "\"";

    /// <summary>The last lines the runner wrote to standard error (the host's own messages when it cannot start).</summary>
    private sealed class Tail
    {
        private readonly int _lines;
        private readonly Queue<string> _queue = new();
        public Tail(int lines) => _lines = lines;

        public void Add(string line)
        {
            lock (_queue)
            {
                _queue.Enqueue(line);
                while (_queue.Count > _lines) _queue.Dequeue();
            }
        }

        public string Text
        {
            get { lock (_queue) return string.Join("\n", _queue).Trim(); }
        }
    }
}
