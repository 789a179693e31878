using System.Runtime.CompilerServices;
using System.Numerics;

namespace CondaMirror.Core.Zstd.Encoding;

/// <summary>
/// Huffman coding of literals (RFC 8878 section 4.2): an optimal prefix code limited to 11 bits (package-merge),
/// its description as weights (FSE-compressed or 4 bits each), and 1- or 4-stream encoding.
/// </summary>
internal sealed unsafe class HuffmanEncoder
{
    public const int MaxBits = HuffmanTable.MaxBits;
    private const int WeightLog = 6;

    public readonly byte[] Lengths = new byte[256];
    public readonly ushort[] Codes = new ushort[256];
    public int MaxSymbol;
    public int TableBits;

    // Package-merge scratch: per level the merged list's weights and whether each item is a package.
    private readonly long[] _levelA = new long[512];
    private readonly long[] _levelB = new long[512];
    private readonly bool[][] _isPackage = Enumerable.Range(0, MaxBits + 1).Select(_ => new bool[512]).ToArray();
    private readonly int[] _levelCount = new int[MaxBits + 1];
    private readonly int[] _sorted = new int[256];
    private readonly byte[] _weights = new byte[256];
    private readonly short[] _norm = new short[16];
    private readonly uint[] _weightCounts = new uint[16];
    private readonly FseEncoderTable _weightTable = new();
    private readonly HuffmanTable _check = new();

    /// <summary>Builds the code for <paramref name="counts"/> over 0..maxSymbol; at least two symbols must be present.</summary>
    public void Build(ReadOnlySpan<uint> counts, int maxSymbol)
    {
        MaxSymbol = maxSymbol;
        Lengths.AsSpan().Clear();
        int n = 0;
        for (int s = 0; s <= maxSymbol; s++) if (counts[s] > 0) _sorted[n++] = s;
        var order = _sorted.AsSpan(0, n);
        // Insertion sort by count: n ≤ 256 and this runs once per block.
        for (int i = 1; i < n; i++)
        {
            int s = order[i];
            uint c = counts[s];
            int j = i - 1;
            while (j >= 0 && counts[order[j]] > c)
            {
                order[j + 1] = order[j];
                j--;
            }
            order[j + 1] = s;
        }
        const int levels = MaxBits;

        // Package-merge: level L holds the leaves; each shallower level merges the leaves with pairs of the deeper list.
        long[] previous = _levelA, current = _levelB;
        for (int i = 0; i < n; i++)
        {
            previous[i] = counts[order[i]];
            _isPackage[levels][i] = false;
        }
        _levelCount[levels] = n;
        for (int level = levels - 1; level >= 1; level--)
        {
            int packages = _levelCount[level + 1] / 2;
            var flags = _isPackage[level];
            int li = 0, pi = 0, k = 0;
            while (li < n || pi < packages)
            {
                long packageWeight = pi < packages ? previous[2 * pi] + previous[2 * pi + 1] : long.MaxValue;
                long leafWeight = li < n ? counts[order[li]] : long.MaxValue;
                if (leafWeight <= packageWeight)
                {
                    current[k] = leafWeight;
                    flags[k++] = false;
                    li++;
                }
                else
                {
                    current[k] = packageWeight;
                    flags[k++] = true;
                    pi++;
                }
            }
            _levelCount[level] = k;
            (previous, current) = (current, previous);
        }
        // The first 2n-2 items of the top list are chosen; walking down, each chosen leaf adds one bit to its symbol.
        int take = 2 * n - 2;
        for (int level = 1; level <= levels; level++)
        {
            var flags = _isPackage[level];
            int packagesTaken = 0;
            for (int i = 0; i < take; i++) if (flags[i]) packagesTaken++;
            int leaves = take - packagesTaken;
            for (int i = 0; i < leaves; i++) Lengths[order[i]]++;
            take = 2 * packagesTaken;
        }

        int maxLength = 0;
        for (int i = 0; i < n; i++) maxLength = Math.Max(maxLength, Lengths[order[i]]);
        TableBits = maxLength;
        AssignCodes();
    }

    /// <summary>Canonical codes in the decoder's order: by weight (longest codes first), then by symbol.</summary>
    private void AssignCodes()
    {
        Span<int> rankCount = stackalloc int[MaxBits + 2];
        Span<int> rankStart = stackalloc int[MaxBits + 2];
        for (int s = 0; s <= MaxSymbol; s++) if (Lengths[s] > 0) rankCount[TableBits + 1 - Lengths[s]]++;
        int position = 0;
        for (int w = 1; w <= MaxBits; w++)
        {
            rankStart[w] = position;
            position += rankCount[w] << (w - 1);
        }
        for (int s = 0; s <= MaxSymbol; s++)
        {
            int length = Lengths[s];
            if (length == 0) continue;
            int w = TableBits + 1 - length;
            Codes[s] = (ushort)(rankStart[w] >> (w - 1));
            rankStart[w] += 1 << (w - 1);
        }
    }

    /// <summary>Bits of the coded literals, without the description.</summary>
    public long EstimateBits(ReadOnlySpan<uint> counts)
    {
        long bits = 0;
        for (int s = 0; s <= MaxSymbol; s++) bits += (long)counts[s] * Lengths[s];
        return bits;
    }

