using System.Collections;
using CondaMirror.MSBuild;
using CondaMirror.TestKit;
using CondaMirror.TestKit.Channels;
using Microsoft.Build.Framework;
using TaskItem = Microsoft.Build.Utilities.TaskItem;
using Xunit;

namespace CondaMirror.Tests.Tasks;

/// <summary>
/// Projects of one build resolving against the same channels index each repodata file once: the second project's
/// ResolveCondaLock takes the index from MSBuild's task-object cache; a changed file is indexed again.
/// </summary>
public sealed class SharedRepodataTaskTests
{
    private const string Reused = "indexed earlier in this build";

    private static ResolveCondaLock Resolve(IBuildEngine engine, string channel, string lockFile, string cache) => new()
    {
        BuildEngine = engine,
        Packages = [new TaskItem("app")],
        Channels = [new TaskItem(channel)],
        Platforms = "linux-64",
        LockFile = lockFile,
        RepodataCachePath = cache,
    };

    [SkippableFact]
    public async Task A_second_project_reuses_the_index_of_the_first_and_a_changed_file_is_indexed_again()
    {
        using var dir = new TempDirectory();
        new ChannelBuilder()
            .Add("app", "1.0", "0", "linux-64", "lib")
            .Add("lib", "2.0", "0", "noarch")
            .WriteTo(dir.Combine("upstream"));
        // Monolithic repodata is what is indexed and shared; shards are per name and cached by hash already.
        ShardedChannelWriter.RemoveShards(dir.Combine("upstream"));
        await using var server = new LoopbackChannelServer(dir.Combine("upstream"));
        var engine = new TaskObjectEngine();

        Assert.True(Resolve(engine, server.BaseUri.AbsoluteUri, dir.Combine("a.lock"), dir.Combine("cache")).Execute(), engine.Log.ToString());
        Assert.DoesNotContain(Reused, engine.Log.AllMessages);
        engine.Log.Messages.Clear();

        Assert.True(Resolve(engine, server.BaseUri.AbsoluteUri, dir.Combine("b.lock"), dir.Combine("cache")).Execute(), engine.Log.ToString());
        Assert.Contains(Reused, engine.Log.AllMessages);
        Assert.Equal(File.ReadAllText(dir.Combine("a.lock")), File.ReadAllText(dir.Combine("b.lock")));

        // A local channel: its repodata.json is the key; rewritten (a newer lib), it is indexed again.
        engine.Log.Messages.Clear();
        var local = dir.Combine("upstream");
        Assert.True(Resolve(engine, local, dir.Combine("c.lock"), dir.Combine("cache")).Execute(), engine.Log.ToString());
        Assert.True(Resolve(engine, local, dir.Combine("d.lock"), dir.Combine("cache")).Execute(), engine.Log.ToString());
        Assert.Contains(Reused, engine.Log.AllMessages);
        engine.Log.Messages.Clear();
        new ChannelBuilder()
            .Add("app", "1.0", "0", "linux-64", "lib")
            .Add("lib", "2.0", "0", "noarch")
            .Add("lib", "3.0", "0", "noarch")
            .WriteTo(local);
        ShardedChannelWriter.RemoveShards(local);
        File.SetLastWriteTimeUtc(Path.Combine(local, "noarch", "repodata.json"), DateTime.UtcNow.AddMinutes(1));
        Assert.True(Resolve(engine, local, dir.Combine("e.lock"), dir.Combine("cache")).Execute(), engine.Log.ToString());
        Assert.Contains("lib-3.0-0", File.ReadAllText(dir.Combine("e.lock")));
        Assert.Contains("lib-2.0-0", File.ReadAllText(dir.Combine("d.lock")));
        engine.DisposeBuildObjects();
    }

    /// <summary>The fake engine plus MSBuild's task-object cache (build lifetime; disposed at the "end of the build").</summary>
    private sealed class TaskObjectEngine : IBuildEngine4
    {
        private readonly Dictionary<object, object> _objects = new();
        public FakeBuildEngine Log { get; } = new();

        public void RegisterTaskObject(object key, object obj, RegisteredTaskObjectLifetime lifetime, bool allowEarlyCollection) => _objects[key] = obj;
        public object? GetRegisteredTaskObject(object key, RegisteredTaskObjectLifetime lifetime) => _objects.GetValueOrDefault(key);
        public object? UnregisterTaskObject(object key, RegisteredTaskObjectLifetime lifetime) => _objects.Remove(key, out var o) ? o : null;

        public void DisposeBuildObjects()
        {
            foreach (var o in _objects.Values.OfType<IDisposable>()) o.Dispose();
            _objects.Clear();
        }

        public bool ContinueOnError => false;
        public int LineNumberOfTaskNode => 0;
        public int ColumnNumberOfTaskNode => 0;
        public string ProjectFileOfTaskNode => Log.ProjectFileOfTaskNode;
        public bool IsRunningMultipleNodes => false;
        public void LogErrorEvent(BuildErrorEventArgs e) => Log.LogErrorEvent(e);
        public void LogWarningEvent(BuildWarningEventArgs e) => Log.LogWarningEvent(e);
        public void LogMessageEvent(BuildMessageEventArgs e) => Log.LogMessageEvent(e);
        public void LogCustomEvent(CustomBuildEventArgs e) { }
        public bool BuildProjectFile(string projectFileName, string[] targetNames, IDictionary globalProperties, IDictionary targetOutputs) => throw new NotSupportedException();
        public bool BuildProjectFile(string projectFileName, string[] targetNames, IDictionary globalProperties, IDictionary targetOutputs, string toolsVersion) => throw new NotSupportedException();
        public bool BuildProjectFilesInParallel(string[] projectFileNames, string[] targetNames, IDictionary[] globalProperties, IDictionary[] targetOutputsPerProject, string[] toolsVersion, bool useResultsCache, bool unloadProjectsOnCompletion) => throw new NotSupportedException();
        public BuildEngineResult BuildProjectFilesInParallel(string[] projectFileNames, string[] targetNames, IDictionary[] globalProperties, IList<string>[] removeGlobalProperties, string[] toolsVersion, bool returnTargetOutputs) => throw new NotSupportedException();
        public void Yield() { }
        public void Reacquire() { }
    }
}
