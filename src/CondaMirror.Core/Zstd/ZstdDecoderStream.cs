using CondaMirror.Core.IO;
using System.Buffers.Binary;
using CondaMirror.Core.Errors;

namespace CondaMirror.Core.Zstd;

/// <summary>
/// Read-only stream decoding zstd frames (and skipping skippable frames) from a compressed stream, block by block.
/// Decoded blocks land in a history buffer that keeps the last window of output for back-references; it grows
/// on demand up to about 1.5 windows (or the declared content size, if smaller) and then slides.
/// </summary>
internal sealed class ZstdDecoderStream : ReadOnlyStream
{
    private readonly Stream? _source;
    private readonly bool _leaveOpen;
    private readonly ZstdInput _input;
    private readonly ZstdDecoderOptions _options;
    private readonly XxHash64 _hash = new();
    private readonly BlockDecoder _blocks = new();

    private enum State { FrameStart, Blocks, Checksum, End }
    private State _state = State.FrameStart;
    private bool _sawFrame;

    // Current frame.
    private long _windowSize;
    private int _blockMaximum;
    private long _contentSize; // -1 when not declared
    private bool _hasChecksum;
    private long _frameProduced;
    private int _bufferLimit;

    // History buffer: [_historyStart, _writePos) are decoded bytes of this frame; [_readPos, _writePos) not yet read.
    private byte[] _window = Array.Empty<byte>();
    private int _historyStart;
    private int _readPos;
    private int _writePos;
    private bool _disposed;
    private ZstdFormatException? _failure;

    public ZstdDecoderStream(Stream source, ZstdDecoderOptions options, bool leaveOpen)
    {
        if (!source.CanRead) throw new ArgumentException("The compressed stream must be readable.", nameof(source));
        _source = source;
        _leaveOpen = leaveOpen;
        _options = options;
        _input = new ZstdInput(source);
    }

    public ZstdDecoderStream(byte[] compressed, ZstdDecoderOptions options)
    {
        _options = options;
        _input = new ZstdInput(compressed);
    }

    /// <summary>Content size declared by the first frame, when it is known before decoding (used to size outputs).</summary>
    internal long PeekDeclaredContentSize()
    {
        if (_state == State.FrameStart && !_sawFrame) AdvanceFrameStart();
        return _state == State.Blocks ? _contentSize : -1;
    }

    public override bool CanRead => !_disposed;

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int ReadByte()
    {
        Span<byte> one = stackalloc byte[1];
        return Read(one) == 1 ? one[0] : -1;
    }

    public override int Read(Span<byte> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (destination.IsEmpty) return 0;
        if (_failure is not null)
            throw new ZstdFormatException(_failure.Code, _failure.Problem, _failure.Offset);
        try
        {
            while (_readPos == _writePos)
            {
                if (!Advance()) return 0;
            }
        }
        catch (ZstdFormatException e)
        {
            // Decoder state is undefined after a format error; later reads report the same error again.
            _failure = e;
            throw;
        }
        int n = Math.Min(destination.Length, _writePos - _readPos);
        _window.AsSpan(_readPos, n).CopyTo(destination);
        _readPos += n;
        return n;
    }

    /// <summary>Decodes the next unit of input (a frame header, one block or a checksum). False at the end of input.</summary>
    private bool Advance()
    {
        switch (_state)
        {
            case State.FrameStart:
                AdvanceFrameStart();
                return _state != State.End;
            case State.Blocks:
                DecodeBlock();
                return true;
            case State.Checksum:
                FinishFrame();
                return true;
            default:
                return false;
        }
    }

    private ZstdFormatException Error(string code, string problem, long offset) => new(code, problem, offset);

    private void AdvanceFrameStart()
    {
        while (true)
        {
            if (_sawFrame && _input.AtEnd())
            {
                _state = State.End;
                return;
            }
            long frameOffset = _input.Offset;
            if (!_input.Ensure(4))
            {
                if (_input.Available == 0)
                    throw Error(ErrorCodes.ZstdTruncated, "the input is empty; a zstd stream holds at least one frame", frameOffset);
                throw Error(ErrorCodes.ZstdTruncated, "the input ends inside a frame magic number", frameOffset);
            }
            uint magic = BinaryPrimitives.ReadUInt32LittleEndian(_input.Span(4));
            if ((magic & ZstdConstants.SkippableMagicMask) == ZstdConstants.SkippableMagic)
            {
                _input.Require(8, "skippable frame header");
                uint size = BinaryPrimitives.ReadUInt32LittleEndian(_input.Span(8)[4..]);
                _input.Skip(8);
                if (!_input.SkipLong(size))
                    throw Error(ErrorCodes.ZstdTruncated, $"the input ends inside a skippable frame of {size} bytes", frameOffset);
                _sawFrame = true;
                continue;
            }
            if (magic != ZstdConstants.FrameMagic)
            {
                throw Error(ErrorCodes.ZstdBadMagic, _sawFrame
                    ? $"unexpected bytes after the last frame (0x{magic:X8} is not a zstd or skippable frame magic number)"
                    : $"not zstd data: the magic number is 0x{magic:X8}, expected 0x{ZstdConstants.FrameMagic:X8}", frameOffset);
            }
            ReadFrameHeader(frameOffset);
            _sawFrame = true;
            return;
        }
    }

