using System.Security.Cryptography;
using System.Text;
using CondaMirror.Core.Incremental;
using CondaMirror.TestKit;
using Xunit;

namespace CondaMirror.Tests.Incremental;

/// <summary>Core's step records with real files: what makes a step run again, what clean removes, what is never written.</summary>
public class StepRecordTests
{
    private static StepInputs Inputs(string state, string lockPath, string license, string? token = null)
    {
        var previous = StepRecord.Load(state, "resolve");
        var metadata = new Dictionary<string, string> { ["Name"] = "tool", ["License"] = license };
        if (token is not null) metadata["BearerToken"] = token;
        return new StepInputs("resolve", "tool-version", previous?.InputFiles)
            .Add("Platforms", "linux-64")
            .AddItems("Excludes", new[] { new InputItem("no-gpl", metadata) })
            .AddFiles("LockFile", new[] { lockPath });
    }

    [Fact]
    public void Equal_inputs_and_untouched_outputs_skip_and_any_metadata_change_names_the_input()
    {
        using var dir = new TempDirectory();
        var state = dir.Combine("obj");
        var lockPath = dir.Combine("pixi.lock");
        File.WriteAllText(lockPath, "version: 6\n");
        var output = dir.Combine("channel", "noarch", "repodata.json");
        Directory.CreateDirectory(Path.GetDirectoryName(output)!);
        File.WriteAllText(output, "{}");

        Assert.Equal("no record of a complete earlier run", StepRecord.WhyRun(StepRecord.Load(state, "resolve"), Inputs(state, lockPath, "GPL*")));
        StepRecord.Save(state, Inputs(state, lockPath, "GPL*"), new StepOutcome(new[] { output }));
        Assert.Null(StepRecord.WhyRun(StepRecord.Load(state, "resolve"), Inputs(state, lockPath, "GPL*")));
        Assert.Equal("Excludes changed", StepRecord.WhyRun(StepRecord.Load(state, "resolve"), Inputs(state, lockPath, "AGPL*")));

        File.AppendAllText(lockPath, "# edited\n");
        Assert.Equal("LockFile changed", StepRecord.WhyRun(StepRecord.Load(state, "resolve"), Inputs(state, lockPath, "GPL*")));
    }

    [Fact]
    public void A_deleted_output_or_one_edited_in_place_with_its_size_and_time_kept_makes_the_step_run()
    {
        using var dir = new TempDirectory();
        var state = dir.Combine("obj");
        var lockPath = dir.Combine("pixi.lock");
        File.WriteAllText(lockPath, "version: 6\n");
        var output = dir.Combine("out.conda");
        File.WriteAllBytes(output, Encoding.ASCII.GetBytes("original bytes"));
        StepRecord.Save(state, Inputs(state, lockPath, "x"), new StepOutcome(new[] { output }));

        // Same size, same modification time, same inode: only the change time tells.
        var mtime = File.GetLastWriteTimeUtc(output);
        Thread.Sleep(20);
        using (var stream = new FileStream(output, FileMode.Open, FileAccess.Write)) stream.Write(Encoding.ASCII.GetBytes("ORIGINAL"));
        File.SetLastWriteTimeUtc(output, mtime);
        Assert.Equal($"{output} was changed since this step wrote it", StepRecord.WhyRun(StepRecord.Load(state, "resolve"), Inputs(state, lockPath, "x")));

        File.Delete(output);
        Assert.Equal($"{output} is missing", StepRecord.WhyRun(StepRecord.Load(state, "resolve"), Inputs(state, lockPath, "x")));
    }

