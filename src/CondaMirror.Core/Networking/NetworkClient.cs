using CondaMirror.Core.Errors;
using System.Net.Http.Headers;
using CondaMirror.Core.Networking.Oci;
using Polly;

namespace CondaMirror.Core.Networking;

/// <summary>How a <see cref="NetworkClient"/> talks to servers: retries, time limits, connections and credentials.</summary>
public sealed class NetworkOptions
{
    public HttpRetrySettings Retry { get; init; } = new();

    /// <summary>An attempt fails when no data arrives for this long (see <see cref="StallTimeout"/>).</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(100);

    /// <summary>Limit for one whole attempt, request and body; zero or less for none.</summary>
    public TimeSpan AttemptDeadline { get; init; } = StallTimeout.DefaultDeadline;

    /// <summary>Parallel requests to one host need this many connections.</summary>
    public int MaxConnectionsPerServer { get; init; } = 8;

    /// <summary>
    /// Network time of the whole step, every request and retry included (CondaNetworkDeadlineSeconds); pass one
    /// instance to every client of a step. The default is a budget of its own for this client.
    /// </summary>
    public NetworkBudget Budget { get; init; } = new(NetworkBudget.DefaultLimit);

    public CredentialSet Credentials { get; init; } = CredentialSet.None;

    /// <summary>Mirrors to fetch channels' files from instead of the channels themselves.</summary>
    public MirrorMap Mirrors { get; init; } = MirrorMap.None;

    /// <summary>How oci:// channels are reached (plain-http hosts); null reads <see cref="Oci.OciSettings.ForReading"/> from the environment.</summary>
    public OciSettings? OciSettings { get; init; }

    /// <summary>Told when a mirror failed and the next is tried: (failed URL, next URL, failure), URLs redacted.</summary>
    public Action<string, string, Exception>? OnMirrorFailed { get; init; }
}

/// <summary>
/// One GET as a fetcher asks for it. <see cref="Attempts"/> is filled in as the client works, so a caller's error
/// message can say how many attempts were made whatever ended them.
/// </summary>
public sealed class HttpGet
{
    public HttpGet(AuthenticatedTarget target, string subject)
    {
        Target = target;
        Subject = subject;
    }

    public AuthenticatedTarget Target { get; }

    /// <summary>What is fetched, for retry notices.</summary>
    public string Subject { get; }

    /// <summary>The URL with every secret redacted, for messages.</summary>
    public string DisplayUrl => Target.DisplayUrl;

    /// <summary>Sent as If-None-Match.</summary>
    public EntityTagHeaderValue? IfNoneMatch { get; init; }

    /// <summary>Sent as If-Modified-Since.</summary>
    public DateTimeOffset? IfModifiedSince { get; init; }

    /// <summary>
    /// True: accept the content codings <see cref="ContentDecoding"/> undoes (the reader decodes, so it can bound both
    /// sides). False: ask for the bytes as they are (package archives must match the lock's hashes).
    /// </summary>
    public bool AcceptCompressed { get; init; }

    /// <summary>Attempts started so far (1 for the first).</summary>
    public int Attempts { get; private set; }

    internal void Attempted(int attempt) => Attempts = attempt;
}

/// <summary>One attempt's view for the body reader: its number, its time limits and the token they drive.</summary>
public sealed record HttpAttempt(int Number, StallTimeout Stall, string DisplayUrl)
{
    /// <summary>Cancelled on a stall, at the deadline, when the host's circuit opens or when the caller cancels.</summary>
    public CancellationToken Token => Stall.Token;
}

/// <summary>
/// The one way Core talks HTTP: one HttpClient whose handler reports to the per-host <see cref="HostCircuits"/>,
/// authentication from a <see cref="CredentialSet"/>, the retry pipeline of <see cref="HttpResilience"/>, and per
/// attempt a stall timer and a deadline. <see cref="GetAsync"/> is what fetchers (repodata, packages, and any later
/// one) call: it sends the GET, retries transient statuses and failures (the body included, so a reset mid-body is
/// retried too) and hands each successful response to the caller's reader, which bounds and stores the body.
/// An unreachable host ends every request to it at once instead of each spending its own retry budget.
/// </summary>
public sealed class NetworkClient : IDisposable
{
    private readonly ResiliencePipeline _pipeline;

    /// <param name="handler">The transport; null for <see cref="CondaHttpClientFactory.CreateHandler"/> with the options' limits.</param>
    public NetworkClient(NetworkOptions options, HttpMessageHandler? handler = null)
        : this(options,
            handler ?? CondaHttpClientFactory.CreateHandler(options.MaxConnectionsPerServer, automaticDecompression: false,
                CondaHttpClientFactory.ConnectTimeoutFor(options.AttemptTimeout)),
            disposeHandler: handler is null)
    {
    }

