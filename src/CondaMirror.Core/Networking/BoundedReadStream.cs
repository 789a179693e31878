namespace CondaMirror.Core.Networking;

/// <summary>
/// Passes reads through and fails once more than <see cref="Limit"/> bytes have come out, so a body of any size
/// (or a decompression bomb behind it) is refused after at most one buffer past the limit instead of filling
/// memory or disk. The exception comes from the caller, so it carries the caller's error code and URL.
/// </summary>
public sealed class BoundedReadStream : Stream
{
    private readonly Stream _inner;
    private readonly Func<long, Exception> _tooLarge;
    private readonly bool _leaveOpen;

    /// <param name="tooLarge">Builds the exception to throw, given the number of bytes seen when the limit was passed.</param>
    public BoundedReadStream(Stream inner, long limit, Func<long, Exception> tooLarge, bool leaveOpen = false)
    {
        _inner = inner;
        Limit = limit;
        _tooLarge = tooLarge;
        _leaveOpen = leaveOpen;
    }

    public long Limit { get; }

    /// <summary>Bytes read so far.</summary>
    public long Count { get; private set; }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => Count; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer) => Counted(_inner.Read(buffer));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Counted(await _inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));

    private int Counted(int read)
    {
        Count += read;
        if (Count > Limit) throw _tooLarge(Count);
        return read;
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_leaveOpen) _inner.Dispose();
        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        if (!_leaveOpen) await _inner.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }
}
