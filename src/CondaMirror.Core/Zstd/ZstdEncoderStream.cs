using System.Buffers.Binary;
using CondaMirror.Core.Zstd.Encoding;

namespace CondaMirror.Core.Zstd;

/// <summary>
/// Write-only stream producing one compressed zstd frame. Input is gathered into 128 KiB blocks inside a window
/// buffer (the level's window of history plus the block being filled), so memory stays bounded whatever the input
/// size. Each block is parsed into sequences and entropy coded; when that is not smaller, it is stored raw, and a
/// block of one repeated byte becomes an RLE block. Dispose writes the last block and the checksum.
/// </summary>
internal sealed unsafe class ZstdEncoderStream : Stream
{
    private const int BlockSize = ZstdConstants.MaxBlockSize;
    private const int Slack = 64; // readable bytes past the data, for 8-byte hashing and compares

    private readonly Stream _destination;
    private readonly bool _leaveOpen;
    private readonly ZstdEncoderOptions _options;
    private readonly CompressionParameters _parameters;
    private readonly XxHash64? _hash;
    private readonly MatchFinder _matchFinder;
    private readonly SequenceStore _store;
    private readonly BlockEncoder _blockEncoder;
    private readonly byte[] _output;
    private byte[] _window;
    private readonly int _windowCapacity;
    private int _frameStart;   // where the frame's first byte is (or was, before slides: may be negative)
    private int _blockStart;   // first byte of the block being filled
    private int _end;          // end of the data in _window
    private long _written;
    private bool _headerWritten;
    private bool _disposed;

    public ZstdEncoderStream(Stream destination, ZstdEncoderOptions options, bool leaveOpen)
    {
        if (!destination.CanWrite) throw new ArgumentException("The destination stream must be writable.", nameof(destination));
        if (options.ContentSize is < 0) throw new ArgumentOutOfRangeException(nameof(options), "ContentSize must not be negative.");
        _destination = destination;
        _options = options;
        _leaveOpen = leaveOpen;
        _parameters = CompressionParameters.ForLevel(options.Level).ForContentSize(options.ContentSize);
        _hash = options.Checksum ? new XxHash64() : null;
        // Block scratch is sized for the largest block this frame can have, so small inputs allocate little.
        int blockCapacity = options.ContentSize is long known ? (int)Math.Clamp(known, 1, BlockSize) : BlockSize;
        _matchFinder = new MatchFinder(_parameters, blockCapacity);
        _store = new SequenceStore(blockCapacity);
        _blockEncoder = new BlockEncoder(blockCapacity);
        _output = new byte[blockCapacity + 1024];
        int windowSize = 1 << _parameters.WindowLog;
        // Two windows plus a block: sliding then moves at least one window's worth, a multiple of the chain size.
        long capacity = 2L * Math.Max(windowSize, BlockSize) + BlockSize;
        if (options.ContentSize is long size) capacity = Math.Min(capacity, Math.Max(size, 1));
        _windowCapacity = (int)capacity;
        // Small inputs grow the buffer as data arrives instead of allocating the whole capacity up front.
        _window = new byte[Math.Min(_windowCapacity, 1 << 16) + Slack];
        _store.ResetFrame();
        _blockEncoder.ResetFrame();
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
        _hash?.Append(data);
        _written += data.Length;
        while (!data.IsEmpty)
        {
            // A full block is emitted only once more data arrives, so the final block can carry the last-block flag.
            if (_end - _blockStart == BlockSize)
            {
                EmitBlock(last: false);
            }
            int take = Math.Min(BlockSize - (_end - _blockStart), data.Length);
            EnsureRoom(take);
            data[..take].CopyTo(_window.AsSpan(_end));
            _end += take;
            data = data[take..];
        }
    }

    public override void WriteByte(byte value) => Write(new ReadOnlySpan<byte>(in value));

    /// <summary>Makes room for <paramref name="count"/> more bytes: grows the buffer up to its capacity, then slides.</summary>
    private void EnsureRoom(int count)
    {
        if (_end + count + Slack <= _window.Length) return;
        if (_end + count <= _windowCapacity)
        {
            long grown = Math.Min(Math.Max((long)_window.Length * 2, _end + count), _windowCapacity);
            Array.Resize(ref _window, (int)grown + Slack);
            return;
        }
        // Keep the window before the block being filled; drop whole multiples of the chain size before that so
        // chain slots (position modulo the chain size) stay where they are.
        int keepFrom = _blockStart - (1 << _parameters.WindowLog);
        int shift = keepFrom / _matchFinder.ChainSize * _matchFinder.ChainSize;
        if (shift <= 0) throw new InvalidOperationException("internal error: zstd encoder window buffer too small to slide");
        Buffer.BlockCopy(_window, shift, _window, 0, _end - shift);
        _end -= shift;
        _blockStart -= shift;
        _frameStart -= shift;
        _matchFinder.Shift(shift);
    }

