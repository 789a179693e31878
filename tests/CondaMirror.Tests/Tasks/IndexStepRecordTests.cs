using CondaMirror.Core.Errors;
using CondaMirror.Core.Incremental;
using CondaMirror.MSBuild;
using CondaMirror.TestKit;
using CondaMirror.TestKit.Channels;
using Microsoft.Build.Utilities;
using Xunit;

namespace CondaMirror.Tests.Tasks;

/// <summary>The index step's record: only a run that wrote every file leaves one, and it lists every file written.</summary>
public class IndexStepRecordTests
{
    [SkippableFact]
    public void A_failed_repodata_write_removes_the_record_and_the_next_run_writes_every_subdir_and_the_record()
    {
        using var dir = new TempDirectory();
        var files = new ChannelBuilder()
            .Add("tool", "1.0", "h_0", "linux-64")
            .Add("data", "2.0", "0", "noarch")
            .Add("app", "3.0", "h_0", "win-64")
            .WriteTo(dir.Combine("source"));
        var channel = dir.Combine("channel");
        var state = dir.Combine("obj");
        var record = Path.Combine(state, "index" + StepRecord.RecordSuffix);
        Directory.CreateDirectory(state);
        File.WriteAllText(record, "{}");
        // win-64 sorts after noarch: noarch/repodata.json is new when win-64's write fails, as with a disk filling up.
        Directory.CreateDirectory(Path.Combine(channel, "win-64", "repodata.json"));
        IndexCondaChannel Task(FakeBuildEngine engine) => new()
        {
            BuildEngine = engine,
            ChannelDirectory = channel,
            Platforms = "linux-64;win-64",
            PackageFiles = files.Select(f => new TaskItem(f)).ToArray(),
            StateDirectory = state,
        };

        var engine = new FakeBuildEngine();
        Assert.False(Task(engine).Execute());
        Assert.Equal(ErrorCodes.IndexWriteFailed, Assert.Single(engine.Errors).Code);
        Assert.False(File.Exists(record), "a record survived a failed index run");
        Assert.True(File.Exists(Path.Combine(channel, "noarch", "repodata.json")));

        Directory.Delete(Path.Combine(channel, "win-64", "repodata.json"));
        var healthy = new FakeBuildEngine();
        Assert.True(Task(healthy).Execute(), healthy.ToString());

        // Every file in the channel but the archives (which the download step places) is listed as written.
        var written = Directory.EnumerateFiles(channel, "*", SearchOption.AllDirectories)
            .Where(f => !f.EndsWith(".conda", StringComparison.Ordinal) && !f.EndsWith(".tar.bz2", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
        var loaded = StepRecord.Load(state, "index");
        Assert.NotNull(loaded);
        Assert.Equal(written, loaded!.Outputs.Where(o => o.Owned && !o.Path.EndsWith(".conda", StringComparison.Ordinal)).Select(o => o.Path));
        foreach (var subdir in new[] { "linux-64", "noarch", "win-64" })
            Assert.Contains(".conda", File.ReadAllText(Path.Combine(channel, subdir, "repodata.json")));

        var again = new FakeBuildEngine();
        Assert.True(Task(again).Execute(), again.ToString());
        Assert.Contains("index step: up to date", again.AllMessages, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void A_record_that_cannot_be_removed_is_one_coded_error_before_the_channel_is_touched()
    {
        using var dir = new TempDirectory();
        var state = dir.Combine("obj");
        Directory.CreateDirectory(Path.Combine(state, "index" + StepRecord.RecordSuffix, "not-empty")); // a non-empty directory cannot be deleted as a file
        var engine = new FakeBuildEngine();
        var task = new IndexCondaChannel { BuildEngine = engine, ChannelDirectory = dir.Combine("channel"), StateDirectory = state };

        Assert.False(task.Execute());

        Assert.Equal(ErrorCodes.StepRecordFailed, Assert.Single(engine.Errors).Code);
        Assert.False(Directory.Exists(dir.Combine("channel")));
    }
}
