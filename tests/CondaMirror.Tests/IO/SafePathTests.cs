using CondaMirror.Core.Downloads;
using CondaMirror.Core.Errors;
using CondaMirror.Core.IO;
using CondaMirror.TestKit;
using Xunit;

namespace CondaMirror.Tests.IO;

public class SafePathTests
{
    [Theory]
    [InlineData("linux-64")]
    [InlineData("numpy-1.26.4-py312h1_0.conda")]
    [InlineData("tzdata-2024b-hc8b5060_0.tar.bz2")]
    [InlineData("repodata.json")]
    [InlineData(".partial")]
    public void Plain_names_are_segments(string name) => Assert.True(SafePath.IsPlainSegment(name));

    [Theory]
    [InlineData("")]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData("../x")]
    [InlineData("a/b")]
    [InlineData("a\\b")]
    [InlineData("/abs")]
    [InlineData("C:")]
    [InlineData("C:x.conda")]
    [InlineData("x..y")]
    [InlineData("trailing.")]
    [InlineData("nul")]
    [InlineData("CON.conda")]
    [InlineData("com1")]
    [InlineData("a\0b")]
    [InlineData("a?b")]
    public void Other_names_are_not(string name) => Assert.False(SafePath.IsPlainSegment(name));

    [Fact]
    public void Combine_stays_inside_the_root()
    {
        using var root = new TempDirectory();
        Assert.Equal(Path.Combine(root.Path, "linux-64", "x-1-0.conda"), SafePath.Combine(root.Path, "linux-64", "x-1-0.conda"));
        foreach (var bad in new[] { new[] { "..", "x" }, new[] { "../../x" }, new[] { "/tmp/evil" }, new[] { "a", "b/../../.." } })
        {
            var e = Assert.Throws<CondaMirrorException>(() => SafePath.Combine(root.Path, bad));
            Assert.Equal(ErrorCodes.OutputPathEscapes, e.Code);
        }
    }

    [Fact]
    public void IsInside_is_not_fooled_by_a_sibling_with_the_same_prefix()
    {
        Assert.True(SafePath.IsInside("/srv/channel", "/srv/channel/noarch/x"));
        Assert.False(SafePath.IsInside("/srv/channel", "/srv/channel-evil/noarch/x"));
        Assert.False(SafePath.IsInside("/srv/channel", "/srv/channel/../x"));
    }

    [Fact]
    public void Channel_placement_refuses_a_destination_outside_the_channel_and_writes_nothing()
    {
        using var work = new TempDirectory();
        var cached = work.Combine("cache", "x-1-0.conda");
        Directory.CreateDirectory(Path.GetDirectoryName(cached)!);
        File.WriteAllBytes(cached, [1, 2, 3]);
        var channel = work.Combine("out", "channel");
        Directory.CreateDirectory(channel);
        var before = FileTreeSnapshot.Take(work.Path);

        var e = Assert.Throws<CondaMirrorException>(() => ChannelPlacement.PlaceInChannel(cached, channel, "../..", "x-1-0.conda"));
        Assert.Equal(ErrorCodes.OutputPathEscapes, e.Code);
        Assert.Throws<CondaMirrorException>(() => ChannelPlacement.PlaceInChannel(cached, channel, "noarch", "../x-1-0.conda"));

        Assert.Equal(before, FileTreeSnapshot.Take(work.Path));
        var (placed, written) = ChannelPlacement.PlaceInChannel(cached, channel, "noarch", "x-1-0.conda");
        Assert.True(written);
        Assert.Equal(Path.Combine(channel, "noarch", "x-1-0.conda"), placed);
    }

    [Fact]
    public void Package_cache_paths_stay_in_the_cache()
    {
        using var root = new TempDirectory();
        var cache = new PackageCache(root.Path);
        var key = new string('a', 64);
        Assert.StartsWith(root.Path, cache.PathFor(key, "x-1-0.conda"));
        Assert.Equal(ErrorCodes.OutputPathEscapes, Assert.Throws<CondaMirrorException>(() => cache.PathFor(key, "../../../x-1-0.conda")).Code);
    }
}
