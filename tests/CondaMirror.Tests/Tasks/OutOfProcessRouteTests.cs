using System.Diagnostics;
using System.Reflection;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using CondaMirror.MSBuild;
using CondaMirror.TestKit;
using CondaMirror.TestKit.Channels;
using Microsoft.Build.Framework;
using Xunit;

namespace CondaMirror.Tests.Tasks;

/// <summary>
/// The out-of-process route for .NET Framework MSBuild before 18 (Visual Studio 2022): the net472 task factory reads
/// each task's parameters from the net8.0 task class (no second list of them), and — under Mono, the .NET Framework
/// implementation Linux has, standing in for .NET Framework MSBuild — runs the real tasks in the .NET runner with every
/// log event, item metadata and output carried across, cancels them, and turns a missing dotnet into CMIR807.
/// The whole route inside a real `dotnet build` is EndToEnd/VisualStudio2022EndToEndTests.
/// </summary>
public sealed class OutOfProcessRouteTests
{
    private static string Built(string key) =>
        typeof(OutOfProcessRouteTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;

    private static string TaskAssembly => Built("TaskAssemblyPath");
    private static string Runner => Built("TaskRunnerPath");

    private static string Settings(string? dotnet = null) => $"""
          TaskAssembly={TaskAssembly}
          Runner={Runner}
          DotnetHostPath={dotnet}
          NetCoreRoot=
        """;

    /// <summary>Every MSBuild task the package ships.</summary>
    private static IEnumerable<Type> TaskTypes =>
        typeof(CondaTaskBase).Assembly.GetTypes().Where(t => t is { IsPublic: true, IsAbstract: false } && typeof(ITask).IsAssignableFrom(t));

    /// <summary>What MSBuild finds by reflection on a task class: public instance properties that are settable, or outputs.</summary>
    private static IEnumerable<string> ReflectedParameters(Type task) =>
        task.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.DeclaringType!.Assembly == task.Assembly)
            .Where(p => p.SetMethod is { IsPublic: true } || p.GetCustomAttribute<OutputAttribute>() is not null)
            .Select(p => Describe(p.Name, p.PropertyType, p.GetCustomAttribute<OutputAttribute>() is not null, p.GetCustomAttribute<RequiredAttribute>() is not null));

    private static string Describe(string name, Type type, bool output, bool required) =>
        $"{name}: {type.FullName}{(output ? " output" : "")}{(required ? " required" : "")}";

    [Fact]
    public void The_factory_reads_exactly_the_parameters_MSBuild_finds_on_each_task_class()
    {
        // The net472 factory itself, loaded here on .NET as MSBuild on .NET would load it.
        var factoryType = Assembly.LoadFrom(Built("NetFrameworkTaskFactoryPath")).GetType("CondaMirror.MSBuild.NetFramework.OutOfProcessTaskFactory", throwOnError: true)!;
        Assert.True(TaskTypes.Count() >= 8, "the task classes were not found");
        foreach (var task in TaskTypes)
        {
            var factory = (ITaskFactory)Activator.CreateInstance(factoryType)!;
            var engine = new FakeBuildEngine();
            Assert.True(factory.Initialize(task.FullName!, new Dictionary<string, TaskPropertyInfo>(), Settings(), engine), engine.ToString());
            var read = factory.GetTaskParameters().Select(p => Describe(p.Name, p.PropertyType, p.Output, p.Required)).OrderBy(s => s, StringComparer.Ordinal);
            Assert.Equal(ReflectedParameters(task).OrderBy(s => s, StringComparer.Ordinal), read);
            Assert.Contains("ProjectFile: System.String", read);
        }
    }

    [Fact]
    public void Every_task_is_registered_for_each_route_and_only_there()
    {
        var targets = XDocument.Load(Path.Combine(TestData.RepoRoot, "build", "CondaMirror.MSBuild.Tasks.targets"));
        var usingTasks = targets.Root!.Elements("UsingTask").ToList();
        var expected = TaskTypes.Select(t => t.FullName!).OrderBy(n => n, StringComparer.Ordinal).ToList();
        foreach (var route in new[] { "InProcess", "NET", "OutOfProcess" })
        {
            var registered = usingTasks.Where(u => (string?)u.Attribute("Condition") == $"'$(CondaMirrorTaskHost)' == '{route}'").ToList();
            Assert.Equal(expected, registered.Select(u => (string)u.Attribute("TaskName")!).OrderBy(n => n, StringComparer.Ordinal));
            if (route == "OutOfProcess")
                Assert.All(registered, u =>
                {
                    Assert.Equal("CondaMirror.MSBuild.NetFramework.OutOfProcessTaskFactory", (string?)u.Attribute("TaskFactory"));
                    Assert.Equal("true", (string?)u.Element("Task")?.Attribute("Evaluate"));
                });
        }
        Assert.Equal(3 * expected.Count, usingTasks.Count);
    }

    // ---- Under Mono: the net472 assembly as .NET Framework runs it ----

