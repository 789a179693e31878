using System.Net;
using System.Reflection;

namespace CondaMirror.Core.Networking;

/// <summary>
/// The one place that configures HTTP for talking to conda channels. Retries and timeouts are not
/// configured here (HttpClient.Timeout is infinite): callers wrap requests in <see cref="HttpResilience"/>
/// so that retries also cover failures in the middle of a response body.
/// </summary>
public static class CondaHttpClientFactory
{
    public static string UserAgent { get; } =
        "CondaMirror/" + (typeof(CondaHttpClientFactory).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0");

    /// <summary>
    /// The longest a TCP (and TLS) connect may take: conda uses 9.15 s. A reachable server connects in well under a
    /// second, and without a limit of its own a silently dropped SYN would hold an attempt for the whole attempt
    /// timeout (100 s by default) before the host could be called unreachable.
    /// </summary>
    public static TimeSpan DefaultConnectTimeout { get; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The connect limit for a given per-attempt timeout: <see cref="DefaultConnectTimeout"/>, or half the attempt
    /// timeout when that is shorter. Always shorter than the attempt timeout, so a connect that gets no answer ends
    /// as a connect timeout (which counts against the host's reachability) rather than as a generic stall.
    /// </summary>
    public static TimeSpan ConnectTimeoutFor(TimeSpan attemptTimeout) =>
        attemptTimeout > TimeSpan.Zero && attemptTimeout / 2 < DefaultConnectTimeout ? attemptTimeout / 2 : DefaultConnectTimeout;

    /// <param name="maxConnectionsPerServer">Parallel downloads from one host need this many connections.</param>
    /// <param name="automaticDecompression">Off for package archives (the bytes must match the lock's hashes);
    /// on for repodata.json, which servers often send gzip- or brotli-encoded.</param>
    /// <param name="connectTimeout">Connecting is the one phase with a hard limit of its own (see <see cref="ConnectTimeoutFor"/>).</param>
    public static SocketsHttpHandler CreateHandler(int maxConnectionsPerServer, bool automaticDecompression, TimeSpan connectTimeout) => new()
    {
        MaxConnectionsPerServer = Math.Max(1, maxConnectionsPerServer),
        AutomaticDecompression = automaticDecompression ? DecompressionMethods.All : DecompressionMethods.None,
        ConnectTimeout = connectTimeout,
        // Recycle connections so DNS changes (CDN fail-over) are seen during long builds.
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
        // NetworkClient follows redirects itself: only between http(s) URLs, never https to http, at most 10, without
        // credentials after the first hop (the handler would hand a file:// Location to a URI parser and fail uncoded).
        AllowAutoRedirect = false,
        UseCookies = false,
    };

    public static HttpClient CreateClient(HttpMessageHandler handler, bool disposeHandler)
    {
        var client = new HttpClient(handler, disposeHandler) { Timeout = Timeout.InfiniteTimeSpan };
        client.DefaultRequestHeaders.UserAgent.ParseAdd(UserAgent);
        return client;
    }
}
