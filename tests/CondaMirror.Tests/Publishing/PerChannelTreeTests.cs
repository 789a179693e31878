using CondaMirror.Core.Errors;
using CondaMirror.Core.Indexing;
using CondaMirror.Core.Publishing;
using CondaMirror.TestKit;
using CondaMirror.TestKit.Channels;
using Xunit;

namespace CondaMirror.Tests.Publishing;

/// <summary>
/// CondaChannelLayout=per-channel hands the publisher a root with channel folders below it: it is a tree to publish
/// (every file under its path), and the plan still stores every channel's archives before any index and every
/// repodata.json last. Packages written by TestKit's <see cref="ChannelBuilder"/>; no object store is needed.
/// </summary>
public sealed class PerChannelTreeTests
{
    [Fact]
    public void A_root_of_channel_folders_is_read_whole_and_planned_archives_first_repodata_last()
    {
        using var work = new TempDirectory("condamirror-publish");
        var root = work.Combine("root");
        var a = new ChannelBuilder().Add(new PackageSpec("tool", "1.0", "h_0", "linux-64")).WriteTo(work.Combine("a-packages"));
        var b = new ChannelBuilder().Add(new PackageSpec("data", "1.2", "h_0") { Noarch = "generic" }).WriteTo(work.Combine("b-packages"));
        var options = new IndexOptions { Subdirs = ["linux-64"] };
        ChannelIndexer.Write(Path.Combine(root, "a"), a.Where(f => f.EndsWith(".conda")).Select(f => ArchiveEntries.FromArchive(f)), options);
        ChannelIndexer.Write(Path.Combine(root, "pkgs", "main"), b.Where(f => f.EndsWith(".conda")).Select(f => ArchiveEntries.FromArchive(f)), options);

        var local = ChannelPublisher.ReadTree(root, 1L << 30);

        var onDisk = Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(root, f).Replace('\\', '/')).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(onDisk, local.Select(f => f.RelativePath).Order(StringComparer.Ordinal).ToArray());
        Assert.Contains("a/linux-64/tool-1.0-h_0.conda", onDisk);
        Assert.Contains("pkgs/main/noarch/repodata.json", onDisk);

        var plan = PublishPlan.Create(local, "conda/", new Dictionary<string, RemoteState>(), prune: false);
        var keys = plan.Uploads.Select(u => u.Key).ToList();
        var lastArchive = keys.FindLastIndex(k => k.EndsWith(".conda", StringComparison.Ordinal));
        var firstIndex = keys.FindIndex(k => Path.GetFileName(k).StartsWith("repodata", StringComparison.Ordinal));
        Assert.True(lastArchive < firstIndex, string.Join(", ", keys));
        var repodata = keys.Where(k => Path.GetFileName(k) == "repodata.json").ToList();
        Assert.Equal(4, repodata.Count); // a and pkgs/main, linux-64 and noarch each
        Assert.Equal(repodata, keys.TakeLast(4));
    }

    [Fact]
    public void A_root_without_any_noarch_repodata_is_still_CMIR368()
    {
        using var work = new TempDirectory("condamirror-publish");
        Directory.CreateDirectory(work.Combine("a", "linux-64"));
        File.WriteAllText(work.Combine("a", "linux-64", "repodata.json"), "{}");
        var error = Assert.Throws<CondaMirrorException>(() => ChannelPublisher.ReadTree(work.Path, 1L << 30));
        Assert.Equal(ErrorCodes.PublishChannelInvalid, error.Code);
    }
}
