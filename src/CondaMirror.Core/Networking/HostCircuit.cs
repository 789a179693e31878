using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;

namespace CondaMirror.Core.Networking;

/// <summary>A connection could not be established within the handler's ConnectTimeout. Transient, like other network errors.</summary>
public sealed class HttpConnectTimeoutException : TimeoutException
{
    public HttpConnectTimeoutException(string host, TimeSpan? timeout, Exception inner)
        : base(timeout is { } t
            ? string.Create(CultureInfo.InvariantCulture, $"no connection to {host} within {t.TotalSeconds:0.#} s")
            : $"no connection to {host} within the connect timeout", inner)
    {
        Timeout = timeout;
    }

    public TimeSpan? Timeout { get; }
}

/// <summary>
/// Thrown instead of sending a request to a host whose <see cref="HostCircuit"/> is open, and by the request whose
/// failure opened it. Not transient: nothing is retried once a host is known to be unreachable.
/// </summary>
public sealed class HostUnreachableException : Exception
{
    public HostUnreachableException(string host, string reason, int failedAttempts, TimeSpan duration, Exception cause)
        : base(string.Create(CultureInfo.InvariantCulture,
            $"{host} is unreachable: {reason} ({failedAttempts} connection attempt(s) failed over {duration.TotalSeconds:0.0} s)"), cause)
    {
        Host = host;
        Reason = reason;
        FailedAttempts = failedAttempts;
        Duration = duration;
    }

    /// <summary>Scheme, host and port, without credentials.</summary>
    public string Host { get; }

    /// <summary>Why, in words (name does not resolve, connection refused, no connection within N s), with the cause's text.</summary>
    public string Reason { get; }

    public int FailedAttempts { get; }
    public TimeSpan Duration { get; }
}

/// <summary>
/// The reachability latch of one host for one run (one downloader or fetcher). Connection-level failures
/// (DNS, refused, connect timeout) form a streak that any response from the host ends. The circuit opens when the
/// streak has lasted <see cref="HttpRetrySettings.UnreachableAfter"/> with at least two failed attempts (checked by a
/// timer too, so a request asleep in a long backoff delay does not postpone the verdict), or when a request ran out
/// of retries on such a failure. Once open it stays open: every queued request fails at once, and
/// <see cref="Opened"/> cancels attempts and backoff delays in flight, so one dead host costs seconds, not one
/// retry budget per package.
/// </summary>
public sealed class HostCircuit : IDisposable
{
    // One failure is a blip until it repeats: a DNS hiccup that fails eight parallel connects at once must not open the circuit.
    private const int MinFailures = 2;

    private readonly object _gate = new();
    private readonly CancellationTokenSource _opened = new();
    private readonly TimeSpan _window;
    private long _streakStart;
    private int _failures;
    private Exception? _lastCause;
    private int _streak;
    private Timer? _timer;
    private (string Reason, int Failures, TimeSpan Duration, Exception Cause)? _verdict;

    internal HostCircuit(string host, TimeSpan window)
    {
        Host = host;
        _window = window;
    }

    /// <summary>Scheme, host and port (no credentials), as shown in messages.</summary>
    public string Host { get; }

    /// <summary>Cancelled when the circuit opens.</summary>
    public CancellationToken Opened => _opened.Token;

    public bool IsOpen
    {
        get { lock (_gate) return _verdict is not null; }
    }

    /// <summary>Throws <see cref="HostUnreachableException"/> when the circuit is open.</summary>
    public void ThrowIfOpen()
    {
        if (CreateFailure() is { } failure) throw failure;
    }

    /// <summary>A new exception describing why the circuit opened (one per throw: they cross threads), or null while closed.</summary>
    public HostUnreachableException? CreateFailure()
    {
        lock (_gate)
            return _verdict is { } v ? new HostUnreachableException(Host, v.Reason, v.Failures, v.Duration, v.Cause) : null;
    }

    /// <summary>The host answered (any status): it is reachable, the streak ends.</summary>
    public void ReportReachable()
    {
        lock (_gate)
        {
            if (_verdict is not null || _failures == 0) return;
            _failures = 0;
            _lastCause = null;
            _streak++;
            _timer?.Dispose();
            _timer = null;
        }
    }

