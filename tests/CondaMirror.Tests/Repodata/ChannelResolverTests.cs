using CondaMirror.Core.Channels;
using CondaMirror.Core.Errors;
using CondaMirror.TestKit;
using Xunit;

namespace CondaMirror.Tests.Repodata;

public class ChannelResolverTests
{
    [Theory]
    [InlineData("conda-forge", "conda-forge", "https://conda.anaconda.org/conda-forge/")]
    [InlineData("bioconda/", "bioconda", "https://conda.anaconda.org/bioconda/")]
    [InlineData("pytorch/label/nightly", "pytorch/label/nightly", "https://conda.anaconda.org/pytorch/label/nightly/")]
    [InlineData("  conda-forge  ", "conda-forge", "https://conda.anaconda.org/conda-forge/")]
    public void Names_are_appended_to_the_channel_alias(string spec, string name, string url)
    {
        var channel = ChannelResolver.Resolve(spec);
        Assert.Equal(name, channel.Name);
        Assert.Equal(url, channel.BaseUrl.AbsoluteUri);
        Assert.True(channel.IsHttp);
    }

    [Fact]
    public void A_custom_alias_without_trailing_slash_is_normalised()
    {
        var channel = ChannelResolver.Resolve("conda-forge", "https://mirror.corp.example/conda");
        Assert.Equal("https://mirror.corp.example/conda/conda-forge/", channel.BaseUrl.AbsoluteUri);
        Assert.Equal("https://mirror.corp.example/conda/conda-forge/linux-64/", channel.SubdirUrl("linux-64").AbsoluteUri);
    }

    [Theory]
    [InlineData("https://repo.prefix.dev/conda-forge", "https://repo.prefix.dev/conda-forge/")]
    [InlineData("https://repo.prefix.dev/conda-forge/", "https://repo.prefix.dev/conda-forge/")]
    [InlineData("http://127.0.0.1:8080/chan", "http://127.0.0.1:8080/chan/")]
    [InlineData("file:///srv/channels/local", "file:///srv/channels/local/")]
    public void Urls_are_kept_with_one_trailing_slash(string spec, string url)
    {
        var channel = ChannelResolver.Resolve(spec);
        Assert.Equal(url, channel.BaseUrl.AbsoluteUri);
        Assert.Equal(url.TrimEnd('/'), channel.Name);
    }

    [Fact]
    public void Local_paths_resolve_against_the_base_directory()
    {
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.Combine("channels", "local"));
        var relative = ChannelResolver.Resolve("./channels/local", baseDirectory: temp.Path);
        Assert.True(relative.IsFile);
        Assert.Equal(temp.Combine("channels", "local") + Path.DirectorySeparatorChar, relative.BaseUrl.LocalPath);

        // Without ./ an existing folder still wins over a channel name, as in conda.
        var bare = ChannelResolver.Resolve("channels/local", baseDirectory: temp.Path);
        Assert.True(bare.IsFile);
        Assert.Equal(relative.BaseUrl, bare.BaseUrl);

        var absolute = ChannelResolver.Resolve(temp.Combine("with space"), baseDirectory: "/elsewhere");
        Assert.Equal(temp.Combine("with space") + Path.DirectorySeparatorChar, absolute.BaseUrl.LocalPath);
        Assert.Contains("with%20space/", absolute.BaseUrl.AbsoluteUri);

        var notAFolder = ChannelResolver.Resolve("channels/remote", baseDirectory: temp.Path);
        Assert.True(notAFolder.IsHttp);
    }

    [Theory]
    [InlineData("", ErrorCodes.ChannelSpecInvalid)]
    [InlineData("   ", ErrorCodes.ChannelSpecInvalid)]
    [InlineData("conda forge", ErrorCodes.ChannelSpecInvalid)]
    [InlineData("a//b", ErrorCodes.ChannelSpecInvalid)]
    [InlineData("https://", ErrorCodes.ChannelSpecInvalid)]
    [InlineData("ftp://example.org/chan", ErrorCodes.ChannelSchemeUnsupported)]
    [InlineData("s3://bucket/chan", ErrorCodes.ChannelSchemeUnsupported)]
    public void Invalid_items_fail_with_a_code_naming_the_item(string spec, string code)
    {
        var e = Assert.Throws<CondaMirrorException>(() => ChannelResolver.Resolve(spec, baseDirectory: Path.GetTempPath()));
        Assert.Equal(code, e.Code);
        if (spec.Trim().Length > 0) Assert.Contains(spec.Trim(), e.Message);
    }

    [Fact]
    public void An_invalid_alias_is_reported()
    {
        var e = Assert.Throws<CondaMirrorException>(() => ChannelResolver.Resolve("conda-forge", "not a url"));
        Assert.Equal(ErrorCodes.ChannelAliasInvalid, e.Code);
    }

    [Fact]
    public void Credentials_are_kept_for_requests_but_never_displayed()
    {
        var basic = ChannelResolver.Resolve("https://user:s3cret@private.example.org/chan");
        Assert.Contains("user:s3cret@", basic.BaseUrl.AbsoluteUri);
        Assert.Equal("https://***@private.example.org/chan", basic.DisplayUrl);
        Assert.Equal("https://***@private.example.org/chan", basic.Name);
        Assert.Equal("https://private.example.org/chan/", basic.PublicBaseUrl.AbsoluteUri);
        Assert.True(basic.HasUrlCredentials);
        Assert.DoesNotContain("s3cret", basic.ToString());

        var token = ChannelResolver.Resolve("https://conda.anaconda.org/t/tk-123-abc/my-org");
        Assert.Equal("https://conda.anaconda.org/t/***/my-org", token.DisplayUrl);
        Assert.Equal("https://conda.anaconda.org/my-org/", token.PublicBaseUrl.AbsoluteUri);
        Assert.Equal("https://conda.anaconda.org/t/tk-123-abc/my-org/linux-64/a-1-0.conda",
            token.ToRequestUri("https://conda.anaconda.org/my-org/linux-64/a-1-0.conda").AbsoluteUri);

        var plain = ChannelResolver.Resolve("conda-forge");
        Assert.False(plain.HasUrlCredentials);
        Assert.Equal("https://other.example/x.conda", plain.ToRequestUri("https://other.example/x.conda").AbsoluteUri);
    }
}