    private void ReadFrameHeader(long frameOffset)
    {
        _input.Require(5, "frame header");
        byte descriptor = _input.Span(5)[4];
        int fcsFlag = descriptor >> 6;
        bool singleSegment = (descriptor & 0x20) != 0;
        if ((descriptor & 0x08) != 0)
            throw Error(ErrorCodes.ZstdCorrupt, "the reserved bit of the frame header descriptor is set", frameOffset + 4);
        _hasChecksum = (descriptor & 0x04) != 0;
        int dictIdSize = (descriptor & 3) switch { 0 => 0, 1 => 1, 2 => 2, _ => 4 };
        int fcsSize = fcsFlag switch { 0 => singleSegment ? 1 : 0, 1 => 2, 2 => 4, _ => 8 };
        int headerSize = 5 + (singleSegment ? 0 : 1) + dictIdSize + fcsSize;
        _input.Require(headerSize, "frame header");
        var header = _input.Span(headerSize);
        int p = 5;
        long windowSize = 0;
        if (!singleSegment)
        {
            byte wd = header[p++];
            int windowLog = ZstdConstants.MinWindowLog + (wd >> 3);
            long windowBase = 1L << windowLog;
            windowSize = windowBase + (windowBase >> 3) * (wd & 7);
        }
        uint dictId = dictIdSize switch
        {
            0 => 0,
            1 => header[p],
            2 => BinaryPrimitives.ReadUInt16LittleEndian(header[p..]),
            _ => BinaryPrimitives.ReadUInt32LittleEndian(header[p..]),
        };
        p += dictIdSize;
        if (dictId != 0)
            throw Error(ErrorCodes.ZstdDictionaryRequired,
                $"the frame was compressed with dictionary {dictId}; dictionaries are not supported, recompress without --dict", frameOffset + 5);
        long contentSize = fcsSize switch
        {
            0 => -1,
            1 => header[p],
            2 => BinaryPrimitives.ReadUInt16LittleEndian(header[p..]) + 256L,
            4 => BinaryPrimitives.ReadUInt32LittleEndian(header[p..]),
            _ => (long)Math.Min(BinaryPrimitives.ReadUInt64LittleEndian(header[p..]), long.MaxValue),
        };
        if (singleSegment) windowSize = contentSize;
        if (windowSize > _options.MaxWindowSize)
            throw Error(ErrorCodes.ZstdWindowTooLarge,
                $"the frame needs a {windowSize}-byte window, more than the allowed maximum of {_options.MaxWindowSize} bytes", frameOffset + 5);

        // Back-references never reach further than the frame's own content, so a smaller declared size bounds memory.
        long effectiveWindow = contentSize >= 0 ? Math.Min(windowSize, contentSize) : windowSize;
        int blockMaximum = (int)Math.Min(Math.Max(windowSize, 1), ZstdConstants.MaxBlockSize);
        long need = blockMaximum + ZstdConstants.WildCopySlack;
        long limit;
        if (contentSize >= 0 && contentSize <= effectiveWindow + effectiveWindow / 2)
        {
            limit = contentSize + need;
        }
        else
        {
            // Room past the window lets the buffer slide rarely; very large windows get what fits in one array.
            long spare = Math.Min(Math.Max(effectiveWindow / 2, blockMaximum), Array.MaxLength - effectiveWindow - need);
            limit = effectiveWindow + need + Math.Max(spare, 0);
        }
        if (limit > Array.MaxLength)
            throw Error(ErrorCodes.ZstdWindowTooLarge,
                $"the frame needs a {windowSize}-byte window, more than this decoder can buffer", frameOffset + 5);

        _input.Skip(headerSize);
        _windowSize = effectiveWindow;
        _blockMaximum = blockMaximum;
        _contentSize = contentSize;
        _bufferLimit = (int)limit;
        _frameProduced = 0;
        if (_window.Length > _bufferLimit) _window = Array.Empty<byte>();
        _historyStart = _readPos = _writePos = 0;
        _hash.Reset();
        _blocks.ResetForFrame();
        _state = State.Blocks;
    }

