using System.Numerics;
using System.Runtime.CompilerServices;

namespace CondaMirror.Core.Zstd.Encoding;

/// <summary>
/// An FSE encoding table (RFC 8878 section 4.1) for one normalized distribution. The decoder's table is built by
/// spreading symbols over 2^log cells; the encoder walks the same table backwards: for each symbol it lists the
/// cells holding it (as state values log..2·size) and, per symbol, how many bits a state emits before moving on.
/// A distribution with one symbol at log 0 is the RLE table (no state bits at all).
/// </summary>
internal sealed class FseEncoderTable
{
    public const int MaxLog = 9;

    public readonly ushort[] States = new ushort[1 << MaxLog];
    public readonly int[] DeltaFindState = new int[256];
    public readonly int[] DeltaNbBits = new int[256];
    /// <summary>The distribution this table was built from (read by the repeat-mode cost estimate).</summary>
    public readonly short[] Norm = new short[256];
    public int SymbolCount;
    public int TableLog;
    private readonly FseCell[] _spread = new FseCell[1 << MaxLog];

    public void Build(ReadOnlySpan<short> norm, int symbolCount, int tableLog)
    {
        int size = 1 << tableLog;
        Norm.AsSpan().Clear();
        norm[..symbolCount].CopyTo(Norm);
        SymbolCount = symbolCount;
        TableLog = tableLog;
        // The same spread as the decoder's, so cell i here is cell i there.
        if (!Fse.BuildTable(norm, symbolCount, tableLog, _spread))
            throw new InvalidOperationException("internal error: the zstd encoder built an inconsistent FSE distribution");

        Span<int> cumulative = stackalloc int[257];
        cumulative[0] = 0;
        for (int s = 0; s < symbolCount; s++) cumulative[s + 1] = cumulative[s] + (norm[s] == -1 ? 1 : norm[s]);
        for (int u = 0; u < size; u++)
        {
            int s = _spread[u].Symbol;
            States[cumulative[s]++] = (ushort)(size + u);
        }

        int total = 0;
        for (int s = 0; s < symbolCount; s++)
        {
            int n = norm[s];
            if (n == 0)
            {
                DeltaNbBits[s] = ((tableLog + 1) << 16) - size;
                DeltaFindState[s] = 0;
            }
            else if (n is -1 or 1)
            {
                DeltaNbBits[s] = (tableLog << 16) - size;
                DeltaFindState[s] = total - 1;
                total++;
            }
            else
            {
                int maxBitsOut = tableLog - BitOperations.Log2((uint)(n - 1));
                int minStatePlus = n << maxBitsOut;
                DeltaNbBits[s] = (maxBitsOut << 16) - minStatePlus;
                DeltaFindState[s] = total - n;
                total += n;
            }
        }
    }

    /// <summary>The state from which the decoder emits <paramref name="symbol"/> last (no bits are written).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint InitialState(int symbol)
    {
        int nbOut = (DeltaNbBits[symbol] + (1 << 15)) >> 16;
        int value = (nbOut << 16) - DeltaNbBits[symbol];
        return States[(value >> nbOut) + DeltaFindState[symbol]];
    }

    /// <summary>Approximate cost in bits of coding <paramref name="counts"/> with this table; +inf if a symbol is missing.</summary>
    public double Cost(ReadOnlySpan<uint> counts, int maxSymbol) => FseNormalizer.Cost(counts, maxSymbol, Norm, SymbolCount, TableLog);
}

/// <summary>Normalized distributions: choosing the accuracy log, scaling counts, writing the table description.</summary>
internal static class FseNormalizer
{
    private static readonly uint[] RoundUpThreshold = { 0, 473195, 504333, 520860, 550000, 700000, 750000, 830000 };

    /// <summary>An accuracy log that suits <paramref name="total"/> samples over symbols 0..maxSymbol (5..maxLog).</summary>
    public static int OptimalTableLog(int maxLog, int total, int maxSymbol)
    {
        int sourceBits = BitOperations.Log2((uint)Math.Max(total - 1, 1));
        int tableLog = Math.Min(maxLog, sourceBits - 2);
        int minBits = Math.Min(sourceBits + 1, BitOperations.Log2((uint)Math.Max(maxSymbol, 1)) + 2);
        if (minBits > tableLog) tableLog = minBits;
        return Math.Clamp(tableLog, 5, maxLog);
    }

