using Polly;

namespace CondaMirror.Core.Http;

/// <summary>
/// What every HTTP consumer (package downloads, repodata) shares: one HttpClient whose handler reports to the
/// per-host <see cref="HostCircuits"/>, and the retry pipeline of <see cref="HttpResilience"/>, run so that an
/// unreachable host ends every request to it at once instead of each spending its own retry budget.
/// </summary>
public sealed class ResilientHttpClient : IDisposable
{
    private readonly ResiliencePipeline _pipeline;

    /// <param name="handler">The transport (usually <see cref="CondaHttpClientFactory.CreateHandler"/>).</param>
    /// <param name="disposeHandler">Whether disposing this client disposes <paramref name="handler"/>.</param>
    public ResilientHttpClient(HttpRetrySettings settings, HttpMessageHandler handler, bool disposeHandler)
    {
        Settings = settings;
        Circuits = new HostCircuits(settings.UnreachableAfter);
        _pipeline = HttpResilience.CreateRetryPipeline(settings);
        Client = CondaHttpClientFactory.CreateClient(new HostCircuitHandler(Circuits, handler, disposeHandler), disposeHandler: true);
    }

    public HttpClient Client { get; }
    public HostCircuits Circuits { get; }
    public HttpRetrySettings Settings { get; }

    /// <summary>
    /// Runs <paramref name="attempt"/> (given the 1-based attempt number and the token to honour) with retries.
    /// Throws what the last attempt threw, except that connection failures that outlast the retries, and every
    /// request to a host whose circuit opened meanwhile, end in <see cref="HostUnreachableException"/>.
    /// </summary>
    public async Task<T> ExecuteAsync<T>(Uri requestUri, string subject, Func<int, CancellationToken, Task<T>> attempt, CancellationToken cancellationToken)
    {
        var circuit = Circuits.For(requestUri);
        circuit.ThrowIfOpen();
        // The circuit's token also ends backoff delays and attempts in flight when another request opens it.
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, circuit.Opened);
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
