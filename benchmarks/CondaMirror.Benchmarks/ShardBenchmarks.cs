using System.Diagnostics;
using System.Text.Json;
using CondaMirror.Core.Records;
using CondaMirror.Core.Repodata.Shards;
using CondaMirror.TestKit.Synthetic;

namespace CondaMirror.Benchmarks;

public static partial class BenchmarkRegistry
{
    /// <summary>
    /// CEP-16 shards of a synthetic conda-forge-scale linux-64 subdir: every name's records written as a compressed
    /// shard plus the index, then everything read back (verify hash, decompress, parse). Args: [scale] (default 1.0).
    /// </summary>
    private static Benchmark RegisterShards() => new("shards", "write and read CEP-16 shards of a synthetic linux-64 subdir", args =>
    {
        double scale = args.Length > 0 ? double.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 1.0;
        var json = new MemoryStream();
        new SyntheticChannelGenerator(scale).WriteRepodata("linux-64", json);

        var shards = new SortedDictionary<string, Shard>(StringComparer.Ordinal);
        using (var doc = JsonDocument.Parse(json.ToArray()))
            foreach (var map in new[] { "packages", "packages.conda" })
                if (doc.RootElement.TryGetProperty(map, out var packages))
                    foreach (var entry in packages.EnumerateObject())
                    {
                        var record = PackageRecordJson.FromElement(entry.Value);
                        if (!shards.TryGetValue(record.Name, out var shard)) shards[record.Name] = shard = new Shard();
                        shard.Add(entry.Name, record);
                    }
        int records = shards.Values.Sum(s => s.RecordCount);

        var sw = Stopwatch.StartNew();
        var index = new ShardIndex { Subdir = "linux-64", ShardsBaseUrl = "./shards/" };
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        long shardBytes = 0, msgpackBytes = 0;
        foreach (var (name, shard) in shards)
        {
            msgpackBytes += ShardWriter.WriteShard(shard).Length;
            var (compressed, sha256) = ShardWriter.WriteCompressedShard(shard);
            index.SetShard(name, sha256);
            files[name] = compressed;
            shardBytes += compressed.Length;
        }
        var indexFile = ShardWriter.WriteCompressedIndex(index);
        var write = sw.Elapsed.TotalSeconds;

        sw.Restart();
        var readIndex = ShardReader.ReadIndexCompressed(indexFile);
        int readRecords = 0;
        foreach (var name in readIndex.Shards.Keys)
            readRecords += ShardReader.ReadVerifiedShard(readIndex, name, files[name]).RecordCount;
        var read = sw.Elapsed.TotalSeconds;
        if (readRecords != records) throw new InvalidOperationException($"read {readRecords} records of {records}");

        Console.WriteLine($"{shards.Count:N0} names, {records:N0} records; repodata.json {json.Length / 1e6:F1} MB; " +
            $"shards {msgpackBytes / 1e6:F1} MB MessagePack (stored uncompressed by the built-in zstd encoder: {shardBytes / 1e6:F1} MB), index {indexFile.Length / 1e3:F0} KB");
        Console.WriteLine($"write (both encodings, hash): {write:F2} s, {records / write:N0} records/s; " +
            $"read (index, verify, decompress, parse): {read:F2} s, {records / read:N0} records/s");
        return 0;
    });
}
