using CondaMirror.Core.Channels;
using CondaMirror.Core.Diagnostics;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Locks;
using CondaMirror.Core.Repodata;
using CondaMirror.Core.Resolving;
using CondaMirror.Core.Zstd;
using CondaMirror.TestKit;
using CondaMirror.TestKit.Channels;
using Xunit;

namespace CondaMirror.Tests.Repodata.Shards;

/// <summary>
/// The CEP-16 client through LockResolver against the loopback server: only the index and the shards of names the
/// solve reaches are requested, the result equals the monolithic resolve, a warm cache only revalidates the index,
/// and a shard whose bytes do not match the index is one coded error.
/// </summary>
public sealed class ShardedRepodataClientTests : IAsyncLifetime
{
    private readonly TempDirectory _temp = new("shard-client");
    private DateTimeOffset _now = DateTimeOffset.UtcNow;
    private LoopbackChannelServer _sharded = null!;
    private LoopbackChannelServer _plain = null!;
    private IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> _shardFiles = null!;

    public static ChannelBuilder Upstream()
    {
        var builder = new ChannelBuilder();
        builder.Add(new PackageSpec("python", "3.10.0", "h0_0", "linux-64"));
        builder.Add(new PackageSpec("python", "3.11.0", "h0_0", "linux-64"));
        builder.Add(new PackageSpec("numpy", "1.26.0", "py_0", "linux-64") { Depends = new[] { "python >=3.11", "blas" } });
        builder.Add(new PackageSpec("blas", "1.0", "openblas_0", "linux-64"));
        builder.Add(new PackageSpec("pandas", "2.1.0", "py_0", "linux-64") { Depends = new[] { "numpy >=1.26", "python", "tzdata" }, Constrains = new[] { "pyarrow >=10" } });
        builder.Add(new PackageSpec("pyarrow", "12.0", "h_0", "linux-64"));
        // Names nothing requested reaches: their shards must never be fetched.
        builder.Add(new PackageSpec("scipy", "1.11.0", "py_0", "linux-64") { Depends = new[] { "numpy", "python" } });
        builder.Add(new PackageSpec("zlib", "1.3", "h_0", "linux-64"));
        builder.Add(new PackageSpec("tzdata", "2024a", "h_0", "noarch"));
        builder.Add(new PackageSpec("six", "1.16", "pyh_0", "noarch") { Depends = new[] { "python" } });
        return builder;
    }

    public Task InitializeAsync()
    {
        Upstream().WriteTo(_temp.Combine("sharded"));
        _shardFiles = ShardedChannelWriter.AddShards(_temp.Combine("sharded"));
        // The same channel without shards, publishing repodata.json.zst as conda-forge does.
        Upstream().WriteTo(_temp.Combine("plain"));
        ShardedChannelWriter.RemoveShards(_temp.Combine("plain"));
        foreach (var subdir in new[] { "linux-64", "noarch" })
            File.WriteAllBytes(_temp.Combine("plain", subdir, "repodata.json.zst"), ZstdCodec.Compress(File.ReadAllBytes(_temp.Combine("plain", subdir, "repodata.json"))));
        _sharded = new LoopbackChannelServer(_temp.Combine("sharded"));
        _plain = new LoopbackChannelServer(_temp.Combine("plain"));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _sharded.DisposeAsync();
        await _plain.DisposeAsync();
        _temp.Dispose();
    }

    private ResolveOutcome Resolve(Uri channel, string lockName, string cache, bool useShards = true) =>
        new LockResolver(NullMirrorLog.Instance).Resolve(new ResolveSettings
        {
            Packages = new[] { new RequestedPackage("pandas", "test") },
            Channels = new[] { ChannelResolver.Resolve(channel.AbsoluteUri) },
            Platforms = new[] { "linux-64" },
            LockFile = _temp.Combine(lockName),
            Fetch = new RepodataFetchOptions
            {
                CacheDirectory = _temp.Combine(cache),
                RetryDelay = TimeSpan.Zero,
                UseShards = useShards,
                TimeProvider = new Clock(() => _now),
            },
        });

