using CondaMirror.Core.Channels;
using CondaMirror.Core.Diagnostics;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Repodata;
using CondaMirror.TestKit;
using CondaMirror.Tests.Downloads;
using Xunit;

namespace CondaMirror.Tests.Repodata;

/// <summary>Repodata from hosts that cannot be reached, and from static hosts that answer 401/403 for a missing .zst.</summary>
public sealed class RepodataReachabilityTests : IDisposable
{
    private const string NoarchJson = """{"info":{"subdir":"noarch"},"packages":{"n-1-0.tar.bz2":{"name":"n","version":"1","build":"0","depends":[]}}}""";

    private readonly TempDirectory _temp = new("repodata-reach");

    public void Dispose() => _temp.Dispose();

    // Default retry settings, as a build gets them from CondaRetryCount=5 and CondaHttpTimeoutSeconds=100.
    private RepodataFetcher Fetcher(RecordingMirrorLog? log = null) => new(new RepodataFetchOptions
    {
        CacheDirectory = _temp.Combine("cache"),
        MaxRetries = 5,
        RequestTimeout = TimeSpan.FromSeconds(100),
    }, log ?? new RecordingMirrorLog());

    [Theory]
    [InlineData("closed-port")]
    [InlineData("no-dns")]
    public async Task An_unreachable_host_is_one_network_error_naming_it_and_later_subdirs_fail_at_once(string kind)
    {
        var host = kind == "no-dns" ? "http://condamirror-test.invalid" : $"http://127.0.0.1:{UnreachableHostTests.ClosedPort()}";
        var channel = ChannelResolver.Resolve(host + "/forge");
        var log = new RecordingMirrorLog();
        using var fetcher = Fetcher(log);
        int Retries() { lock (log) return log.Details.Count(d => d.Contains("; retry ", StringComparison.Ordinal)); }

        // Without the circuit, five retries of 100 s each: the limit catches that, it times nothing.
        var error = await HangGuard.Within(Assert.ThrowsAsync<CondaMirrorException>(() => fetcher.FetchAsync(channel, "noarch")));

        Assert.Equal(ErrorCodes.RepodataNetworkError, error.Code);
        Assert.Contains(host + " is unreachable", error.Message);
        Assert.Contains("CondaOffline=true", error.Message);
        Assert.Contains("proxy", error.Message);

        // Another subdir or channel on the same host does not start over: no retry at all, the circuit answers.
        var retriesBefore = Retries();
        var again = await HangGuard.Within(Assert.ThrowsAsync<CondaMirrorException>(() => fetcher.FetchAsync(ChannelResolver.Resolve(host + "/bioconda"), "linux-64")));
        Assert.Equal(ErrorCodes.RepodataNetworkError, again.Code);
        Assert.Contains(host + " is unreachable", again.Message);
        Assert.Equal(retriesBefore, Retries());
    }

    [Theory]
    [InlineData(403)]
    [InlineData(401)]
    public async Task A_refused_zst_falls_back_to_repodata_json(int status)
    {
        await using var server = Serve();
        server.Faults.Add("/noarch/repodata.json.zst", FaultKind.Status(status));
        using var fetcher = Fetcher();

        var repodata = await fetcher.FetchAsync(ChannelResolver.Resolve(server.BaseUri.AbsoluteUri), "noarch");

        Assert.Equal(1, repodata.RecordCount);
        Assert.Equal(["/noarch/repodata.json.zst", "/noarch/repodata.json"], server.Requests.Select(r => r.Path));
    }

    [Fact]
    public async Task When_repodata_json_is_refused_too_the_error_is_about_credentials()
    {
        await using var server = Serve();
        server.Faults.Add("/noarch/repodata.json*", FaultKind.Status(403), count: 2);
        using var fetcher = Fetcher();

        var error = await Assert.ThrowsAsync<CondaMirrorException>(() => fetcher.FetchAsync(ChannelResolver.Resolve(server.BaseUri.AbsoluteUri), "noarch"));

        Assert.Equal(ErrorCodes.RepodataAuthFailed, error.Code);
        Assert.Contains("noarch/repodata.json refused access (403", error.Message);
        Assert.Contains("repodata.json.zst answered 403", error.Message);
        Assert.Contains("credentials", error.Message);
        Assert.Equal(2, server.Requests.Count);
    }

    private LoopbackChannelServer Serve()
    {
        var root = _temp.Combine("channel");
        Directory.CreateDirectory(Path.Combine(root, "noarch"));
        File.WriteAllText(Path.Combine(root, "noarch", "repodata.json"), NoarchJson);
        return new LoopbackChannelServer(root);
    }
}
