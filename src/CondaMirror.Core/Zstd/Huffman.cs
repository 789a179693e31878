using System.Numerics;
using System.Runtime.CompilerServices;

namespace CondaMirror.Core.Zstd;

/// <summary>
/// Huffman literal decoding (RFC 8878 section 4.2): tree descriptions (direct or FSE-compressed weights) and a
/// single-lookup decoding table of 2^maxBits cells, each holding (symbol &lt;&lt; 8) | code length.
/// </summary>
internal sealed unsafe class HuffmanTable
{
    public const int MaxBits = 11;
    private const int MaxFseLog = 6;

    public readonly ushort[] Cells = new ushort[1 << MaxBits];
    public int TableBits;

    private readonly byte[] _weights = new byte[256];
    private int _lastCount;
    private readonly short[] _norm = new short[256];
    private readonly FseCell[] _fse = new FseCell[1 << MaxFseLog];

    /// <summary>Reads a tree description at the start of <paramref name="src"/>; returns bytes used or -1 if invalid.</summary>
    public int ReadDescription(ReadOnlySpan<byte> src)
    {
        if (src.IsEmpty) return -1;
        int header = src[0];
        int count;
        int used;
        if (header >= 128)
        {
            count = header - 127;
            used = 1 + (count + 1) / 2;
            if (used > src.Length) return -1;
            for (int i = 0; i < count; i++)
            {
                byte b = src[1 + i / 2];
                _weights[i] = (byte)((i & 1) == 0 ? b >> 4 : b & 15);
            }
        }
        else
        {
            used = 1 + header;
            if (used > src.Length) return -1;
            count = DecodeFseWeights(src.Slice(1, header));
            if (count < 0) return -1;
        }
        _lastCount = count;
        return Build(count) ? used : -1;
    }

    /// <summary>Whether the last description read had exactly these weights (before the implied last one).</summary>
    internal bool WeightsEqual(ReadOnlySpan<byte> weights, int count)
        => _lastCount == count && _weights.AsSpan(0, count).SequenceEqual(weights[..count]);

    private int DecodeFseWeights(ReadOnlySpan<byte> src)
    {
        int headerSize = Fse.ReadNormalizedCounts(src, _norm, 255, MaxFseLog, out int log, out int symbols);
        if (headerSize < 0 || headerSize >= src.Length) return -1;
        if (!Fse.BuildTable(_norm, symbols, log, _fse)) return -1;
        var payload = src[headerSize..];
        int n = 0;
        fixed (byte* p = payload)
        fixed (FseCell* table = _fse)
        {
            var bits = BackwardBitReader.Open(p, payload.Length, out bool valid);
            if (!valid) return -1;
            uint s1 = bits.Read(log);
            uint s2 = bits.Read(log);
            bits.Reload();
            // Two interleaved states share one stream; it ends when a state update reads past its start.
            while (true)
            {
                if (n >= 255) return -1;
                _weights[n++] = table[s1].Symbol;
                s1 = table[s1].Baseline + bits.Read(table[s1].NbBits);
                bits.Reload();
                if (bits.Overflowed)
                {
                    if (n >= 255) return -1;
                    _weights[n++] = table[s2].Symbol;
                    break;
                }
                if (n >= 255) return -1;
                _weights[n++] = table[s2].Symbol;
                s2 = table[s2].Baseline + bits.Read(table[s2].NbBits);
                bits.Reload();
                if (bits.Overflowed)
                {
                    if (n >= 255) return -1;
                    _weights[n++] = table[s1].Symbol;
                    break;
                }
            }
        }
        return n;
    }

    private bool Build(int count)
    {
        // The last symbol's weight is implied: it completes the total to a power of two.
        uint sum = 0;
        for (int i = 0; i < count; i++)
        {
            int w = _weights[i];
            if (w > MaxBits) return false;
            if (w > 0) sum += 1u << (w - 1);
        }
        if (sum == 0) return false;
        int tableBits = 32 - BitOperations.LeadingZeroCount(sum); // highest bit + 1
        if (tableBits > MaxBits) return false;
        uint rest = (1u << tableBits) - sum;
        if (!BitOperations.IsPow2(rest)) return false;
        _weights[count] = (byte)(BitOperations.Log2(rest) + 1);
        int symbols = count + 1;

        Span<int> rankStart = stackalloc int[MaxBits + 2];
        Span<int> rankCount = stackalloc int[MaxBits + 2];
        for (int s = 0; s < symbols; s++) rankCount[_weights[s]]++;
        int position = 0;
        for (int w = 1; w <= MaxBits; w++)
        {
            rankStart[w] = position;
            position += rankCount[w] << (w - 1);
        }
        if (position != 1 << tableBits) return false;
        for (int s = 0; s < symbols; s++)
        {
            int w = _weights[s];
            if (w == 0) continue;
            int length = 1 << (w - 1);
            ushort cell = (ushort)((s << 8) | (tableBits + 1 - w));
            Cells.AsSpan(rankStart[w], length).Fill(cell);
            rankStart[w] += length;
        }
        TableBits = tableBits;
        return true;
    }

