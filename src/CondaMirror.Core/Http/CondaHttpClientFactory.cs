using System.Net;
using System.Reflection;

namespace CondaMirror.Core.Http;

/// <summary>
/// The one place that configures HTTP for talking to conda channels. Retries and timeouts are not
/// configured here (HttpClient.Timeout is infinite): callers wrap requests in <see cref="HttpResilience"/>
/// so that retries also cover failures in the middle of a response body.
/// </summary>
public static class CondaHttpClientFactory
{
    public static string UserAgent { get; } =
        "CondaMirror/" + (typeof(CondaHttpClientFactory).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0");

    /// <param name="maxConnectionsPerServer">Parallel downloads from one host need this many connections.</param>
    /// <param name="automaticDecompression">Off for package archives (the bytes must match the lock's hashes);
    /// on for repodata.json, which servers often send gzip- or brotli-encoded.</param>
    /// <param name="connectTimeout">Connecting is the one phase with a hard limit of its own.</param>
    public static SocketsHttpHandler CreateHandler(int maxConnectionsPerServer, bool automaticDecompression, TimeSpan connectTimeout) => new()
    {
        MaxConnectionsPerServer = Math.Max(1, maxConnectionsPerServer),
        AutomaticDecompression = automaticDecompression ? DecompressionMethods.All : DecompressionMethods.None,
        ConnectTimeout = connectTimeout,
        // Recycle connections so DNS changes (CDN fail-over) are seen during long builds.
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
        AllowAutoRedirect = true,
        MaxAutomaticRedirections = 10,
        UseCookies = false,
    };

    public static HttpClient CreateClient(HttpMessageHandler handler, bool disposeHandler)
    {
        var client = new HttpClient(handler, disposeHandler) { Timeout = Timeout.InfiniteTimeSpan };
        client.DefaultRequestHeaders.UserAgent.ParseAdd(UserAgent);
        return client;
    }
}
