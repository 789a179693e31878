using System.Security.Cryptography;
using System.Text.Json;

namespace CondaMirror.TestKit.Channels;

/// <summary>
/// Adds CEP-16 shards beside each subdir's repodata.json of a channel folder, laid out as rattler-index does:
/// <c>&lt;subdir&gt;/repodata_shards.msgpack.zst</c> and <c>&lt;subdir&gt;/shards/&lt;sha256&gt;.msgpack.zst</c>. Written
/// with none of the project's code: repodata read by System.Text.Json, MessagePack by <see cref="MsgPackTree.Encode"/>
/// (rattler's encoding: sha256 as bin 32, md5 as bin 16), compression by Debian's zstd.
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
            using var repodata = JsonDocument.Parse(File.ReadAllBytes(json));
            // name → (map → file name → record), both maps always present in a shard.
            var byName = new SortedDictionary<string, Dictionary<string, SortedDictionary<string, SortedDictionary<string, object?>>>>(StringComparer.Ordinal);
            foreach (var map in new[] { "packages", "packages.conda" })
            {
                if (!repodata.RootElement.TryGetProperty(map, out var records) || records.ValueKind != JsonValueKind.Object) continue;
                foreach (var entry in records.EnumerateObject())
                {
                    var name = entry.Value.GetProperty("name").GetString()!;
                    if (!byName.TryGetValue(name, out var maps))
                        byName[name] = maps = new() { ["packages"] = new(StringComparer.Ordinal), ["packages.conda"] = new(StringComparer.Ordinal) };
                    maps[map][entry.Name] = Record(entry.Value);
                }
            }

            var names = new Dictionary<string, string>(StringComparer.Ordinal);
            var shards = new List<KeyValuePair<object?, object?>>();
            Directory.CreateDirectory(Path.Combine(subdirPath, "shards"));
            foreach (var (name, maps) in byName)
            {
                var shard = new List<KeyValuePair<object?, object?>>
                {
                    new("packages", Map(maps["packages"])),
                    new("packages.conda", Map(maps["packages.conda"])),
                    new("removed", new List<object?>()),
                };
                var compressed = ExternalCodec.Zstd(MsgPackTree.Encode(shard));
                var sha256 = SHA256.HashData(compressed);
                var fileName = Convert.ToHexString(sha256).ToLowerInvariant() + ".msgpack.zst";
                File.WriteAllBytes(Path.Combine(subdirPath, "shards", fileName), compressed);
                shards.Add(new(name, new MsgPackTree.Bin(sha256)));
                names[name] = fileName;
            }
            var index = new List<KeyValuePair<object?, object?>>
            {
                new("info", new List<KeyValuePair<object?, object?>>
                {
                    new("base_url", "./"),
                    new("shards_base_url", "./shards/"),
                    new("subdir", subdir),
                }),
                new("shards", shards),
                new("version", 1L),
            };
            File.WriteAllBytes(Path.Combine(subdirPath, "repodata_shards.msgpack.zst"), ExternalCodec.Zstd(MsgPackTree.Encode(index)));
            result[subdir] = names;
        }
        return result;
    }

    private static List<KeyValuePair<object?, object?>> Map(SortedDictionary<string, SortedDictionary<string, object?>> records) =>
        records.Select(r => new KeyValuePair<object?, object?>(r.Key, r.Value)).ToList();

    /// <summary>A repodata record as a shard holds it: JSON values as they are, sha256 and md5 as raw bytes.</summary>
    private static SortedDictionary<string, object?> Record(JsonElement record)
    {
        var fields = new SortedDictionary<string, object?>(StringComparer.Ordinal);
        foreach (var field in record.EnumerateObject())
            fields[field.Name] = field.Name is "sha256" or "md5" && field.Value.ValueKind == JsonValueKind.String
                ? new MsgPackTree.Bin(Convert.FromHexString(field.Value.GetString()!))
                : Value(field.Value);
        return fields;
    }

    private static object? Value(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Null => null,
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Number => value.TryGetInt64(out var l) ? l : value.GetDouble(),
        JsonValueKind.Array => value.EnumerateArray().Select(Value).ToList(),
        _ => value.EnumerateObject().Select(p => new KeyValuePair<object?, object?>(p.Name, Value(p.Value))).ToList(),
    };

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
