namespace CondaMirror.Core.Zstd;

/// <summary>
/// Buffered view of the compressed input that hands out contiguous spans (a whole block at most) and knows the
/// absolute offset of every byte, so errors can name where they happened.
/// </summary>
internal sealed class ZstdInput
{
    private readonly Stream? _stream;
    private byte[] _buffer;
    private int _start;
    private int _end;
    private long _bufferOffset;
    private bool _eof;

    public ZstdInput(Stream stream)
    {
        _stream = stream;
        _buffer = new byte[ZstdConstants.MaxBlockSize + 64 * 1024];
    }

    public ZstdInput(byte[] data)
    {
        _buffer = data;
        _end = data.Length;
        _eof = true;
    }

    public byte[] Buffer => _buffer;
    public int Position => _start;
    public int Available => _end - _start;

    /// <summary>Absolute offset of the next unread byte.</summary>
    public long Offset => _bufferOffset + _start;

    /// <summary>Makes at least <paramref name="count"/> bytes available; false if the input ends first.</summary>
    public bool Ensure(int count)
    {
        if (_end - _start >= count) return true;
        if (_eof || _stream is null) return false;
        if (_buffer.Length - _start < count)
        {
            int live = _end - _start;
            var target = _buffer.Length >= count ? _buffer : new byte[Math.Max(count, _buffer.Length * 2)];
            System.Buffer.BlockCopy(_buffer, _start, target, 0, live);
            _buffer = target;
            _bufferOffset += _start;
            _start = 0;
            _end = live;
        }
        while (_end - _start < count)
        {
            int read = _stream.Read(_buffer, _end, _buffer.Length - _end);
            if (read <= 0)
            {
                _eof = true;
                return false;
            }
            _end += read;
        }
        return true;
    }

    public void Require(int count, string what)
    {
        if (!Ensure(count))
            throw new ZstdFormatException(Errors.ErrorCodes.ZstdTruncated,
                $"the input ends inside the {what} ({count} bytes needed, {Available} left)", _bufferOffset + _end);
    }

    public ReadOnlySpan<byte> Span(int count) => _buffer.AsSpan(_start, count);

    public void Skip(int count) => _start += count;

    /// <summary>Skips <paramref name="count"/> bytes that may not fit in the buffer (skippable frames).</summary>
    public bool SkipLong(long count)
    {
        while (count > 0)
        {
            if (Available == 0 && !Ensure(1)) return false;
            int step = (int)Math.Min(count, Available);
            _start += step;
            count -= step;
        }
        return true;
    }

    /// <summary>True when no byte is left at all.</summary>
    public bool AtEnd() => !Ensure(1);
}
