using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using Polly;
using Polly.Retry;

namespace CondaMirror.Core.Http;

/// <summary>How often and how patiently to retry transient HTTP failures.</summary>
public sealed class HttpRetrySettings
{
    /// <summary>Retries after the first attempt (so RetryCount + 1 attempts in all).</summary>
    public int RetryCount { get; init; } = 5;

    /// <summary>First backoff delay; doubles per retry, with jitter.</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromSeconds(0.5);

    /// <summary>Upper bound for a server's Retry-After, so one misbehaving server cannot stall a build for hours.</summary>
    public TimeSpan MaxRetryAfter { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Called before each retry; log it (at low importance: retries are normal on flaky networks).</summary>
    public Action<RetryNotice>? OnRetry { get; init; }

    /// <summary>
    /// How long connection failures to one host may persist (with at least two failed attempts) before the host is
    /// declared unreachable and every request to it stops; see <see cref="HostCircuit"/>. Short enough that an
    /// off-line build fails in seconds, long enough that a DNS or Wi-Fi blip is retried through.
    /// </summary>
    public TimeSpan UnreachableAfter { get; init; } = DefaultUnreachableAfter;

    public static TimeSpan DefaultUnreachableAfter { get; } = TimeSpan.FromSeconds(5);
}

/// <param name="Retry">1 for the first retry.</param>
/// <param name="Subject">What is being fetched, as set with <see cref="HttpResilience.SubjectKey"/> on the context.</param>
public sealed record RetryNotice(int Retry, int MaxRetries, Exception Failure, TimeSpan Delay, string? Subject);

/// <summary>Thrown by an attempt that got a retryable status (408, 429, 5xx); carries the server's Retry-After.</summary>
public sealed class TransientHttpStatusException : Exception
{
    public TransientHttpStatusException(HttpStatusCode statusCode, TimeSpan? retryAfter, string displayUrl)
        : base($"{displayUrl} returned {(int)statusCode} {statusCode}")
    {
        StatusCode = statusCode;
        RetryAfter = retryAfter;
    }

    public HttpStatusCode StatusCode { get; }
    public TimeSpan? RetryAfter { get; }
}

/// <summary>Thrown when a transfer makes no progress for the per-attempt timeout.</summary>
public sealed class HttpStallTimeoutException : TimeoutException
{
    public HttpStallTimeoutException(string displayUrl, TimeSpan timeout)
        : base($"{displayUrl}: no data received for {timeout.TotalSeconds:0.#} s") { }
}

/// <summary>
/// Polly v8 retry pipeline shared by every HTTP consumer (packages, repodata). The operation passed to it
/// should cover the whole transfer, body included, so a connection reset mid-body is retried too.
/// Exponential backoff with jitter; a Retry-After from the server replaces the computed delay.
/// </summary>
public static class HttpResilience
{
    /// <summary>Context property naming the thing being fetched, for retry notices.</summary>
    public static readonly ResiliencePropertyKey<string> SubjectKey = new("condamirror.subject");

    public static bool IsTransientStatus(HttpStatusCode status) =>
        status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || (int)status >= 500;

    /// <summary>Network-level failures worth another attempt. TLS/certificate failures are not: they will not heal.</summary>
    public static bool IsTransient(Exception exception) => exception switch
    {
        TransientHttpStatusException => true,
        TimeoutException => true,
        HttpRequestException { InnerException: AuthenticationException } => false,
        HttpRequestException => true,
        IOException => true,
        _ => false,
    };

    /// <summary>
    /// Failures to reach the host at all: its name does not resolve, the connection is refused or cannot be made,
    /// or connecting timed out. Transient for one request; persistent ones open the host's <see cref="HostCircuit"/>.
    /// </summary>
    public static bool IsUnreachable(Exception exception) => exception switch
    {
        HttpConnectTimeoutException => true,
        HttpRequestException { HttpRequestError: HttpRequestError.NameResolutionError or HttpRequestError.ConnectionError } => true,
        // Handlers other than SocketsHttpHandler may leave HttpRequestError unset; the socket error still tells.
        HttpRequestException { InnerException: SocketException s } => s.SocketErrorCode is SocketError.HostNotFound or SocketError.TryAgain
            or SocketError.NoData or SocketError.ConnectionRefused or SocketError.HostUnreachable or SocketError.NetworkUnreachable
            or SocketError.HostDown or SocketError.NetworkDown or SocketError.TimedOut,
        _ => false,
    };

    /// <summary>Reads Retry-After (delta seconds or HTTP date), capped at <paramref name="cap"/>; null when absent.</summary>
    public static TimeSpan? ReadRetryAfter(HttpResponseMessage response, TimeSpan cap)
    {
        var header = response.Headers.RetryAfter;
        TimeSpan? delay = header?.Delta ?? (header?.Date is { } date ? date - DateTimeOffset.UtcNow : null);
        if (delay is null) return null;
        if (delay < TimeSpan.Zero) delay = TimeSpan.Zero;
        return delay > cap ? cap : delay;
    }

    /// <summary>Throws <see cref="TransientHttpStatusException"/> when the response status is retryable.</summary>
    public static void ThrowIfTransient(HttpResponseMessage response, string displayUrl, HttpRetrySettings settings)
    {
        if (IsTransientStatus(response.StatusCode))
            throw new TransientHttpStatusException(response.StatusCode, ReadRetryAfter(response, settings.MaxRetryAfter), displayUrl);
    }

    public static ResiliencePipeline CreateRetryPipeline(HttpRetrySettings settings)
    {
        var builder = new ResiliencePipelineBuilder();
        if (settings.RetryCount <= 0) return builder.Build();
        return builder.AddRetry(new RetryStrategyOptions
        {
            MaxRetryAttempts = settings.RetryCount,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = settings.BaseDelay,
            // Also caps Retry-After delays from DelayGenerator.
            MaxDelay = settings.MaxRetryAfter,
            ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } e && IsTransient(e) && !args.Context.CancellationToken.IsCancellationRequested),
            DelayGenerator = args => ValueTask.FromResult(
                args.Outcome.Exception is TransientHttpStatusException { RetryAfter: { } retryAfter } ? retryAfter : (TimeSpan?)null),
            OnRetry = args =>
            {
                args.Context.Properties.TryGetValue(SubjectKey, out var subject);
                settings.OnRetry?.Invoke(new RetryNotice(args.AttemptNumber + 1, settings.RetryCount, args.Outcome.Exception!, args.RetryDelay, subject));
                return default;
            },
        }).Build();
    }
}

/// <summary>
/// Per-attempt timeout measured as inactivity: it fires when no progress was reported for the timeout.
/// A fixed whole-transfer limit would fail large packages on slow links; a stall is what a dead peer looks like.
/// </summary>
public sealed class StallTimeout : IDisposable
{
    private readonly CancellationTokenSource _cts;
    private readonly TimeSpan _timeout;

    public StallTimeout(TimeSpan timeout, CancellationToken outer)
    {
        _timeout = timeout;
        _cts = CancellationTokenSource.CreateLinkedTokenSource(outer);
        _cts.CancelAfter(timeout);
    }

    /// <summary>Cancelled on stall or when the outer token is cancelled.</summary>
    public CancellationToken Token => _cts.Token;

    public TimeSpan Timeout => _timeout;

    public void Progress() => _cts.CancelAfter(_timeout);

    /// <summary>True when <see cref="Token"/> fired because of a stall (not because the caller cancelled).</summary>
    public bool Stalled(CancellationToken outer) => _cts.IsCancellationRequested && !outer.IsCancellationRequested;

    public void Dispose() => _cts.Dispose();
}
