using CondaMirror.Core.Channels;
using CondaMirror.Core.Diagnostics;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Records;
using CondaMirror.Core.Repodata;
using CondaMirror.Core.Repodata.Shards;
using CondaMirror.TestKit;
using Xunit;

namespace CondaMirror.Conformance.Tests.Repodata;

/// <summary>
/// The real shard set of conda's test channel (conda_format_repo/linux-64) read through the resolver's client
/// (<see cref="RepodataFetcher.FetchSubdirAsync"/>), served over HTTP by the loopback server and as a local folder:
/// every name gives the records, URLs and file names the monolithic repodata.json beside it gives, and a shard
/// whose bytes do not match the index is CMIR652.
/// </summary>
public sealed class ShardClientConformanceTests
{
    private static string SubdirPath() => TestData.PathOf("repodata", "conda-conda__conda_format_repo", "linux-64");

    private static string CopyChannel(TempDirectory temp)
    {
        var target = temp.Combine("channel", "linux-64");
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(SubdirPath())) File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        return temp.Combine("channel");
    }

    private static List<string> Describe(ISubdirRepodata subdir) =>
        subdir.PackageNames.SelectMany(subdir.Records)
            .Select(r => $"{r.FileName} {r.Url} {r.Channel} {PackageRecordJson.ToJson(r.Record)}")
            .OrderBy(x => x, StringComparer.Ordinal).ToList();

    [SkippableTheory]
    [InlineData("http")]
    [InlineData("file")]
    public async Task Every_name_read_through_the_shard_index_gives_the_monolithic_records(string scheme)
    {
        using var temp = new TempDirectory("shard-client-conformance");
        var root = CopyChannel(temp);
        await using var server = new LoopbackChannelServer(root);
        var channel = ChannelResolver.Resolve(scheme == "http" ? server.BaseUri.AbsoluteUri : root);
        using var fetcher = new RepodataFetcher(new RepodataFetchOptions { CacheDirectory = temp.Combine("cache") }, NullMirrorLog.Instance);

        var sharded = await fetcher.FetchSubdirAsync(channel, "linux-64");
        Assert.IsType<ShardedSubdir>(sharded);
        var monolithic = SparseRepodata.LoadFile(Path.Combine(SubdirPath(), "repodata.json"), channel.PublicBaseUrl, "linux-64");

        Assert.Equal(monolithic.PackageNames.Order(StringComparer.Ordinal), sharded.PackageNames.Order(StringComparer.Ordinal));
        var expected = Describe(monolithic);
        Assert.Equal(3, expected.Count);
        Assert.Equal(expected, Describe(sharded));
        if (scheme == "http")
        {
            Assert.Equal(0, server.RequestCount("/linux-64/repodata.json"));
            Assert.Equal(0, server.RequestCount("/linux-64/repodata.json.zst"));
        }
    }

    [SkippableFact]
    public async Task A_shard_whose_bytes_do_not_match_its_hash_is_CMIR652()
    {
        using var temp = new TempDirectory("shard-client-conformance");
        var root = CopyChannel(temp);
        var index = ShardReader.ReadIndexCompressed(File.ReadAllBytes(Path.Combine(root, "linux-64", "repodata_shards.msgpack.zst")));
        var name = index.Shards.Keys.First();
        var shardPath = Path.Combine(root, "linux-64", index.ShardFileName(name)!);
        var bytes = File.ReadAllBytes(shardPath);
        bytes[^1] ^= 0x01;
        File.WriteAllBytes(shardPath, bytes);
        await using var server = new LoopbackChannelServer(root);
        using var fetcher = new RepodataFetcher(new RepodataFetchOptions { CacheDirectory = temp.Combine("cache"), RetryDelay = TimeSpan.Zero }, NullMirrorLog.Instance);

        foreach (var channel in new[] { ChannelResolver.Resolve(server.BaseUri.AbsoluteUri), ChannelResolver.Resolve(root) })
        {
            var subdir = await fetcher.FetchSubdirAsync(channel, "linux-64");
            var e = Assert.Throws<CondaMirrorException>(() => subdir.Records(name));
            Assert.Equal(ErrorCodes.ShardHashMismatch, e.Code);
            Assert.Contains($"'{name}'", e.Message);
            Assert.Contains(ShardHash.ToHex(index.Shards[name]), e.Message);
        }
    }
}
