using CondaMirror.Core.IO;
using ICSharpCode.SharpZipLib.BZip2;

namespace CondaMirror.Core.Archives;

/// <summary>
/// Decompresses concatenated bzip2 streams (what pbzip2/lbzip2 produce), which Python's bz2 module and
/// therefore conda read as one, while SharpZipLib stops after the first. Data after the last stream that does
/// not start a new bzip2 stream is ignored, as Python does.
/// </summary>
internal sealed class MultiStreamBzip2Stream : ReadOnlyStream
{
    private readonly Stream _compressed;
    private BZip2InputStream? _current;

    public MultiStreamBzip2Stream(Stream compressed)
    {
        _compressed = compressed;
        _current = Guard(() => new BZip2InputStream(compressed) { IsStreamOwner = false });
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        while (_current is not null)
        {
            var decoder = _current;
            var n = Guard(() => decoder.Read(buffer, offset, count));
            if (n > 0 || count == 0) return n;
            _current.Dispose();
            _current = null;
            // SharpZipLib consumes the compressed input byte by byte, so the next stream starts right here.
            var magic = new byte[4];
            var read = 0;
            while (read < magic.Length && _compressed.Read(magic, read, magic.Length - read) is var r and > 0) read += r;
            if (read == 4 && magic[0] == 'B' && magic[1] == 'Z' && magic[2] == 'h' && magic[3] is >= (byte)'1' and <= (byte)'9')
                _current = Guard(() => new BZip2InputStream(new PrefixedStream(magic, _compressed)) { IsStreamOwner = false });
        }
        return 0;
    }

    /// <summary>
    /// SharpZipLib can fail on damaged input with array-index or arithmetic exceptions; those are data errors
    /// for us, so they become <see cref="InvalidDataException"/> instead of escaping as crashes.
    /// </summary>
    private static T Guard<T>(Func<T> decode)
    {
        try
        {
            return decode();
        }
        catch (Exception e) when (e is IndexOutOfRangeException or ArgumentException or OverflowException or NullReferenceException or InvalidOperationException)
        {
            throw new InvalidDataException($"the bzip2 decoder failed on damaged data ({e.Message})", e);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _current?.Dispose();
        base.Dispose(disposing);
    }

}
