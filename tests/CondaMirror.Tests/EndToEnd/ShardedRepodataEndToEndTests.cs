using CondaMirror.Core.Channels;
using CondaMirror.Core.Diagnostics;
using CondaMirror.Core.Locks;
using CondaMirror.Core.Repodata;
using CondaMirror.Core.Resolving;
using CondaMirror.Core.Zstd;
using CondaMirror.TestKit;
using CondaMirror.TestKit.Channels;
using CondaMirror.Tests.Repodata.Shards;
using Xunit;

namespace CondaMirror.Tests.EndToEnd;

/// <summary>
/// CEP-16 through a real `dotnet build`: a channel served with shards resolves with requests for the shard indexes and
/// the shards of the names the solve reaches only; the same channel without shards resolves identically from
/// repodata.json.zst; the channel the build writes (with shards) is read back through its shard index; a re-resolve
/// with a warm cache fetches no shard again.
/// </summary>
[Collection(EndToEndSecondLaneCollection.Name)]
public class ShardedRepodataEndToEndTests
{
    private readonly PackedPackage _package;

    public ShardedRepodataEndToEndTests(PackedPackage package) => _package = package;

    private static bool IsArchive(RecordedRequest r) => r.Path.EndsWith(".conda", StringComparison.Ordinal) || r.Path.EndsWith(".tar.bz2", StringComparison.Ordinal);

    private static List<string> Locked(string lockPath) =>
        LockFileReader.Read(lockPath).PackagesByPlatform["linux-64"]
            .Select(r => $"{r.Record.Name} {r.Record.Version} {r.Record.Build} {r.FileName} {r.Record.Sha256}")
            .OrderBy(x => x, StringComparer.Ordinal).ToList();

