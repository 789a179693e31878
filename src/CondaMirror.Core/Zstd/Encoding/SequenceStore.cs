using System.Runtime.CompilerServices;

namespace CondaMirror.Core.Zstd.Encoding;

/// <summary>
/// The sequences and literals of one block as the match finder produces them, plus the repeat-offset history
/// (RFC 8878 section 3.1.2.5). Offsets are turned into offset values here, with the decoder's exact rules, so the
/// match finder only deals in distances.
/// </summary>
internal sealed unsafe class SequenceStore
{
    public readonly byte[] Literals;
    public int LiteralCount;
    public readonly uint[] LiteralLengths;
    public readonly uint[] MatchLengths;
    public readonly uint[] OffsetValues;
    public int Count;

    /// <summary>Most sequences a block of <paramref name="blockCapacity"/> bytes can hold (matches are 3+ bytes).</summary>
    public static int MaxSequencesFor(int blockCapacity) => blockCapacity / 3 + 1;

    /// <summary>Buffers for blocks of up to <paramref name="blockCapacity"/> bytes (small inputs need less).</summary>
    public SequenceStore(int blockCapacity)
    {
        Literals = new byte[blockCapacity + 32];
        int sequences = MaxSequencesFor(blockCapacity);
        LiteralLengths = new uint[sequences];
        MatchLengths = new uint[sequences];
        OffsetValues = new uint[sequences];
    }

    public uint Rep1 = 1, Rep2 = 4, Rep3 = 8;
    private uint _savedRep1, _savedRep2, _savedRep3;

    public void ResetFrame()
    {
        Rep1 = 1;
        Rep2 = 4;
        Rep3 = 8;
        Clear();
    }

    public void Clear()
    {
        Count = 0;
        LiteralCount = 0;
    }

    /// <summary>Remembers the repeat offsets so a block that ends up stored raw can undo its sequences.</summary>
    public void SaveRepeats() => (_savedRep1, _savedRep2, _savedRep3) = (Rep1, Rep2, Rep3);

    public void RestoreRepeats() => (Rep1, Rep2, Rep3) = (_savedRep1, _savedRep2, _savedRep3);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void AddLiterals(byte* src, int length)
    {
        fixed (byte* dst = &Literals[LiteralCount])
        {
            Buffer.MemoryCopy(src, dst, Literals.Length - LiteralCount, length);
        }
        LiteralCount += length;
    }

    /// <summary>Adds literals then a match of <paramref name="matchLength"/> (≥ 3) bytes at <paramref name="offset"/> back.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(byte* literals, int literalLength, uint offset, int matchLength)
    {
        if (literalLength > 0) AddLiterals(literals, literalLength);
        uint value;
        if (literalLength > 0)
        {
            value = offset == Rep1 ? 1u : offset == Rep2 ? 2u : offset == Rep3 ? 3u : offset + 3;
        }
        else
        {
            value = offset == Rep2 ? 1u : offset == Rep3 ? 2u : offset == Rep1 - 1 ? 3u : offset + 3;
        }
        if (value > 3)
        {
            Rep3 = Rep2;
            Rep2 = Rep1;
            Rep1 = offset;
        }
        else
        {
            uint index = value - (literalLength == 0 ? 0u : 1u);
            if (index == 1)
            {
                Rep2 = Rep1;
                Rep1 = offset;
            }
            else if (index >= 2)
            {
                Rep3 = Rep2;
                Rep2 = Rep1;
                Rep1 = offset;
            }
        }
        int n = Count++;
        LiteralLengths[n] = (uint)literalLength;
        MatchLengths[n] = (uint)matchLength;
        OffsetValues[n] = value;
    }
}
