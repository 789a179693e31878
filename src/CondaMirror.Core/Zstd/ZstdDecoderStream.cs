using System.Buffers;
using CondaMirror.Core.IO;
using System.Runtime.InteropServices;
using CondaMirror.Core.Errors;
using ZstdSharp.Unsafe;

namespace CondaMirror.Core.Zstd;

/// <summary>
/// Read-only stream of the decompressed content of all frames of a compressed stream, decoded by ZstdSharp's
/// <c>ZSTD_decompressStream</c>. Each frame header is checked here before the library sees it, so a frame that
/// needs a dictionary or a window above <see cref="ZstdDecoderOptions.MaxWindowSize"/> fails with its own code and
/// the exact offset, before any window is allocated; the library's own window limit is set to the same size.
/// After the first error every further read throws the same exception.
/// </summary>
internal sealed unsafe class ZstdDecoderStream : ReadOnlyStream
{
    /// <summary>A frame header is at most 18 bytes (RFC 8878, 3.1.1.1).</summary>
    private const int MaxFrameHeaderSize = 18;
    private const int StreamInputSize = 1 << 17;
    private const ulong UnknownContentSize = ulong.MaxValue;

    private readonly Stream? _source;
    private readonly bool _leaveOpen;
    private readonly ZstdDecoderOptions _options;
    private readonly DecoderContext _context;
    private readonly bool _inputRented;
    private byte[] _input;
    private int _inPos;
    private int _inEnd;
    private long _inputOffset; // absolute offset of _input[0] in the compressed stream
    private bool _sourceEnded;
    private bool _inFrame; // the library is inside a frame (it returned a non-zero hint)
    private ulong _declaredSize = UnknownContentSize;
    private ZstdFormatException? _failure;
    private bool _disposed;

    public ZstdDecoderStream(Stream source, ZstdDecoderOptions options, bool leaveOpen)
        : this(options, ArrayPool<byte>.Shared.Rent(StreamInputSize), 0)
    {
        // Rented: a new 128 KiB buffer per stream lands on the large object heap, a fixed cost per small frame.
        _inputRented = true;
        if (!source.CanRead)
        {
            Dispose();
            throw new ArgumentException("The compressed stream must be readable.", nameof(source));
        }
        _source = source;
        _leaveOpen = leaveOpen;
    }

    /// <summary>Decodes <paramref name="compressed"/> in place, without copying it into a buffer of its own.</summary>
    public ZstdDecoderStream(byte[] compressed, ZstdDecoderOptions options) : this(options, compressed, compressed.Length) => _sourceEnded = true;

    private ZstdDecoderStream(ZstdDecoderOptions options, byte[] input, int inputLength)
    {
        if (options.MaxWindowSize <= 0) throw new ArgumentOutOfRangeException(nameof(options), "MaxWindowSize must be positive.");
        _options = options;
        _input = input;
        _inEnd = inputLength;
        _context = DecoderContext.Rent();
        // The library accepts 1 KiB to 2 GiB; our own header check below applies the exact limit.
        Check(Methods.ZSTD_DCtx_setMaxWindowSize(_context.Pointer, (nuint)Math.Clamp(options.MaxWindowSize, 1L << 10, 1L << 31)));
        if (!options.VerifyChecksum) Check(Methods.ZSTD_DCtx_setParameter(_context.Pointer, ZSTD_dParameter.ZSTD_d_experimentalParam3, 1)); // ZSTD_d_forceIgnoreChecksum
    }

    /// <summary>The content size declared by the first frame, or -1 when it declares none (or is skippable).</summary>
    /// <exception cref="ZstdFormatException">The first frame header is invalid or asks for more than the limits allow.</exception>
    public long PeekDeclaredContentSize()
    {
        if (!LoadFrameHeader(out var header)) return -1;
        CheckFrame(header); // a frame that will be refused must not size anything first
        if (header.frameType != ZSTD_frameType_e.ZSTD_frame || header.frameContentSize == UnknownContentSize) return -1;
        return header.frameContentSize > long.MaxValue ? -1 : (long)header.frameContentSize;
    }

