using System.Text.Json;
using CondaMirror.Core.Errors;
using CondaMirror.MSBuild;
using CondaMirror.TestKit;
using CondaMirror.TestKit.Channels;
using Microsoft.Build.Utilities;
using Xunit;

namespace CondaMirror.Tests.Tasks;

/// <summary>The task's switches for each channel output, CondaChannelBaseUrl, and the list of index files it leaves for the target.</summary>
public class IndexOutputsTaskTests
{
    private static (IndexCondaChannel Task, FakeBuildEngine Engine) Task(TempDirectory dir, Action<IndexCondaChannel>? configure = null)
    {
        var files = new ChannelBuilder().Add("tool", "1.0", "h_0", "linux-64").Add("data", "2.0", "0", "noarch").WriteTo(dir.Combine("source"));
        Directory.CreateDirectory(dir.Combine("obj")); // the targets create the state folder before the task runs
        var engine = new FakeBuildEngine();
        var task = new IndexCondaChannel
        {
            BuildEngine = engine,
            ChannelDirectory = dir.Combine("channel"),
            PackageFiles = files.Select(f => new TaskItem(f)).ToArray(),
            StateDirectory = dir.Combine("obj"),
        };
        configure?.Invoke(task);
        return (task, engine);
    }

    [SkippableFact]
    public void By_default_every_output_is_written_and_listed_for_the_target()
    {
        using var dir = new TempDirectory();
        var (task, engine) = Task(dir);

        Assert.True(task.Execute(), engine.ToString());

        var listed = Owned(dir);
        Assert.Equal(task.IndexFiles.Select(i => i.ItemSpec), listed);
        var names = listed.Select(f => Path.GetRelativePath(dir.Combine("channel"), f).Replace('\\', '/'))
            .Select(n => n.Contains("/shards/") ? n[..(n.IndexOf("/shards/") + 8)] + "<sha256>.msgpack.zst" : n).ToList();
        Assert.Equal(new[]
        {
            "channeldata.json", "index.html",
            "linux-64/index.html", "linux-64/repodata.json", "linux-64/repodata.json.zst", "linux-64/repodata_shards.msgpack.zst", "linux-64/run_exports.json",
            "linux-64/shards/<sha256>.msgpack.zst",
            "noarch/index.html", "noarch/repodata.json", "noarch/repodata.json.zst", "noarch/repodata_shards.msgpack.zst", "noarch/run_exports.json",
            "noarch/shards/<sha256>.msgpack.zst",
            "sbom.cdx.json",
        }, names);
        Assert.All(listed, f => Assert.True(File.Exists(f), f));
    }

    /// <summary>The index files the step's record lists (the local archives it placed are listed too, and left out here).</summary>
    private static List<string> Owned(TempDirectory dir) =>
        CondaMirror.Core.Incremental.StepRecord.Load(dir.Combine("obj"), "index")!.Outputs
            .Where(o => o.Owned && !o.Path.EndsWith(".conda", StringComparison.Ordinal) && !o.Path.EndsWith(".tar.bz2", StringComparison.Ordinal))
            .Select(o => o.Path).ToList();

    [SkippableFact]
    public void Switching_every_output_off_leaves_repodata_json_alone()
    {
        using var dir = new TempDirectory();
        Assert.True(Task(dir).Task.Execute());
        var (task, engine) = Task(dir, t =>
        {
            t.WriteZst = false;
            t.WriteRunExports = false;
            t.WriteChannelData = false;
            t.WriteIndexHtml = false;
            t.WriteShards = false;
            t.WriteSbom = false;
        });

        Assert.True(task.Execute(), engine.ToString());

        var files = Directory.EnumerateFiles(dir.Combine("channel"), "*", SearchOption.AllDirectories).Select(Path.GetFileName).Order().ToList();
        Assert.Equal(new[] { "data-2.0-0.conda", "repodata.json", "repodata.json", "tool-1.0-h_0.conda" }, files);
        Assert.Equal(2, Owned(dir).Count);
    }

    [SkippableFact]
    public void CondaChannelBaseUrl_reaches_every_repodata_json()
    {
        using var dir = new TempDirectory();
        var (task, engine) = Task(dir, t => t.ChannelBaseUrl = "http://127.0.0.1:8080/channel");

        Assert.True(task.Execute(), engine.ToString());

        using var doc = JsonDocument.Parse(File.ReadAllBytes(dir.Combine("channel", "linux-64", "repodata.json")));
        Assert.Equal("http://127.0.0.1:8080/channel/linux-64/", doc.RootElement.GetProperty("info").GetProperty("base_url").GetString());
        Assert.Equal(2, doc.RootElement.GetProperty("repodata_version").GetInt32());
    }

    [SkippableFact]
    public void A_bad_CondaChannelBaseUrl_is_one_CMIR306_and_the_channel_is_not_touched()
    {
        using var dir = new TempDirectory();
        var (task, engine) = Task(dir, t => t.ChannelBaseUrl = "javascript:alert(1)");

        Assert.False(task.Execute());

        Assert.Equal(ErrorCodes.IndexBaseUrlInvalid, Assert.Single(engine.Errors).Code);
        Assert.False(Directory.Exists(dir.Combine("channel")));
        Assert.Null(CondaMirror.Core.Incremental.StepRecord.Load(dir.Combine("obj"), "index"));
    }
}
