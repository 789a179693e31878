using CondaMirror.Core.IO;
using CondaMirror.Core.Http;
using CondaMirror.Core.Platforms;
using CondaMirror.Core.Zstd;

namespace CondaMirror.Core.Repodata;

/// <summary>How <see cref="RepodataFetcher"/> uses the network and its per-user cache.</summary>
public sealed class RepodataFetchOptions
{
    /// <summary>Root of the repodata cache; each channel subdir gets a folder named after a hash of its URL.</summary>
    public string CacheDirectory { get; init; } = DefaultCacheDirectory();

    /// <summary>A cached copy younger than this is used without asking the server (conda's default is similar).</summary>
    public TimeSpan CacheTtl { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Whether repodata records may name subdirs other than conda's platforms (CondaAllowCustomSubdirs).</summary>
    public SubdirPolicy SubdirPolicy { get; init; } = SubdirPolicy.KnownOnly;

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

    /// <summary>How long connection failures to a host may last before every request to it stops (see <see cref="HostCircuit"/>).</summary>
    public TimeSpan UnreachableAfter { get; init; } = HttpRetrySettings.DefaultUnreachableAfter;

    /// <summary>Configured credentials (longest URL prefix wins); user:password in a channel URL takes precedence.</summary>
    public IReadOnlyList<ChannelCredential>? Credentials { get; init; }

    /// <summary>
    /// Decoder for repodata.json.zst (the built-in zstd codec by default). When null, only repodata.json is
    /// requested and a local channel that only has the .zst cannot be read.
    /// </summary>
    public Func<byte[], byte[]>? ZstdDecompressor { get; init; } = static zst => ZstdCodec.Decompress(zst);

    /// <summary>Clock for TTL decisions (tests move it).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>The per-user cache folder (see <see cref="UserCache"/>), then repodata.</summary>
    public static string DefaultCacheDirectory() => UserCache.Directory("repodata");
}