    [SkippableFact]
    public async Task A_sharded_channel_resolves_from_the_touched_shards_and_matches_the_monolithic_channel()
    {
        using var work = new TempDirectory("condamirror-e2e");
        ShardedRepodataClientTests.Upstream().WriteTo(work.Combine("sharded"));
        var shards = ShardedChannelWriter.AddShards(work.Combine("sharded"));
        ShardedRepodataClientTests.Upstream().WriteTo(work.Combine("plain"));
        ShardedChannelWriter.RemoveShards(work.Combine("plain"));
        foreach (var subdir in new[] { "linux-64", "noarch" })
            File.WriteAllBytes(work.Combine("plain", subdir, "repodata.json.zst"), ZstdCodec.Compress(File.ReadAllBytes(work.Combine("plain", subdir, "repodata.json"))));
        await using var sharded = new LoopbackChannelServer(work.Combine("sharded"));
        await using var plain = new LoopbackChannelServer(work.Combine("plain"));

        string Body(Uri channel, string cache, string items) => $"""
              <PropertyGroup>
                <CondaPlatforms>linux-64</CondaPlatforms>
                <CondaPackageCachePath>{work.Combine("pkgs-" + cache)}</CondaPackageCachePath>
                <CondaRepodataCachePath>{work.Combine("repodata-" + cache)}</CondaRepodataCachePath>
              </PropertyGroup>
              <ItemGroup>
                <CondaChannel Include="{channel}" />
                {items}
              </ItemGroup>
            """;
        var shardedProject = _package.WriteProject(work.Combine("app-sharded"), Body(sharded.BaseUri, "sharded", """<CondaPackage Include="pandas" />"""));
        var plainProject = _package.WriteProject(work.Combine("app-plain"), Body(plain.BaseUri, "plain", """<CondaPackage Include="pandas" />"""));

        var first = _package.Build(shardedProject);
        Assert.True(first.Succeeded, first.ToString());
        var fromPlain = _package.Build(plainProject);
        Assert.True(fromPlain.Succeeded, fromPlain.ToString());

        var lockSharded = Locked(work.Combine("app-sharded", "conda-mirror.lock"));
        Assert.Equal(5, lockSharded.Count);
        Assert.Equal(Locked(work.Combine("app-plain", "conda-mirror.lock")), lockSharded);

        // Requests of the resolve (archives are the download step's): the two indexes and the reached names' shards.
        string Shard(string subdir, string name) => $"/{subdir}/shards/{shards[subdir][name]}";
        var resolveRequests = sharded.Requests.Where(r => !IsArchive(r)).Select(r => r.Path).ToList();
        var reached = new[] { Shard("linux-64", "pandas"), Shard("linux-64", "numpy"), Shard("linux-64", "python"), Shard("linux-64", "blas"), Shard("noarch", "tzdata") };
        var allowed = reached.Concat(new[] { "/linux-64/repodata_shards.msgpack.zst", "/noarch/repodata_shards.msgpack.zst", Shard("linux-64", "pyarrow") }).ToHashSet();
        Assert.All(resolveRequests, p => Assert.Contains(p, allowed));
        foreach (var path in reached.Append("/linux-64/repodata_shards.msgpack.zst").Append("/noarch/repodata_shards.msgpack.zst"))
            Assert.Equal(1, sharded.RequestCount(path));
        Assert.Equal(0, sharded.RequestCount("/linux-64/repodata.json") + sharded.RequestCount("/linux-64/repodata.json.zst"));
        // The monolithic channel was asked for its index (404), then served repodata.json.zst.
        Assert.Equal(1, plain.RequestCount("/linux-64/repodata.json.zst"));
        // The channel written from the sharded resolve holds the locked packages.
        Assert.True(File.Exists(work.Combine("app-sharded", "bin", "Debug", "net10.0", "conda-channel", "linux-64", "pandas-2.1.0-py_0.conda")));

        // Round trip: the channel the build wrote carries shards of its own; served over HTTP, the client reads it
        // through that index (no repodata.json requested) and solves the same request to the same packages.
        var written = work.Combine("app-sharded", "bin", "Debug", "net10.0", "conda-channel");
        Assert.True(File.Exists(Path.Combine(written, "linux-64", "repodata_shards.msgpack.zst")), "the build wrote no shard index");
        await using (var mirror = new LoopbackChannelServer(written))
        {
            new LockResolver(NullMirrorLog.Instance).Resolve(new ResolveSettings
            {
                Packages = new[] { new RequestedPackage("pandas", "test") },
                Channels = new[] { ChannelResolver.Resolve(mirror.BaseUri.AbsoluteUri) },
                Platforms = new[] { "linux-64" },
                LockFile = work.Combine("from-mirror.lock"),
                Fetch = new RepodataFetchOptions { CacheDirectory = work.Combine("mirror-cache") },
            });
            Assert.Equal(lockSharded, Locked(work.Combine("from-mirror.lock")));
            Assert.Equal(1, mirror.RequestCount("/linux-64/repodata_shards.msgpack.zst"));
            Assert.Equal(1, mirror.RequestCount("/noarch/repodata_shards.msgpack.zst"));
            Assert.DoesNotContain(mirror.Requests, r => r.Path.EndsWith("/repodata.json", StringComparison.Ordinal) || r.Path.EndsWith("/repodata.json.zst", StringComparison.Ordinal));
            Assert.Contains(mirror.Requests, r => r.Path.StartsWith("/linux-64/shards/", StringComparison.Ordinal));
        }

        // A re-resolve (an item added, same names reached) with the warm cache: no shard is fetched again; at most
        // the indexes are revalidated.
        var before = sharded.Requests.Count;
        _package.WriteProject(work.Combine("app-sharded"), Body(sharded.BaseUri, "sharded", """<CondaPackage Include="pandas" /><CondaPackage Include="numpy" />"""));
        var second = _package.Build(shardedProject);
        Assert.True(second.Succeeded, second.ToString());
        Assert.Contains("Conda lock linux-64: 5 packages", second.Output);
        var later = sharded.Requests.Skip(before).Where(r => !IsArchive(r)).ToList();
        Assert.All(later, r =>
        {
            Assert.EndsWith("/repodata_shards.msgpack.zst", r.Path);
            Assert.NotNull(r.IfNoneMatch);
        });
        Assert.Equal(lockSharded, Locked(work.Combine("app-sharded", "conda-mirror.lock")));
    }
}
