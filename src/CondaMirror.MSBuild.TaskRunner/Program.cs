using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using CondaMirror.MSBuild.TaskRunner.Wire;
using Microsoft.Build.Framework;

namespace CondaMirror.MSBuild.TaskRunner;

/// <summary>
/// Runs one MSBuild task of a .NET task assembly for a parent build that cannot load it (.NET Framework MSBuild
/// before 18, i.e. Visual Studio 2022): reads the request on standard input (<see cref="WireRecord"/>), creates the
/// task in a load context of the task assembly's folder, sets its parameters by reflection, runs it with a build
/// engine that forwards every log event to standard output, then writes the output parameters and the result.
/// Standard error carries only the runner's own failures; nothing the request held is written anywhere else.
/// </summary>
public static class Program
{
    /// <summary>How long a runner whose parent went away (standard input closed) waits for the cancelled task.</summary>
    private static readonly TimeSpan OrphanGrace = TimeSpan.FromSeconds(30);

    public static int Main()
    {
        var protocol = new RecordWriter(Console.OpenStandardOutput());
        // Anything else that writes to the console (a library, by mistake) must not break the protocol.
        Console.SetOut(Console.Error);
        protocol.Write("ready", WireRecord.Version, RuntimeInformation.FrameworkDescription);

        var input = new StreamReader(Console.OpenStandardInput(), new UTF8Encoding(false));
        Request request;
        try
        {
            request = Request.Read(input);
        }
        catch (Exception e) when (e is FormatException or IOException or InvalidDataException)
        {
            Console.Error.WriteLine($"error: unreadable request: {e.Message}");
            return 2;
        }

        var engine = new ForwardingBuildEngine(protocol, request.ProjectFileOfTaskNode, request.LineNumber, request.ColumnNumber,
            request.ContinueOnError, request.LowestImportance);
        var succeeded = false;
        ITask? task = null;
        try
        {
            task = request.CreateTask(engine);
        }
        catch (Exception e)
        {
            // The package is inconsistent (task assembly or type missing, a parameter the type does not have).
            engine.LogErrorEvent(new BuildErrorEventArgs(null, "CMIR899", request.ProjectFileOfTaskNode, 0, 0, 0, 0,
                $"The task runner could not create {request.TaskType} from {request.TaskAssembly}: {e.GetType().Name}: {e.Message} Please report it.",
                null, request.TaskType));
        }

        if (task is not null)
        {
            var cancelable = task as ICancelableTask;
            var watcher = new Thread(() => WatchInput(input, cancelable)) { IsBackground = true, Name = "parent input" };
            watcher.Start();
            try
            {
                succeeded = task.Execute();
            }
            catch (Exception e)
            {
                engine.LogErrorEvent(new BuildErrorEventArgs(null, "CMIR899", request.ProjectFileOfTaskNode, 0, 0, 0, 0,
                    $"{task.GetType().Name} failed unexpectedly: {e.GetType().Name}: {e.Message} Build with -v:diag for details and please report it.",
                    null, task.GetType().Name));
                engine.LogMessageEvent(new BuildMessageEventArgs(e.ToString(), null, task.GetType().Name, MessageImportance.Low));
            }
            foreach (var property in task.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                if (property.GetCustomAttribute<OutputAttribute>() is null || property.GetMethod is not { IsPublic: true }) continue;
                var fields = new List<string?> { "output", property.Name };
                WireValue.Append(fields, property.GetValue(task));
                protocol.Write(fields);
            }
        }
        protocol.Write("done", succeeded ? "True" : "False");
        engine.DisposeTaskObjects();
        return 0;
    }

    /// <summary>After the request: <c>cancel</c> cancels the task; the end of the input (the parent is gone) does too, and ends the process if the task does not stop.</summary>
    private static void WatchInput(TextReader input, ICancelableTask? task)
    {
        string? line;
        try
        {
            while ((line = input.ReadLine()) is not null)
                if (line == "cancel")
                    task?.Cancel();
        }
        catch (IOException) { }
        task?.Cancel();
        Thread.Sleep(OrphanGrace);
        Environment.Exit(3);
    }
}

/// <summary>One task request as the parent sent it.</summary>
internal sealed class Request
{
    public string TaskAssembly { get; private set; } = "";
    public string TaskType { get; private set; } = "";
    public string? ProjectFileOfTaskNode { get; private set; }
    public int LineNumber { get; private set; }
    public int ColumnNumber { get; private set; }
    public bool ContinueOnError { get; private set; }
    public MessageImportance LowestImportance { get; private set; } = MessageImportance.Low;
    private readonly List<string?[]> _parameters = new();

    public static Request Read(TextReader input)
    {
        var request = new Request();
        var first = WireRecord.Split(input.ReadLine() ?? throw new InvalidDataException("no request"));
        if (first[0] != "request" || first.Length < 2 || first[1] != WireRecord.Version)
            throw new InvalidDataException($"expected a version {WireRecord.Version} request");
        while (true)
        {
            var line = input.ReadLine() ?? throw new InvalidDataException("the request ended before execute");
            var fields = WireRecord.Split(line);
            switch (fields[0])
            {
                case "task":
                    request.TaskAssembly = fields[1] ?? "";
                    request.TaskType = fields[2] ?? "";
                    break;
                case "node":
                    request.ProjectFileOfTaskNode = fields[1];
                    request.LineNumber = WireRecord.ParseInt(fields[2]);
                    request.ColumnNumber = WireRecord.ParseInt(fields[3]);
                    request.ContinueOnError = fields[4] == "True";
                    request.LowestImportance = (MessageImportance)WireRecord.ParseInt(fields[5]);
                    break;
                case "param":
                    request._parameters.Add(fields);
                    break;
                case "execute":
                    return request;
                default:
                    throw new InvalidDataException($"unknown request record '{fields[0]}'");
            }
        }
    }

    /// <summary>The task object, loaded as MSBuild loads a task assembly (its own load context, dependencies from its folder), parameters set.</summary>
    public ITask CreateTask(IBuildEngine engine)
    {
        var path = Path.GetFullPath(TaskAssembly);
        var assembly = new TaskLoadContext(path).LoadFromAssemblyPath(path);
        var type = assembly.GetType(TaskType, throwOnError: true)!;
        var task = (ITask)Activator.CreateInstance(type)!;
        task.BuildEngine = engine;
        foreach (var fields in _parameters)
        {
            var name = fields[1] ?? "";
            var property = type.GetProperty(name, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase)
                ?? throw new MissingMemberException(type.FullName, name);
            var index = 2;
            var value = WireValue.Read(fields, ref index, property.PropertyType, item => new RunnerTaskItem(item));
            property.SetValue(task, value);
        }
        return task;
    }
}

/// <summary>Writes records to the parent, one whole line at a time whichever thread logs, flushed at once.</summary>
internal sealed class RecordWriter
{
    private readonly StreamWriter _writer;
    private readonly object _gate = new();
    private bool _broken;

    public RecordWriter(Stream output) => _writer = new StreamWriter(output, new UTF8Encoding(false)) { NewLine = "\n" };

    public void Write(params string?[] fields) => Write((IReadOnlyList<string?>)fields);

    public void Write(IReadOnlyList<string?> fields)
    {
        var line = WireRecord.Join(fields);
        lock (_gate)
        {
            if (_broken) return;
            try
            {
                _writer.WriteLine(line);
                _writer.Flush();
            }
            catch (IOException)
            {
                // The parent is gone; the input watcher cancels the task.
                _broken = true;
            }
        }
    }
}
