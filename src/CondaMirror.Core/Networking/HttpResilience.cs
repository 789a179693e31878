using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using Polly;
using Polly.Retry;

namespace CondaMirror.Core.Networking;

/// <summary>How often and how patiently to retry transient HTTP failures.</summary>
public sealed class HttpRetrySettings
{
    /// <summary>Retries after the first attempt (so RetryCount + 1 attempts in all).</summary>
    public int RetryCount { get; init; } = 5;

    /// <summary>First backoff delay; doubles per retry, with jitter.</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromSeconds(0.5);

    /// <summary>
    /// The longest Retry-After honoured (also the longest backoff). A server asking for more fails the request at
    /// once with <see cref="RetryAfterTooLongException"/>: sleeping through it would stall the build, and retrying
    /// sooner would ignore what the server said.
    /// </summary>
    public TimeSpan MaxRetryAfter { get; init; } = DefaultMaxRetryAfter;

    public static TimeSpan DefaultMaxRetryAfter { get; } = TimeSpan.FromSeconds(60);

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

/// <summary>The kinds of HTTP failure, see <see cref="HttpResilience.Classify"/>.</summary>
public enum HttpFailureKind
{
    /// <summary>Not a network failure.</summary>
    None,

    /// <summary>The server asked to be retried later than the build waits (<see cref="RetryAfterTooLongException"/>).</summary>
    RetryAfterTooLong,

    /// <summary>The host's circuit is open: it could not be reached at all (<see cref="HostUnreachableException"/>).</summary>
    Unreachable,

    /// <summary>A retryable status (408, 429, 5xx) that outlasted the retries (<see cref="TransientHttpStatusException"/>).</summary>
    ServerError,

    /// <summary>Every attempt ran out of its whole-attempt time (<see cref="HttpDeadlineExceededException"/>).</summary>
    DeadlineExceeded,

    /// <summary>Connection, TLS, transfer or stall failures that outlasted the retries.</summary>
    Network,
}

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

/// <summary>
/// Thrown when a server's Retry-After asks for a longer wait than <see cref="HttpRetrySettings.MaxRetryAfter"/>.
/// Not transient: the request fails at once and the message says when the server wants to be asked again.
/// </summary>
public sealed class RetryAfterTooLongException : Exception
{
    public RetryAfterTooLongException(string displayUrl, HttpStatusCode statusCode, TimeSpan requested, DateTimeOffset retryAt, TimeSpan max)
        : base($"{displayUrl} answered {(int)statusCode} {statusCode} and asks to retry after {requested.TotalSeconds:0} s " +
               $"(at {retryAt.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC), longer than the {max.TotalSeconds:0} s this build waits")
    {
        DisplayUrl = displayUrl;
        StatusCode = statusCode;
        Requested = requested;
        RetryAt = retryAt;
    }

    public string DisplayUrl { get; }
    public HttpStatusCode StatusCode { get; }
    public TimeSpan Requested { get; }

    /// <summary>When the server asked to be retried (now + delta, or the HTTP date it sent).</summary>
    public DateTimeOffset RetryAt { get; }
}

/// <summary>
/// Thrown when one attempt (request and whole body) outlasts its deadline while data still trickles in, which the
/// stall timer alone never catches. Transient: the next attempt may get a faster path.
/// </summary>
public sealed class HttpDeadlineExceededException : TimeoutException
{
    public HttpDeadlineExceededException(string displayUrl, TimeSpan deadline)
        : base($"{displayUrl}: the transfer did not finish within {deadline.TotalSeconds:0.#} s")
    {
        Deadline = deadline;
    }

    public TimeSpan Deadline { get; }
}

/// <summary>Thrown when a transfer makes no progress for the per-attempt timeout.</summary>
public sealed class HttpStallTimeoutException : TimeoutException
{
    public HttpStallTimeoutException(string displayUrl, TimeSpan timeout)
        : base($"{displayUrl}: no data received for {timeout.TotalSeconds:0.#} s") { }
}

/// <summary>
/// Polly v8 retry pipeline and failure classification shared by every HTTP consumer (through <see cref="NetworkClient"/>). The operation passed to it
/// should cover the whole transfer, body included, so a connection reset mid-body is retried too.
/// Exponential backoff with jitter; a Retry-After from the server replaces the computed delay.
/// </summary>
public static class HttpResilience
{
    /// <summary>Context property naming the thing being fetched, for retry notices.</summary>
    public static readonly ResiliencePropertyKey<string> SubjectKey = new("condamirror.subject");

    public static bool IsTransientStatus(HttpStatusCode status) =>
        status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || (int)status >= 500;

    /// <summary>
    /// Failures worth another attempt, read off <see cref="Classify"/>: retryable statuses, stalls and deadlines, and
    /// network failures except TLS/certificate ones, which will not heal. A host found unreachable and a Retry-After
    /// beyond the maximum are final.
    /// </summary>
    public static bool IsTransient(Exception exception) => Classify(exception) switch
    {
        HttpFailureKind.ServerError or HttpFailureKind.DeadlineExceeded => true,
        HttpFailureKind.Network => exception is not HttpRequestException { InnerException: AuthenticationException },
        _ => false,
    };

