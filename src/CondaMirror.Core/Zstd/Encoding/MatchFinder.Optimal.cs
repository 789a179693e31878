using System.Numerics;
using System.Runtime.CompilerServices;

namespace CondaMirror.Core.Zstd.Encoding;

/// <summary>
/// The optimal parser of the highest levels: a shortest-path search over the block where every position can be
/// left by a literal or by any length of any match found there (chain candidates and the three repeat offsets),
/// each step priced in estimated bits. Prices are estimates (literals from the block's byte frequencies, matches
/// from their offset and length codes); the chosen path is then coded exactly by <see cref="SequenceStore"/>.
/// </summary>
internal sealed unsafe partial class MatchFinder
{
    private const int MaxCandidates = 24;
    private const int PriceScale = 16; // prices are in 1/16 bits
    private const int Unreached = int.MaxValue;

    private int[] _price = Array.Empty<int>();
    private int[] _stepLength = Array.Empty<int>();   // 0: reached by a literal; else the match length ending here
    private uint[] _stepOffset = Array.Empty<uint>();
    private uint[] _rep1 = Array.Empty<uint>(), _rep2 = Array.Empty<uint>(), _rep3 = Array.Empty<uint>();
    private int[] _pathStart = Array.Empty<int>(), _pathLength = Array.Empty<int>();
    private uint[] _pathOffset = Array.Empty<uint>();
    private readonly int[] _literalPrice = new int[256];

    private void AllocateOptimal(int blockCapacity)
    {
        int n = blockCapacity + 1;
        _price = new int[n];
        _stepLength = new int[n];
        _stepOffset = new uint[n];
        _rep1 = new uint[n];
        _rep2 = new uint[n];
        _rep3 = new uint[n];
        int sequences = SequenceStore.MaxSequencesFor(blockCapacity);
        _pathStart = new int[sequences];
        _pathLength = new int[sequences];
        _pathOffset = new uint[sequences];
    }

    /// <summary>Estimated bits of a match's length: its extra bits plus typical FSE symbol costs of ML and LL.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int LengthPrice(int length)
    {
        int m = length - 3;
        int code = m < 128 ? BlockEncoder.MatchLengthCodeTable[m] : BitOperations.Log2((uint)m) + 36;
        return PriceScale * (BlockDecoder.MatchLengthBits[code] + 8) + (code > 15 ? PriceScale * 2 : 0);
    }