    /// <param name="handler">The transport (usually <see cref="CondaHttpClientFactory.CreateHandler"/>).</param>
    /// <param name="disposeHandler">Whether disposing this client disposes <paramref name="handler"/>.</param>
    public NetworkClient(HttpRetrySettings settings, HttpMessageHandler handler, bool disposeHandler)
        : this(new NetworkOptions { Retry = settings }, handler, disposeHandler)
    {
    }

    private NetworkClient(NetworkOptions options, HttpMessageHandler handler, bool disposeHandler)
    {
        Options = options;
        Circuits = new HostCircuits(options.Retry.UnreachableAfter);
        _pipeline = HttpResilience.CreateRetryPipeline(options.Retry);
        Client = CondaHttpClientFactory.CreateClient(new HostCircuitHandler(Circuits, handler, disposeHandler), disposeHandler: true);
    }

    public HttpClient Client { get; }

    /// <summary>The OCI registry API over <see cref="Client"/>: what an oci:// URL is turned into before it is fetched.</summary>
    public OciRegistryClient OciRegistry => _oci ??= new OciRegistryClient(Client, Options.OciSettings ?? OciSettings.ForReading());
    private OciRegistryClient? _oci;
    public HostCircuits Circuits { get; }
    public NetworkOptions Options { get; }
    public HttpRetrySettings Settings => Options.Retry;

    /// <summary>Where to send a request for <paramref name="url"/> and with which Authorization header; throws <see cref="UriFormatException"/> for a URL that cannot be rebuilt.
    /// With a mirror map covering <paramref name="url"/>, the first mirror, and the others as <see cref="AuthenticatedTarget.Alternates"/>.</summary>
    public AuthenticatedTarget Authenticate(Uri url)
    {
        var mirrors = Options.Mirrors.MirrorsFor(url);
        if (mirrors.Count == 0) return Options.Credentials.Authenticate(url);
        var targets = mirrors.Select(Options.Credentials.Authenticate).ToList();
        return targets[0] with { Alternates = targets.Skip(1).ToList() };
    }

    /// <summary>
    /// Sends <paramref name="get"/> with retries and gives every response that is not a retryable status (408, 429,
    /// 5xx, which are retried; a Retry-After beyond the maximum fails at once) to <paramref name="read"/>, headers
    /// read and body not yet, so the reader checks the status and bounds the body. The reader must clean up what it
    /// wrote when it throws: a stall or deadline surfaces there as cancellation of <see cref="HttpAttempt.Token"/>,
    /// and leaves here as <see cref="HttpStallTimeoutException"/> or <see cref="HttpDeadlineExceededException"/>.
    /// Failures are classified by <see cref="HttpResilience.Classify"/>.
    /// </summary>
    public async Task<T> GetAsync<T>(HttpGet get, Func<HttpResponseMessage, HttpAttempt, Task<T>> read, CancellationToken cancellationToken)
    {
        // Mirrors in order: the next one only when this one cannot be reached or keeps failing after its retries.
        // A response (even 404) is the mirror's answer and is not second-guessed.
        var targets = get.Target.Alternates.Count == 0 ? [get.Target] : new[] { get.Target }.Concat(get.Target.Alternates).ToList();
        for (var i = 0; ; i++)
        {
            try
            {
                return await GetFromAsync(get, targets[i], read, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (i + 1 < targets.Count && !cancellationToken.IsCancellationRequested && IsMirrorFailure(e))
            {
                Options.OnMirrorFailed?.Invoke(targets[i].DisplayUrl, targets[i + 1].DisplayUrl, e);
            }
        }
    }

    private static bool IsMirrorFailure(Exception e) =>
        e is HostUnreachableException or HttpStallTimeoutException or HttpDeadlineExceededException || HttpResilience.IsTransient(e);

    private Task<T> GetFromAsync<T>(HttpGet get, AuthenticatedTarget target, Func<HttpResponseMessage, HttpAttempt, Task<T>> read, CancellationToken cancellationToken) =>
        ExecuteAsync(target.RequestUri, get.Subject, async (attempt, token) =>
        {
            get.Attempted(attempt);
            using var stall = new StallTimeout(Options.AttemptTimeout, token, Options.AttemptDeadline);
            try
            {
                var uri = target.RequestUri;
                var authorization = target.Authorization;
                HttpResponseMessage? response = null;
                if (uri.Scheme == "oci")
                {
                    // As rattler reads oci:// channels: the file's manifest, its layer, that blob. A file the registry has
                    // not got (or the layout has no place for) is a 404 like any other server's.
                    var reference = OciReference.Parse(uri);
                    var location = reference is null
                        ? new OciBlobLocation(null, null, System.Net.HttpStatusCode.NotFound)
                        : await OciRegistry.LocateAsync(reference, authorization, stall.Token).ConfigureAwait(false);
                    if (location.BlobUrl is null)
                    {
                        using var answer = new HttpResponseMessage(location.Status) { Content = new ByteArrayContent([]) };
                        HttpResilience.ThrowIfTransient(answer, target.DisplayUrl, Settings);
                        stall.Progress();
                        return await read(answer, new HttpAttempt(attempt, stall, target.DisplayUrl)).ConfigureAwait(false);
                    }
                    uri = location.BlobUrl;
                    authorization = location.Authorization;
                }
                for (var hop = 0; ; hop++)
                {
                    using var message = new HttpRequestMessage(HttpMethod.Get, uri);
                    message.Headers.Authorization = authorization;
                    if (get.IfNoneMatch is { } etag) message.Headers.IfNoneMatch.Add(etag);
                    if (get.IfModifiedSince is { } since) message.Headers.IfModifiedSince = since;
                    if (get.AcceptCompressed) ContentDecoding.Accept(message.Headers);
                    else message.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("identity"));
                    response = await Client.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, stall.Token).ConfigureAwait(false);
                    var next = RedirectTarget(response, uri, hop, target.DisplayUrl);
                    if (next is null) break;
                    response.Dispose();
                    // As HttpClient's own redirect handling: credentials go to the URL they were given for, not further.
                    uri = next;
                    authorization = null;
                }
                using var _ = response;
                HttpResilience.ThrowIfTransient(response, target.DisplayUrl, Settings);
                stall.Progress();
                return await read(response, new HttpAttempt(attempt, stall, target.DisplayUrl)).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stall.TimedOut(token))
            {
                throw stall.Failure(target.DisplayUrl);
            }
        }, cancellationToken);