    private void WriteHeader()
    {
        Span<byte> header = stackalloc byte[ZstdConstants.MaxFrameHeaderSize];
        BinaryPrimitives.WriteUInt32LittleEndian(header, ZstdConstants.FrameMagic);
        int length = 5;
        int descriptor = _hash is null ? 0 : 0x04;
        long windowSize = 1L << _parameters.WindowLog;
        if (_options.ContentSize is long size && size <= windowSize)
        {
            // The whole content fits the window: single segment, the content size doubles as the window size.
            descriptor |= 0x20;
            if (size <= 255)
            {
                header[length++] = (byte)size;
            }
            else if (size <= 65535 + 256)
            {
                descriptor |= 1 << 6;
                BinaryPrimitives.WriteUInt16LittleEndian(header[length..], (ushort)(size - 256));
                length += 2;
            }
            else
            {
                descriptor |= 2 << 6;
                BinaryPrimitives.WriteUInt32LittleEndian(header[length..], (uint)size);
                length += 4;
            }
        }
        else
        {
            header[length++] = (byte)((_parameters.WindowLog - 10) << 3);
            if (_options.ContentSize is long big)
            {
                if (big <= uint.MaxValue)
                {
                    descriptor |= 2 << 6;
                    BinaryPrimitives.WriteUInt32LittleEndian(header[length..], (uint)big);
                    length += 4;
                }
                else
                {
                    descriptor |= 3 << 6;
                    BinaryPrimitives.WriteUInt64LittleEndian(header[length..], (ulong)big);
                    length += 8;
                }
            }
        }
        header[4] = (byte)descriptor;
        _destination.Write(header[..length]);
        _headerWritten = true;
    }

    private void EmitBlock(bool last)
    {
        if (!_headerWritten) WriteHeader();
        int length = _end - _blockStart;
        var content = _window.AsSpan(_blockStart, length);
        Span<byte> blockHeader = stackalloc byte[3];
        if (length > 1 && content[1..].IndexOfAnyExcept(content[0]) < 0)
        {
            WriteBlockHeader(blockHeader, last, 1, length);
            _destination.Write(blockHeader);
            _destination.WriteByte(content[0]);
        }
        else
        {
            int compressed = length < 16 ? -1 : CompressBlock(length);
            if (compressed > 0)
            {
                WriteBlockHeader(blockHeader, last, 2, compressed);
                _destination.Write(blockHeader);
                _destination.Write(_output.AsSpan(0, compressed));
            }
            else
            {
                WriteBlockHeader(blockHeader, last, 0, length);
                _destination.Write(blockHeader);
                _destination.Write(content);
            }
        }
        _blockStart = _end;
    }

    /// <summary>Compresses the pending block into _output; returns its size, or -1 when a raw block is smaller.</summary>
    private int CompressBlock(int length)
    {
        _store.Clear();
        _store.SaveRepeats();
        int size;
        fixed (byte* window = _window)
        fixed (byte* output = _output)
        {
            _matchFinder.ParseBlock(window, Math.Max(_frameStart, 0), _blockStart, _end, _store);
            size = _blockEncoder.Encode(_store, output, _output.Length);
        }
        if (size < 0 || size >= length)
        {
            _store.RestoreRepeats();
            return -1;
        }
        _blockEncoder.Commit();
        return size;
    }

    private static void WriteBlockHeader(Span<byte> header, bool last, int type, int size)
    {
        uint value = (last ? 1u : 0u) | ((uint)type << 1) | ((uint)size << 3);
        header[0] = (byte)value;
        header[1] = (byte)(value >> 8);
        header[2] = (byte)(value >> 16);
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
                EmitBlock(last: true);
                if (_hash is not null)
                {
                    Span<byte> checksum = stackalloc byte[4];
                    BinaryPrimitives.WriteUInt32LittleEndian(checksum, (uint)_hash.Digest());
                    _destination.Write(checksum);
                }
                _destination.Flush();
            }
        }
        finally
        {
            if (disposing && !_leaveOpen) _destination.Dispose();
            base.Dispose(disposing);
        }
    }
}
