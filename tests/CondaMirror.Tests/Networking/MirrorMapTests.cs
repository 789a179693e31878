using CondaMirror.Core.Channels;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Networking;
using Xunit;

namespace CondaMirror.Tests.Networking;

public sealed class MirrorMapTests
{
    private static readonly Func<string, UrlRoot> Resolve = ChannelResolver.RootResolver(null);

    [Theory]
    [InlineData("https://conda.anaconda.org/conda-forge/linux-64/repodata.json", "https://proxy.example/cf/linux-64/repodata.json")]
    [InlineData("https://conda.anaconda.org/conda-forge/noarch/x-1-0.conda", "https://proxy.example/cf/noarch/x-1-0.conda")]
    [InlineData("https://conda.anaconda.org/conda-forge-extra/noarch/repodata.json", null)] // not at a '/' boundary
    [InlineData("https://conda.anaconda.org/bioconda/noarch/repodata.json", null)]
    [InlineData("https://conda.anaconda.org/t/tk-123/conda-forge/noarch/repodata.json", "https://proxy.example/cf/noarch/repodata.json")] // token stripped
    public void A_channel_name_maps_its_urls_onto_the_mirror(string url, string? expected)
    {
        var map = MirrorMap.Parse([("conda-forge", "https://proxy.example/cf")], Resolve);
        var mirrors = map.MirrorsFor(new Uri(url));
        if (expected is null) Assert.Empty(mirrors);
        else Assert.Equal(expected, Assert.Single(mirrors).AbsoluteUri);
    }

    [Fact]
    public void Mirrors_keep_their_order_and_the_longest_channel_prefix_wins()
    {
        var map = MirrorMap.Parse(
        [
            ("https://repo.example/pkgs", "https://a.example/pkgs;https://b.example/pkgs/"),
            ("https://repo.example/pkgs/main", "https://main.example/"),
            ("https://repo.example/pkgs", "https://c.example/pkgs"),
        ], Resolve);
        Assert.Equal(["https://a.example/pkgs/r/x.conda", "https://b.example/pkgs/r/x.conda", "https://c.example/pkgs/r/x.conda"],
            map.MirrorsFor(new Uri("https://repo.example/pkgs/r/x.conda")).Select(u => u.AbsoluteUri));
        Assert.Equal("https://main.example/linux-64/x.conda", Assert.Single(map.MirrorsFor(new Uri("https://repo.example/pkgs/main/linux-64/x.conda"))).AbsoluteUri);
    }

    [Theory]
    [InlineData("conda-forge", "")]
    [InlineData("conda-forge", "not a url")]
    [InlineData("conda-forge", "ftp://proxy.example/cf")]
    [InlineData("conda-forge", "relative/path")]
    public void A_bad_entry_is_CMIR809(string channel, string mirrors)
    {
        var e = Assert.Throws<CondaMirrorException>(() => MirrorMap.Parse([(channel, mirrors)], Resolve));
        Assert.Equal(ErrorCodes.ChannelMirrorInvalid, e.Code);
    }

    [Fact]
    public void A_mirror_url_with_credentials_is_not_echoed_in_the_error()
    {
        var e = Assert.Throws<CondaMirrorException>(() => MirrorMap.Parse([("conda-forge", "ftp://user:s3cret@proxy.example/")], Resolve));
        Assert.DoesNotContain("s3cret", e.Message);
    }
}