    /// <summary>Ensures room for one more block after the write position, growing or sliding the history buffer.</summary>
    private void MakeRoomForBlock()
    {
        int needed = _blockMaximum + ZstdConstants.WildCopySlack;
        if (_window.Length - _writePos >= needed) return;
        int keepFrom = (int)Math.Max(_historyStart, _writePos - _windowSize);
        int keep = _writePos - keepFrom;
        byte[] target = _window;
        if (_window.Length < _bufferLimit && (keep + needed > _window.Length / 2 || _window.Length == 0))
        {
            long grown = Math.Max((long)_window.Length * 2, Math.Max(1L << 20, keep + needed));
            target = new byte[(int)Math.Min(grown, _bufferLimit)];
        }
        if (keep + needed > target.Length)
            throw new InvalidOperationException("zstd history buffer sizing error"); // unreachable: limit ≥ window + block + slack
        _window.AsSpan(keepFrom, keep).CopyTo(target);
        _window = target;
        _historyStart = Math.Max(0, _historyStart - keepFrom);
        _readPos -= keepFrom;
        _writePos = keep;
    }

    private void DecodeBlock()
    {
        long blockOffset = _input.Offset;
        _input.Require(3, "block header");
        var h = _input.Span(3);
        int header = h[0] | (h[1] << 8) | (h[2] << 16);
        bool last = (header & 1) != 0;
        int type = (header >> 1) & 3;
        int size = header >> 3;
        _input.Skip(3);
        MakeRoomForBlock();
        int produced;
        switch (type)
        {
            case 0: // raw
                if (size > _blockMaximum)
                    throw Error(ErrorCodes.ZstdCorrupt, $"raw block of {size} bytes exceeds the maximum block size {_blockMaximum}", blockOffset);
                _input.Require(size, "raw block");
                _input.Span(size).CopyTo(_window.AsSpan(_writePos));
                _input.Skip(size);
                produced = size;
                break;
            case 1: // RLE
                if (size > _blockMaximum)
                    throw Error(ErrorCodes.ZstdCorrupt, $"RLE block of {size} bytes exceeds the maximum block size {_blockMaximum}", blockOffset);
                _input.Require(1, "RLE block");
                _window.AsSpan(_writePos, size).Fill(_input.Span(1)[0]);
                _input.Skip(1);
                produced = size;
                break;
            case 2: // compressed
                if (size > _blockMaximum)
                    throw Error(ErrorCodes.ZstdCorrupt, $"compressed block of {size} bytes exceeds the maximum block size {_blockMaximum}", blockOffset);
                _input.Require(size, "compressed block");
                produced = _blocks.Decode(_input.Buffer, _input.Position, size, _window, _writePos, _historyStart, _blockMaximum, blockOffset + 3);
                _input.Skip(size);
                break;
            default:
                throw Error(ErrorCodes.ZstdCorrupt, "block type 3 is reserved", blockOffset);
        }
        var output = _window.AsSpan(_writePos, produced);
        if (_hasChecksum && _options.VerifyChecksum) _hash.Append(output);
        _writePos += produced;
        _frameProduced += produced;
        if (_contentSize >= 0 && _frameProduced > _contentSize)
            throw Error(ErrorCodes.ZstdContentSizeMismatch,
                $"the frame decodes to more than its declared content size of {_contentSize} bytes", blockOffset);
        if (last) _state = State.Checksum;
    }

    private void FinishFrame()
    {
        long offset = _input.Offset;
        if (_contentSize >= 0 && _frameProduced != _contentSize)
            throw Error(ErrorCodes.ZstdContentSizeMismatch,
                $"the frame decodes to {_frameProduced} bytes but declares {_contentSize}", offset);
        if (_hasChecksum)
        {
            _input.Require(4, "content checksum");
            uint stored = BinaryPrimitives.ReadUInt32LittleEndian(_input.Span(4));
            _input.Skip(4);
            if (_options.VerifyChecksum)
            {
                uint actual = (uint)_hash.Digest();
                if (stored != actual)
                    throw Error(ErrorCodes.ZstdChecksumMismatch,
                        $"content checksum mismatch (stored 0x{stored:X8}, computed 0x{actual:X8}); the data is corrupted", offset);
            }
        }
        _state = State.FrameStart;
    }

    protected override void Dispose(bool disposing)
    {
        if (!_disposed)
        {
            _disposed = true;
            if (disposing && !_leaveOpen) _source?.Dispose();
        }
        base.Dispose(disposing);
    }
}
