using System.Numerics;
using System.Runtime.CompilerServices;

namespace CondaMirror.Core.Zstd.Encoding;

/// <summary>
/// Finds matches with a hash table and hash chains over the encoder's window buffer and parses a block into
/// sequences: greedy or lazy (one or two positions of look-ahead), trying the most recent repeat offset first.
/// Positions are indices into the window buffer; <see cref="Shift"/> moves them when the buffer slides.
/// </summary>
internal sealed unsafe partial class MatchFinder
{
    private const int NoPosition = -1;

    private readonly CompressionParameters _p;
    private readonly int[] _hashTable;
    private readonly int[] _chainTable;
    private readonly int _hashShift;
    private readonly int _chainMask;
    private readonly int _windowSize;
    private int _nextToUpdate;

    public MatchFinder(CompressionParameters parameters, int blockCapacity)
    {
        _p = parameters;
        _hashTable = new int[1 << parameters.HashLog];
        _chainTable = new int[1 << parameters.ChainLog];
        _hashTable.AsSpan().Fill(NoPosition);
        _hashShift = 64 - parameters.HashLog;
        _chainMask = (1 << parameters.ChainLog) - 1;
        _windowSize = 1 << parameters.WindowLog;
        if (parameters.Optimal) AllocateOptimal(blockCapacity);
    }

    public int ChainSize => _chainMask + 1;

    /// <summary>Forgets positions below <paramref name="shift"/> and moves the rest down (a multiple of the chain size).</summary>
    public void Shift(int shift)
    {
        Rebase(_hashTable, shift);
        Rebase(_chainTable, shift);
        _nextToUpdate -= shift;
    }

