using System.IO.Compression;
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Runtime.InteropServices;
using System.Runtime.Loader;
using System.Text.Json;
using CondaMirror.TestKit;
using Xunit;

namespace CondaMirror.Tests.EndToEnd;

/// <summary>
/// The packed package's tasks/net8.0 folder holds the task assembly's whole dependency closure (MessagePack
/// included) and none of MSBuild's own assemblies, and that closure works when loaded the way MSBuild loads a task
/// assembly: an isolated load context resolving through the task assembly's deps.json, falling back to the host for
/// what the folder does not have. (A real build cannot show MessagePack loading: no task reads shards yet, and the
/// runtime loads an assembly only when code using it runs.)
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class PackedDependenciesEndToEndTests
{
    private readonly PackedPackage _package;

    public PackedDependenciesEndToEndTests(PackedPackage package) => _package = package;

    private string ExtractTasks(TempDirectory work)
    {
        ZipFile.ExtractToDirectory(_package.PackagePath, work.Combine("pkg"));
        return work.Combine("pkg", "tasks", "net8.0");
    }

    [SkippableFact]
    public void Tasks_folder_holds_MessagePack_and_no_MSBuild_assembly_and_deps_json_lists_only_files_that_are_there()
    {
        using var work = new TempDirectory("condamirror-packed");
        var tasks = ExtractTasks(work);
        var dlls = Directory.GetFiles(tasks, "*.dll").Select(Path.GetFileName).ToHashSet(StringComparer.OrdinalIgnoreCase);

        foreach (var expected in new[] { "CondaMirror.MSBuild.dll", "CondaMirror.Core.dll", "MessagePack.dll", "MessagePack.Annotations.dll", "YamlDotNet.dll", "ICSharpCode.SharpZipLib.dll", "Polly.dll", "Polly.Core.dll", "AWSSDK.Core.dll", "AWSSDK.S3.dll" })
            Assert.Contains(expected, dlls);
        // MSBuild ships these and loads its own; a second copy in the task folder could be loaded beside it.
        Assert.DoesNotContain(dlls, d => d!.StartsWith("Microsoft.Build", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain("Microsoft.NET.StringTools.dll", dlls);
        Assert.DoesNotContain("System.Collections.Immutable.dll", dlls);

        // Every runtime assembly deps.json promises is in the folder (the load context resolves through it).
        using var deps = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(tasks, "CondaMirror.MSBuild.deps.json")));
        var target = deps.RootElement.GetProperty("targets").EnumerateObject().Single().Value;
        var promised = new List<string>();
        foreach (var library in target.EnumerateObject())
            if (library.Value.TryGetProperty("runtime", out var runtime))
                promised.AddRange(runtime.EnumerateObject().Select(a => Path.GetFileName(a.Name)));
        Assert.Contains("MessagePack.dll", promised);
        Assert.All(promised, file => Assert.Contains(file, dlls));
    }

    [SkippableFact]
    public void Shard_code_runs_from_the_tasks_folder_in_a_load_context_of_its_own()
    {
        using var work = new TempDirectory("condamirror-packed");
        var tasks = ExtractTasks(work);
        var context = new TaskLoadContext(Path.Combine(tasks, "CondaMirror.MSBuild.dll"));
        try
        {
            var core = context.LoadFromAssemblyPath(Path.Combine(tasks, "CondaMirror.Core.dll"));
            var indexType = core.GetType("CondaMirror.Core.Repodata.Shards.ShardIndex", throwOnError: true)!;
            var index = Activator.CreateInstance(indexType)!;
            indexType.GetProperty("Subdir")!.SetValue(index, "linux-64");
            ((System.Collections.IDictionary)indexType.GetProperty("Shards")!.GetValue(index)!)["zlib"] = new byte[32]; // SetShard takes a span: not callable by reflection
            var writer = core.GetType("CondaMirror.Core.Repodata.Shards.ShardWriter", throwOnError: true)!;
            var reader = core.GetType("CondaMirror.Core.Repodata.Shards.ShardReader", throwOnError: true)!;
            var bytes = (byte[])writer.GetMethod("WriteIndex")!.Invoke(null, new[] { index })!;
            var back = reader.GetMethod("ReadIndex")!.Invoke(null, new object?[] { new ReadOnlyMemory<byte>(bytes), null, null })!;
            Assert.Equal("linux-64", indexType.GetProperty("Subdir")!.GetValue(back));

            // MessagePack came from the package's folder, into that context, not from the test host.
            var messagePack = context.Assemblies.Single(a => a.GetName().Name == "MessagePack");
            Assert.Equal(Path.Combine(tasks, "MessagePack.dll"), messagePack.Location);
            // No MSBuild assembly was needed by the low-level reader and writer.
            Assert.DoesNotContain(context.Assemblies, a => a.GetName().Name!.StartsWith("Microsoft.", StringComparison.Ordinal));
        }
        finally
        {
            context.Unload();
        }
    }

    [SkippableFact]
    public void On_linux_x64_Core_ZstdSharp_and_System_Text_Json_are_packed_precompiled_and_keep_their_IL()
    {
        Skip.IfNot(RuntimeInformation.RuntimeIdentifier == "linux-x64", "the package is precompiled only when packed on a linux-x64 SDK");
        using var work = new TempDirectory("condamirror-packed");
        var tasks = ExtractTasks(work);
        // System.Text.Json is in the folder because a dependency needs a newer one than net8.0's; the task runs that copy.
        foreach (var name in new[] { "CondaMirror.Core.dll", "ZstdSharp.dll", "System.Text.Json.dll", "System.Text.Encodings.Web.dll" })
        {
            using var pe = new PEReader(File.OpenRead(Path.Combine(tasks, name)));
            var cor = pe.PEHeaders.CorHeader!;
            // A ReadyToRun image: native code behind the managed native header, flagged as an IL library.
            Assert.True(cor.ManagedNativeHeaderDirectory.Size > 0, $"{name} carries no ReadyToRun code");
            Assert.True((cor.Flags & CorFlags.ILLibrary) != 0, $"{name} is not flagged as a ReadyToRun IL library");
            // ReadyToRun marks the target OS by XOR-ing the machine field with an OS constant (Linux: 0x7B79).
            Assert.Equal(Machine.Amd64, (Machine)((ushort)pe.PEHeaders.CoffHeader.Machine ^ 0x7B79));
            // Its IL is still there, for a runtime that does not take the precompiled code.
            var metadata = pe.GetMetadataReader();
            var withBody = metadata.MethodDefinitions.Select(metadata.GetMethodDefinition).First(m => m.RelativeVirtualAddress != 0);
            Assert.True(pe.GetMethodBody(withBody.RelativeVirtualAddress).GetILBytes()!.Length > 0);
        }
        // The pack's build output keeps a package's runtimes/<rid>/ variant of the same name (System.Text.Encodings.Web's
        // for the browser) as the package ships it: not replaced by the Linux image of the plain one.
        var output = Path.Combine(TestData.RepoRoot, "src", "CondaMirror.MSBuild", "bin", "Release", "net8.0");
        var variants = Directory.GetFiles(Path.Combine(output, "runtimes"), "System.Text.Encodings.Web.dll", SearchOption.AllDirectories);
        Assert.NotEmpty(variants);
        foreach (var variant in variants)
        {
            using var pe = new PEReader(File.OpenRead(variant));
            Assert.Equal(0, pe.PEHeaders.CorHeader!.ManagedNativeHeaderDirectory.Size);
        }
    }

    [SkippableFact]
    public void A_real_build_loads_the_tasks_with_the_new_closure()
    {
        using var work = new TempDirectory("condamirror-e2e");
        TestKit.Channels.ChannelBuilder.WritePackage(work.Combine("packages", "noarch"), new TestKit.Channels.PackageSpec("helper", "1.0", "pyh_0") { Noarch = "python" });
        var project = _package.WriteProject(work.Combine("app"), """
              <ItemGroup>
                <CondaPackageFile Include="../packages/**/*.conda" />
              </ItemGroup>
            """);
        var result = _package.Build(project);
        Assert.True(result.Succeeded, result.ToString());
        Assert.True(File.Exists(Path.Combine(work.Path, "app", "bin", "Debug", "net10.0", "conda-channel", "noarch", "helper-1.0-pyh_0.conda")), result.ToString());
    }

    /// <summary>
    /// Resolves like MSBuild's task load context: through the task assembly's deps.json, then the task folder, and
    /// otherwise from the host (which is where MSBuild's own assemblies, e.g. Microsoft.NET.StringTools, come from).
    /// </summary>
    private sealed class TaskLoadContext : AssemblyLoadContext
    {
        private readonly AssemblyDependencyResolver _resolver;
        private readonly string _directory;

        public TaskLoadContext(string taskAssembly) : base("condamirror-tasks", isCollectible: true)
        {
            _resolver = new AssemblyDependencyResolver(taskAssembly);
            _directory = Path.GetDirectoryName(taskAssembly)!;
        }

        protected override Assembly? Load(AssemblyName name)
        {
            var path = _resolver.ResolveAssemblyToPath(name);
            if (path is not null) return LoadFromAssemblyPath(path);
            var candidate = Path.Combine(_directory, name.Name + ".dll");
            return File.Exists(candidate) ? LoadFromAssemblyPath(candidate) : null;
        }
    }
}
