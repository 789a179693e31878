namespace CondaMirror.Core.Networking;

/// <summary>
/// A response body bounded on both sides of its Content-Encoding: at most a limit of bytes over the wire, and at most
/// the same limit after decoding, so neither a huge body nor a gzip/brotli bomb gets further than one buffer past it.
/// Read <see cref="Content"/> with the attempt's token; the exceptions come from the caller, with its own codes.
/// </summary>
public sealed class BoundedBody : IAsyncDisposable
{
    private readonly BoundedReadStream _wire;
    private readonly Stream _content;

    private BoundedBody(BoundedReadStream wire, Stream content, IReadOnlyList<string> encodings)
    {
        _wire = wire;
        _content = content;
        Encodings = encodings;
    }

    /// <summary>The decoded body, bounded.</summary>
    public Stream Content => _content;

    /// <summary>Bytes that came over the wire so far.</summary>
    public long WireBytes => _wire.Count;

    /// <summary>The Content-Encoding the server applied, in the order it listed them (empty for none).</summary>
    public IReadOnlyList<string> Encodings { get; }

    /// <summary>
    /// Opens <paramref name="response"/>'s body. A declared Content-Length above <paramref name="maxBytes"/> fails before
    /// a byte is read.
    /// </summary>
    /// <param name="tooLarge">The caller's error for a body past the limit, given the bytes seen and whether they were the decoded ones.</param>
    /// <param name="unsupportedEncoding">The caller's error for a Content-Encoding <see cref="ContentDecoding"/> cannot undo.</param>
    public static async Task<BoundedBody> OpenAsync(HttpResponseMessage response, long maxBytes, Func<long, bool, Exception> tooLarge,
        Func<IReadOnlyList<string>, Exception> unsupportedEncoding, CancellationToken cancellationToken)
    {
        if (response.Content.Headers.ContentLength is { } declared && declared > maxBytes) throw tooLarge(declared, false);
        var encodings = response.Content.Headers.ContentEncoding.ToList();
        var wire = new BoundedReadStream(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false),
            maxBytes, n => tooLarge(n, false));
        var decoded = ContentDecoding.Decode(wire, encodings);
        if (decoded is null)
        {
            await wire.DisposeAsync().ConfigureAwait(false);
            throw unsupportedEncoding(encodings);
        }
        // Without an encoding the decoded bytes are the wire bytes; the second bound then reports them as such.
        var content = new BoundedReadStream(decoded, maxBytes, n => tooLarge(n, encodings.Count > 0));
        return new BoundedBody(wire, content, encodings);
    }

    public async ValueTask DisposeAsync()
    {
        await _content.DisposeAsync().ConfigureAwait(false);
        await _wire.DisposeAsync().ConfigureAwait(false);
    }
}
