using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace CondaMirror.Core.Zstd;

/// <summary>Incremental XXH64 (seed 0 by default), used for the zstd content checksum.</summary>
internal sealed class XxHash64
{
    private const ulong Prime1 = 0x9E3779B185EBCA87UL;
    private const ulong Prime2 = 0xC2B2AE3D27D4EB4FUL;
    private const ulong Prime3 = 0x165667B19E3779F9UL;
    private const ulong Prime4 = 0x85EBCA77C2B2AE63UL;
    private const ulong Prime5 = 0x27D4EB2F165667C5UL;

    private readonly ulong _seed;
    private ulong _v1, _v2, _v3, _v4;
    private readonly byte[] _pending = new byte[32];
    private int _pendingLength;
    private ulong _totalLength;

    public XxHash64(ulong seed = 0)
    {
        _seed = seed;
        Reset();
    }

    public void Reset()
    {
        _v1 = _seed + Prime1 + Prime2;
        _v2 = _seed + Prime2;
        _v3 = _seed;
        _v4 = _seed - Prime1;
        _pendingLength = 0;
        _totalLength = 0;
    }

    public static ulong Hash(ReadOnlySpan<byte> data, ulong seed = 0)
    {
        var h = new XxHash64(seed);
        h.Append(data);
        return h.Digest();
    }

    public void Append(ReadOnlySpan<byte> data)
    {
        _totalLength += (ulong)data.Length;
        if (_pendingLength > 0)
        {
            int take = Math.Min(32 - _pendingLength, data.Length);
            data[..take].CopyTo(_pending.AsSpan(_pendingLength));
            _pendingLength += take;
            data = data[take..];
            if (_pendingLength < 32) return;
            ConsumeStripes(_pending);
            _pendingLength = 0;
        }
        int whole = data.Length & ~31;
        if (whole > 0) ConsumeStripes(data[..whole]);
        data[whole..].CopyTo(_pending);
        _pendingLength = data.Length - whole;
    }

    private unsafe void ConsumeStripes(ReadOnlySpan<byte> stripes)
    {
        ulong v1 = _v1, v2 = _v2, v3 = _v3, v4 = _v4;
        fixed (byte* start = stripes)
        {
            byte* p = start;
            byte* end = start + stripes.Length;
            while (p < end)
            {
                v1 = Round(v1, ReadLittleEndian(p));
                v2 = Round(v2, ReadLittleEndian(p + 8));
                v3 = Round(v3, ReadLittleEndian(p + 16));
                v4 = Round(v4, ReadLittleEndian(p + 24));
                p += 32;
            }
        }
        _v1 = v1; _v2 = v2; _v3 = v3; _v4 = v4;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe ulong ReadLittleEndian(byte* p)
    {
        ulong value = Unsafe.ReadUnaligned<ulong>(p);
        return BitConverter.IsLittleEndian ? value : BinaryPrimitives.ReverseEndianness(value);
    }

    public ulong Digest()
    {
        ulong h;
        if (_totalLength >= 32)
        {
            h = BitOperations.RotateLeft(_v1, 1) + BitOperations.RotateLeft(_v2, 7)
              + BitOperations.RotateLeft(_v3, 12) + BitOperations.RotateLeft(_v4, 18);
            h = Merge(h, _v1);
            h = Merge(h, _v2);
            h = Merge(h, _v3);
            h = Merge(h, _v4);
        }
        else
        {
            h = _seed + Prime5;
        }
        h += _totalLength;

        ReadOnlySpan<byte> tail = _pending.AsSpan(0, _pendingLength);
        while (tail.Length >= 8)
        {
            h ^= Round(0, BinaryPrimitives.ReadUInt64LittleEndian(tail));
            h = BitOperations.RotateLeft(h, 27) * Prime1 + Prime4;
            tail = tail[8..];
        }
        if (tail.Length >= 4)
        {
            h ^= BinaryPrimitives.ReadUInt32LittleEndian(tail) * Prime1;
            h = BitOperations.RotateLeft(h, 23) * Prime2 + Prime3;
            tail = tail[4..];
        }
        foreach (byte b in tail)
        {
            h ^= b * Prime5;
            h = BitOperations.RotateLeft(h, 11) * Prime1;
        }

        h ^= h >> 33;
        h *= Prime2;
        h ^= h >> 29;
        h *= Prime3;
        h ^= h >> 32;
        return h;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Round(ulong acc, ulong input)
    {
        acc += input * Prime2;
        acc = BitOperations.RotateLeft(acc, 31);
        return acc * Prime1;
    }

    private static ulong Merge(ulong acc, ulong value)
    {
        acc ^= Round(0, value);
        return acc * Prime1 + Prime4;
    }
}