    /// <summary>
    /// Scales counts so they sum to 2^tableLog; every present symbol keeps a non-zero probability (-1 marks
    /// "less than one cell"). The table must have at least as many cells as there are present symbols.
    /// </summary>
    public static void Normalize(ReadOnlySpan<uint> counts, int symbolCount, int total, int tableLog, Span<short> norm)
    {
        int scale = 62 - tableLog;
        ulong step = (1UL << 62) / (ulong)total;
        ulong vStep = 1UL << (scale - 20);
        int lowThreshold = total >> tableLog;
        int stillToDistribute = 1 << tableLog;
        int largest = 0;
        int largestProbability = 0;
        for (int s = 0; s < symbolCount; s++)
        {
            uint c = counts[s];
            if (c == 0)
            {
                norm[s] = 0;
                continue;
            }
            if (c <= lowThreshold)
            {
                norm[s] = -1;
                stillToDistribute--;
                continue;
            }
            ulong scaled = c * step;
            int probability = (int)(scaled >> scale);
            if (probability < 8)
            {
                // Small probabilities round up only when the lost precision is large enough to pay for it.
                ulong restToBeat = vStep * RoundUpThreshold[probability];
                if (scaled - ((ulong)probability << scale) > restToBeat) probability++;
            }
            if (probability > largestProbability)
            {
                largestProbability = probability;
                largest = s;
            }
            norm[s] = (short)probability;
            stillToDistribute -= probability;
        }
        if (-stillToDistribute < (norm[largest] >> 1))
        {
            norm[largest] += (short)stillToDistribute;
            return;
        }
        NormalizeSlow(counts, symbolCount, total, tableLog, norm);
    }

    /// <summary>Fallback for skewed inputs: proportional floors, then the difference taken from or given to the biggest.</summary>
    private static void NormalizeSlow(ReadOnlySpan<uint> counts, int symbolCount, int total, int tableLog, Span<short> norm)
    {
        int size = 1 << tableLog;
        int sum = 0;
        for (int s = 0; s < symbolCount; s++)
        {
            if (counts[s] == 0)
            {
                norm[s] = 0;
                continue;
            }
            int p = (int)((ulong)counts[s] * (ulong)size / (ulong)total);
            norm[s] = (short)Math.Max(p, 1);
            sum += norm[s];
        }
        while (sum > size)
        {
            int best = -1;
            for (int s = 0; s < symbolCount; s++) if (norm[s] > 1 && (best < 0 || norm[s] > norm[best])) best = s;
            norm[best]--;
            sum--;
        }
        while (sum < size)
        {
            int best = 0;
            for (int s = 1; s < symbolCount; s++) if (counts[s] > counts[best]) best = s;
            norm[best]++;
            sum++;
        }
    }

    /// <summary>Writes the table description (RFC 8878 section 4.1.1); returns the bytes written.</summary>
    public static int WriteDescription(Span<byte> dst, ReadOnlySpan<short> norm, int symbolCount, int tableLog)
    {
        int size = 1 << tableLog;
        ulong acc = (ulong)(tableLog - 5);
        int accBits = 4;
        int pos = 0;
        int remaining = size + 1;
        int threshold = size;
        int nbBits = tableLog + 1;
        int s = 0;
        while (remaining > 1)
        {
            if (s >= symbolCount) throw new InvalidOperationException("internal error: FSE distribution does not sum to its table size");
            int probability = norm[s];
            int value = probability + 1;
            int max = (2 * threshold - 1) - remaining;
            if (value < max)
            {
                acc |= (ulong)value << accBits;
                accBits += nbBits - 1;
            }
            else
            {
                if (value >= threshold) value += max;
                acc |= (ulong)value << accBits;
                accBits += nbBits;
            }
            s++;
            remaining -= probability < 0 ? -probability : probability;
            while (remaining < threshold)
            {
                nbBits--;
                threshold >>= 1;
            }
            if (probability == 0)
            {
                // Further zero-probability symbols are given as 2-bit repeat counts (3 = "and more").
                int zeros = 0;
                while (s + zeros < symbolCount && norm[s + zeros] == 0) zeros++;
                s += zeros;
                while (true)
                {
                    Drain(dst, ref pos, ref acc, ref accBits);
                    int repeat = Math.Min(zeros, 3);
                    acc |= (ulong)repeat << accBits;
                    accBits += 2;
                    zeros -= repeat;
                    if (repeat < 3) break;
                }
            }
            Drain(dst, ref pos, ref acc, ref accBits);
        }
        while (accBits > 0)
        {
            dst[pos++] = (byte)acc;
            acc >>= 8;
            accBits -= 8;
        }
        return pos;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Drain(Span<byte> dst, ref int pos, ref ulong acc, ref int accBits)
    {
        while (accBits >= 8)
        {
            dst[pos++] = (byte)acc;
            acc >>= 8;
            accBits -= 8;
        }
    }

    /// <summary>Bits needed to code <paramref name="counts"/> with a distribution; +inf when a present symbol has no cell.</summary>
    public static double Cost(ReadOnlySpan<uint> counts, int maxSymbol, ReadOnlySpan<short> norm, int symbolCount, int tableLog)
    {
        double bits = 0;
        for (int s = 0; s <= maxSymbol; s++)
        {
            uint c = counts[s];
            if (c == 0) continue;
            if (s >= symbolCount || norm[s] == 0) return double.PositiveInfinity;
            int n = norm[s] == -1 ? 1 : norm[s];
            bits += c * (tableLog - Math.Log2(n));
        }
        return bits;
    }
}
