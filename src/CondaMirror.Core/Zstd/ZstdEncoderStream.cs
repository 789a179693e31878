using System.Runtime.InteropServices;
using ZstdSharp.Unsafe;

namespace CondaMirror.Core.Zstd;

/// <summary>
/// Write-only stream producing one zstd frame through ZstdSharp's <c>ZSTD_compressStream2</c> at the level of
/// <see cref="ZstdEncoderOptions"/>, single-threaded. A declared <see cref="ZstdEncoderOptions.ContentSize"/> goes
/// into the frame header and is enforced: writing more throws at once, writing less throws on Dispose, before the
/// frame is finished. Dispose writes the last block and, when asked, the checksum.
/// </summary>
internal sealed unsafe class ZstdEncoderStream : Stream
{
    private const int OutputSize = 1 << 17;

    private readonly Stream _destination;
    private readonly bool _leaveOpen;
    private readonly ZstdEncoderOptions _options;
    private readonly EncoderContext _context;
    private readonly byte[] _output;
    private long _written;
    private bool _disposed;

    public ZstdEncoderStream(Stream destination, ZstdEncoderOptions options, bool leaveOpen)
    {
        if (!destination.CanWrite) throw new ArgumentException("The destination stream must be writable.", nameof(destination));
        if (options.ContentSize is < 0) throw new ArgumentOutOfRangeException(nameof(options), "ContentSize must not be negative.");
        ZstdCodec.CheckLevel(options.Level);
        _destination = destination;
        _options = options;
        _leaveOpen = leaveOpen;
        _context = new EncoderContext();
        Configure(_context, options);
        // Small declared inputs get a small output buffer; the frame is written out in pieces of at most 128 KiB.
        _output = new byte[options.ContentSize is long known ? (int)Math.Clamp(known + 64, 64, OutputSize) : OutputSize];
    }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => !_disposed;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _written; set => throw new NotSupportedException(); }
    public override void Flush() => _destination.Flush();
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> data)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_options.ContentSize is long declared && _written + data.Length > declared)
            throw new InvalidOperationException($"More data written than the declared zstd content size of {declared} bytes.");
        _written += data.Length;
        Compress(data, ZSTD_EndDirective.ZSTD_e_continue);
    }

    /// <summary>
    /// One frame of <paramref name="data"/> in a single call (<c>ZSTD_compress2</c>): the library sees the whole input
    /// at once instead of through its stream buffer, which makes the frame slightly smaller.
    /// </summary>
    public static byte[] CompressAll(ReadOnlySpan<byte> data, ZstdEncoderOptions options)
    {
        if (options.ContentSize is long declared && declared != data.Length)
            throw new InvalidOperationException($"The zstd frame declares {declared} bytes of content but {data.Length} were given.");
        using var context = new EncoderContext();
        Configure(context, options);
        var output = new byte[Methods.ZSTD_compressBound((nuint)data.Length)];
        nuint written;
        fixed (byte* src = data)
        fixed (byte* dst = output)
            written = Methods.ZSTD_compress2(context.Pointer, dst, (nuint)output.Length, src, (nuint)data.Length);
        Check(written);
        return output.AsSpan(0, (int)written).ToArray();
    }

    private static void Configure(EncoderContext context, ZstdEncoderOptions options)
    {
        Check(Methods.ZSTD_CCtx_setParameter(context.Pointer, ZSTD_cParameter.ZSTD_c_compressionLevel, ZstdCodec.CheckLevel(options.Level)));
        Check(Methods.ZSTD_CCtx_setParameter(context.Pointer, ZSTD_cParameter.ZSTD_c_checksumFlag, options.Checksum ? 1 : 0));
        if (options.MinMatch is int minMatch)
        {
            if (minMatch is < 3 or > 7) throw new ArgumentOutOfRangeException(nameof(options), minMatch, "MinMatch must be 3 to 7 bytes.");
            Check(Methods.ZSTD_CCtx_setParameter(context.Pointer, ZSTD_cParameter.ZSTD_c_minMatch, minMatch));
        }
        if (options.ContentSize is long size) Check(Methods.ZSTD_CCtx_setPledgedSrcSize(context.Pointer, (ulong)size));
    }

    /// <summary>Feeds <paramref name="data"/> to the encoder and writes out what it produces; with ZSTD_e_end, until the frame is complete.</summary>
    private void Compress(ReadOnlySpan<byte> data, ZSTD_EndDirective directive)
    {
        fixed (byte* src = data)
        fixed (byte* dst = _output)
        {
            var input = new ZSTD_inBuffer_s { src = src, size = (nuint)data.Length, pos = 0 };
            while (true)
            {
                var output = new ZSTD_outBuffer_s { dst = dst, size = (nuint)_output.Length, pos = 0 };
                nuint remaining = Methods.ZSTD_compressStream2(_context.Pointer, &output, &input, directive);
                Check(remaining);
                if (output.pos > 0) _destination.Write(_output, 0, (int)output.pos);
                bool done = directive == ZSTD_EndDirective.ZSTD_e_end ? remaining == 0 : input.pos == input.size;
                if (done) return;
            }
        }
    }

    private static void Check(nuint result)
    {
        if (Methods.ZSTD_isError(result)) throw new InvalidOperationException($"zstd encoding failed: {Methods.ZSTD_getErrorName(result)}");
    }

    protected override void Dispose(bool disposing)
    {
        if (_disposed) return;
        _disposed = true;
        try
        {
            if (disposing)
            {
                if (_options.ContentSize is long declared && declared != _written)
                    throw new InvalidOperationException($"The zstd frame declares {declared} bytes of content but {_written} were written.");
                Compress(ReadOnlySpan<byte>.Empty, ZSTD_EndDirective.ZSTD_e_end);
                _destination.Flush();
            }
        }
        finally
        {
            _context.Dispose();
            if (disposing && !_leaveOpen) _destination.Dispose();
            base.Dispose(disposing);
        }
    }

    /// <summary>Owns the native encoder state, so it is freed even when the stream is never disposed.</summary>
    private sealed class EncoderContext : SafeHandle
    {
        public EncoderContext() : base(IntPtr.Zero, ownsHandle: true)
        {
            SetHandle((IntPtr)Methods.ZSTD_createCCtx());
            if (IsInvalid) throw new OutOfMemoryException("zstd encoder state could not be allocated");
        }

        public ZSTD_CCtx_s* Pointer => (ZSTD_CCtx_s*)handle;
        public override bool IsInvalid => handle == IntPtr.Zero;
        protected override bool ReleaseHandle()
        {
            Methods.ZSTD_freeCCtx((ZSTD_CCtx_s*)handle);
            return true;
        }
    }
}