    private List<string> Locked(string lockName) =>
        LockFileReader.Read(_temp.Combine(lockName)).PackagesByPlatform["linux-64"]
            .Select(r => $"{r.Record.Name} {r.Record.Version} {r.Record.Build} {r.Subdir} {r.FileName} {r.Record.Sha256}")
            .OrderBy(x => x, StringComparer.Ordinal).ToList();

    private string ShardPath(string subdir, string name) => $"/{subdir}/shards/{_shardFiles[subdir][name]}";

    [SkippableFact]
    public void Only_the_index_and_the_shards_of_reached_names_are_requested_and_the_lock_equals_the_monolithic_one()
    {
        Resolve(_sharded.BaseUri, "sharded.lock", "cache-sharded");
        Resolve(_plain.BaseUri, "plain.lock", "cache-plain");

        var expected = Locked("plain.lock");
        Assert.Equal(5, expected.Count); // pandas numpy python blas tzdata
        Assert.Equal(expected, Locked("sharded.lock"));

        var paths = _sharded.Requests.Select(r => r.Path).ToList();
        Assert.Equal(1, _sharded.RequestCount("/linux-64/repodata_shards.msgpack.zst"));
        Assert.Equal(1, _sharded.RequestCount("/noarch/repodata_shards.msgpack.zst"));
        foreach (var name in new[] { "pandas", "numpy", "python", "blas" })
            Assert.Equal(1, _sharded.RequestCount(ShardPath("linux-64", name)));
        Assert.Equal(1, _sharded.RequestCount(ShardPath("noarch", "tzdata")));
        // pyarrow is only a constraint: the solver may look at it, nothing else may be fetched.
        var allowed = new HashSet<string>(StringComparer.Ordinal)
        {
            "/linux-64/repodata_shards.msgpack.zst", "/noarch/repodata_shards.msgpack.zst",
            ShardPath("linux-64", "pandas"), ShardPath("linux-64", "numpy"), ShardPath("linux-64", "python"),
            ShardPath("linux-64", "blas"), ShardPath("noarch", "tzdata"), ShardPath("linux-64", "pyarrow"),
        };
        Assert.All(paths, p => Assert.Contains(p, allowed));
        Assert.DoesNotContain(ShardPath("linux-64", "scipy"), paths);
        Assert.DoesNotContain(ShardPath("linux-64", "zlib"), paths);
        Assert.DoesNotContain(ShardPath("noarch", "six"), paths);

        // Without a shard index the client asked for it once per subdir (404), then used repodata.json.zst.
        Assert.Equal(1, _plain.RequestCount("/linux-64/repodata_shards.msgpack.zst"));
        Assert.Equal(1, _plain.RequestCount("/linux-64/repodata.json.zst"));
        Assert.Equal(0, _plain.RequestCount("/linux-64/repodata.json"));
    }

    [SkippableFact]
    public void A_warm_cache_only_revalidates_the_index_and_takes_shards_from_the_cache()
    {
        Resolve(_sharded.BaseUri, "first.lock", "cache");
        var first = _sharded.Requests.Count;

        // Within the TTL: no request at all.
        Resolve(_sharded.BaseUri, "second.lock", "cache");
        Assert.Equal(first, _sharded.Requests.Count);

        // Past it: the two indexes are revalidated (304), every shard comes from the content-addressed cache.
        _now += TimeSpan.FromMinutes(15);
        Resolve(_sharded.BaseUri, "third.lock", "cache");
        var later = _sharded.Requests.Skip(first).ToList();
        Assert.Equal(new[] { "/linux-64/repodata_shards.msgpack.zst", "/noarch/repodata_shards.msgpack.zst" }, later.Select(r => r.Path).Order(StringComparer.Ordinal));
        Assert.All(later, r => Assert.NotNull(r.IfNoneMatch));
        Assert.Equal(Locked("first.lock"), Locked("third.lock"));
    }