    private const int MaxRedirects = 10;

    /// <summary>
    /// Where a redirect leads, or null when the response is not one to follow. Followed only between http(s) URLs,
    /// never from https to http, at most <see cref="MaxRedirects"/> in a row; anything else is CMIR671 and nothing is
    /// read from where it points (a server must not make the build read local files).
    /// </summary>
    private static Uri? RedirectTarget(HttpResponseMessage response, Uri from, int hop, string displayUrl)
    {
        var status = (int)response.StatusCode;
        if (status is not (301 or 302 or 303 or 307 or 308)) return null;
        var location = response.Headers.Location;
        var next = location is null ? null : location.IsAbsoluteUri ? location : new Uri(from, location);
        string? refusal = next is null ? "no location"
            : !RemoteLocation.IsHttp(next) ? $"a {next.Scheme}: location"
            : from.Scheme == Uri.UriSchemeHttps && next.Scheme == Uri.UriSchemeHttp ? "a plain http location (from https)"
            : hop >= MaxRedirects ? $"another location after {MaxRedirects} redirects" : null;
        if (refusal is null) return next;
        response.Dispose();
        throw new CondaMirrorException(ErrorCodes.RedirectNotFollowed,
            $"{displayUrl} answered {status} with a redirect to {refusal}; the build follows redirects only between http(s) URLs, never from https to http, " +
            $"at most {MaxRedirects}, so nothing was read from there. Fix the server, or point the channel at the final location.", displayUrl);
    }

    /// <summary>
    /// Runs <paramref name="attempt"/> (given the 1-based attempt number and the token to honour) with retries.
    /// Throws what the last attempt threw, except that connection failures that outlast the retries, and every
    /// request to a host whose circuit opened meanwhile, end in <see cref="HostUnreachableException"/>.
    /// </summary>
    public async Task<T> ExecuteAsync<T>(Uri requestUri, string subject, Func<int, CancellationToken, Task<T>> attempt, CancellationToken cancellationToken)
    {
        var circuit = Circuits.For(requestUri);
        circuit.ThrowIfOpen();
        var host = requestUri.IsAbsoluteUri ? requestUri.Authority : "the server";
        using var lease = Options.Budget.Enter(host);
        // The circuit's token also ends backoff delays and attempts in flight when another request opens it; the
        // budget's ends them when the step's network time is spent, and no retry follows.
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, circuit.Opened, lease.Token);
        var context = ResilienceContextPool.Shared.Get(linked.Token);
        context.Properties.Set(HttpResilience.SubjectKey, subject);
        var attempts = 0;
        try
        {
            return await _pipeline.ExecuteAsync(
                async ctx =>
                {
                    circuit.ThrowIfOpen();
                    return await attempt(++attempts, ctx.CancellationToken).ConfigureAwait(false);
                },
                context).ConfigureAwait(false);
        }
        catch (Exception e) when (lease.Expired && !cancellationToken.IsCancellationRequested &&
                                  (e is OperationCanceledException || HttpResilience.Classify(e) != HttpFailureKind.None))
        {
            throw Options.Budget.Exceeded(host);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && (e is OperationCanceledException || HttpResilience.IsTransient(e)))
        {
            if (circuit.CreateFailure() is { } open) throw open;
            if (!HttpResilience.IsUnreachable(e)) throw;
            // Out of retries and still no connection: later requests to this host need not try.
            circuit.Open(e);
            throw circuit.CreateFailure()!;
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    public void Dispose()
    {
        Client.Dispose();
        Circuits.Dispose();
    }
}
