using CondaMirror.Core.Channels;
using CondaMirror.Core.Diagnostics;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Repodata;
using CondaMirror.Tests.Downloads;
using CondaMirror.TestKit;
using Xunit;

namespace CondaMirror.Tests.Channels;

/// <summary>
/// A remote server never makes the build read local files: a file:// base_url in a channel served over HTTP, and a
/// redirect to file:// during a download, are each one coded error; a local channel may still point anywhere.
/// </summary>
public sealed class RemoteChannelStaysRemoteTests
{
    private static string Repodata(string baseUrl) =>
        """{"info":{"subdir":"noarch","base_url":""" + System.Text.Json.JsonSerializer.Serialize(baseUrl) +
        """},"repodata_version":2,"packages.conda":{"secret-1-0.conda":{"name":"secret","version":"1","build":"0","depends":[],"subdir":"noarch"}}}""";

    [Theory]
    [InlineData("file:///etc/")]
    [InlineData("ftp://127.0.0.1/pub/")]
    public async Task A_remote_channels_base_url_off_http_is_refused_before_anything_is_read(string baseUrl)
    {
        using var temp = new TempDirectory("remote-stays-remote");
        var channelDir = temp.Combine("channel");
        Directory.CreateDirectory(Path.Combine(channelDir, "noarch"));
        File.WriteAllText(Path.Combine(channelDir, "noarch", "repodata.json"), Repodata(baseUrl));
        await using var server = new LoopbackChannelServer(channelDir);
        using var fetcher = new RepodataFetcher(new RepodataFetchOptions { CacheDirectory = temp.Combine("cache"), RetryDelay = TimeSpan.Zero }, NullMirrorLog.Instance);

        var error = await Assert.ThrowsAsync<CondaMirrorException>(() => fetcher.FetchAsync(ChannelResolver.Resolve(server.BaseUri.AbsoluteUri), "noarch"));
        Assert.Equal(ErrorCodes.RemoteChannelPointsElsewhere, error.Code);
        Assert.Contains("not an http(s) URL", error.Message);
    }

    [Fact]
    public async Task A_local_channel_and_an_http_base_url_of_a_remote_one_are_followed()
    {
        using var temp = new TempDirectory("remote-stays-remote");
        var channelDir = temp.Combine("channel");
        Directory.CreateDirectory(Path.Combine(channelDir, "noarch"));
        File.WriteAllText(Path.Combine(channelDir, "noarch", "repodata.json"), Repodata("file:///srv/packages/"));
        using var fetcher = new RepodataFetcher(new RepodataFetchOptions { CacheDirectory = temp.Combine("cache"), RetryDelay = TimeSpan.Zero }, NullMirrorLog.Instance);
        var local = await fetcher.FetchAsync(ChannelResolver.Resolve(new Uri(channelDir + "/").AbsoluteUri), "noarch");
        Assert.Equal("file:///srv/packages/secret-1-0.conda", Assert.Single(local.Records("secret")).Url);

        File.WriteAllText(Path.Combine(channelDir, "noarch", "repodata.json"), Repodata("https://cdn.example.org/noarch/"));
        await using var server = new LoopbackChannelServer(channelDir);
        var remote = await fetcher.FetchAsync(ChannelResolver.Resolve(server.BaseUri.AbsoluteUri), "noarch");
        Assert.Equal("https://cdn.example.org/noarch/secret-1-0.conda", Assert.Single(remote.Records("secret")).Url);
    }

    [Fact]
    public async Task A_redirect_to_a_local_file_during_a_download_is_one_coded_error_and_nothing_is_cached()
    {
        await using var fixture = new DownloadFixture();
        var request = fixture.AddPackage("tool-1.0-0.conda", 4096);
        var secret = Path.Combine(fixture.ChannelDir, "secret.bin");
        File.Copy(fixture.ChannelPathOf(request), secret);
        fixture.Server.Faults.Add(new Uri(request.Url).AbsolutePath, FaultKind.Redirect(new Uri(secret).AbsoluteUri), count: 10);

        var error = await Assert.ThrowsAnyAsync<CondaMirrorException>(() => fixture.RunAsync(fixture.Options(retries: 1), request));
        var coded = error.Code == ErrorCodes.RedirectNotFollowed ? error : Assert.IsType<CondaMirrorException>(error.InnerException);
        Assert.Equal(ErrorCodes.RedirectNotFollowed, coded.Code);
        Assert.Contains("a file: location", coded.Message);
        Assert.DoesNotContain(secret, coded.Message);
        Assert.Empty(Directory.EnumerateFiles(fixture.CacheRoot, "*.conda", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task A_redirect_between_http_urls_is_followed_and_more_than_ten_are_not()
    {
        await using var fixture = new DownloadFixture();
        var request = fixture.AddPackage("tool-1.0-0.conda", 4096);
        var path = new Uri(request.Url).AbsolutePath;
        File.Copy(fixture.ChannelPathOf(request), Path.Combine(fixture.ChannelDir, "moved.conda"));
        fixture.Server.Faults.Add(path, FaultKind.Redirect("/moved.conda", 301));
        var summary = await fixture.RunAsync(fixture.Options(retries: 1), request);
        Assert.Equal(1, summary.Downloaded);
        Assert.Equal(1, fixture.Server.RequestCount("/moved.conda"));

        var looping = fixture.AddPackage("loop-1.0-0.conda", 4096);
        var loopPath = new Uri(looping.Url).AbsolutePath;
        fixture.Server.Faults.Add(loopPath, FaultKind.Redirect(loopPath, 307), count: 100);
        var error = await Assert.ThrowsAnyAsync<CondaMirrorException>(() => fixture.RunAsync(fixture.Options(retries: 1), looping));
        var coded = error.Code == ErrorCodes.RedirectNotFollowed ? error : Assert.IsType<CondaMirrorException>(error.InnerException);
        Assert.Contains("after 10 redirects", coded.Message);
    }
}
