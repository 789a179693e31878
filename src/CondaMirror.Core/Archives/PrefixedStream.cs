using CondaMirror.Core.IO;
namespace CondaMirror.Core.Archives;

/// <summary>
/// Replays bytes already read for format sniffing, then continues with the rest of a non-seekable stream,
/// so magic-number checks work on network and pipe streams without buffering the whole archive.
/// </summary>
internal sealed class PrefixedStream : ReadOnlyStream
{
    private readonly byte[] _prefix;
    private readonly Stream _rest;
    private int _prefixPosition;

    public PrefixedStream(byte[] prefix, Stream rest)
    {
        _prefix = prefix;
        _rest = rest;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (_prefixPosition < _prefix.Length)
        {
            var n = Math.Min(buffer.Length, _prefix.Length - _prefixPosition);
            _prefix.AsSpan(_prefixPosition, n).CopyTo(buffer);
            _prefixPosition += n;
            return n;
        }
        return _rest.Read(buffer);
    }

}
