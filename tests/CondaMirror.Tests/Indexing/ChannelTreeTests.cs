using CondaMirror.Core.Indexing;
using CondaMirror.TestKit;
using Xunit;

namespace CondaMirror.Tests.Indexing;

/// <summary>
/// What a layout switch leaves behind: files of channels no longer built are removed, at any depth, and only files
/// a channel build writes; the user's own files, dot-folders and the channels just indexed stay. Trees are written by
/// hand, the expected survivors listed by hand.
/// </summary>
public class ChannelTreeTests
{
    private static void Touch(string root, params string[] relative)
    {
        foreach (var path in relative)
        {
            var full = Path.Combine(root, path.Replace('/', Path.DirectorySeparatorChar));
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllText(full, path);
        }
    }

    private static string[] Tree(string root) =>
        Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(root, p).Replace(Path.DirectorySeparatorChar, '/') + (Directory.Exists(p) ? "/" : ""))
            .Order(StringComparer.Ordinal).ToArray();

    private static IReadOnlyDictionary<string, IReadOnlySet<string>> Channels(params (string Dir, string[] Subdirs)[] channels) =>
        channels.ToDictionary(c => c.Dir, c => (IReadOnlySet<string>)new HashSet<string>(c.Subdirs));

    [Fact]
    public void Per_channel_removes_the_merged_roots_files_and_channels_no_longer_built()
    {
        using var work = new TempDirectory("condamirror-tree");
        var root = work.Combine("channel");
        Touch(root, ".condamirror-owner", "notes.txt", "channeldata.json", "index.html", "sbom.cdx.json",
            "noarch/repodata.json", "noarch/repodata.json.zst", "noarch/x-1-0.conda", "noarch/readme.md", "noarch/.x-1-0.conda.0123.tmp",
            "linux-64/repodata_shards.msgpack.zst", "linux-64/shards/ab.msgpack.zst", "linux-64/y-1-0.tar.bz2",
            "a/noarch/repodata.json", "a/noarch/z-1-0.conda", "a/index.html",
            "old/sub/noarch/repodata.json", "old/sub/channeldata.json", "old/sub/run_exports.json",
            ".git/index.html");

        var removed = ChannelTree.PruneStale(root, Channels((Path.Combine(root, "a"), new[] { "noarch" })));

        Assert.Equal(new[]
        {
            ".condamirror-owner", ".git/", ".git/index.html", "a/", "a/index.html", "a/noarch/", "a/noarch/repodata.json", "a/noarch/z-1-0.conda",
            "noarch/", "noarch/readme.md", "notes.txt",
        }, Tree(root));
        Assert.Equal(13, removed);
    }

    [Fact]
    public void Merged_removes_the_per_channel_folders_at_any_depth_and_keeps_its_own_subdirs()
    {
        using var work = new TempDirectory("condamirror-tree");
        var root = work.Combine("channel");
        Touch(root, "channeldata.json", "noarch/repodata.json", "noarch/x-1-0.conda", "linux-64/repodata.json",
            "pkgs/main/noarch/repodata.json", "pkgs/main/noarch/x-1-0.conda", "pkgs/main/linux-64/shards/cd.msgpack.zst", "pkgs/main/index.html",
            "pkgs/main/sbom.cdx.json", "a/noarch/repodata.json", "a/mine/user.txt");

        ChannelTree.PruneStale(root, Channels((root, new[] { "noarch", "linux-64" })));

        Assert.Equal(new[]
        {
            "a/", "a/mine/", "a/mine/user.txt", "channeldata.json", "linux-64/", "linux-64/repodata.json", "noarch/", "noarch/repodata.json", "noarch/x-1-0.conda",
        }, Tree(root));
    }

    [Fact]
    public void A_folder_above_a_channel_loses_only_channel_files_and_a_missing_root_is_nothing_to_do()
    {
        using var work = new TempDirectory("condamirror-tree");
        var root = work.Combine("channel");
        Touch(root, "pkgs/index.html", "pkgs/noarch/repodata.json", "pkgs/main/noarch/repodata.json", "pkgs/keep.txt");

        ChannelTree.PruneStale(root, Channels((Path.Combine(root, "pkgs", "main"), new[] { "noarch" })));

        Assert.Equal(new[] { "pkgs/", "pkgs/keep.txt", "pkgs/main/", "pkgs/main/noarch/", "pkgs/main/noarch/repodata.json" }, Tree(root));
        Assert.Equal(0, ChannelTree.PruneStale(work.Combine("absent"), Channels()));
    }
}