    private sealed record HarnessRun(string Output, string Errors)
    {
        public IEnumerable<string[]> Lines(string kind) =>
            Output.Split('\n').Select(l => l.TrimEnd('\r').Split('\t')).Where(f => f[0] == kind);

        public string? Value(string kind) => Lines(kind).FirstOrDefault()?.ElementAtOrDefault(1);
        public bool Result => Value("result") == "True";
        public override string ToString() => Output + "\nstderr:\n" + Errors;
    }

    private static string Mono()
    {
        var mono = new[] { "/usr/bin/mono", "/usr/local/bin/mono" }.FirstOrDefault(File.Exists);
        if (mono is null)
        {
            const string reason = "mono is not installed (Debian: apt-get install mono-runtime); .ci/run installs it";
            if (TestData.Required) throw new InvalidOperationException(reason + "; it is required under CI");
            Skip.If(true, reason);
        }
        return mono!;
    }

    private static HarnessRun Harness(string settings, string task, params string[] arguments)
    {
        var mono = Mono();
        using var dir = new TempDirectory();
        File.WriteAllText(dir.Combine("settings"), settings);
        var start = new ProcessStartInfo(mono) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { Built("NetFrameworkHarnessPath"), task, dir.Combine("settings") }.Concat(arguments)) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(120_000), "the harness did not finish");
        return new HarnessRun(output, errors.Result);
    }

    private static void MakeExecutable(string path)
    {
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.UserWrite);
    }

    [SkippableFact]
    public void Under_Mono_the_factory_runs_IndexCondaChannel_in_the_runner_and_builds_the_channel_the_in_process_task_builds()
    {
        using var dir = new TempDirectory();
        var package = ChannelBuilder.WritePackage(dir.Combine("local"), new PackageSpec("demo", "1.2.3", "h1_0", "linux-64") { PayloadBytes = 20_000 });
        var project = dir.Combine("app", "App.csproj");
        Directory.CreateDirectory(dir.Combine("app"));
        File.WriteAllText(project, "<Project />");

        var run = Harness(Settings(), "CondaMirror.MSBuild.IndexCondaChannel",
            $"ChannelDirectory={dir.Combine("oop", "conda-channel")}/", "Platforms=linux-64", $"ProjectFile={project}", $"PackageFiles=@{package}?Note=a;b%c",
            "StepSummaries=lock linux-64 1;1 downloaded", "WriteSbom=true");
        Assert.True(run.Result, run.ToString());
        Assert.StartsWith("Mono ", run.Value("runtime"));
        var parameters = run.Lines("parameter").Select(f => string.Join(' ', f.Skip(1))).ToList();
        Assert.Contains("ChannelDirectory String input required", parameters);
        Assert.Contains("PackageFiles ITaskItem[] input optional", parameters);
        Assert.Contains("StepSummaries String[] input optional", parameters);
        Assert.Contains("IndexFiles ITaskItem[] output optional", parameters);
        // The task's own line, at its importance, from the task (its sender), with the step summaries passed as a string[].
        var high = run.Lines("message").Where(f => f[1] == "High").Select(f => f[3]).ToList();
        Assert.Contains(high, m => Regex.IsMatch(m, @"^App -> .*oop/conda-channel/ \(1 conda packages?, .*lock linux-64 1.*1 downloaded"));
        Assert.All(run.Lines("message"), f => Assert.Equal("IndexCondaChannel", f[2]));
        // The engine wants no low-importance messages: the runner produces none (only the route's own diagnostic line).
        Assert.All(run.Lines("message").Where(f => f[1] == "Low"), f => Assert.Contains("runs out of process", f[3]));
        var indexFiles = run.Lines("output").Single(f => f[1] == "IndexFiles")[2].Split('|');
        Assert.Contains(dir.Combine("oop", "conda-channel", "linux-64", "repodata.json"), indexFiles);

        var inProcess = new IndexCondaChannel
        {
            BuildEngine = new FakeBuildEngine(),
            ChannelDirectory = dir.Combine("inproc", "conda-channel") + "/",
            Platforms = "linux-64",
            ProjectFile = project,
            PackageFiles = [new Microsoft.Build.Utilities.TaskItem(package)],
            StepSummaries = ["lock linux-64 1", "1 downloaded"],
        };
        Assert.True(inProcess.Execute());
        // The same channel, byte for byte (the folder name is the channel's title in index.html, so both are conda-channel/).
        var (expected, actual) = (dir.Combine("inproc", "conda-channel"), dir.Combine("oop", "conda-channel"));
        var files = Directory.EnumerateFiles(expected, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(expected, f)).Order().ToList();
        Assert.Contains(Path.Combine("linux-64", "demo-1.2.3-h1_0.conda"), files);
        Assert.Equal(files, Directory.EnumerateFiles(actual, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(actual, f)).Order());
        foreach (var file in files)
            Assert.True(File.ReadAllBytes(Path.Combine(expected, file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(actual, file))), file);
    }

    [SkippableFact]
    public void Under_Mono_errors_keep_their_code_file_and_line_and_items_keep_their_defining_project()
    {
        using var dir = new TempDirectory();
        var project = dir.Combine("App.csproj");
        File.WriteAllText(project, """
            <Project Sdk="Microsoft.NET.Sdk">
              <ItemGroup>
                <CondaPackage Include="pip" />
                <CondaPackage Include="python 3.9.*" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(dir.Combine("python 3.9.txt"), "");

        var run = Harness(Settings(), "CondaMirror.MSBuild.CheckCondaMirrorProject",
            $"ProjectFile={project}", $"Packages=@pip|{dir.Combine("python 3.9.txt")}");
        Assert.False(run.Result, run.ToString());
        var errors = run.Lines("error").ToList();
        Assert.Contains(errors, f => f[1] == "CMIR805" && f[2] == project && f[3] == "4" && f[5] == "CheckCondaMirrorProject" && f[6].Contains("python 3.9.*"));
        // The item's DefiningProjectFullPath (here the harness's Directory.Build.props) crossed over with the item.
        Assert.Contains(errors, f => f[1] == "CMIR806" && f[2] == "/harness/Directory.Build.props");
    }

    [SkippableFact]
    public void Under_Mono_no_dotnet_or_no_NET_runtime_is_one_CMIR807_that_says_what_to_install()
    {
        var missing = Harness(Settings("/nonexistent/dotnet"), "CondaMirror.MSBuild.CheckCondaMirrorProject", "ProjectFile=/work/App.csproj");
        Assert.False(missing.Result, missing.ToString());
        var error = Assert.Single(missing.Lines("error"));
        Assert.Equal(new[] { "CMIR807", "/work/App.csproj" }, error[1..3]);
        Assert.Contains("CondaMirrorDotnetHostPath is '/nonexistent/dotnet'", error[6]);
        Assert.Contains("Install the .NET 8 runtime or newer", error[6]);
        Assert.Contains("dotnet build", error[6]);

        // A dotnet whose host finds no suitable runtime, as `dotnet app.dll` says then.
        using var dir = new TempDirectory();
        var fake = dir.Combine("dotnet");
        File.WriteAllText(fake, "#!/bin/sh\necho 'You must install or update .NET to run this application.' >&2\necho 'Framework: Microsoft.NETCore.App, version 8.0.0 (x64)' >&2\nexit 150\n");
        MakeExecutable(fake);
        var old = Harness(Settings(fake), "CondaMirror.MSBuild.CheckCondaMirrorProject", "ProjectFile=/work/App.csproj");
        error = Assert.Single(old.Lines("error"));
        Assert.Equal("CMIR807", error[1]);
        Assert.Contains($"'{fake}' has no .NET 8 or newer runtime (exit code 150): You must install or update .NET", error[6]);
    }

    [SkippableFact]
    public async Task Under_Mono_cancel_cancels_the_task_in_the_runner_and_a_runner_that_does_not_stop_is_killed()
    {
        using var dir = new TempDirectory();
        new ChannelBuilder().Add("app", "1.0", "0", "noarch").WriteTo(dir.Combine("upstream"));
        await using var server = new LoopbackChannelServer(dir.Combine("upstream"));
        server.Faults.Add("**", FaultKind.Delay(TimeSpan.FromSeconds(60)), count: 1000);

        // The real task, waiting on a server that does not answer: cancelled in the runner, it reports CMIR802 itself.
        var graceful = Harness(Settings(), "CondaMirror.MSBuild.ResolveCondaLock",
            $"ProjectFile={dir.Combine("App.csproj")}", "Packages=@app", $"Channels=@{server.BaseUri}", "Platforms=linux-64",
            $"LockFile={dir.Combine("conda-mirror.lock")}", $"RepodataCachePath={dir.Combine("cache")}", "--cancel-after=3000");
        Assert.False(graceful.Result, graceful.ToString());
        var error = Assert.Single(graceful.Lines("error"));
        Assert.Equal("CMIR802", error[1]);
        Assert.Contains("ResolveCondaLock was cancelled", error[6]);
        Assert.InRange(int.Parse(graceful.Value("elapsed")!), 3000, 3000 + 4000);

        // A runner that ignores the request is killed after the grace period, and the task says it was cancelled.
        var fake = dir.Combine("dotnet");
        File.WriteAllText(fake, "#!/bin/sh\nprintf 'ready\\t1\\tfake\\n'\nexec sleep 60\n");
        MakeExecutable(fake);
        var stuck = Harness(Settings(fake), "CondaMirror.MSBuild.CheckCondaMirrorProject", "ProjectFile=/work/App.csproj", "--cancel-after=500");
        Assert.False(stuck.Result, stuck.ToString());
        error = Assert.Single(stuck.Lines("error"));
        Assert.Equal("CMIR802", error[1]);
        Assert.InRange(int.Parse(stuck.Value("elapsed")!), 500, 500 + 5000 + 4000);
    }
}