    /// <summary>
    /// What an HTTP failure that left <see cref="NetworkClient"/> means, for every fetcher alike: each maps the kinds to
    /// its own error codes. <see cref="HttpFailureKind.None"/> for anything that is not a network failure (the
    /// fetcher's own coded errors, cancellation, bugs), which callers let pass.
    /// </summary>
    public static HttpFailureKind Classify(Exception exception) => exception switch
    {
        RetryAfterTooLongException => HttpFailureKind.RetryAfterTooLong,
        HostUnreachableException => HttpFailureKind.Unreachable,
        TransientHttpStatusException => HttpFailureKind.ServerError,
        HttpDeadlineExceededException => HttpFailureKind.DeadlineExceeded,
        // TLS and certificate failures included: not worth a retry (IsTransient), but still the network's fault.
        HttpRequestException or IOException or TimeoutException => HttpFailureKind.Network,
        _ => HttpFailureKind.None,
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

    /// <summary>
    /// Reads Retry-After (delta seconds or HTTP date); null when absent. A wait longer than <paramref name="max"/>
    /// throws <see cref="RetryAfterTooLongException"/> naming <paramref name="displayUrl"/> and the requested time.
    /// </summary>
    public static TimeSpan? ReadRetryAfter(HttpResponseMessage response, TimeSpan max, string displayUrl)
    {
        var header = response.Headers.RetryAfter;
        var now = DateTimeOffset.UtcNow;
        TimeSpan? delay = header?.Delta ?? (header?.Date is { } date ? date - now : null);
        if (delay is null) return null;
        if (delay < TimeSpan.Zero) delay = TimeSpan.Zero;
        if (delay > max)
            throw new RetryAfterTooLongException(displayUrl, response.StatusCode, delay.Value, header!.Date ?? now + delay.Value, max);
        return delay;
    }

    /// <summary>Throws <see cref="TransientHttpStatusException"/> when the response status is retryable.</summary>
    public static void ThrowIfTransient(HttpResponseMessage response, string displayUrl, HttpRetrySettings settings)
    {
        if (IsTransientStatus(response.StatusCode))
            throw new TransientHttpStatusException(response.StatusCode, ReadRetryAfter(response, settings.MaxRetryAfter, displayUrl), displayUrl);
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
            // Caps the backoff (Polly does not apply it to DelayGenerator's Retry-After delays; ReadRetryAfter
            // refuses those above the maximum). Zero means no Retry-After is waited for, not that backoff is zero.
            MaxDelay = settings.MaxRetryAfter > TimeSpan.Zero ? settings.MaxRetryAfter : null,
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
/// The two time limits of one attempt. The stall timer fires when no progress was reported for the timeout: a fixed
/// whole-transfer limit that short would fail large packages on slow links, and a stall is what a dead peer looks like.
/// The deadline bounds the whole attempt, because a peer that sends one byte now and then never stalls.
/// </summary>
public sealed class StallTimeout : IDisposable
{
    /// <summary>Default limit for one whole attempt (CondaHttpRequestDeadlineSeconds).</summary>
    public static TimeSpan DefaultDeadline { get; } = TimeSpan.FromMinutes(10);

    private readonly CancellationTokenSource _deadline;
    private readonly CancellationTokenSource _cts;
    private readonly TimeSpan _timeout;

    /// <param name="deadline">Limit for the whole attempt; null or non-positive for none.</param>
    public StallTimeout(TimeSpan timeout, CancellationToken outer, TimeSpan? deadline = null)
    {
        _timeout = timeout;
        Deadline = deadline is { } d && d > TimeSpan.Zero ? d : null;
        _deadline = Deadline is { } limit ? new CancellationTokenSource(limit) : new CancellationTokenSource();
        _cts = CancellationTokenSource.CreateLinkedTokenSource(outer, _deadline.Token);
        _cts.CancelAfter(timeout);
    }

    /// <summary>Cancelled on stall, at the deadline, or when the outer token is cancelled.</summary>
    public CancellationToken Token => _cts.Token;

    public TimeSpan Timeout => _timeout;

    public TimeSpan? Deadline { get; }

    public void Progress() => _cts.CancelAfter(_timeout);

    /// <summary>True when <see cref="Token"/> fired because of a stall (not the deadline, not the caller).</summary>
    public bool Stalled(CancellationToken outer) => _cts.IsCancellationRequested && !outer.IsCancellationRequested && !_deadline.IsCancellationRequested;

    /// <summary>True when <see cref="Token"/> fired because the attempt ran out of time (not because the caller cancelled).</summary>
    public bool DeadlineExceeded(CancellationToken outer) => _deadline.IsCancellationRequested && !outer.IsCancellationRequested;

    /// <summary>True when either limit fired (not the caller).</summary>
    public bool TimedOut(CancellationToken outer) => Stalled(outer) || DeadlineExceeded(outer);

    /// <summary>The exception for a limit that fired: <see cref="HttpDeadlineExceededException"/> or <see cref="HttpStallTimeoutException"/>.</summary>
    public TimeoutException Failure(string displayUrl) => _deadline.IsCancellationRequested && Deadline is { } d
        ? new HttpDeadlineExceededException(displayUrl, d)
        : new HttpStallTimeoutException(displayUrl, _timeout);

    public void Dispose()
    {
        _cts.Dispose();
        _deadline.Dispose();
    }
}
