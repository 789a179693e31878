using System.Collections.Concurrent;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Platforms;
using CondaMirror.Core.Records;
using CondaMirror.Core.Repodata.Shards;

namespace CondaMirror.Core.Repodata;

/// <summary>
/// One subdir read through its CEP-16 shard index: the index lists every name, and a name's records are one shard,
/// fetched the first time the name is asked for (or hinted by <see cref="Prefetch"/>), verified against the hash the
/// index names, then decoded. Only the touched names ever cross the network or reach memory.
/// </summary>
public sealed class ShardedSubdir : ISubdirRepodata
{
    /// <summary>Gets the verified compressed bytes of one shard (from a cache or the network).</summary>
    public delegate Task<byte[]> ShardSource(string name, byte[] sha256, Uri shardUrl, CancellationToken cancellationToken);

    private readonly ShardIndex _index;
    private readonly ShardSource _source;
    private readonly ShardReadOptions _readOptions;
    private readonly SubdirNaming _subdirPolicy;
    private readonly Uri _shardsBase;
    private readonly string _where;
    private readonly CancellationToken _cancellationToken;
    private readonly ConcurrentDictionary<string, Lazy<Task<RepodataRecord[]>>> _loads = new(StringComparer.Ordinal);
    private long _shardBytes;

    /// <param name="indexUrl">Where the index was read from, as requested (may carry a token): shard URLs are resolved against it.</param>
    /// <param name="publicSubdirUrl">The subdir's credential-free URL, ending in '/': package URLs in records are resolved against it.</param>
    public ShardedSubdir(ShardIndex index, Uri indexUrl, Uri publicSubdirUrl, string channel, string requestedSubdir, ShardSource source,
        ShardReadOptions? readOptions = null, SubdirNaming subdirPolicy = SubdirNaming.KnownOnly, string? where = null, CancellationToken cancellationToken = default)
    {
        _index = index;
        _source = source;
        _readOptions = readOptions ?? ShardReadOptions.Default;
        _subdirPolicy = subdirPolicy;
        _cancellationToken = cancellationToken;
        _where = where ?? Networking.UrlRedaction.Redact(indexUrl);
        Channel = channel.TrimEnd('/');
        Subdir = string.IsNullOrEmpty(index.Subdir) ? requestedSubdir : Subdirs.Validate(index.Subdir, subdirPolicy, "shard index info.subdir", _where);
        _shardsBase = Resolve(indexUrl, index.ShardsBaseUrl, "shards_base_url");
        PackageBaseUrl = Resolve(new Uri(publicSubdirUrl, "repodata_shards.msgpack.zst"), index.BaseUrl, "base_url");
    }

    public string Subdir { get; }

    /// <summary>Channel as stored in <see cref="RepodataRecord.Channel"/> (no trailing slash).</summary>
    public string Channel { get; }

    /// <summary>Folder the archives are downloaded from (the index's base_url, else beside the index). Ends with '/'.</summary>
    public Uri PackageBaseUrl { get; }

    public ShardIndex Index => _index;

    public IEnumerable<string> PackageNames => _index.Shards.Keys;

    public int NameCount => _index.Shards.Count;

    /// <summary>How many shards were requested so far (fetched or taken from a cache).</summary>
    public int ShardsLoaded => _loads.Count;

    /// <summary>Compressed bytes of the shards loaded so far.</summary>
    public long ShardBytes => Interlocked.Read(ref _shardBytes);

    public bool Contains(string name) => _index.Shards.ContainsKey(name);

    public IReadOnlyList<RepodataRecord> Records(string name)
    {
        if (!_index.Shards.ContainsKey(name)) return Array.Empty<RepodataRecord>();
        // The solver is synchronous; the fetch itself ran (or runs) on the thread pool, so blocking here cannot deadlock.
        return Load(name).GetAwaiter().GetResult();
    }

    public void Prefetch(IEnumerable<string> names)
    {
        foreach (var name in names)
            if (_index.Shards.ContainsKey(name))
                _ = Load(name); // faults are observed when Records asks for the name
    }

    private Task<RepodataRecord[]> Load(string name) =>
        _loads.GetOrAdd(name, n => new Lazy<Task<RepodataRecord[]>>(() => Task.Run(() => FetchAsync(n), _cancellationToken))).Value;

    private async Task<RepodataRecord[]> FetchAsync(string name)
    {
        var hash = _index.Shards[name];
        var url = new Uri(_shardsBase, ShardHash.FileName(hash));
        var compressed = await _source(name, hash, url, _cancellationToken).ConfigureAwait(false);
        // The source verified the hash; it is checked again here because the decoded records are only as good as it.
        ShardReader.VerifyShard(hash, compressed, name, Networking.UrlRedaction.Redact(url));
        Interlocked.Add(ref _shardBytes, compressed.Length);
        var shard = ShardReader.ReadShardCompressed(compressed, name, _readOptions, Networking.UrlRedaction.Redact(url));
        var result = new List<RepodataRecord>(shard.RecordCount);
        foreach (var (fileName, record) in shard.AllRecords())
        {
            // Shard records omit their subdir as repodata.json's may; conda fills it from the index.
            record.Subdir ??= Subdir;
            var where = $"shard record '{fileName}'";
            Subdirs.Validate(record.Subdir, _subdirPolicy, where, _where);
            ArchiveFileName.ValidateSafe(fileName, where, _where);
            if (record.Name.Length == 0) record.Name = name;
            PackageName.Validate(record.Name, where, _where);
            result.Add(new RepodataRecord(record, PackageBaseUrl.AbsoluteUri + fileName, fileName, Channel));
        }
        return result.ToArray();
    }

    private Uri Resolve(Uri indexUrl, string relative, string field)
    {
        if (string.IsNullOrEmpty(relative)) return new Uri(indexUrl, "./");
        if (!Uri.TryCreate(indexUrl, relative, out var resolved))
            throw new CondaMirrorException(ErrorCodes.ShardIndexInvalid, $"the shard index's {field} '{relative}' is not a valid URL.", _where);
        Networking.RemoteLocation.Check(indexUrl, resolved, "the shard index's " + field, _where);
        return resolved.AbsolutePath.EndsWith('/') ? resolved : new UriBuilder(resolved) { Path = resolved.AbsolutePath + "/" }.Uri;
    }
}
