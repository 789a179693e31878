using System.Runtime.CompilerServices;
using System.Numerics;

namespace CondaMirror.Core.Zstd.Encoding;

/// <summary>
/// Turns a block's <see cref="SequenceStore"/> into the body of a compressed block (RFC 8878 section 3.1.1.3):
/// the literals section (raw, RLE or Huffman with 1 or 4 streams) and the sequences section with, per field, the
/// cheapest of predefined, RLE, repeat and newly described FSE tables. Tables only become "previous" (for repeat
/// mode) when the caller commits the block, so a block that is finally stored raw leaves no trace.
/// </summary>
internal sealed unsafe class BlockEncoder
{
    private const int MinLiteralsToCompress = 64;

    private static readonly FseEncoderTable DefaultLiteralLength = BuildDefault(BlockDecoder.DefaultLiteralLengthNorm, 6);
    private static readonly FseEncoderTable DefaultMatchLength = BuildDefault(BlockDecoder.DefaultMatchLengthNorm, 6);
    private static readonly FseEncoderTable DefaultOffset = BuildDefault(BlockDecoder.DefaultOffsetNorm, 5);
    private static readonly byte[] LiteralLengthCodeTable = BuildCodeTable(BlockDecoder.LiteralLengthBase, 0, 64);
    internal static readonly byte[] MatchLengthCodeTable = BuildCodeTable(BlockDecoder.MatchLengthBase, 3, 128);

    private static FseEncoderTable BuildDefault(short[] norm, int log)
    {
        var table = new FseEncoderTable();
        table.Build(norm, norm.Length, log);
        return table;
    }

    /// <summary>code[v] = the largest code whose baseline (minus <paramref name="bias"/>) is ≤ v, for v below <paramref name="size"/>.</summary>
    private static byte[] BuildCodeTable(uint[] bases, uint bias, int size)
    {
        var table = new byte[size];
        int code = 0;
        for (int v = 0; v < size; v++)
        {
            while (code + 1 < bases.Length && bases[code + 1] - bias <= v) code++;
            table[v] = (byte)code;
        }
        return table;
    }

    private readonly HuffmanEncoder _huffman = new();
    private readonly uint[] _literalCounts = new uint[256];
    private readonly byte[] _llCodes;
    private readonly byte[] _mlCodes;
    private readonly byte[] _ofCodes;
    private readonly uint[] _llCounts = new uint[BlockDecoder.MaxLiteralLengthCode + 1];
    private readonly uint[] _mlCounts = new uint[BlockDecoder.MaxMatchLengthCode + 1];
    private readonly uint[] _ofCounts = new uint[BlockDecoder.MaxOffsetCode + 1];
    private readonly short[] _norm = new short[64];

    // Two own tables per field: one may be the committed "previous" table while the other is being built.
    private readonly FseEncoderTable[] _llOwn = { new(), new() };
    private readonly FseEncoderTable[] _mlOwn = { new(), new() };
    private readonly FseEncoderTable[] _ofOwn = { new(), new() };
    private FseEncoderTable? _llPrevious, _mlPrevious, _ofPrevious;
    private FseEncoderTable? _llChosen, _mlChosen, _ofChosen;

    public BlockEncoder(int blockCapacity)
    {
        int sequences = SequenceStore.MaxSequencesFor(blockCapacity);
        _llCodes = new byte[sequences];
        _mlCodes = new byte[sequences];
        _ofCodes = new byte[sequences];
    }

    public void ResetFrame()
    {
        _llPrevious = _mlPrevious = _ofPrevious = null;
    }

    /// <summary>Makes this block's tables the ones later blocks may repeat.</summary>
    public void Commit()
    {
        if (_llChosen is not null) _llPrevious = _llChosen;
        if (_mlChosen is not null) _mlPrevious = _mlChosen;
        if (_ofChosen is not null) _ofPrevious = _ofChosen;
    }

