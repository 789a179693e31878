using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace CondaMirror.Core.Zstd.Encoding;

/// <summary>
/// Writes a zstd backward bitstream (the mirror of <see cref="BackwardBitReader"/>): values are appended from the
/// least significant bit up and stored little-endian, so the decoder, reading from the last byte down, meets them
/// in reverse order. <see cref="Close"/> adds the end marker bit. Callers keep at most 56 bits pending between
/// flushes. Running out of room sets <see cref="Overflow"/> instead of writing past the buffer.
/// </summary>
internal unsafe struct BitWriter
{
    private ulong _bits;
    private int _count;
    private byte* _ptr;
    private readonly byte* _start;
    private readonly byte* _limit; // the last position where an 8-byte store still fits
    public bool Overflow;

    /// <summary><paramref name="capacity"/> must be at least 8.</summary>
    public BitWriter(byte* dst, int capacity)
    {
        _start = dst;
        _ptr = dst;
        _limit = dst + Math.Max(capacity - 8, 0);
        _bits = 0;
        _count = 0;
        Overflow = capacity < 8;
    }

    /// <summary>Appends the low <paramref name="count"/> bits; higher bits of <paramref name="value"/> must be zero.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(ulong value, int count)
    {
        _bits |= value << _count;
        _count += count;
    }

    /// <summary>Appends the low <paramref name="count"/> (&lt; 64) bits of <paramref name="value"/>, ignoring the rest.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void AddMasked(ulong value, int count)
    {
        _bits |= (value & ((1UL << count) - 1)) << _count;
        _count += count;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Flush()
    {
        if (BitConverter.IsLittleEndian) Unsafe.WriteUnaligned(_ptr, _bits);
        else Unsafe.WriteUnaligned(_ptr, BinaryPrimitives.ReverseEndianness(_bits));
        int bytes = _count >> 3;
        _ptr += bytes;
        _count &= 7;
        _bits >>= bytes << 3; // bytes ≤ 7, so the shift is below 64
        if (_ptr > _limit)
        {
            _ptr = _limit;
            Overflow = true;
        }
    }

    /// <summary>Writes the end marker; returns the stream's length in bytes, or -1 if it did not fit.</summary>
    public int Close()
    {
        Add(1, 1);
        Flush();
        if (Overflow) return -1;
        return (int)(_ptr - _start) + (_count > 0 ? 1 : 0);
    }
}
