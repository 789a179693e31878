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
        return Build(count) ? used : -1;
    }

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
            BackwardBitReader bits = default;
            if (!bits.Init(p, payload.Length)) return -1;
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
        BackwardBitReader bits = default;
        if (!bits.Init(src, srcLength)) return false;
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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static byte DecodeSymbol(ref BackwardBitReader bits, ushort* cells, int tableBits)
    {
        ushort cell = cells[bits.Peek(tableBits)];
        bits.Skip(cell & 0xFF);
        return (byte)(cell >> 8);
    }
}