    public override bool CanRead => !_disposed;

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_failure is not null) throw _failure;
        if (destination.IsEmpty) return 0;
        try
        {
            return ReadCore(destination);
        }
        catch (ZstdFormatException e)
        {
            _failure = e;
            throw;
        }
    }

    private int ReadCore(Span<byte> destination)
    {
        while (true)
        {
            if (!_inFrame)
            {
                if (!LoadFrameHeader(out var header))
                {
                    if (_inputOffset + _inEnd == 0) throw Fail(ErrorCodes.ZstdTruncated, "the input is empty", 0);
                    return 0; // clean end: every frame is complete
                }
                CheckFrame(header);
                _declaredSize = header.frameType == ZSTD_frameType_e.ZSTD_frame ? header.frameContentSize : UnknownContentSize;
            }
            else if (_inPos == _inEnd)
            {
                Refill(); // at the end of the input the library may still hold decoded bytes to hand out
            }

            long offset = _inputOffset + _inPos;
            nuint hint;
            ZSTD_outBuffer_s output;
            fixed (byte* dst = destination)
            fixed (byte* src = _input)
            {
                var input = new ZSTD_inBuffer_s { src = src + _inPos, size = (nuint)(_inEnd - _inPos), pos = 0 };
                output = new ZSTD_outBuffer_s { dst = dst, size = (nuint)destination.Length, pos = 0 };
                hint = Methods.ZSTD_decompressStream(_context.Pointer, &output, &input);
                _inPos += (int)input.pos;
            }
            if (Methods.ZSTD_isError(hint)) throw Translate(Methods.ZSTD_getErrorCode(hint), offset);
            // 0 means a frame ended and all of its content was handed out; the next byte starts a new frame.
            _inFrame = hint != 0;
            if (output.pos > 0) return (int)output.pos;
            if (_inFrame && _sourceEnded && _inPos == _inEnd && _inputOffset + _inPos == offset)
                throw Fail(ErrorCodes.ZstdTruncated, "the input ends in the middle of a frame", _inputOffset + _inEnd);
        }
    }

    /// <summary>
    /// Makes the next frame header contiguous in the input buffer and parses it; false when the input ends cleanly
    /// (no byte left) before it.
    /// </summary>
    private bool LoadFrameHeader(out ZSTD_frameHeader header)
    {
        while (true)
        {
            int available = _inEnd - _inPos;
            if (available == 0 && !Refill())
            {
                header = default;
                return false;
            }
            available = _inEnd - _inPos;
            nuint result;
            fixed (byte* src = _input)
            fixed (ZSTD_frameHeader* h = &header)
                result = Methods.ZSTD_getFrameHeader(h, src + _inPos, (nuint)available);
            if (Methods.ZSTD_isError(result))
            {
                long offset = _inputOffset + _inPos;
                throw Methods.ZSTD_getErrorCode(result) switch
                {
                    ZSTD_ErrorCode.ZSTD_error_prefix_unknown => Fail(ErrorCodes.ZstdBadMagic, offset == 0
                        ? "the input does not start with a zstd frame (wrong magic number)"
                        : "the bytes after the last complete frame are not a zstd frame", offset),
                    // Beyond the format's own limit (2 GiB): the header parser stops before telling the size.
                    ZSTD_ErrorCode.ZSTD_error_frameParameter_windowTooLarge => Fail(ErrorCodes.ZstdWindowTooLarge,
                        $"the frame needs a window of {DescribedWindow(_input.AsSpan(_inPos, available))} bytes, more than the {_options.MaxWindowSize} bytes allowed", offset),
                    _ => Fail(ErrorCodes.ZstdCorrupt, "the frame header is malformed (reserved bit set or unknown frame descriptor)", offset),
                };
            }
            if (result == 0) return true;
            if (!Refill(MaxFrameHeaderSize))
                throw Fail(ErrorCodes.ZstdTruncated, $"the input ends inside a frame header ({available} of up to {MaxFrameHeaderSize} bytes)", _inputOffset + _inEnd);
        }
    }

    /// <summary>The window size in a frame header's window descriptor (RFC 8878, 3.1.1.1.2): 2^(10+exponent) plus eighths.</summary>
    private static string DescribedWindow(ReadOnlySpan<byte> header)
    {
        if (header.Length < 6 || (header[4] & 0x20) != 0) return "more than 2 GiB"; // single segment: the content size
        int exponent = (header[5] >> 3) + 10;
        var windowBase = System.Numerics.BigInteger.One << exponent;
        return (windowBase + windowBase / 8 * (header[5] & 7)).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    private void CheckFrame(in ZSTD_frameHeader header)
    {
        if (header.frameType != ZSTD_frameType_e.ZSTD_frame) return;
        long offset = _inputOffset + _inPos;
        if (header.dictID != 0)
            throw Fail(ErrorCodes.ZstdDictionaryRequired, $"the frame needs dictionary {header.dictID}, and dictionaries are not supported", offset);
        if (header.windowSize > (ulong)_options.MaxWindowSize)
            throw Fail(ErrorCodes.ZstdWindowTooLarge,
                $"the frame needs a window of {header.windowSize} bytes, more than the {_options.MaxWindowSize} bytes allowed", offset);
    }

    /// <summary>
    /// Reads more compressed bytes, keeping the unread ones; with <paramref name="want"/>, until that many are
    /// unread or the input ends. False when nothing more could be read.
    /// </summary>
    private bool Refill(int want = 1)
    {
        if (_sourceEnded || _source is null)
        {
            _sourceEnded = true;
            return false;
        }
        int live = _inEnd - _inPos;
        if (_inPos > 0)
        {
            Buffer.BlockCopy(_input, _inPos, _input, 0, live);
            _inputOffset += _inPos;
            _inPos = 0;
            _inEnd = live;
        }
        bool any = false;
        do
        {
            int read = _source.Read(_input, _inEnd, _input.Length - _inEnd);
            if (read <= 0)
            {
                _sourceEnded = true;
                break;
            }
            _inEnd += read;
            any = true;
        } while (_inEnd - _inPos < want);
        return any;
    }

    private ZstdFormatException Translate(ZSTD_ErrorCode code, long offset) => code switch
    {
        ZSTD_ErrorCode.ZSTD_error_checksum_wrong => Fail(ErrorCodes.ZstdChecksumMismatch, "the content checksum does not match the decoded data", offset),
        ZSTD_ErrorCode.ZSTD_error_frameParameter_windowTooLarge => Fail(ErrorCodes.ZstdWindowTooLarge,
            $"the frame needs a window larger than the {_options.MaxWindowSize} bytes allowed", offset),
        ZSTD_ErrorCode.ZSTD_error_dictionary_wrong => Fail(ErrorCodes.ZstdDictionaryRequired, "the frame needs a dictionary, and dictionaries are not supported", offset),
        ZSTD_ErrorCode.ZSTD_error_prefix_unknown => Fail(ErrorCodes.ZstdBadMagic, "the bytes after the last complete frame are not a zstd frame", offset),
        ZSTD_ErrorCode.ZSTD_error_memory_allocation => throw new OutOfMemoryException("zstd decoding could not allocate its window"),
        _ => Fail(ErrorCodes.ZstdCorrupt, _declaredSize == UnknownContentSize
            ? $"a block of the frame is corrupt ({Describe(code)})"
            : $"a block of the frame is corrupt or the frame does not hold the {_declaredSize} bytes its header declares ({Describe(code)})", offset),
    };

    private static string Describe(ZSTD_ErrorCode code) => code.ToString().Replace("ZSTD_error_", "", StringComparison.Ordinal).Replace('_', ' ');

    private static ZstdFormatException Fail(string code, string problem, long offset) => new(code, problem, offset);

    private static void Check(nuint result)
    {
        if (Methods.ZSTD_isError(result)) throw new InvalidOperationException($"zstd decoder setup failed: {Methods.ZSTD_getErrorName(result)}");
    }

    protected override void Dispose(bool disposing)
    {
        if (!_disposed)
        {
            _disposed = true;
            if (disposing)
            {
                DecoderContext.Return(_context);
                if (_inputRented) ArrayPool<byte>.Shared.Return(_input);
                _input = Array.Empty<byte>();
                if (!_leaveOpen) _source?.Dispose();
            }
            else
            {
                _context.Dispose();
            }
        }
        base.Dispose(disposing);
    }

    /// <summary>
    /// Owns the native decoder state, so it is freed even when the stream is never disposed. A few are kept for reuse:
    /// a new state allocates its window buffers again on its first frame, a fixed cost that dominates small frames.
    /// A state that grew past <see cref="MaxPooledBytes"/> (a large window) is freed rather than kept.
    /// </summary>
    private sealed class DecoderContext : SafeHandle
    {
        private const long MaxPooledBytes = 16L << 20;
        private static readonly Stack<DecoderContext> Pool = new();
        private static readonly int PoolSize = Math.Max(2, Environment.ProcessorCount);

        public static DecoderContext Rent()
        {
            lock (Pool)
                if (Pool.TryPop(out var pooled)) return pooled;
            return new DecoderContext();
        }

        public static void Return(DecoderContext context)
        {
            if (context.IsClosed) return;
            // Back to a fresh session with default parameters; the owner sets its own limits again.
            if (Methods.ZSTD_isError(Methods.ZSTD_DCtx_reset(context.Pointer, ZSTD_ResetDirective.ZSTD_reset_session_and_parameters))
                || (long)Methods.ZSTD_sizeof_DCtx(context.Pointer) > MaxPooledBytes)
            {
                context.Dispose();
                return;
            }
            lock (Pool)
            {
                if (Pool.Count < PoolSize)
                {
                    Pool.Push(context);
                    return;
                }
            }
            context.Dispose();
        }

        private DecoderContext() : base(IntPtr.Zero, ownsHandle: true)
        {
            SetHandle((IntPtr)Methods.ZSTD_createDCtx());
            if (IsInvalid) throw new OutOfMemoryException("zstd decoder state could not be allocated");
        }

        public ZSTD_DCtx_s* Pointer => (ZSTD_DCtx_s*)handle;
        public override bool IsInvalid => handle == IntPtr.Zero;
        protected override bool ReleaseHandle()
        {
            Methods.ZSTD_freeDCtx((ZSTD_DCtx_s*)handle);
            return true;
        }
    }
}