    /// <summary>An attempt started at <paramref name="attemptStarted"/> (a <see cref="Stopwatch"/> timestamp) could not connect.</summary>
    public void ReportUnreachable(Exception cause, long attemptStarted)
    {
        bool open;
        lock (_gate)
        {
            if (_verdict is not null) return;
            if (_failures == 0 || attemptStarted < _streakStart) _streakStart = attemptStarted;
            if (_failures == 0)
            {
                var streak = _streak;
                var due = _window - Stopwatch.GetElapsedTime(_streakStart);
                _timer = new Timer(_ => OnWindowElapsed(streak), null, due > TimeSpan.Zero ? due : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
            }
            _failures++;
            _lastCause = cause;
            open = _failures >= MinFailures && Stopwatch.GetElapsedTime(_streakStart) >= _window;
        }
        if (open) Open(cause);
    }

    private void OnWindowElapsed(int streak)
    {
        Exception? cause;
        lock (_gate)
        {
            // A response since then started a new streak; with one failure so far, the next failure decides.
            if (_verdict is not null || streak != _streak || _failures < MinFailures) return;
            cause = _lastCause;
        }
        if (cause is not null) Open(cause);
    }

    /// <summary>Opens the circuit (idempotent): a request ran out of retries on <paramref name="cause"/>, or the streak lasted long enough.</summary>
    public void Open(Exception cause)
    {
        lock (_gate)
        {
            if (_verdict is not null) return;
            if (_failures == 0) _streakStart = Stopwatch.GetTimestamp();
            _verdict = (Describe(cause), Math.Max(1, _failures), Stopwatch.GetElapsedTime(_streakStart), cause);
            _timer?.Dispose();
            _timer = null;
        }
        // Outside the lock: cancellation runs the callbacks of every waiting request synchronously.
        try { _opened.Cancel(); }
        catch (ObjectDisposedException) { /* the timer fired while the owner was being disposed: no request is left to stop */ }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _timer?.Dispose();
            _timer = null;
        }
        _opened.Dispose();
    }

    /// <summary>Why a connection failed, in words a user can act on, followed by the (redacted) original text.</summary>
    internal static string Describe(Exception cause)
    {
        if (cause is HttpConnectTimeoutException) return cause.Message;
        var what = cause switch
        {
            HttpRequestException { HttpRequestError: HttpRequestError.NameResolutionError } => "its name does not resolve (DNS)",
            HttpRequestException { InnerException: SocketException { SocketErrorCode: SocketError.HostNotFound or SocketError.TryAgain or SocketError.NoData } }
                => "its name does not resolve (DNS)",
            HttpRequestException { InnerException: SocketException { SocketErrorCode: SocketError.ConnectionRefused } } => "the connection was refused",
            _ => "no connection could be made",
        };
        return $"{what}: {UrlRedaction.Redact(cause.Message)}";
    }
}

/// <summary>One <see cref="HostCircuit"/> per scheme, host and port, for the lifetime of one downloader or fetcher.</summary>
public sealed class HostCircuits : IDisposable
{
    private readonly ConcurrentDictionary<string, HostCircuit> _circuits = new(StringComparer.OrdinalIgnoreCase);
    private readonly TimeSpan _window;

    public HostCircuits(TimeSpan unreachableAfter) => _window = unreachableAfter;

    public HostCircuit For(Uri uri)
    {
        // Built from the parts, never from the original string: user info must not reach a key or a message.
        var host = uri.IsDefaultPort ? $"{uri.Scheme}://{uri.Host}" : $"{uri.Scheme}://{uri.Host}:{uri.Port.ToString(CultureInfo.InvariantCulture)}";
        return _circuits.GetOrAdd(host, h => new HostCircuit(h, _window));
    }

    public void Dispose()
    {
        foreach (var circuit in _circuits.Values) circuit.Dispose();
    }
}

/// <summary>
/// Sits in front of the transport: refuses requests to hosts whose circuit is open, tells the circuit about
/// responses (reachable) and connection failures (unreachable), and turns SocketsHttpHandler's connect timeout
/// (an OperationCanceledException nobody asked for) into a transient <see cref="HttpConnectTimeoutException"/>.
/// </summary>
internal sealed class HostCircuitHandler : DelegatingHandler
{
    private readonly HostCircuits _circuits;
    private readonly bool _disposeInner;

    public HostCircuitHandler(HostCircuits circuits, HttpMessageHandler inner, bool disposeInner) : base(inner)
    {
        _circuits = circuits;
        _disposeInner = disposeInner;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var circuit = _circuits.For(request.RequestUri!);
        circuit.ThrowIfOpen();
        var started = Stopwatch.GetTimestamp();
        try
        {
            var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            circuit.ReportReachable();
            return response;
        }
        catch (OperationCanceledException e) when (e.InnerException is TimeoutException && !cancellationToken.IsCancellationRequested)
        {
            var timeout = new HttpConnectTimeoutException(circuit.Host, (InnerHandler as SocketsHttpHandler)?.ConnectTimeout, e);
            circuit.ReportUnreachable(timeout, started);
            throw timeout;
        }
        catch (Exception e) when (HttpResilience.IsUnreachable(e) && !cancellationToken.IsCancellationRequested)
        {
            circuit.ReportUnreachable(e, started);
            throw;
        }
    }

    protected override void Dispose(bool disposing)
    {
        // A handler passed in by the caller (tests, a shared handler) stays the caller's to dispose.
        if (_disposeInner) base.Dispose(disposing);
    }
}
