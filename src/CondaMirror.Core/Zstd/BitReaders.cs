using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace CondaMirror.Core.Zstd;

/// <summary>
/// Reads a zstd backward bitstream (FSE and Huffman payloads): bytes are consumed from the end towards the start,
/// bits from the most significant down, and the highest set bit of the last byte marks where data begins.
/// The 64-bit container is refilled by <see cref="Reload"/>; after a reload at least 56 bits can be read unless the
/// stream's start is near. Reading past the start yields arbitrary (bounded) values; callers detect it with
/// <see cref="Overflowed"/> / <see cref="Finished"/> and reject the block.
/// </summary>
internal unsafe struct BackwardBitReader
{
    private ulong _container;
    private int _consumed;
    private byte* _ptr;
    private byte* _start;

    /// <summary>
    /// Opens a stream; <paramref name="valid"/> is false when it is empty or its last byte lacks the end marker.
    /// A factory (not an instance method) so callers' locals are never address-exposed and stay in registers.
    /// </summary>
    public static BackwardBitReader Open(byte* start, int length, out bool valid)
    {
        var reader = new BackwardBitReader();
        valid = reader.Init(start, length);
        return reader;
    }

    private bool Init(byte* start, int length)
    {
        _start = start;
        if (length < 1) return false;
        byte last = start[length - 1];
        if (last == 0) return false;
        int padding = 8 - (31 - BitOperations.LeadingZeroCount(last));
        if (length >= 8)
        {
            _ptr = start + length - 8;
            _container = Unsafe.ReadUnaligned<ulong>(_ptr);
            if (!BitConverter.IsLittleEndian) _container = BinaryPrimitives.ReverseEndianness(_container);
            _consumed = padding;
        }
        else
        {
            _ptr = start;
            ulong c = 0;
            for (int i = 0; i < length; i++) c |= (ulong)start[i] << (8 * i);
            _container = c;
            _consumed = (8 - length) * 8 + padding;
        }
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint Read(int count)
    {
        uint value = (uint)(((_container << _consumed) >> 1) >> (63 - count));
        _consumed += count;
        return value;
    }

    /// <summary>Reads up to 11 bits without consuming them (for table lookups; count must be ≥ 1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint Peek(int count) => (uint)((_container << _consumed) >> (64 - count));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Skip(int count) => _consumed += count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Reload()
    {
        if (_consumed > 64) return;
        int bytes = _consumed >> 3;
        long available = _ptr - _start;
        if (bytes > available) bytes = (int)available;
        if (bytes == 0) return;
        _ptr -= bytes;
        _consumed -= bytes << 3;
        _container = Unsafe.ReadUnaligned<ulong>(_ptr);
        if (!BitConverter.IsLittleEndian) _container = BinaryPrimitives.ReverseEndianness(_container);
    }

    /// <summary>More bits were read than the stream holds.</summary>
    public readonly bool Overflowed => _consumed > 64;

    /// <summary>Every bit of the stream was read, and no more.</summary>
    public readonly bool Finished => _ptr == _start && _consumed == 64;
}

/// <summary>Little-endian forward bit reader for FSE table descriptions; reading past the end is tracked, not thrown.</summary>
internal ref struct ForwardBitReader
{
    private readonly ReadOnlySpan<byte> _data;
    public int BitPosition;

    public ForwardBitReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        BitPosition = 0;
    }

    /// <summary>Returns the next <paramref name="count"/> (≤ 25) bits without consuming them; zeros past the end.</summary>
    public readonly uint Peek(int count)
    {
        int byteIndex = BitPosition >> 3;
        uint word = 0;
        for (int i = 0; i < 4; i++)
        {
            int idx = byteIndex + i;
            if (idx < _data.Length) word |= (uint)_data[idx] << (8 * i);
        }
        return (word >> (BitPosition & 7)) & ((1u << count) - 1);
    }

    public bool PastEnd => BitPosition > _data.Length * 8;
    public int BytesConsumed => (BitPosition + 7) >> 3;
}
