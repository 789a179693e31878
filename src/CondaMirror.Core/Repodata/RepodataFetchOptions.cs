using CondaMirror.Core.IO;
using CondaMirror.Core.Networking;
using CondaMirror.Core.Platforms;
using CondaMirror.Core.Zstd;

namespace CondaMirror.Core.Repodata;

/// <summary>How <see cref="RepodataFetcher"/> uses the network and its per-user cache.</summary>
public sealed class RepodataFetchOptions
{
    /// <summary>Root of the repodata cache; each channel subdir gets a folder named after a hash of its URL.</summary>
    public string CacheDirectory { get; init; } = DefaultCacheDirectory();

    /// <summary>A cached copy younger than this is used without asking the server (conda's default is similar).</summary>
    public TimeSpan CacheTtl { get; init; } = DefaultCacheTtl;

    public static readonly TimeSpan DefaultCacheTtl = TimeSpan.FromMinutes(10);

    /// <summary>Whether repodata records may name subdirs other than conda's platforms (CondaAllowCustomSubdirs).</summary>
    public SubdirNaming SubdirNaming { get; init; } = SubdirNaming.KnownOnly;

    /// <summary>Use only the cache; fail with CMIR621 when a channel subdir was never fetched.</summary>
    public bool Offline { get; init; }

    /// <summary>Retries after a transient failure (connection error, timeout, 408, 429, 5xx).</summary>
    public int MaxRetries { get; init; } = 3;

    /// <summary>First retry delay; later ones back off exponentially with jitter.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// A request fails (and is retried) when no data arrives for this long. Measured as inactivity rather than as
    /// a whole-transfer limit, because conda-forge's linux-64 repodata is hundreds of MB and slow links are legitimate.
    /// Connecting has a shorter limit of its own, <see cref="CondaHttpClientFactory.ConnectTimeoutFor"/>.
    /// </summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Limit for one whole attempt (request and body), so a server that sends a byte now and then, which never
    /// trips <see cref="RequestTimeout"/>, still fails in bounded time (CMIR641 once every attempt ran out).
    /// Zero or less: none.
    /// </summary>
    public TimeSpan RequestDeadline { get; init; } = StallTimeout.DefaultDeadline;

    /// <summary>
    /// Network time of the whole step, every request, retry and body included (CondaNetworkDeadlineSeconds, CMIR685);
    /// share one instance between the step's fetchers. The default is a budget of its own.
    /// </summary>
    public NetworkBudget Budget { get; init; } = new(NetworkBudget.DefaultLimit);

    /// <summary>The longest Retry-After honoured; a server asking for more fails the fetch at once (CMIR642).</summary>
    public TimeSpan MaxRetryAfter { get; init; } = HttpRetrySettings.DefaultMaxRetryAfter;

    /// <summary>
    /// Most bytes one repodata body may have, as sent and after each decompression (Content-Encoding, .zst): a
    /// larger one fails with CMIR640 without being retried. conda-forge's linux-64 repodata.json is about 300 MB;
    /// the index holds the JSON in one array, so more than <see cref="Array.MaxLength"/> is never usable.
    /// </summary>
    public long MaxRepodataBytes { get; init; } = DefaultMaxRepodataBytes;

    public static long DefaultMaxRepodataBytes => 2L << 30;

    /// <summary>How long connection failures to a host may last before every request to it stops (see <see cref="HostCircuit"/>).</summary>
    public TimeSpan UnreachableAfter { get; init; } = HttpRetrySettings.DefaultUnreachableAfter;

    /// <summary>Configured credentials (longest URL prefix wins); user:password in a channel URL takes precedence.</summary>
    public CredentialSet Credentials { get; init; } = CredentialSet.None;

    /// <summary>Mirrors to fetch from instead of the channels (CondaChannelMirror items); URLs written stay canonical.</summary>
    public MirrorMap Mirrors { get; init; } = MirrorMap.None;

    /// <summary>
    /// Decoder for repodata.json.zst: given the compressed stream, a stream of the JSON (the built-in zstd codec with
    /// <see cref="ZstdWindowLimit"/> by default). When null, only repodata.json is requested and a local channel that
    /// only has the .zst cannot be read.
    /// </summary>
    public Func<Stream, Stream>? ZstdDecompressor { get; init; } =
        static zst => ZstdCodec.Decompress(zst, new ZstdDecoderOptions { MaxWindowSize = ZstdWindowLimit });

    /// <summary>
    /// Largest zstd window accepted for repodata.json.zst: 32 MiB. The decoder buffers about 1.5 windows, so this
    /// bounds its memory (a frame declaring the window is all a bomb needs). zstd levels up to 20 use at most this
    /// (level 19, the usual one for repodata, uses 8 MiB); a .zst needing more (--ultra -21/-22, --long) is skipped
    /// and repodata.json fetched instead.
    /// </summary>
    public const long ZstdWindowLimit = 32L << 20;

    /// <summary>
    /// Whether HTTP and local channels are first asked for their CEP-16 shard index (repodata_shards.msgpack.zst);
    /// without one, or when false, the monolithic repodata.json(.zst) is used.
    /// </summary>
    public bool UseShards { get; init; } = true;

    /// <summary>
    /// Most bytes of one shard index or shard, as sent and decompressed (CMIR653 beyond it). conda-forge's
    /// linux-64 index is about 2 MB decompressed, its largest shards a few MB.
    /// </summary>
    public long MaxShardBytes { get; init; } = DefaultMaxShardBytes;

    public static long DefaultMaxShardBytes => 64L << 20;

    /// <summary>Shards fetched at the same time per subdir, at most.</summary>
    public int MaxParallelShardFetches { get; init; } = 16;

    /// <summary>
    /// Indexed repodata shared with other resolves of this process (one per build node); null: each fetcher indexes
    /// its own. Only files already in the cache (or a local channel's) are shared.
    /// </summary>
    public ParsedRepodataCache? ParsedCache { get; init; }

    /// <summary>Clock for TTL decisions (tests move it).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>The per-user cache folder (see <see cref="UserCache"/>), then repodata.</summary>
    public static string DefaultCacheDirectory() => UserCache.Directory("repodata");
}