    private static void Rebase(int[] table, int shift)
    {
        for (int i = 0; i < table.Length; i++)
        {
            int v = table[i];
            table[i] = v < shift ? NoPosition : v - shift;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Hash(byte* p)
    {
        ulong v = Unsafe.ReadUnaligned<ulong>(p);
        if (!BitConverter.IsLittleEndian) v = System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(v);
        return (int)(((v << (64 - 8 * _p.MinMatch)) * 0xCF1BBCDCB7A56463UL) >> _hashShift);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Read32(byte* p) => Unsafe.ReadUnaligned<uint>(p);

    /// <summary>Length of the common prefix of ip.. and match.., not reaching past <paramref name="end"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Count(byte* ip, byte* match, byte* end)
    {
        byte* start = ip;
        while (ip + 8 <= end)
        {
            ulong diff = Unsafe.ReadUnaligned<ulong>(ip) ^ Unsafe.ReadUnaligned<ulong>(match);
            if (diff != 0)
            {
                int bytes = BitConverter.IsLittleEndian ? BitOperations.TrailingZeroCount(diff) >> 3 : BitOperations.LeadingZeroCount(diff) >> 3;
                return (int)(ip - start) + bytes;
            }
            ip += 8;
            match += 8;
        }
        while (ip < end && *ip == *match)
        {
            ip++;
            match++;
        }
        return (int)(ip - start);
    }

    /// <summary>Adds positions [_nextToUpdate, target) to the hash chains.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Insert(byte* b, int target, int* hashTable, int* chainTable)
    {
        int mask = _chainMask;
        for (int idx = _nextToUpdate; idx < target; idx++)
        {
            int h = Hash(b + idx);
            chainTable[idx & mask] = hashTable[h];
            hashTable[h] = idx;
        }
        if (target > _nextToUpdate) _nextToUpdate = target;
    }

    /// <summary>Best match at ip among the chain's candidates at or above <paramref name="low"/>; 0 if none.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Search(byte* b, int ip, int end, int low, int* hashTable, int* chainTable, out int offset)
    {
        Insert(b, ip, hashTable, chainTable);
        // Look up and insert ip in one go, so each position is hashed once.
        int h = Hash(b + ip);
        int candidate = hashTable[h];
        if (ip >= _nextToUpdate)
        {
            chainTable[ip & _chainMask] = candidate;
            hashTable[h] = ip;
            _nextToUpdate = ip + 1;
        }
        int minChain = ip - _chainMask - 1;
        int best = 3;
        offset = 0;
        int depth = _p.SearchDepth;
        int nice = _p.NiceLength;
        byte* ipPtr = b + ip;
        byte* endPtr = b + end;
        while (candidate >= low && candidate < ip && depth-- > 0)
        {
            byte* match = b + candidate;
            if (match[best] == ipPtr[best] && Read32(match) == Read32(ipPtr))
            {
                int length = Count(ipPtr + 4, match + 4, endPtr) + 4;
                if (length > best)
                {
                    best = length;
                    offset = ip - candidate;
                    if (length >= nice || ipPtr + length == endPtr) break;
                }
            }
            if (candidate <= minChain) break;
            candidate = chainTable[candidate & _chainMask];
        }
        return best >= _p.MinMatch || (best >= 4 && offset < 1024) ? best : 0;
    }

    /// <summary>
    /// Parses b[start..end) into <paramref name="store"/>. b[frameStart..start) is history; the buffer must stay
    /// readable 8 bytes past end. Matches never reach further back than the window.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void ParseBlock(byte* b, int frameStart, int start, int end, SequenceStore store)
    {
        if (_p.Optimal)
        {
            ParseOptimal(b, frameStart, start, end, store);
            return;
        }
        int low = Math.Max(frameStart, end - _windowSize);
        int anchor = start;
        int ip = start;
        int limit = end - 8;
        if (ip == frameStart) ip++;
        int lazy = _p.Lazy;
        bool sparse = _p.SparseInsert;
        fixed (int* hashTable = _hashTable)
        fixed (int* chainTable = _chainTable)
        {
            while (ip < limit)
            {
                int matchLength = 0;
                uint offset = 0;
                int matchStart = ip + 1;
                uint rep1 = store.Rep1;
                // The last offset again, one byte on: cheap to check and to code.
                if (ip + 1 - (int)rep1 >= low && Read32(b + ip + 1 - rep1) == Read32(b + ip + 1))
                {
                    matchLength = Count(b + ip + 5, b + ip + 5 - rep1, b + end) + 4;
                    offset = rep1;
                }
                if (lazy > 0 || matchLength == 0)
                {
                    int found = Search(b, ip, end, low, hashTable, chainTable, out int foundOffset);
                    if (found > matchLength)
                    {
                        matchLength = found;
                        offset = (uint)foundOffset;
                        matchStart = ip;
                    }
                }
                if (matchLength < 4)
                {
                    // Nothing here: step faster the longer the run of literals gets.
                    ip += ((ip - anchor) >> 8) + 1;
                    continue;
                }

                while (lazy > 0 && ip < limit)
                {
                    ip++;
                    rep1 = store.Rep1;
                    if (offset != rep1 && ip - (int)rep1 >= low && Read32(b + ip) == Read32(b + ip - rep1))
                    {
                        int repLength = Count(b + ip + 4, b + ip + 4 - rep1, b + end) + 4;
                        int gainRep = repLength * 3;
                        int gainCurrent = matchLength * 3 - OffsetCost(offset, rep1) + 1;
                        if (gainRep > gainCurrent)
                        {
                            matchLength = repLength;
                            offset = rep1;
                            matchStart = ip;
                        }
                    }
                    int found = Search(b, ip, end, low, hashTable, chainTable, out int foundOffset);
                    if (found >= 4 && found * 4 - OffsetCost((uint)foundOffset, rep1) > matchLength * 4 - OffsetCost(offset, rep1) + 4)
                    {
                        matchLength = found;
                        offset = (uint)foundOffset;
                        matchStart = ip;
                        continue;
                    }
                    if (lazy == 2 && ip < limit)
                    {
                        ip++;
                        if (offset != rep1 && ip - (int)rep1 >= low && Read32(b + ip) == Read32(b + ip - rep1))
                        {
                            int repLength = Count(b + ip + 4, b + ip + 4 - rep1, b + end) + 4;
                            int gainRep = repLength * 4;
                            int gainCurrent = matchLength * 4 - OffsetCost(offset, rep1) + 1;
                            if (gainRep > gainCurrent)
                            {
                                matchLength = repLength;
                                offset = rep1;
                                matchStart = ip;
                            }
                        }
                        found = Search(b, ip, end, low, hashTable, chainTable, out foundOffset);
                        if (found >= 4 && found * 4 - OffsetCost((uint)foundOffset, rep1) > matchLength * 4 - OffsetCost(offset, rep1) + 7)
                        {
                            matchLength = found;
                            offset = (uint)foundOffset;
                            matchStart = ip;
                            continue;
                        }
                    }
                    break;
                }

                // Extend the match backwards over literals that also match.
                while (matchStart > anchor && matchStart - (int)offset > low && b[matchStart - 1] == b[matchStart - 1 - offset])
                {
                    matchStart--;
                    matchLength++;
                }
                store.Add(b + anchor, matchStart - anchor, offset, matchLength);
                ip = anchor = matchStart + matchLength;
                if (sparse && ip - 2 > _nextToUpdate && ip - 2 < limit)
                {
                    // Fast levels index only a few positions inside a match: its start and its last bytes.
                    Insert(b, Math.Min(matchStart + 3, ip - 2), hashTable, chainTable);
                    _nextToUpdate = ip - 2;
                }

                // Right after a match the second most recent offset often continues (e.g. alternating fields).
                while (ip <= limit)
                {
                    uint rep2 = store.Rep2;
                    if (ip - (int)rep2 < low || Read32(b + ip) != Read32(b + ip - rep2)) break;
                    int repLength = Count(b + ip + 4, b + ip + 4 - rep2, b + end) + 4;
                    store.Add(b + ip, 0, rep2, repLength);
                    ip = anchor = ip + repLength;
                }
            }
        }
        if (anchor < end) store.AddLiterals(b + anchor, end - anchor);
    }

    /// <summary>A rough cost of coding an offset, for comparing candidate matches (log2 of the offset value).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int OffsetCost(uint offset, uint rep1) => offset == rep1 ? 0 : BitOperations.Log2(offset + 3);
}
