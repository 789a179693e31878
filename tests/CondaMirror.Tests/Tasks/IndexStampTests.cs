using CondaMirror.Core.Errors;
using CondaMirror.MSBuild;
using CondaMirror.TestKit;
using CondaMirror.TestKit.Channels;
using Microsoft.Build.Utilities;
using Xunit;

namespace CondaMirror.Tests.Tasks;

/// <summary>The index step's completion record: only a run that wrote every repodata.json leaves one.</summary>
public class IndexStampTests
{
    [SkippableFact]
    public void A_failed_repodata_write_removes_the_stamp_and_the_next_run_writes_every_subdir_and_the_stamp()
    {
        using var dir = new TempDirectory();
        var files = new ChannelBuilder()
            .Add("tool", "1.0", "h_0", "linux-64")
            .Add("data", "2.0", "0", "noarch")
            .Add("app", "3.0", "h_0", "win-64")
            .WriteTo(dir.Combine("source"));
        var channel = dir.Combine("channel");
        var stamp = dir.Combine("obj", "index.stamp");
        Directory.CreateDirectory(Path.GetDirectoryName(stamp)!);
        File.WriteAllText(stamp, "from an earlier, complete run\n");
        // win-64 sorts after noarch: noarch/repodata.json is new when win-64's write fails, as with a disk filling up.
        Directory.CreateDirectory(Path.Combine(channel, "win-64", "repodata.json"));
        IndexCondaChannel Task(FakeBuildEngine engine) => new()
        {
            BuildEngine = engine,
            ChannelDirectory = channel,
            Platforms = "linux-64;win-64",
            PackageFiles = files.Select(f => new TaskItem(f)).ToArray(),
            StampFile = stamp,
        };

        var engine = new FakeBuildEngine();
        Assert.False(Task(engine).Execute());
        Assert.Equal(ErrorCodes.IndexWriteFailed, Assert.Single(engine.Errors).Code);
        Assert.False(File.Exists(stamp), "a stamp survived a failed index run");
        Assert.True(File.Exists(Path.Combine(channel, "noarch", "repodata.json")));

        Directory.Delete(Path.Combine(channel, "win-64", "repodata.json"));
        var healthy = new FakeBuildEngine();
        Assert.True(Task(healthy).Execute(), healthy.ToString());

        var listed = File.ReadAllLines(stamp);
        Assert.Equal(new[] { "linux-64", "noarch", "win-64" }.Select(s => Path.Combine(channel, s, "repodata.json")), listed);
        foreach (var repodata in listed)
            Assert.Contains(".conda", File.ReadAllText(repodata));
    }

    [SkippableFact]
    public void A_stamp_that_cannot_be_removed_is_one_coded_error_before_the_channel_is_touched()
    {
        using var dir = new TempDirectory();
        var stamp = dir.Combine("index.stamp");
        Directory.CreateDirectory(Path.Combine(stamp, "not-empty")); // a non-empty directory cannot be deleted as a file
        var engine = new FakeBuildEngine();
        var task = new IndexCondaChannel { BuildEngine = engine, ChannelDirectory = dir.Combine("channel"), StampFile = stamp };

        Assert.False(task.Execute());

        Assert.Equal(ErrorCodes.IndexStampFailed, Assert.Single(engine.Errors).Code);
        Assert.False(Directory.Exists(dir.Combine("channel")));
    }
}