    /// <summary>Estimated bits of an offset: nearly free when it is a repeat offset, else its code and extra bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int OffsetPrice(uint offset, uint rep1, uint rep2, uint rep3)
    {
        if (offset == rep1) return PriceScale * 1;
        if (offset == rep2 || offset == rep3) return PriceScale * 3;
        return PriceScale * (BitOperations.Log2(offset + 3) + 5);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ParseOptimal(byte* b, int frameStart, int start, int end, SequenceStore store)
    {
        int low = Math.Max(frameStart, end - _windowSize);
        int length = end - start;
        int limit = end - 8;
        int nice = _p.NiceLength;
        int minLength = Math.Min(_p.MinMatch, 4);

        Span<int> counts = stackalloc int[256];
        for (int i = start; i < end; i++) counts[b[i]]++;
        for (int s = 0; s < 256; s++)
            _literalPrice[s] = (int)(PriceScale * Math.Log2((length + 256.0) / (counts[s] + 1))) + 2;

        int* lens = stackalloc int[MaxCandidates];
        uint* offs = stackalloc uint[MaxCandidates];
        fixed (int* price = _price)
        fixed (int* stepLength = _stepLength)
        fixed (uint* stepOffset = _stepOffset)
        fixed (uint* r1 = _rep1)
        fixed (uint* r2 = _rep2)
        fixed (uint* r3 = _rep3)
        fixed (int* literalPrice = _literalPrice)
        fixed (int* hashTable = _hashTable)
        fixed (int* chainTable = _chainTable)
        {
            new Span<int>(price, length + 1).Fill(Unreached);
            price[0] = 0;
            r1[0] = store.Rep1;
            r2[0] = store.Rep2;
            r3[0] = store.Rep3;
            int searchFrom = start; // positions inside a long match just taken are not searched

            for (int i = start; i < end; i++)
            {
                int rel = i - start;
                int here = price[rel];
                uint a1 = r1[rel], a2 = r2[rel], a3 = r3[rel];
                int viaLiteral = here + literalPrice[b[i]];
                if (viaLiteral < price[rel + 1])
                {
                    price[rel + 1] = viaLiteral;
                    stepLength[rel + 1] = 0;
                    r1[rel + 1] = a1;
                    r2[rel + 1] = a2;
                    r3[rel + 1] = a3;
                }
                if (i >= limit || i < searchFrom || i == frameStart) continue;

                int longest = 0;
                // Repeat offsets first: they are the cheapest matches.
                for (int k = 0; k < 3; k++)
                {
                    uint rep = k == 0 ? a1 : k == 1 ? a2 : a3;
                    if ((k == 1 && rep == a1) || (k == 2 && (rep == a1 || rep == a2))) continue;
                    if (i - (long)rep < low || Read32(b + i) != Read32(b + i - rep)) continue;
                    int repLength = Count(b + i + 4, b + i + 4 - rep, b + end) + 4;
                    int basePrice = here + OffsetPrice(rep, a1, a2, a3);
                    if (repLength >= nice)
                    {
                        Relax(price, stepLength, stepOffset, r1, r2, r3, rel + repLength, basePrice + LengthPrice(repLength), repLength, rep, a1, a2, a3);
                    }
                    else
                    {
                        for (int l = minLength; l <= repLength; l++)
                            Relax(price, stepLength, stepOffset, r1, r2, r3, rel + l, basePrice + LengthPrice(l), l, rep, a1, a2, a3);
                    }
                    longest = Math.Max(longest, repLength);
                }

                int found = Collect(b, i, end, low, hashTable, chainTable, lens, offs, Math.Max(longest, minLength - 1));
                int previous = minLength - 1;
                for (int c = 0; c < found; c++)
                {
                    int matchLength = lens[c];
                    uint offset = offs[c];
                    int basePrice = here + OffsetPrice(offset, a1, a2, a3);
                    if (matchLength >= nice)
                    {
                        Relax(price, stepLength, stepOffset, r1, r2, r3, rel + matchLength, basePrice + LengthPrice(matchLength), matchLength, offset, a1, a2, a3);
                    }
                    else
                    {
                        for (int l = previous + 1; l <= matchLength; l++)
                            Relax(price, stepLength, stepOffset, r1, r2, r3, rel + l, basePrice + LengthPrice(l), l, offset, a1, a2, a3);
                    }
                    previous = matchLength;
                    longest = Math.Max(longest, matchLength);
                }
                // A very long match is taken as is: searching inside it costs much and gains next to nothing.
                if (longest >= nice) searchFrom = i + longest;
            }

            // Walk the cheapest path back from the end, then emit it front to back.
            int steps = 0;
            int pos = length;
            while (pos > 0)
            {
                int step = stepLength[pos];
                if (step == 0)
                {
                    pos--;
                    continue;
                }
                _pathLength[steps] = step;
                _pathOffset[steps] = stepOffset[pos];
                pos -= step;
                _pathStart[steps++] = pos;
            }
            int anchor = start;
            for (int k = steps - 1; k >= 0; k--)
            {
                int matchStart = start + _pathStart[k];
                store.Add(b + anchor, matchStart - anchor, _pathOffset[k], _pathLength[k]);
                anchor = matchStart + _pathLength[k];
            }
            if (anchor < end) store.AddLiterals(b + anchor, end - anchor);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Relax(int* price, int* stepLength, uint* stepOffset, uint* r1, uint* r2, uint* r3,
        int target, int cost, int matchLength, uint offset, uint a1, uint a2, uint a3)
    {
        if (cost >= price[target]) return;
        price[target] = cost;
        stepLength[target] = matchLength;
        stepOffset[target] = offset;
        // The repeat offsets after this match, as the decoder will update them (literals precede most matches).
        if (offset == a1)
        {
            r1[target] = a1; r2[target] = a2; r3[target] = a3;
        }
        else if (offset == a2)
        {
            r1[target] = a2; r2[target] = a1; r3[target] = a3;
        }
        else if (offset == a3)
        {
            r1[target] = a3; r2[target] = a1; r3[target] = a2;
        }
        else
        {
            r1[target] = offset; r2[target] = a1; r3[target] = a2;
        }
    }

    /// <summary>Every chain candidate longer than all before it (lengths ascending), up to MaxCandidates.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Collect(byte* b, int ip, int end, int low, int* hashTable, int* chainTable, int* lens, uint* offs, int best)
    {
        Insert(b, ip, hashTable, chainTable);
        int h = Hash(b + ip);
        int candidate = hashTable[h];
        if (ip >= _nextToUpdate)
        {
            chainTable[ip & _chainMask] = candidate;
            hashTable[h] = ip;
            _nextToUpdate = ip + 1;
        }
        int minChain = ip - _chainMask - 1;
        int depth = _p.SearchDepth;
        int nice = _p.NiceLength;
        int found = 0;
        byte* ipPtr = b + ip;
        byte* endPtr = b + end;
        if (best < 3) best = 3;
        if (ipPtr + best >= endPtr) return 0;
        while (candidate >= low && candidate < ip && depth-- > 0)
        {
            byte* match = b + candidate;
            if (match[best] == ipPtr[best] && Read32(match) == Read32(ipPtr))
            {
                int length = Count(ipPtr + 4, match + 4, endPtr) + 4;
                if (length > best)
                {
                    best = length;
                    lens[found] = length;
                    offs[found] = (uint)(ip - candidate);
                    found++;
                    if (found == MaxCandidates || length >= nice || ipPtr + length == endPtr) break;
                }
            }
            if (candidate <= minChain) break;
            candidate = chainTable[candidate & _chainMask];
        }
        return found;
    }
}
