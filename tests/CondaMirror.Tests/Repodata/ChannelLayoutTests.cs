using CondaMirror.Core.Channels;
using CondaMirror.Core.Errors;
using Xunit;

namespace CondaMirror.Tests.Repodata;

/// <summary>
/// CondaChannelLayout's channel folders: names as conda gives them (expected values are conda's own channel names for
/// these URLs, e.g. `conda config --show-sources`/`conda list` print conda-forge and pkgs/main), and every name that
/// is not a safe relative folder refused with its code.
/// </summary>
public class ChannelLayoutTests
{
    private static ChannelLayout PerChannel(string? alias = null, string? local = null) => ChannelLayout.Create("per-channel", alias, local);

    [Theory]
    [InlineData("https://conda.anaconda.org/conda-forge", "conda-forge")]
    [InlineData("https://conda.anaconda.org/conda-forge/", "conda-forge")]
    [InlineData("https://conda.anaconda.org/pytorch/label/nightly", "pytorch/label/nightly")]
    [InlineData("https://repo.anaconda.com/pkgs/main", "pkgs/main")]
    [InlineData("http://127.0.0.1:8080/a/b", "a/b")]
    [InlineData("https://user:secret@host.example/t/tk-123/private", "private")]
    [InlineData("file:///srv/channels/upstream", "upstream")]
    public void Names_a_channel_the_way_conda_does(string url, string expected) =>
        Assert.Equal(expected, PerChannel().FolderOf(url));

    [Fact]
    public void A_channel_under_the_configured_alias_is_named_by_the_path_after_it()
    {
        var layout = PerChannel("http://127.0.0.1:9000/conda/");
        Assert.Equal("conda-forge", layout.FolderOf("http://127.0.0.1:9000/conda/conda-forge"));
        // Not under the alias: the path after the host.
        Assert.Equal("other/conda-forge", layout.FolderOf("http://127.0.0.1:9000/other/conda-forge"));
    }

    [Fact]
    public void Merged_puts_every_channel_at_the_root_and_is_the_default()
    {
        foreach (var value in new[] { null, "", "merged", "Merged" })
            Assert.Equal("", ChannelLayout.Create(value).FolderOf("https://conda.anaconda.org/conda-forge"));
        Assert.Equal(ChannelLayoutKind.Merged, ChannelLayout.Create(null).Kind);
    }

    [Fact]
    public void Packages_without_a_source_channel_go_to_the_local_folder_which_is_configurable()
    {
        Assert.Equal("local-packages", PerChannel().FolderOf(null));
        Assert.Equal("site/builds", PerChannel(local: "site/builds").FolderOf(null));
    }

    [Theory]
    [InlineData("flat")]
    [InlineData("per_channel")]
    [InlineData("merged;per-channel")]
    public void An_unknown_layout_is_CMIR815_naming_the_property_and_the_allowed_values(string value)
    {
        var e = Assert.Throws<CondaMirrorException>(() => ChannelLayout.Create(value));
        Assert.Equal(ErrorCodes.ChannelLayoutInvalid, e.Code);
        Assert.Equal("CMIR815", e.Code);
        Assert.Contains("CondaChannelLayout", e.Message);
        Assert.Contains("'merged'", e.Message);
        Assert.Contains("'per-channel'", e.Message);
    }

    [Theory]
    [InlineData("http://127.0.0.1:1/a/%2E%2E/%2E%2E/outside")]
    [InlineData("http://127.0.0.1:1/a/%2e%2e")]
    [InlineData("http://127.0.0.1:1/a/../../outside")]
    [InlineData("http://127.0.0.1:1/a/%2Fetc")]
    [InlineData("http://127.0.0.1:1/a/b%5C..%5Cc")]
    [InlineData("http://127.0.0.1:1/.hidden")]
    [InlineData("http://127.0.0.1:1/C:")]
    [InlineData("http://127.0.0.1:1/a//b")]
    [InlineData("http://127.0.0.1:1/")]
    [InlineData("http://127.0.0.1:1")]
    public void A_name_that_is_not_a_safe_relative_folder_is_CMIR341(string url)
    {
        var e = Assert.Throws<CondaMirrorException>(() => PerChannel().FolderOf(url, "/p/conda-mirror.lock"));
        Assert.Equal("CMIR341", e.Code);
        Assert.Equal("/p/conda-mirror.lock", e.File);
        Assert.Contains("CondaChannelLayout=merged", e.Message);
    }

    [Theory]
    [InlineData("../x")]
    [InlineData("a\\b")]
    [InlineData("a/./b")]
    [InlineData("nul")]
    public void An_unsafe_local_channel_name_is_CMIR341(string name)
    {
        var e = Assert.Throws<CondaMirrorException>(() => PerChannel(local: name));
        Assert.Equal("CMIR341", e.Code);
        Assert.Contains("CondaLocalChannelName", e.Message);
    }

    [Fact]
    public void Two_sources_in_one_folder_are_CMIR343_and_nested_folders_CMIR342()
    {
        var shared = Assert.Throws<CondaMirrorException>(() => ChannelLayout.CheckFolders(new (string?, string)[]
        {
            ("https://conda.anaconda.org/conda-forge", "conda-forge"),
            ("https://mirror.example/conda-forge", "conda-forge"),
        }));
        Assert.Equal("CMIR343", shared.Code);
        Assert.Contains("https://mirror.example/conda-forge", shared.Message);

        var local = Assert.Throws<CondaMirrorException>(() => ChannelLayout.CheckFolders(new (string?, string)[] { ("http://h/local", "local"), (null, "local") }));
        Assert.Equal("CMIR343", local.Code);
        Assert.Contains("CondaLocalChannelName", local.Message);

        var nested = Assert.Throws<CondaMirrorException>(() => ChannelLayout.CheckFolders(new (string?, string)[] { ("http://h/pkgs/main", "pkgs/main"), ("http://h/pkgs", "pkgs") }));
        Assert.Equal("CMIR342", nested.Code);

        // The same channel many times, and channels that only share a prefix of their name, are fine.
        ChannelLayout.CheckFolders(new (string?, string)[] { ("http://h/pkgs/main", "pkgs/main"), ("http://h/pkgs/main/", "pkgs/main"), ("http://h/pkgs/r", "pkgs/r"), ("http://h/pkgs-x", "pkgs-x") });
    }

    [Fact]
    public void A_channel_folder_is_below_the_root()
    {
        var root = Path.Combine(Path.GetTempPath(), "root");
        Assert.Equal(Path.Combine(root, "pkgs", "main"), ChannelLayout.PathOf(root, "pkgs/main"));
        Assert.Equal(Path.GetFullPath(root), ChannelLayout.PathOf(root, ""));
    }
}
