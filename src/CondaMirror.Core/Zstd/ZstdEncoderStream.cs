using System.Buffers.Binary;

namespace CondaMirror.Core.Zstd;

/// <summary>
/// Write-only stream producing one zstd frame made of raw blocks (and RLE blocks for runs of one byte value).
/// Valid for every zstd decoder; it does not compress. Dispose writes the last block and the checksum.
/// </summary>
internal sealed class ZstdEncoderStream : Stream
{
    private const int BlockSize = ZstdConstants.MaxBlockSize;
    // Frames with a known size up to this use single-segment mode (no window descriptor); larger ones declare a
    // 128 KiB window so that decoders never need to buffer more than one block of ours.
    private const long SingleSegmentLimit = 1 << 20;

    private readonly Stream _destination;
    private readonly bool _leaveOpen;
    private readonly ZstdEncoderOptions _options;
    private readonly XxHash64? _hash;
    private readonly byte[] _block = new byte[BlockSize];
    private int _blockLength;
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
        _hash = options.Checksum ? new XxHash64() : null;
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
            if (_blockLength == BlockSize)
            {
                EmitBlock(last: false);
            }
            int take = Math.Min(BlockSize - _blockLength, data.Length);
            data[..take].CopyTo(_block.AsSpan(_blockLength));
            _blockLength += take;
            data = data[take..];
        }
    }

    public override void WriteByte(byte value) => Write(new ReadOnlySpan<byte>(in value));

    private void WriteHeader()
    {
        Span<byte> header = stackalloc byte[ZstdConstants.MaxFrameHeaderSize];
        BinaryPrimitives.WriteUInt32LittleEndian(header, ZstdConstants.FrameMagic);
        int length = 5;
        int descriptor = _hash is null ? 0 : 0x04;
        if (_options.ContentSize is long size && size <= SingleSegmentLimit)
        {
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
            header[length++] = (17 - 10) << 3; // window descriptor: 2^17 = one block
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
        var content = _block.AsSpan(0, _blockLength);
        bool rle = content.Length > 1 && content[1..].IndexOfAnyExcept(content[0]) < 0;
        uint blockHeader = (last ? 1u : 0u) | ((rle ? 1u : 0u) << 1) | ((uint)content.Length << 3);
        Span<byte> headerBytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(headerBytes, blockHeader);
        _destination.Write(headerBytes[..3]);
        if (rle) _destination.WriteByte(content[0]);
        else _destination.Write(content);
        _blockLength = 0;
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