    /// <summary>Decodes one Huffman stream into exactly <paramref name="count"/> bytes; false if the stream is invalid.</summary>
    public bool DecodeStream(byte* src, int srcLength, byte* dst, int count)
    {
        var bits = BackwardBitReader.Open(src, srcLength, out bool valid);
        if (!valid) return false;
        int tableBits = TableBits;
        byte* op = dst;
        byte* end = dst + count;
        fixed (ushort* cells = Cells)
        {
            while (end - op >= 4)
            {
                bits.Reload();
                op[0] = DecodeSymbol(ref bits, cells, tableBits);
                op[1] = DecodeSymbol(ref bits, cells, tableBits);
                op[2] = DecodeSymbol(ref bits, cells, tableBits);
                op[3] = DecodeSymbol(ref bits, cells, tableBits);
                op += 4;
            }
            while (op < end)
            {
                bits.Reload();
                *op++ = DecodeSymbol(ref bits, cells, tableBits);
            }
        }
        bits.Reload();
        return bits.Finished;
    }

    /// <summary>
    /// Decodes the four streams of a 4-stream literals section, interleaved so their table lookups overlap;
    /// the first three produce <paramref name="segment"/> bytes each and the last <paramref name="lastSegment"/>.
    /// </summary>
    public bool DecodeFourStreams(byte* src, int size1, int size2, int size3, int size4, byte* dst, int segment, int lastSegment)
    {
        var b1 = BackwardBitReader.Open(src, size1, out bool v1);
        var b2 = BackwardBitReader.Open(src + size1, size2, out bool v2);
        var b3 = BackwardBitReader.Open(src + size1 + size2, size3, out bool v3);
        var b4 = BackwardBitReader.Open(src + size1 + size2 + size3, size4, out bool v4);
        if (!(v1 && v2 && v3 && v4)) return false;
        int tableBits = TableBits;
        byte* o1 = dst, o2 = dst + segment, o3 = dst + 2 * segment, o4 = dst + 3 * segment;
        // The last segment is never longer than the others, so it bounds the interleaved part.
        byte* end4 = o4 + lastSegment;
        fixed (ushort* cells = Cells)
        {
            while (end4 - o4 >= 4)
            {
                b1.Reload(); b2.Reload(); b3.Reload(); b4.Reload();
                for (int k = 0; k < 4; k++)
                {
                    o1[k] = DecodeSymbol(ref b1, cells, tableBits);
                    o2[k] = DecodeSymbol(ref b2, cells, tableBits);
                    o3[k] = DecodeSymbol(ref b3, cells, tableBits);
                    o4[k] = DecodeSymbol(ref b4, cells, tableBits);
                }
                o1 += 4; o2 += 4; o3 += 4; o4 += 4;
            }
            int done = (int)(o1 - dst);
            return Finish(ref b1, cells, tableBits, o1, segment - done)
                && Finish(ref b2, cells, tableBits, o2, segment - done)
                && Finish(ref b3, cells, tableBits, o3, segment - done)
                && Finish(ref b4, cells, tableBits, o4, lastSegment - done);
        }
    }

    private static bool Finish(ref BackwardBitReader bits, ushort* cells, int tableBits, byte* op, int count)
    {
        for (int i = 0; i < count; i++)
        {
            bits.Reload();
            op[i] = DecodeSymbol(ref bits, cells, tableBits);
        }
        bits.Reload();
        return bits.Finished;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static byte DecodeSymbol(ref BackwardBitReader bits, ushort* cells, int tableBits)
    {
        ushort cell = cells[bits.Peek(tableBits)];
        bits.Skip(cell & 0xFF);
        return (byte)(cell >> 8);
    }
}
