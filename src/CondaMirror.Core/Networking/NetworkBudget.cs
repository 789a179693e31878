using System.Diagnostics;
using System.Globalization;
using CondaMirror.Core.Errors;

namespace CondaMirror.Core.Networking;

/// <summary>
/// The network time one build step may spend (CondaNetworkDeadlineSeconds), across every request, attempt, backoff
/// and body it reads. The per-attempt deadline alone lets a server that drips a byte now and then hold a build for
/// attempts x deadline; this bounds the whole. The clock runs while at least one request is in flight, so solving or
/// indexing between requests is not charged and parallel downloads are charged once, not once each. Share one
/// instance between every <see cref="NetworkClient"/> of a step so the step has one budget.
/// </summary>
public sealed class NetworkBudget
{
    /// <summary>Default network time of one step (CondaNetworkDeadlineSeconds).</summary>
    public static TimeSpan DefaultLimit { get; } = TimeSpan.FromMinutes(10);

    private readonly object _gate = new();
    private readonly Stopwatch _clock = new();
    private int _inFlight;

    /// <param name="limit">Zero or less for no limit.</param>
    public NetworkBudget(TimeSpan limit)
    {
        Limit = limit > TimeSpan.Zero ? limit : null;
    }

    /// <summary>A budget that never runs out.</summary>
    public static NetworkBudget Unlimited() => new(TimeSpan.Zero);

    /// <summary>Null when there is no limit.</summary>
    public TimeSpan? Limit { get; }

    /// <summary>Time during which at least one request was in flight.</summary>
    public TimeSpan Spent
    {
        get { lock (_gate) return _clock.Elapsed; }
    }

    /// <summary>
    /// Starts charging for one request. The lease's token fires when the budget is spent: the clock runs without a
    /// pause while this request is in flight, so what remains now is exactly the wall time left to it.
    /// Throws CMIR685 at once when nothing remains.
    /// </summary>
    public Lease Enter(string host)
    {
        TimeSpan remaining;
        lock (_gate)
        {
            remaining = Limit is { } limit ? limit - _clock.Elapsed : Timeout.InfiniteTimeSpan;
            if (Limit is not null && remaining <= TimeSpan.Zero) throw Exceeded(host);
            if (_inFlight++ == 0) _clock.Start();
        }
        return new Lease(this, remaining);
    }

    private void Leave()
    {
        lock (_gate)
        {
            if (--_inFlight == 0) _clock.Stop();
        }
    }

    /// <summary>The coded error for a spent budget, naming the host and the time spent.</summary>
    public CondaMirrorException Exceeded(string host)
    {
        var seconds = Spent.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture);
        var limit = (Limit ?? TimeSpan.Zero).TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture);
        return new CondaMirrorException(ErrorCodes.NetworkDeadlineExceeded,
            $"The network time of this build step ran out while talking to {host}: {seconds} s spent on requests, retries and bodies, " +
            $"CondaNetworkDeadlineSeconds is {limit}. The server is too slow or sends data only a little at a time; " +
            "raise CondaNetworkDeadlineSeconds (0 for no limit) for a slow link, or fix the server.", host);
    }

    /// <summary>One request's share of the budget; dispose when the request is over.</summary>
    public sealed class Lease : IDisposable
    {
        private readonly NetworkBudget _budget;
        private readonly CancellationTokenSource _timer;
        private int _disposed;

        internal Lease(NetworkBudget budget, TimeSpan remaining)
        {
            _budget = budget;
            _timer = new CancellationTokenSource();
            if (remaining != Timeout.InfiniteTimeSpan) _timer.CancelAfter(remaining);
        }

        /// <summary>Fires when the budget is spent.</summary>
        public CancellationToken Token => _timer.Token;

        public bool Expired => _timer.IsCancellationRequested;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
            _timer.Dispose();
            _budget.Leave();
        }
    }
}