    [SkippableFact]
    public void A_link_made_or_removed_elsewhere_is_no_edit_of_an_output_with_a_known_hash_but_an_edit_through_it_is()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "the change time is only part of a file's identity on Linux");
        using var dir = new TempDirectory();
        var state = dir.Combine("obj");
        var lockPath = dir.Combine("pixi.lock");
        File.WriteAllText(lockPath, "version: 6\n");
        var source = dir.Combine("mine-0.1-0.conda");
        File.WriteAllBytes(source, Encoding.ASCII.GetBytes("package bytes"));
        var output = dir.Combine("channel", "noarch", "mine-0.1-0.conda");
        Directory.CreateDirectory(Path.GetDirectoryName(output)!);
        Assert.True(CondaMirror.Core.Downloads.ChannelPlacement.TryCreateHardLink(source, output));
        var sha256 = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(source))).ToLowerInvariant();
        StepRecord.Save(state, Inputs(state, lockPath, "x"), new StepOutcome(new[] { output }, Sha256s: new Dictionary<string, string> { [output] = sha256 }));

        // Another link to the same file (another channel placed from it), then removed again: the change time moves twice.
        Thread.Sleep(20);
        var other = dir.Combine("old-channel.conda");
        Assert.True(CondaMirror.Core.Downloads.ChannelPlacement.TryCreateHardLink(source, other));
        File.Delete(other);
        Assert.Null(StepRecord.WhyRun(StepRecord.Load(state, "resolve"), Inputs(state, lockPath, "x"), out var renewed));
        Assert.NotNull(renewed);
        StepRecord.Keep(state, renewed!);
        // Kept: the next check finds the identity equal and hashes nothing.
        Assert.Null(StepRecord.WhyRun(StepRecord.Load(state, "resolve"), Inputs(state, lockPath, "x"), out var again));
        Assert.Null(again);

        // An edit through the user's file, size and modification time kept: the content check says so.
        var mtime = File.GetLastWriteTimeUtc(source);
        Thread.Sleep(20);
        using (var stream = new FileStream(source, FileMode.Open, FileAccess.Write)) stream.Write(Encoding.ASCII.GetBytes("PACKAGE"));
        File.SetLastWriteTimeUtc(source, mtime);
        Assert.Equal($"{output} was changed since this step wrote it", StepRecord.WhyRun(StepRecord.Load(state, "resolve"), Inputs(state, lockPath, "x"), out renewed));
        Assert.Null(renewed);
    }

    [Fact]
    public void An_input_file_touched_with_its_bytes_kept_is_no_change_and_its_new_identity_is_kept()
    {
        using var dir = new TempDirectory();
        var state = dir.Combine("obj");
        var lockPath = dir.Combine("pixi.lock");
        File.WriteAllText(lockPath, "version: 6\n");
        StepRecord.Save(state, Inputs(state, lockPath, "x"), new StepOutcome(Array.Empty<string>()));
        Assert.Null(StepRecord.WhyRun(StepRecord.Load(state, "resolve"), Inputs(state, lockPath, "x"), out var unchanged));
        Assert.Null(unchanged);

        File.SetLastWriteTimeUtc(lockPath, DateTime.UtcNow.AddMinutes(-5));
        Assert.Null(StepRecord.WhyRun(StepRecord.Load(state, "resolve"), Inputs(state, lockPath, "x"), out var renewed));
        Assert.NotNull(renewed);
        StepRecord.Keep(state, renewed!);
        Assert.Null(StepRecord.WhyRun(StepRecord.Load(state, "resolve"), Inputs(state, lockPath, "x"), out var again));
        Assert.Null(again);
    }

    [Fact]
    public void An_input_file_replaced_by_other_bytes_with_the_same_size_and_time_is_a_change()
    {
        using var dir = new TempDirectory();
        var state = dir.Combine("obj");
        var lockPath = dir.Combine("pixi.lock");
        File.WriteAllText(lockPath, "aaaa");
        StepRecord.Save(state, Inputs(state, lockPath, "x"), StepOutcome.Nothing);
        var time = File.GetLastWriteTimeUtc(lockPath);

        // What `cp -p` of another file gives: new inode, same size, the old file's time.
        var other = dir.Combine("other");
        File.WriteAllText(other, "bbbb");
        File.SetLastWriteTimeUtc(other, time);
        File.Move(other, lockPath, overwrite: true);

        Assert.Equal("LockFile changed", StepRecord.WhyRun(StepRecord.Load(state, "resolve"), Inputs(state, lockPath, "x")));
    }

    [Fact]
    public void A_secret_in_metadata_or_a_url_reaches_the_record_neither_as_text_nor_as_its_hash()
    {
        using var dir = new TempDirectory();
        var state = dir.Combine("obj");
        var lockPath = dir.Combine("pixi.lock");
        File.WriteAllText(lockPath, "version: 6\n");
        const string token = "s3cr3t-token-value";
        var inputs = Inputs(state, lockPath, "x", token)
            .Add("ChannelAlias", $"https://user:{token}@conda.example.com/")
            .AddItems("Channels", new[] { new InputItem($"https://conda.example.com/t/{token}/main", new Dictionary<string, string>()) });
        StepRecord.Save(state, inputs, StepOutcome.Nothing);

        var text = File.ReadAllText(StepRecord.PathFor(state, "resolve"));
        Assert.DoesNotContain(token, text);
        foreach (var encoding in new[] { token, $"https://user:{token}@conda.example.com/" })
            Assert.DoesNotContain(Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(encoding))), text, StringComparison.OrdinalIgnoreCase);
        // Whether a secret is given still counts; its value does not.
        Assert.Null(StepRecord.WhyRun(StepRecord.Load(state, "resolve"), Inputs(state, lockPath, "x", "another-token")
            .Add("ChannelAlias", "https://user:other@conda.example.com/")
            .AddItems("Channels", new[] { new InputItem("https://conda.example.com/t/other/main", new Dictionary<string, string>()) })));
        Assert.Equal("Excludes changed", StepRecord.WhyRun(StepRecord.Load(state, "resolve"), Inputs(state, lockPath, "x")
            .Add("ChannelAlias", "https://user:other@conda.example.com/")
            .AddItems("Channels", new[] { new InputItem("https://conda.example.com/t/other/main", new Dictionary<string, string>()) })));
    }

    [Fact]
    public void Clean_removes_owned_files_inside_the_roots_and_leaves_the_lock_user_files_and_everything_outside()
    {
        using var dir = new TempDirectory();
        var state = dir.Combine("obj");
        var channel = dir.Combine("channel");
        var lockPath = dir.Combine("pixi.lock");
        File.WriteAllText(lockPath, "version: 6\n");
        var owned = new[] { Path.Combine(channel, "noarch", "repodata.json"), Path.Combine(channel, "noarch", "shards", "a.msgpack.zst"), Path.Combine(channel, "sbom.cdx.json") };
        var outside = dir.Combine("elsewhere", "file.txt");
        foreach (var f in owned.Append(outside)) { Directory.CreateDirectory(Path.GetDirectoryName(f)!); File.WriteAllText(f, "x"); }
        File.WriteAllText(Path.Combine(channel, "NOTES.txt"), "the user's");
        StepRecord.Save(state, Inputs(state, lockPath, "x"), new StepOutcome(owned.Append(outside), Tracked: new[] { lockPath }));

        var result = StepClean.Run(state, new[] { channel });

        Assert.Equal(3, result.FilesRemoved);
        Assert.Equal(new[] { "NOTES.txt" }, Directory.GetFileSystemEntries(channel).Select(Path.GetFileName));
        Assert.True(File.Exists(lockPath));
        Assert.True(File.Exists(outside));
        Assert.Empty(Directory.GetFiles(state, "*" + StepRecord.RecordSuffix));
    }
}