    [SkippableFact]
    public void Offline_resolves_from_the_cached_index_and_shards_and_a_name_never_fetched_is_CMIR621()
    {
        Resolve(_sharded.BaseUri, "online.lock", "cache-offline");
        var requests = _sharded.Requests.Count;
        ResolveOutcome Offline(string spec, string lockName) => new LockResolver(NullMirrorLog.Instance).Resolve(new ResolveSettings
        {
            Packages = new[] { new RequestedPackage(spec, "test") },
            Channels = new[] { ChannelResolver.Resolve(_sharded.BaseUri.AbsoluteUri) },
            Platforms = new[] { "linux-64" },
            LockFile = _temp.Combine(lockName),
            Fetch = new RepodataFetchOptions { CacheDirectory = _temp.Combine("cache-offline"), Offline = true, TimeProvider = new Clock(() => _now + TimeSpan.FromDays(1)) },
        });
        Assert.True(Offline("numpy", "offline.lock").LockWritten);
        Assert.Equal(requests, _sharded.Requests.Count);
        // scipy's shard was never fetched: offline cannot know its records.
        var e = Assert.Throws<CondaMirrorException>(() => Offline("scipy", "offline2.lock"));
        Assert.Equal(ErrorCodes.RepodataOfflineCacheMissing, e.Code);
        Assert.Contains("'scipy'", e.Message);
        Assert.Equal(requests, _sharded.Requests.Count);
    }

    [SkippableFact]
    public void A_shard_whose_bytes_do_not_match_its_hash_is_one_coded_error()
    {
        _sharded.Faults.Add(ShardPath("linux-64", "numpy"), FaultKind.AlterBody(), count: int.MaxValue);
        var e = Assert.Throws<CondaMirrorException>(() => Resolve(_sharded.BaseUri, "bad.lock", "cache-bad"));
        Assert.Equal(ErrorCodes.ShardHashMismatch, e.Code);
        Assert.Contains("'numpy'", e.Message);
        Assert.False(File.Exists(_temp.Combine("bad.lock")));
        // Nothing unverified entered the cache.
        Assert.Empty(Directory.GetFiles(_temp.Combine("cache-bad", "shards"), _shardFiles["linux-64"]["numpy"], SearchOption.AllDirectories));
    }

    [SkippableFact]
    public void A_local_channel_with_shards_is_read_through_its_index()
    {
        var local = new Uri(_temp.Combine("sharded") + "/");
        Resolve(local, "local.lock", "cache-local");
        Resolve(_plain.BaseUri, "plain.lock", "cache-plain");
        Assert.Equal(Locked("plain.lock"), Locked("local.lock"));
        // Reading through the index never needs repodata.json: prove it by removing them.
        File.Delete(_temp.Combine("sharded", "linux-64", "repodata.json"));
        File.Delete(_temp.Combine("sharded", "noarch", "repodata.json"));
        Resolve(local, "local2.lock", "cache-local");
        Assert.Equal(Locked("local.lock"), Locked("local2.lock"));
    }

    [SkippableTheory]
    [InlineData("python >=3.10", "python")]
    [InlineData("numpy=1.26", "numpy")]
    [InlineData("conda-forge::zlib 1.3.*", "zlib")]
    [InlineData("libblas[build=*mkl]", "libblas")]
    [InlineData("  six  ", "six")]
    [InlineData("__glibc >=2.17", "__glibc")]
    public void The_prefetch_hint_takes_the_package_name_of_a_depends_entry(string depend, string name) =>
        Assert.Equal(name, CondaMirror.Core.Solving.RepodataPackageSource.DependencyName(depend));

    private sealed class Clock(Func<DateTimeOffset> now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now();
    }
}
