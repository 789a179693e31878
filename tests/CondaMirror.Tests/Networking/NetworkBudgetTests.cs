using System.Diagnostics;
using CondaMirror.Core.Channels;
using CondaMirror.Core.Diagnostics;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Networking;
using CondaMirror.Core.Repodata;
using CondaMirror.TestKit;
using Xunit;

namespace CondaMirror.Tests.Networking;

/// <summary>
/// The network time of one step (CondaNetworkDeadlineSeconds) against a repodata server on 127.0.0.1 that drips one
/// byte a second: without it the default settings (600 s per attempt, 6 attempts) would hold the build an hour.
/// </summary>
public sealed class NetworkBudgetTests : IAsyncLifetime
{
    private const string Token = "sekrit-token-42";
    private readonly TempDirectory _temp = new("network-budget");
    private LoopbackChannelServer _server = null!;
    private ChannelSource _channel = null!;

    public Task InitializeAsync()
    {
        var channelDir = _temp.Combine("channel");
        foreach (var subdir in new[] { "noarch", "linux-64" })
        {
            Directory.CreateDirectory(Path.Combine(channelDir, subdir));
            File.WriteAllText(Path.Combine(channelDir, subdir, "repodata.json"),
                $$"""{"info": {"subdir": "{{subdir}}"}, "packages": {}, "packages.conda": {}, "repodata_version": 1}""");
        }
        _server = new LoopbackChannelServer(channelDir);
        _channel = ChannelResolver.Resolve(_server.BaseUri.AbsoluteUri);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _temp.Dispose();
    }

    /// <summary>The default per-attempt limits and retries; only the step's budget is small.</summary>
    private RepodataFetcher Fetcher(NetworkBudget budget) => new(new RepodataFetchOptions
    {
        CacheDirectory = _temp.Combine("cache"),
        CacheTtl = TimeSpan.Zero,
        MaxRetries = 5, // CondaRetryCount's default
        RetryDelay = TimeSpan.FromMilliseconds(50),
        Budget = budget,
        Credentials = new CredentialSet([new ChannelCredential(_server.BaseUri.AbsoluteUri, Token, null, null)]),
    }, NullMirrorLog.Instance);

    private string Authority => _server.BaseUri.Authority;

    [Fact]
    public async Task A_server_dripping_one_byte_a_second_fails_at_the_step_budget_with_one_coded_error()
    {
        _server.Faults.Add("/linux-64/repodata.json*", FaultKind.Drip(TimeSpan.FromSeconds(1)), count: int.MaxValue);
        var budget = new NetworkBudget(TimeSpan.FromSeconds(4));
        using var fetcher = Fetcher(budget);
        Assert.Equal(TimeSpan.FromSeconds(600), new RepodataFetchOptions().RequestDeadline); // each attempt alone would run 10 min

        var clock = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<CondaMirrorException>(() => fetcher.FetchAsync(_channel, "linux-64"));
        var elapsed = clock.Elapsed;

        Assert.Equal(ErrorCodes.NetworkDeadlineExceeded, e.Code);
        Assert.Equal(Authority, e.File);
        Assert.Contains(Authority, e.Message);
        Assert.Contains("CondaNetworkDeadlineSeconds is 4", e.Message);
        Assert.Matches(@"\d+(\.\d)? s spent", e.Message);
        Assert.DoesNotContain(Token, e.ToString());
        // The budget is a configured timer: no earlier than it, and not a second attempt deadline later.
        Assert.InRange(elapsed, TimeSpan.FromSeconds(3.9), TimeSpan.FromSeconds(4 + 20));
        Assert.InRange(budget.Spent, TimeSpan.FromSeconds(3.9), TimeSpan.FromSeconds(4 + 20));
        Assert.True(_server.Requests.All(r => r.Authorization == "Bearer " + Token));
        Assert.Empty(Directory.GetFiles(_temp.Combine("cache"), "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task A_budget_spent_by_one_fetcher_refuses_the_next_request_of_the_step_before_it_is_sent()
    {
        _server.Faults.Add("/linux-64/repodata.json*", FaultKind.Drip(TimeSpan.FromSeconds(1)), count: int.MaxValue);
        var budget = new NetworkBudget(TimeSpan.FromSeconds(2));
        using (var first = Fetcher(budget))
            Assert.Equal(ErrorCodes.NetworkDeadlineExceeded, (await Assert.ThrowsAsync<CondaMirrorException>(() => first.FetchAsync(_channel, "linux-64"))).Code);
        _server.ClearRequests();

        using var second = Fetcher(budget);
        var e = await Assert.ThrowsAsync<CondaMirrorException>(() => second.FetchAsync(_channel, "noarch"));

        Assert.Equal(ErrorCodes.NetworkDeadlineExceeded, e.Code);
        Assert.Empty(_server.Requests);
    }

    [Fact]
    public async Task Time_between_requests_is_not_charged_to_the_budget()
    {
        var budget = new NetworkBudget(TimeSpan.FromSeconds(1.5));
        using var fetcher = Fetcher(budget);
        await fetcher.FetchAsync(_channel, "noarch");

        await Task.Delay(TimeSpan.FromSeconds(2)); // longer than the whole budget: a solve between fetches, say

        var linux = await fetcher.FetchAsync(_channel, "linux-64");
        Assert.NotNull(linux);
        Assert.InRange(budget.Spent, TimeSpan.Zero, TimeSpan.FromSeconds(1.5));
    }

    [Fact]
    public void Requests_in_flight_together_are_charged_once()
    {
        var budget = new NetworkBudget(TimeSpan.FromSeconds(30));
        var wall = Stopwatch.StartNew();
        using (budget.Enter("a"))
        using (budget.Enter("b"))
        using (budget.Enter("c"))
            Thread.Sleep(300);
        var outer = wall.Elapsed;

        // Three overlapping requests for 300 ms cost 300 ms of the budget, not 900 ms (and never more than the wall time).
        Assert.InRange(budget.Spent, TimeSpan.FromMilliseconds(290), outer);
    }

    [Fact]
    public void A_zero_limit_is_no_limit()
    {
        var budget = new NetworkBudget(TimeSpan.Zero);
        Assert.Null(budget.Limit);
        using var lease = budget.Enter("host");
        Assert.False(lease.Expired);
    }
}
