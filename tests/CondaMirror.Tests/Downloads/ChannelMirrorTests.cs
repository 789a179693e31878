using CondaMirror.Core.Channels;
using CondaMirror.Core.Diagnostics;
using CondaMirror.Core.Downloads;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Networking;
using CondaMirror.Core.Records;
using CondaMirror.TestKit;
using CondaMirror.TestKit.Channels;
using Xunit;

namespace CondaMirror.Tests.Downloads;

/// <summary>Core's mirror operation: download into the cache, place into the channel, with no MSBuild around it.</summary>
public sealed class ChannelMirrorTests : IAsyncDisposable
{
    private const string Token = "tok-7";
    private readonly TempDirectory _dir = new("cm-mirror");
    private readonly LoopbackChannelServer _server;
    private readonly IReadOnlyList<RepodataRecord> _records;

    public ChannelMirrorTests()
    {
        // The upstream channel is served only under its /t/<token>/ path; the records (as a lock holds them) name the
        // credential-free URL.
        new ChannelBuilder()
            .Add("alpha", "1.0", "0", "noarch")
            .Add("beta", "2.1", "h1_0", "linux-64")
            .Add(new PackageSpec("gamma", "0.3", "0", "linux-64") { PayloadBytes = 50_000 })
            .WriteTo(_dir.Combine("upstream", "t", Token));
        _server = new LoopbackChannelServer(_dir.Combine("upstream"));
        _records = ChannelRecords.Read(_dir.Combine("upstream", "t", Token), _server.BaseUri);
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        _dir.Dispose();
    }

    private DownloadOptions Options() => new()
    {
        CacheRoot = _dir.Combine("cache"),
        RetryCount = 1,
        BaseDelay = TimeSpan.FromMilliseconds(10),
        ProgressInterval = TimeSpan.FromMinutes(1),
        Credentials = CredentialSet.FromChannels([new ChannelAuthSettings(_server.BaseUri.AbsoluteUri + "t/" + Token)], ChannelResolver.RootResolver(null), environment: _ => null),
    };

    private RepodataRecord Named(string name) => _records.Single(r => r.Record.Name == name);

    private string Upstream(RepodataRecord r) => _dir.Combine("upstream", "t", Token, r.Subdir, r.FileName);

    [SkippableFact]
    public async Task Mirroring_downloads_through_the_token_url_and_places_every_archive_in_its_subdir()
    {
        Assert.Equal(3, _records.Count);
        Assert.All(_records, r => Assert.DoesNotContain(Token, r.Url));
        var log = new RecordingMirrorLog();
        var mirror = new ChannelMirror(Options(), log);

        var result = await mirror.MirrorAsync(_records, _dir.Combine("channel"), CancellationToken.None);

        Assert.Equal(_records.Select(r => _dir.Combine("channel", r.Subdir, r.FileName)), result.ChannelFiles);
        foreach (var record in _records)
            Assert.Equal(File.ReadAllBytes(Upstream(record)), File.ReadAllBytes(_dir.Combine("channel", record.Subdir, record.FileName)));
        Assert.Equal((3, 0), (result.Downloads.Downloaded, result.Downloads.FromCache));
        Assert.Equal(_records.Sum(r => new FileInfo(Upstream(r)).Length), result.Downloads.BytesDownloaded);
        Assert.All(_server.Requests, r => Assert.StartsWith($"/t/{Token}/", r.Path));
        Assert.Equal(3, _server.Requests.Count);

        // Again: the cache serves everything, nothing is requested, the channel holds the same files.
        _server.ClearRequests();
        var again = await new ChannelMirror(Options(), log).MirrorAsync(_records, _dir.Combine("channel"), CancellationToken.None);
        Assert.Equal((0, 3), (again.Downloads.Downloaded, again.Downloads.FromCache));
        Assert.Equal(result.ChannelFiles, again.ChannelFiles);
        Assert.Empty(_server.Requests);
    }

    [SkippableFact]
    public async Task The_plan_counts_per_subdir_against_the_cache_and_writes_nothing()
    {
        // A lock entry without a size counts as 0 bytes and is reported.
        var records = ChannelRecords.Read(_dir.Combine("upstream", "t", Token), _server.BaseUri);
        records.Single(r => r.Record.Name == "alpha").Record.Size = null;
        var mirror = new ChannelMirror(Options(), new RecordingMirrorLog());

        var before = mirror.Plan(records);
        Assert.Equal(3, before.Packages);
        Assert.Equal(1, before.UnknownSize);
        Assert.Equal(new[] { "linux-64", "noarch" }, before.Subdirs.Select(s => s.Subdir));
        long beta = new FileInfo(Upstream(Named("beta"))).Length, gamma = new FileInfo(Upstream(Named("gamma"))).Length;
        Assert.Equal(new MirrorPlanSubdir("linux-64", 2, beta + gamma, 0, 2, beta + gamma), before.Subdirs[0]);
        Assert.Equal(new MirrorPlanSubdir("noarch", 1, 0, 0, 1, 0), before.Subdirs[1]);
        Assert.Empty(_server.Requests);
        Assert.False(Directory.Exists(_dir.Combine("channel")));

        await mirror.MirrorAsync(new[] { Named("beta") }, _dir.Combine("channel"), CancellationToken.None);
        var after = mirror.Plan(records);
        Assert.Equal(new MirrorPlanSubdir("linux-64", 2, beta + gamma, 1, 1, gamma), after.Subdirs[0]);
        Assert.Equal((1, 2), (after.Cached, after.ToDownload));
    }

    [SkippableFact]
    public async Task A_failed_download_places_nothing()
    {
        _server.Faults.Add("**/gamma-*.conda", FaultKind.Status(404), count: 10);
        var mirror = new ChannelMirror(Options(), new RecordingMirrorLog());

        var e = await Assert.ThrowsAsync<CondaMirrorException>(() => mirror.MirrorAsync(_records, _dir.Combine("channel"), CancellationToken.None));

        Assert.Equal(ErrorCodes.DownloadNotFound, e.Code);
        Assert.DoesNotContain(Token, e.Message);
        Assert.False(Directory.Exists(_dir.Combine("channel")));
    }
}