    /// <summary>Encodes the block body into dst; returns its size, or -1 if it does not fit in <paramref name="capacity"/>.</summary>
    public int Encode(SequenceStore store, byte* dst, int capacity)
    {
        _llChosen = _mlChosen = _ofChosen = null;
        int literalsSize = EncodeLiterals(store, dst, capacity);
        if (literalsSize < 0) return -1;
        int sequencesSize = EncodeSequences(store, dst + literalsSize, capacity - literalsSize);
        if (sequencesSize < 0) return -1;
        return literalsSize + sequencesSize;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int EncodeLiterals(SequenceStore store, byte* dst, int capacity)
    {
        int count = store.LiteralCount;
        if (capacity < 5 + 8) return -1;
        fixed (byte* literals = store.Literals)
        {
            if (count < MinLiteralsToCompress) return WriteRawLiterals(dst, capacity, literals, count);

            var counts = _literalCounts.AsSpan();
            counts.Clear();
            for (int i = 0; i < count; i++) counts[literals[i]]++;
            int maxSymbol = 255;
            while (counts[maxSymbol] == 0) maxSymbol--;
            int present = 0;
            for (int s = 0; s <= maxSymbol; s++) if (counts[s] != 0) present++;
            if (present == 1)
            {
                int header = WriteLiteralsHeader(dst, 1, count);
                dst[header] = literals[0];
                return header + 1;
            }

            _huffman.Build(counts, maxSymbol);
            long estimate = (_huffman.EstimateBits(counts) + 7) >> 3;
            // Not worth it unless the coded literals clearly beat storing them.
            if (estimate + 64 >= count) return WriteRawLiterals(dst, capacity, literals, count);

            bool single = count < 256;
            int headerSize = single ? 3 : count < 1024 ? 3 : count < 16384 ? 4 : 5;
            byte* op = dst + headerSize;
            int room = capacity - headerSize;
            int description = _huffman.WriteDescription(new Span<byte>(op, Math.Min(room, 256)));
            if (description < 0) return WriteRawLiterals(dst, capacity, literals, count);
            op += description;
            room -= description;
            int streams = single
                ? _huffman.CompressStream(op, room, literals, count)
                : _huffman.CompressFourStreams(op, room, literals, count);
            if (streams < 0) return WriteRawLiterals(dst, capacity, literals, count);
            int compressed = description + streams;
            if (compressed + headerSize >= count + (count < 4096 ? 2 : 3)) return WriteRawLiterals(dst, capacity, literals, count);
            // compressed < count here, so it fits the same field width as the literal count.
            ulong value = 2UL;
            switch (headerSize)
            {
                case 3:
                    value |= (ulong)(single ? 0 : 1) << 2 | (ulong)count << 4 | (ulong)compressed << 14;
                    break;
                case 4:
                    value |= 2UL << 2 | (ulong)count << 4 | (ulong)compressed << 18;
                    break;
                default:
                    value |= 3UL << 2 | (ulong)count << 4 | (ulong)compressed << 22;
                    break;
            }
            for (int i = 0; i < headerSize; i++) dst[i] = (byte)(value >> (8 * i));
            return headerSize + compressed;
        }
    }

    private static int WriteRawLiterals(byte* dst, int capacity, byte* literals, int count)
    {
        int header = WriteLiteralsHeader(dst, 0, count);
        if (header + count > capacity) return -1;
        Buffer.MemoryCopy(literals, dst + header, capacity - header, count);
        return header + count;
    }

    /// <summary>Header of a raw (type 0) or RLE (type 1) literals section.</summary>
    private static int WriteLiteralsHeader(byte* dst, int type, int count)
    {
        if (count < 32)
        {
            dst[0] = (byte)(type | (count << 3));
            return 1;
        }
        if (count < 4096)
        {
            int v = type | (1 << 2) | (count << 4);
            dst[0] = (byte)v;
            dst[1] = (byte)(v >> 8);
            return 2;
        }
        int w = type | (3 << 2) | (count << 4);
        dst[0] = (byte)w;
        dst[1] = (byte)(w >> 8);
        dst[2] = (byte)(w >> 16);
        return 3;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int EncodeSequences(SequenceStore store, byte* dst, int capacity)
    {
        int n = store.Count;
        if (capacity < 4) return -1;
        int pos;
        if (n < 128)
        {
            dst[0] = (byte)n;
            pos = 1;
        }
        else if (n < 0x7F00)
        {
            dst[0] = (byte)((n >> 8) + 128);
            dst[1] = (byte)n;
            pos = 2;
        }
        else
        {
            dst[0] = 255;
            dst[1] = (byte)(n - 0x7F00);
            dst[2] = (byte)((n - 0x7F00) >> 8);
            pos = 3;
        }
        if (n == 0) return pos;

        _llCounts.AsSpan().Clear();
        _mlCounts.AsSpan().Clear();
        _ofCounts.AsSpan().Clear();
        int maxLl = 0, maxMl = 0, maxOf = 0;
        fixed (uint* ll = store.LiteralLengths)
        fixed (uint* ml = store.MatchLengths)
        fixed (uint* of = store.OffsetValues)
        fixed (byte* llCodes = _llCodes)
        fixed (byte* mlCodes = _mlCodes)
        fixed (byte* ofCodes = _ofCodes)
        fixed (byte* llCodeTable = LiteralLengthCodeTable)
        fixed (byte* mlCodeTable = MatchLengthCodeTable)
        {
            for (int i = 0; i < n; i++)
            {
                uint l = ll[i];
                int lc = l < 64 ? llCodeTable[l] : BitOperations.Log2(l) + 19;
                uint m = ml[i] - 3;
                int mc = m < 128 ? mlCodeTable[m] : BitOperations.Log2(m) + 36;
                int oc = BitOperations.Log2(of[i]);
                llCodes[i] = (byte)lc;
                mlCodes[i] = (byte)mc;
                ofCodes[i] = (byte)oc;
                _llCounts[lc]++;
                _mlCounts[mc]++;
                _ofCounts[oc]++;
                if (lc > maxLl) maxLl = lc;
                if (mc > maxMl) maxMl = mc;
                if (oc > maxOf) maxOf = oc;
            }
        }

        if (capacity - pos < 1 + 3 * 80 + 8) return -1;
        int modesAt = pos++;
        var span = new Span<byte>(dst, capacity);
        int llMode = ChooseTable(span, ref pos, _llCounts, maxLl, n, BlockDecoder.LiteralLengthLog, DefaultLiteralLength, _llPrevious, _llOwn, out _llChosen);
        int ofMode = ChooseTable(span, ref pos, _ofCounts, maxOf, n, BlockDecoder.OffsetLog, DefaultOffset, _ofPrevious, _ofOwn, out _ofChosen);
        int mlMode = ChooseTable(span, ref pos, _mlCounts, maxMl, n, BlockDecoder.MatchLengthLog, DefaultMatchLength, _mlPrevious, _mlOwn, out _mlChosen);
        dst[modesAt] = (byte)((llMode << 6) | (ofMode << 4) | (mlMode << 2));

        int streamSize = WriteSequenceBitstream(store, dst + pos, capacity - pos, _llChosen!, _mlChosen!, _ofChosen!);
        if (streamSize < 0) return -1;
        return pos + streamSize;
    }

    /// <summary>Picks the cheapest table mode for one field, writes its description if any, and returns the mode.</summary>
    private int ChooseTable(Span<byte> dst, ref int pos, uint[] counts, int maxSymbol, int n, int maxLog,
        FseEncoderTable predefined, FseEncoderTable? previous, FseEncoderTable[] own, out FseEncoderTable chosen)
    {
        var free = ReferenceEquals(previous, own[0]) ? own[1] : own[0];
        if (counts[maxSymbol] == n)
        {
            // One code only: RLE, a one-cell table that costs no bits per sequence.
            _norm.AsSpan(0, maxSymbol + 1).Clear();
            _norm[maxSymbol] = 1;
            free.Build(_norm, maxSymbol + 1, 0);
            dst[pos++] = (byte)maxSymbol;
            chosen = free;
            return 1;
        }
        double predefinedCost = predefined.Cost(counts, maxSymbol);
        double repeatCost = previous is null ? double.PositiveInfinity : previous.Cost(counts, maxSymbol);

        int log = FseNormalizer.OptimalTableLog(maxLog, n, maxSymbol);
        FseNormalizer.Normalize(counts, maxSymbol + 1, n, log, _norm);
        Span<byte> description = stackalloc byte[96];
        int descriptionSize = FseNormalizer.WriteDescription(description, _norm, maxSymbol + 1, log);
        double newCost = FseNormalizer.Cost(counts, maxSymbol, _norm, maxSymbol + 1, log) + 8.0 * descriptionSize;

        if (repeatCost <= predefinedCost && repeatCost <= newCost)
        {
            chosen = previous!;
            return 3;
        }
        if (predefinedCost <= newCost)
        {
            chosen = predefined;
            return 0;
        }
        free.Build(_norm, maxSymbol + 1, log);
        description[..descriptionSize].CopyTo(dst[pos..]);
        pos += descriptionSize;
        chosen = free;
        return 2;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int WriteSequenceBitstream(SequenceStore store, byte* dst, int capacity,
        FseEncoderTable llTable, FseEncoderTable mlTable, FseEncoderTable ofTable)
    {
        if (capacity < 16) return -1;
        int n = store.Count;
        var bits = new BitWriter(dst, capacity);
        byte[] llBits = BlockDecoder.LiteralLengthBits;
        byte[] mlBits = BlockDecoder.MatchLengthBits;
        uint[] llBase = BlockDecoder.LiteralLengthBase;
        uint[] mlBase = BlockDecoder.MatchLengthBase;
        fixed (uint* ll = store.LiteralLengths)
        fixed (uint* ml = store.MatchLengths)
        fixed (uint* of = store.OffsetValues)
        fixed (byte* llCodes = _llCodes)
        fixed (byte* mlCodes = _mlCodes)
        fixed (byte* ofCodes = _ofCodes)
        fixed (ushort* llStates = llTable.States)
        fixed (ushort* mlStates = mlTable.States)
        fixed (ushort* ofStates = ofTable.States)
        fixed (int* llDelta = llTable.DeltaNbBits)
        fixed (int* mlDelta = mlTable.DeltaNbBits)
        fixed (int* ofDelta = ofTable.DeltaNbBits)
        fixed (int* llFind = llTable.DeltaFindState)
        fixed (int* mlFind = mlTable.DeltaFindState)
        fixed (int* ofFind = ofTable.DeltaFindState)
        {
            // Written last to first: the last sequence picks the states the decoder ends in (no bits for it).
            int last = n - 1;
            uint llState = llTable.InitialState(llCodes[last]);
            uint mlState = mlTable.InitialState(mlCodes[last]);
            uint ofState = ofTable.InitialState(ofCodes[last]);
            bits.Add(ll[last] - llBase[llCodes[last]], llBits[llCodes[last]]);
            bits.Add(ml[last] - mlBase[mlCodes[last]], mlBits[mlCodes[last]]);
            bits.Flush();
            bits.AddMasked(of[last], ofCodes[last]);
            bits.Flush();
            for (int i = n - 2; i >= 0; i--)
            {
                int lc = llCodes[i], mc = mlCodes[i], oc = ofCodes[i];
                // State transitions in reverse of the decoder's order (it updates LL, ML, then OF).
                int nb = (int)((ofState + (uint)ofDelta[oc]) >> 16);
                bits.AddMasked(ofState, nb);
                ofState = ofStates[(ofState >> nb) + ofFind[oc]];
                nb = (int)((mlState + (uint)mlDelta[mc]) >> 16);
                bits.AddMasked(mlState, nb);
                mlState = mlStates[(mlState >> nb) + mlFind[mc]];
                nb = (int)((llState + (uint)llDelta[lc]) >> 16);
                bits.AddMasked(llState, nb);
                llState = llStates[(llState >> nb) + llFind[lc]];
                bits.Add(ll[i] - llBase[lc], llBits[lc]);
                bits.Flush();
                bits.Add(ml[i] - mlBase[mc], mlBits[mc]);
                bits.AddMasked(of[i], oc);
                bits.Flush();
            }
            bits.AddMasked(mlState, mlTable.TableLog);
            bits.AddMasked(ofState, ofTable.TableLog);
            bits.AddMasked(llState, llTable.TableLog);
        }
        return bits.Close();
    }
}
