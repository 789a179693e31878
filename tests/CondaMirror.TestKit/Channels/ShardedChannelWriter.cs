using CondaMirror.Core.Repodata;
using CondaMirror.Core.Repodata.Shards;

namespace CondaMirror.TestKit.Channels;

/// <summary>
/// Adds CEP-16 shards beside each subdir's repodata.json of a channel folder, laid out as rattler-index does:
/// <c>&lt;subdir&gt;/repodata_shards.msgpack.zst</c> and <c>&lt;subdir&gt;/shards/&lt;sha256&gt;.msgpack.zst</c>.
/// </summary>
public static class ShardedChannelWriter
{
    /// <summary>Writes the shards of every subdir that has a repodata.json; returns subdir → name → shard file name.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> AddShards(string channelDirectory)
    {
        var result = new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal);
        foreach (var subdirPath in Directory.GetDirectories(channelDirectory).OrderBy(x => x, StringComparer.Ordinal))
        {
            var json = Path.Combine(subdirPath, "repodata.json");
            if (!File.Exists(json)) continue;
            var subdir = Path.GetFileName(subdirPath);
            var repodata = SparseRepodata.LoadFile(json, new Uri(Path.GetFullPath(channelDirectory) + "/"), subdir);
            var index = new ShardIndex { Subdir = subdir, BaseUrl = "./", ShardsBaseUrl = "./shards/" };
            var names = new Dictionary<string, string>(StringComparer.Ordinal);
            Directory.CreateDirectory(Path.Combine(subdirPath, "shards"));
            foreach (var name in repodata.PackageNames)
            {
                var shard = new Shard();
                foreach (var record in repodata.Records(name)) shard.Add(record.FileName, record.Record);
                var (compressed, sha256) = ShardWriter.WriteCompressedShard(shard);
                File.WriteAllBytes(Path.Combine(subdirPath, "shards", ShardHash.FileName(sha256)), compressed);
                index.SetShard(name, sha256);
                names[name] = ShardHash.FileName(sha256);
            }
            File.WriteAllBytes(Path.Combine(subdirPath, "repodata_shards.msgpack.zst"), ShardWriter.WriteCompressedIndex(index));
            result[subdir] = names;
        }
        return result;
    }

    /// <summary>Removes every subdir's shard index and shards (a channel as published before CEP-16).</summary>
    public static void RemoveShards(string channelDirectory)
    {
        foreach (var subdirPath in Directory.GetDirectories(channelDirectory))
        {
            File.Delete(Path.Combine(subdirPath, "repodata_shards.msgpack.zst"));
            if (Directory.Exists(Path.Combine(subdirPath, "shards"))) Directory.Delete(Path.Combine(subdirPath, "shards"), recursive: true);
        }
    }
}
