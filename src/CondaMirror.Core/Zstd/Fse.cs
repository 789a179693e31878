using System.Numerics;

namespace CondaMirror.Core.Zstd;

/// <summary>One state of an FSE decoding table: the symbol it emits and how to reach the next state.</summary>
internal struct FseCell
{
    public ushort Baseline;
    public byte NbBits;
    public byte Symbol;
}

/// <summary>
/// One state of a sequence decoding table: the FSE transition plus the symbol's meaning already resolved to the
/// value baseline and the number of extra bits that follow it, so the hot loop does one lookup per field.
/// </summary>
internal struct SequenceCell
{
    public uint BaseValue;
    public ushort NextStateBase;
    public byte NbBits;
    public byte ExtraBits;
}

/// <summary>Finite State Entropy table descriptions (RFC 8878 section 4.1).</summary>
internal static class Fse
{
    /// <summary>
    /// Reads a normalized probability description from the start of <paramref name="src"/> into <paramref name="norm"/>.
    /// Returns the number of bytes used, or -1 if the description is invalid.
    /// </summary>
    public static int ReadNormalizedCounts(ReadOnlySpan<byte> src, Span<short> norm, int maxSymbol, int maxTableLog,
        out int tableLog, out int symbolCount)
    {
        symbolCount = 0;
        var bits = new ForwardBitReader(src);
        tableLog = (int)bits.Peek(4) + 5;
        bits.BitPosition += 4;
        if (tableLog > maxTableLog) return -1;
        int remaining = (1 << tableLog) + 1;
        int threshold = 1 << tableLog;
        int nbBits = tableLog + 1;
        int symbol = 0;
        norm.Clear();
        while (remaining > 1)
        {
            if (symbol > maxSymbol || bits.PastEnd) return -1;
            int max = (2 * threshold - 1) - remaining;
            uint peek = bits.Peek(nbBits);
            int value;
            if ((int)(peek & (uint)(threshold - 1)) < max)
            {
                value = (int)(peek & (uint)(threshold - 1));
                bits.BitPosition += nbBits - 1;
            }
            else
            {
                value = (int)(peek & (uint)(2 * threshold - 1));
                if (value >= threshold) value -= max;
                bits.BitPosition += nbBits;
            }
            int probability = value - 1;
            remaining -= probability < 0 ? -probability : probability;
            if (remaining < 1) return -1;
            norm[symbol++] = (short)probability;
            if (probability == 0)
            {
                // A zero probability is followed by 2-bit repeat counts of further zero-probability symbols.
                while (true)
                {
                    if (bits.PastEnd) return -1;
                    int repeat = (int)bits.Peek(2);
                    bits.BitPosition += 2;
                    if (symbol + repeat > maxSymbol + 1) return -1;
                    symbol += repeat; // norm was cleared, so skipped symbols are already zero
                    if (repeat != 3) break;
                }
            }
            while (remaining < threshold)
            {
                nbBits--;
                threshold >>= 1;
            }
        }
        if (remaining != 1 || bits.PastEnd) return -1;
        symbolCount = symbol;
        return bits.BytesConsumed;
    }

    /// <summary>Builds the decoding table for the given distribution; false if the distribution is inconsistent.</summary>
    public static bool BuildTable(ReadOnlySpan<short> norm, int symbolCount, int tableLog, Span<FseCell> table)
    {
        int size = 1 << tableLog;
        int mask = size - 1;
        int high = size - 1;
        Span<ushort> next = stackalloc ushort[256];
        int total = 0;
        for (int s = 0; s < symbolCount; s++)
        {
            if (norm[s] == -1)
            {
                if (high < 0) return false;
                table[high--].Symbol = (byte)s;
                next[s] = 1;
                total++;
            }
            else
            {
                if (norm[s] < 0) return false;
                next[s] = (ushort)norm[s];
                total += norm[s];
            }
        }
        if (total != size) return false;
        int step = (size >> 1) + (size >> 3) + 3;
        int pos = 0;
        for (int s = 0; s < symbolCount; s++)
        {
            for (int i = 0; i < norm[s]; i++)
            {
                table[pos].Symbol = (byte)s;
                do pos = (pos + step) & mask; while (pos > high);
            }
        }
        if (pos != 0) return false;
        for (int i = 0; i < size; i++)
        {
            int s = table[i].Symbol;
            int state = next[s]++;
            int nb = tableLog - (31 - BitOperations.LeadingZeroCount((uint)state));
            table[i].NbBits = (byte)nb;
            table[i].Baseline = (ushort)((state << nb) - size);
        }
        return true;
    }

    /// <summary>Turns an FSE table over codes into a sequence table using the code baselines and extra-bit counts.</summary>
    public static void ToSequenceTable(ReadOnlySpan<FseCell> fse, int size, ReadOnlySpan<uint> baseValues, ReadOnlySpan<byte> extraBits, Span<SequenceCell> table)
    {
        for (int i = 0; i < size; i++)
        {
            var cell = fse[i];
            table[i] = new SequenceCell
            {
                BaseValue = baseValues[cell.Symbol],
                ExtraBits = extraBits[cell.Symbol],
                NbBits = cell.NbBits,
                NextStateBase = cell.Baseline,
            };
        }
    }
}
