using System.Text.RegularExpressions;

namespace CondaMirror.TestKit;

/// <summary>A misbehaviour the <see cref="LoopbackChannelServer"/> can inject for matching requests.</summary>
public abstract record FaultKind
{
    /// <summary>Answer with <paramref name="code"/> (and a Retry-After header, seconds or HTTP date, when given).</summary>
    public static FaultKind Status(int code, string? retryAfter = null) => new StatusFault(code, retryAfter);

    /// <summary>Answer with redirect <paramref name="code"/> (301, 302, 307, 308) to <paramref name="location"/>.</summary>
    public static FaultKind Redirect(string location, int code = 302) => new StatusFault(code, null, location);

    /// <summary>Wait before answering normally.</summary>
    public static FaultKind Delay(TimeSpan delay) => new DelayFault(delay);

    /// <summary>Send the headers and <paramref name="afterBytes"/> body bytes, then reset the connection (TCP RST).</summary>
    public static FaultKind ResetMidBody(long afterBytes) => new ResetMidBodyFault(afterBytes);

    /// <summary>Send the headers and <paramref name="afterBytes"/> body bytes, then go silent for <paramref name="pause"/>
    /// before sending the rest (a stalled peer, for timeout and cancellation tests).</summary>
    public static FaultKind StallMidBody(long afterBytes, TimeSpan pause) => new StallMidBodyFault(afterBytes, pause);

    /// <summary>Send the headers, then the body <paramref name="bytesPerTick"/> bytes at a time, one tick per
    /// <paramref name="interval"/> (a peer that never stalls but never finishes either).</summary>
    public static FaultKind Drip(TimeSpan interval, int bytesPerTick = 1) => new DripFault(interval, bytesPerTick);

    /// <summary>A slow link: the body in chunks of <paramref name="chunkBytes"/> with <paramref name="pause"/> after each,
    /// so a client can be interrupted at any point of a transfer (a drip with bigger drops).</summary>
    public static FaultKind Throttle(int chunkBytes, TimeSpan pause) => new DripFault(pause, chunkBytes);

    /// <summary>Announce the full Content-Length, send only <paramref name="bytes"/> bytes, then close cleanly.</summary>
    public static FaultKind TruncateBody(long bytes) => new TruncateBodyFault(bytes);

    /// <summary>Serve the file with one byte flipped (at <paramref name="offset"/>, default the middle).</summary>
    public static FaultKind AlterBody(long? offset = null) => new AlterBodyFault(offset);

    /// <summary>401 unless the request carries <c>Authorization: Bearer &lt;token&gt;</c>.</summary>
    public static FaultKind RequireBearer(string token) => new RequireAuthorizationFault("Bearer " + token);

    /// <summary>401 unless the request carries HTTP Basic credentials <paramref name="user"/>:<paramref name="password"/>.</summary>
    public static FaultKind RequireBasic(string user, string password) =>
        new RequireAuthorizationFault("Basic " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(user + ":" + password)));
}

public sealed record StatusFault(int Code, string? RetryAfter, string? Location = null) : FaultKind;
public sealed record DelayFault(TimeSpan Duration) : FaultKind;
public sealed record ResetMidBodyFault(long AfterBytes) : FaultKind;
public sealed record StallMidBodyFault(long AfterBytes, TimeSpan Pause) : FaultKind;
public sealed record DripFault(TimeSpan Interval, int BytesPerTick) : FaultKind;
public sealed record TruncateBodyFault(long Bytes) : FaultKind;
public sealed record AlterBodyFault(long? Offset) : FaultKind;
public sealed record RequireAuthorizationFault(string ExpectedAuthorization) : FaultKind;

/// <summary>
/// Faults to inject, each for the first <c>count</c> requests whose path matches (exactly, or as a glob with
/// <c>*</c> = any characters but '/', <c>**</c> = anything). After that the path behaves normally.
/// Authorization requirements are checked first; then at most one other fault applies per request.
/// </summary>
public sealed class FaultPlan
{
    private readonly object _gate = new();
    private readonly List<Rule> _rules = new();

    public void Add(string pathGlobOrExact, FaultKind fault, int count = 1)
    {
        lock (_gate) _rules.Add(new Rule(pathGlobOrExact, Compile(pathGlobOrExact), fault, count));
    }

    public void Clear()
    {
        lock (_gate) _rules.Clear();
    }

    /// <summary>Consumes and returns the faults that apply to one request, in the order they must be applied.</summary>
    internal List<FaultKind> Take(string path)
    {
        var taken = new List<FaultKind>();
        lock (_gate)
        {
            foreach (var rule in _rules.Where(r => r.Fault is RequireAuthorizationFault))
                if (rule.TryConsume(path)) taken.Add(rule.Fault);
            foreach (var rule in _rules.Where(r => r.Fault is not RequireAuthorizationFault))
                if (rule.TryConsume(path)) { taken.Add(rule.Fault); break; }
        }
        return taken;
    }

    private static Regex Compile(string pattern)
    {
        var regex = Regex.Escape(pattern.StartsWith('/') ? pattern : "/" + pattern)
            .Replace(@"\*\*", ".*", StringComparison.Ordinal)
            .Replace(@"\*", "[^/]*", StringComparison.Ordinal)
            .Replace(@"\?", "[^/]", StringComparison.Ordinal);
        return new Regex("^" + regex + "$", RegexOptions.CultureInvariant);
    }

    private sealed class Rule(string pattern, Regex regex, FaultKind fault, int count)
    {
        private int _remaining = count;
        public string Pattern { get; } = pattern;
        public FaultKind Fault { get; } = fault;

        public bool TryConsume(string path)
        {
            if (_remaining <= 0 || !regex.IsMatch(path)) return false;
            if (_remaining != int.MaxValue) _remaining--;
            return true;
        }
    }
}
