using CondaMirror.Core.Networking;
using CondaMirror.Core.Platforms;
using CondaMirror.Core.Repodata;

namespace CondaMirror.MSBuild;

/// <summary>The repodata properties the resolve and subset steps both read, turned into Core's fetch options one way.</summary>
internal static class RepodataSettings
{
    public static RepodataFetchOptions FetchOptions(string? cachePath, bool offline, int retryCount, int httpTimeoutSeconds, int httpRequestDeadlineSeconds,
        int maxRetryAfterSeconds, long maxRepodataBytes, long maxShardBytes, bool useShards, CredentialSet credentials, MirrorMap mirrors,
        SubdirNaming naming, NetworkBudget budget, TimeSpan? cacheTtl = null, ParsedRepodataCache? parsedCache = null) => new()
    {
        CacheDirectory = string.IsNullOrWhiteSpace(cachePath) ? RepodataFetchOptions.DefaultCacheDirectory() : Path.GetFullPath(cachePath),
        CacheTtl = cacheTtl ?? RepodataFetchOptions.DefaultCacheTtl,
        Offline = offline,
        MaxRetries = retryCount,
        RequestTimeout = TimeSpan.FromSeconds(httpTimeoutSeconds),
        RequestDeadline = TimeSpan.FromSeconds(httpRequestDeadlineSeconds),
        Budget = budget,
        MaxRetryAfter = TimeSpan.FromSeconds(maxRetryAfterSeconds),
        MaxRepodataBytes = maxRepodataBytes,
        MaxShardBytes = maxShardBytes,
        UseShards = useShards,
        ParsedCache = parsedCache,
        Credentials = credentials,
        Mirrors = mirrors,
        SubdirNaming = naming,
    };
}
