using System.Reflection;
using System.Runtime.Loader;

namespace CondaMirror.MSBuild.TaskRunner;

/// <summary>
/// The task assembly's own load context, as MSBuild gives one to a task assembly: its dependencies from its
/// deps.json or its folder; MSBuild's assemblies (the build engine's types) shared with the runner.
/// </summary>
internal sealed class TaskLoadContext : AssemblyLoadContext
{
    private readonly AssemblyDependencyResolver _resolver;
    private readonly string _directory;

    public TaskLoadContext(string taskAssemblyPath) : base("tasks: " + Path.GetFileName(taskAssemblyPath))
    {
        _resolver = new AssemblyDependencyResolver(taskAssemblyPath);
        _directory = Path.GetDirectoryName(taskAssemblyPath)!;
    }

    protected override Assembly? Load(AssemblyName name)
    {
        if (name.Name is null || IsShared(name.Name)) return null;
        var path = _resolver.ResolveAssemblyToPath(name);
        if (path is null)
        {
            var local = Path.Combine(_directory, name.Name + ".dll");
            if (File.Exists(local)) path = local;
        }
        return path is null ? null : LoadFromAssemblyPath(path);
    }

    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName) =>
        _resolver.ResolveUnmanagedDllToPath(unmanagedDllName) is { } path ? LoadUnmanagedDllFromPath(path) : IntPtr.Zero;

    private static bool IsShared(string name) =>
        name is "Microsoft.Build.Framework" or "Microsoft.Build.Utilities.Core" or "Microsoft.Build" or "Microsoft.Build.Tasks.Core"
            or "Microsoft.NET.StringTools";
}