    /// <summary>Writes the tree description; returns its size, or -1 if neither form can express it.</summary>
    public int WriteDescription(Span<byte> dst)
    {
        int count = MaxSymbol; // the last symbol's weight is implied
        for (int s = 0; s < count; s++) _weights[s] = (byte)(Lengths[s] == 0 ? 0 : TableBits + 1 - Lengths[s]);
        int fse = WriteFseWeights(dst, count);
        int direct = count <= 128 ? 1 + (count + 1) / 2 : int.MaxValue;
        if (fse > 0 && fse < direct) return fse;
        if (direct == int.MaxValue) return -1;
        dst[0] = (byte)(127 + count);
        for (int i = 0; i < count; i += 2)
        {
            int high = _weights[i];
            int low = i + 1 < count ? _weights[i + 1] : 0;
            dst[1 + i / 2] = (byte)((high << 4) | low);
        }
        return direct;
    }

    /// <summary>FSE-compressed weights with two interleaved states; -1 when not possible or not verifiable.</summary>
    private int WriteFseWeights(Span<byte> dst, int count)
    {
        if (count < 2) return -1;
        var counts = _weightCounts.AsSpan();
        counts.Clear();
        int maxWeight = 0;
        for (int i = 0; i < count; i++)
        {
            counts[_weights[i]]++;
            maxWeight = Math.Max(maxWeight, _weights[i]);
        }
        for (int w = 0; w <= maxWeight; w++) if (counts[w] == count) return -1; // one value only: direct form is small
        int log = FseNormalizer.OptimalTableLog(WeightLog, count, maxWeight);
        FseNormalizer.Normalize(counts, maxWeight + 1, count, log, _norm);
        _weightTable.Build(_norm, maxWeight + 1, log);
        Span<byte> buffer = stackalloc byte[256];
        int header = FseNormalizer.WriteDescription(buffer, _norm, maxWeight + 1, log);
        int bodySize;
        fixed (byte* body = buffer[header..])
        {
            var bits = new BitWriter(body, 256 - header);
            // Even weights come from the first state, odd ones from the second; both end on their last weight.
            int i = count;
            uint s1, s2;
            if ((count & 1) != 0)
            {
                s1 = _weightTable.InitialState(_weights[--i]);
                s2 = _weightTable.InitialState(_weights[--i]);
                Encode(ref bits, ref s1, _weights[--i]);
            }
            else
            {
                s2 = _weightTable.InitialState(_weights[--i]);
                s1 = _weightTable.InitialState(_weights[--i]);
            }
            bits.Flush();
            while (i > 0)
            {
                Encode(ref bits, ref s2, _weights[--i]);
                Encode(ref bits, ref s1, _weights[--i]);
                bits.Flush();
            }
            bits.AddMasked(s2, log);
            bits.AddMasked(s1, log);
            bodySize = bits.Close();
        }
        if (bodySize < 0) return -1;
        int total = header + bodySize;
        if (total >= 128) return -1;
        dst[0] = (byte)total;
        buffer[..total].CopyTo(dst[1..]);
        // The decoder stops when a state update runs past the stream; an update that reads no bits at the very end
        // would make it emit extra weights, so the description is checked by decoding it.
        int used = _check.ReadDescription(dst[..(1 + total)]);
        if (used != 1 + total || !_check.WeightsEqual(_weights.AsSpan(0, count), count)) return -1;
        return 1 + total;
    }

    private void Encode(ref BitWriter bits, ref uint state, int symbol)
    {
        int nbOut = (int)((state + (uint)_weightTable.DeltaNbBits[symbol]) >> 16);
        bits.AddMasked(state, nbOut);
        state = _weightTable.States[(state >> nbOut) + _weightTable.DeltaFindState[symbol]];
    }

    /// <summary>One Huffman stream of src[0..length) into dst; returns its size or -1 if it does not fit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int CompressStream(byte* dst, int capacity, byte* src, int length)
    {
        if (capacity < 8) return -1;
        var bits = new BitWriter(dst, capacity);
        fixed (ushort* codes = Codes)
        fixed (byte* lengths = Lengths)
        {
            // The decoder reads the first literal first, so literals are written last to first.
            int i = length;
            while ((i & 3) != 0)
            {
                i--;
                byte b = src[i];
                bits.Add(codes[b], lengths[b]);
            }
            bits.Flush();
            while (i > 0)
            {
                i -= 4;
                byte b3 = src[i + 3], b2 = src[i + 2], b1 = src[i + 1], b0 = src[i];
                bits.Add(codes[b3], lengths[b3]);
                bits.Add(codes[b2], lengths[b2]);
                bits.Add(codes[b1], lengths[b1]);
                bits.Add(codes[b0], lengths[b0]);
                bits.Flush();
            }
        }
        return bits.Close();
    }

    /// <summary>Four streams behind a 6-byte jump table; returns the total size or -1.</summary>
    public int CompressFourStreams(byte* dst, int capacity, byte* src, int length)
    {
        if (capacity < 6 + 4 * 8) return -1;
        int segment = (length + 3) / 4;
        byte* op = dst + 6;
        byte* end = dst + capacity;
        Span<int> sizes = stackalloc int[4];
        for (int k = 0; k < 4; k++)
        {
            int start = k * segment;
            int count = k < 3 ? segment : length - 3 * segment;
            int size = CompressStream(op, (int)(end - op), src + start, count);
            if (size < 0 || (k < 3 && size > 0xFFFF)) return -1;
            sizes[k] = size;
            op += size;
        }
        for (int k = 0; k < 3; k++)
        {
            dst[2 * k] = (byte)sizes[k];
            dst[2 * k + 1] = (byte)(sizes[k] >> 8);
        }
        return (int)(op - dst);
    }
}
