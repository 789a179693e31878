using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using CondaMirror.Core.Errors;

namespace CondaMirror.Core.Zstd;

/// <summary>
/// Decodes compressed blocks (RFC 8878 section 3.1.1.3): the literals section, then the sequences section, executing
/// each sequence as soon as it is decoded. Entropy tables and repeat offsets carry over between blocks of a frame.
/// </summary>
internal sealed unsafe class BlockDecoder
{
    internal const int MaxLiteralLengthCode = 35;
    internal const int MaxMatchLengthCode = 52;
    internal const int MaxOffsetCode = 31;
    internal const int LiteralLengthLog = 9;
    internal const int MatchLengthLog = 9;
    internal const int OffsetLog = 8;

    internal static readonly uint[] LiteralLengthBase =
    {
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
        16, 18, 20, 22, 24, 28, 32, 40, 48, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536,
    };
    internal static readonly byte[] LiteralLengthBits =
    {
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        1, 1, 1, 1, 2, 2, 3, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
    };
    internal static readonly byte[] MatchLengthBits =
    {
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        1, 1, 1, 1, 2, 2, 3, 3, 4, 4, 5, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
    };
    // Declared after MatchLengthBits: static initializers run in textual order.
    internal static readonly uint[] MatchLengthBase = BuildMatchLengthBase();
    private static readonly uint[] OffsetBase = Enumerable.Range(0, MaxOffsetCode + 1).Select(c => 1u << c).ToArray();
    private static readonly byte[] OffsetBits = Enumerable.Range(0, MaxOffsetCode + 1).Select(c => (byte)c).ToArray();

    internal static readonly short[] DefaultLiteralLengthNorm =
    {
        4, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 3, 2, 1, 1, 1, 1, 1, -1, -1, -1, -1,
    };
    internal static readonly short[] DefaultMatchLengthNorm =
    {
        1, 4, 3, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1, -1, -1,
    };
    internal static readonly short[] DefaultOffsetNorm =
    {
        1, 1, 1, 1, 1, 1, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1,
    };

    private static readonly SequenceCell[] DefaultLiteralLengthTable = BuildDefault(DefaultLiteralLengthNorm, 6, LiteralLengthBase, LiteralLengthBits);
    private static readonly SequenceCell[] DefaultMatchLengthTable = BuildDefault(DefaultMatchLengthNorm, 6, MatchLengthBase, MatchLengthBits);
    private static readonly SequenceCell[] DefaultOffsetTable = BuildDefault(DefaultOffsetNorm, 5, OffsetBase, OffsetBits);

    private static uint[] BuildMatchLengthBase()
    {
        var bases = new uint[MaxMatchLengthCode + 1];
        uint value = 3;
        for (int code = 0; code <= MaxMatchLengthCode; code++)
        {
            bases[code] = value;
            value += 1u << MatchLengthBits[code];
        }
        return bases;
    }

    private static SequenceCell[] BuildDefault(short[] norm, int log, uint[] bases, byte[] bits)
    {
        var fse = new FseCell[1 << log];
        if (!Fse.BuildTable(norm, norm.Length, log, fse)) throw new InvalidOperationException("invalid predefined zstd distribution");
        var table = new SequenceCell[1 << log];
        Fse.ToSequenceTable(fse, 1 << log, bases, bits, table);
        return table;
    }

    /// <summary>A sequence decoding table in use: either a predefined one or one of our own buffers.</summary>
    private struct ActiveTable
    {
        public SequenceCell[]? Cells;
        public int Log;
    }

    private readonly byte[] _literals = new byte[ZstdConstants.MaxBlockSize + ZstdConstants.WildCopySlack];
    private readonly HuffmanTable _huffman = new();
    private bool _hasHuffman;
    private readonly SequenceCell[] _ownLiteralLength = new SequenceCell[1 << LiteralLengthLog];
    private readonly SequenceCell[] _ownMatchLength = new SequenceCell[1 << MatchLengthLog];
    private readonly SequenceCell[] _ownOffset = new SequenceCell[1 << OffsetLog];
    private readonly FseCell[] _fseScratch = new FseCell[1 << LiteralLengthLog];
    private readonly short[] _normScratch = new short[256];
    private ActiveTable _literalLengthTable, _matchLengthTable, _offsetTable;
    private uint _rep1, _rep2, _rep3;

    private long _blockOffset;

    public void ResetForFrame()
    {
        _hasHuffman = false;
        _literalLengthTable = _matchLengthTable = _offsetTable = default;
        _rep1 = 1;
        _rep2 = 4;
        _rep3 = 8;
    }

    private ZstdFormatException Corrupt(string problem, int relative = 0)
        => new(ErrorCodes.ZstdCorrupt, problem, _blockOffset + relative);

    /// <summary>
    /// Decodes the compressed block src[srcPos..srcPos+srcLength) into dst at dstPos. Back-references may reach
    /// down to dst[historyStart]. dst must have blockMaximum + slack bytes free after dstPos. Returns bytes written.
    /// </summary>
    public int Decode(byte[] src, int srcPos, int srcLength, byte[] dst, int dstPos, int historyStart, int blockMaximum, long blockOffset)
    {
        _blockOffset = blockOffset;
        var block = new ReadOnlySpan<byte>(src, srcPos, srcLength);
        int literalsUsed = DecodeLiterals(block, blockMaximum, out int literalCount);
        return DecodeSequences(block[literalsUsed..], literalsUsed, literalCount, dst, dstPos, historyStart, blockMaximum);
    }

    private int DecodeLiterals(ReadOnlySpan<byte> block, int blockMaximum, out int literalCount)
    {
        if (block.IsEmpty) throw Corrupt("a compressed block is empty");
        int b0 = block[0];
        int type = b0 & 3;
        int sizeFormat = (b0 >> 2) & 3;
        if (type <= 1)
        {
            int headerSize, regenerated;
            switch (sizeFormat)
            {
                case 0:
                case 2:
                    headerSize = 1;
                    regenerated = b0 >> 3;
                    break;
                case 1:
                    headerSize = 2;
                    if (block.Length < 2) throw Corrupt("the literals section header is truncated");
                    regenerated = (b0 >> 4) | (block[1] << 4);
                    break;
                default:
                    headerSize = 3;
                    if (block.Length < 3) throw Corrupt("the literals section header is truncated");
                    regenerated = (b0 >> 4) | (block[1] << 4) | (block[2] << 12);
                    break;
            }
            if (regenerated > blockMaximum) throw Corrupt($"{regenerated} literals exceed the maximum block size {blockMaximum}");
            literalCount = regenerated;
            if (type == 0)
            {
                if (block.Length < headerSize + regenerated) throw Corrupt("raw literals run past the end of the block");
                block.Slice(headerSize, regenerated).CopyTo(_literals);
                return headerSize + regenerated;
            }
            if (block.Length < headerSize + 1) throw Corrupt("the RLE literals byte is missing");
            _literals.AsSpan(0, regenerated).Fill(block[headerSize]);
            return headerSize + 1;
        }

        // Huffman-compressed literals, with a new tree (type 2) or the previous block's tree (type 3).
        int hdr, regen, compressed;
        bool fourStreams = sizeFormat != 0;
        switch (sizeFormat)
        {
            case 0:
            case 1:
                hdr = 3;
                if (block.Length < 3) throw Corrupt("the literals section header is truncated");
                regen = (b0 >> 4) | ((block[1] & 0x3F) << 4);
                compressed = (block[1] >> 6) | (block[2] << 2);
                break;
            case 2:
                hdr = 4;
                if (block.Length < 4) throw Corrupt("the literals section header is truncated");
                regen = (b0 >> 4) | (block[1] << 4) | ((block[2] & 3) << 12);
                compressed = (block[2] >> 2) | (block[3] << 6);
                break;
            default:
                hdr = 5;
                if (block.Length < 5) throw Corrupt("the literals section header is truncated");
                regen = (b0 >> 4) | (block[1] << 4) | ((block[2] & 0x3F) << 12);
                compressed = (block[2] >> 6) | (block[3] << 2) | (block[4] << 10);
                break;
        }
        if (regen > blockMaximum) throw Corrupt($"{regen} literals exceed the maximum block size {blockMaximum}");
        if (hdr + compressed > block.Length) throw Corrupt("compressed literals run past the end of the block");
        var payload = block.Slice(hdr, compressed);
        if (type == 2)
        {
            int treeSize = _huffman.ReadDescription(payload);
            if (treeSize < 0) throw Corrupt("invalid Huffman tree description", hdr);
            _hasHuffman = true;
            payload = payload[treeSize..];
        }
        else if (!_hasHuffman)
        {
            throw Corrupt("literals reuse a Huffman tree but no earlier block of the frame defined one");
        }

        fixed (byte* p = payload)
        fixed (byte* lit = _literals)
        {
            if (!fourStreams)
            {
                if (!_huffman.DecodeStream(p, payload.Length, lit, regen)) throw Corrupt("corrupted Huffman literals stream");
            }
            else
            {
                if (payload.Length < 6 || regen < 4) throw Corrupt("invalid 4-stream literals layout");
                int s1 = p[0] | (p[1] << 8), s2 = p[2] | (p[3] << 8), s3 = p[4] | (p[5] << 8);
                int s4 = payload.Length - 6 - s1 - s2 - s3;
                if (s4 < 1) throw Corrupt("the literals jump table points past the end of the literals");
                int segment = (regen + 3) / 4;
                int last = regen - 3 * segment;
                if (last < 0) throw Corrupt("invalid 4-stream literals layout");
                if (!_huffman.DecodeFourStreams(p + 6, s1, s2, s3, s4, lit, segment, last))
                    throw Corrupt("corrupted Huffman literals stream");
            }
        }
        literalCount = regen;
        return hdr + compressed;
    }

    private void ReadTable(ref ReadOnlySpan<byte> src, ref int consumed, int mode, ref ActiveTable active, SequenceCell[] own,
        SequenceCell[] predefined, int predefinedLog, int maxSymbol, int maxLog, uint[] bases, byte[] bits, string name)
    {
        switch (mode)
        {
            case 0:
                active.Cells = predefined;
                active.Log = predefinedLog;
                break;
            case 1:
                if (src.IsEmpty) throw Corrupt($"the {name} RLE symbol is missing", consumed);
                int symbol = src[0];
                if (symbol > maxSymbol) throw Corrupt($"invalid {name} code {symbol}", consumed);
                own[0] = new SequenceCell { BaseValue = bases[symbol], ExtraBits = bits[symbol], NbBits = 0, NextStateBase = 0 };
                active.Cells = own;
                active.Log = 0;
                src = src[1..];
                consumed++;
                break;
            case 2:
                int used = Fse.ReadNormalizedCounts(src, _normScratch, maxSymbol, maxLog, out int log, out int symbols);
                if (used < 0 || !Fse.BuildTable(_normScratch, symbols, log, _fseScratch))
                    throw Corrupt($"invalid {name} FSE table description", consumed);
                Fse.ToSequenceTable(_fseScratch, 1 << log, bases, bits, own);
                active.Cells = own;
                active.Log = log;
                src = src[used..];
                consumed += used;
                break;
            default:
                if (active.Cells is null) throw Corrupt($"the {name} table repeats a previous table but there is none in this frame", consumed);
                break;
        }
    }

    private int DecodeSequences(ReadOnlySpan<byte> section, int sectionOffset, int literalCount, byte[] dst, int dstPos, int historyStart, int blockMaximum)
    {
        if (section.IsEmpty) throw Corrupt("the sequences section is missing", sectionOffset);
        int nbSequences;
        int consumed;
        int b0 = section[0];
        if (b0 < 128)
        {
            nbSequences = b0;
            consumed = 1;
        }
        else if (b0 < 255)
        {
            if (section.Length < 2) throw Corrupt("the sequences section header is truncated", sectionOffset);
            nbSequences = ((b0 - 128) << 8) + section[1];
            consumed = 2;
        }
        else
        {
            if (section.Length < 3) throw Corrupt("the sequences section header is truncated", sectionOffset);
            nbSequences = section[1] + (section[2] << 8) + 0x7F00;
            consumed = 3;
        }

        if (nbSequences == 0)
        {
            if (section.Length != consumed) throw Corrupt("bytes follow a sequences section without sequences", sectionOffset);
            if (literalCount > 0) _literals.AsSpan(0, literalCount).CopyTo(dst.AsSpan(dstPos));
            return literalCount;
        }

        if (section.Length <= consumed) throw Corrupt("the sequence compression modes are missing", sectionOffset);
        int modes = section[consumed++];
        if ((modes & 3) != 0) throw Corrupt("reserved bits of the sequence compression modes are set", sectionOffset + consumed - 1);
        var rest = section[consumed..];
        ReadTable(ref rest, ref consumed, modes >> 6, ref _literalLengthTable, _ownLiteralLength, DefaultLiteralLengthTable, 6,
            MaxLiteralLengthCode, LiteralLengthLog, LiteralLengthBase, LiteralLengthBits, "literal length");
        ReadTable(ref rest, ref consumed, (modes >> 4) & 3, ref _offsetTable, _ownOffset, DefaultOffsetTable, 5,
            MaxOffsetCode, OffsetLog, OffsetBase, OffsetBits, "offset");
        ReadTable(ref rest, ref consumed, (modes >> 2) & 3, ref _matchLengthTable, _ownMatchLength, DefaultMatchLengthTable, 6,
            MaxMatchLengthCode, MatchLengthLog, MatchLengthBase, MatchLengthBits, "match length");

        return ExecuteSequences(rest, sectionOffset + consumed, nbSequences, literalCount, dst, dstPos, historyStart, blockMaximum);
    }

    private int ExecuteSequences(ReadOnlySpan<byte> stream, int streamOffset, int nbSequences, int literalCount,
        byte[] dst, int dstPos, int historyStart, int blockMaximum)
    {
        uint rep1 = _rep1, rep2 = _rep2, rep3 = _rep3;
        int written;
        fixed (byte* bitstream = stream)
        fixed (byte* outBase = dst)
        fixed (byte* litBase = _literals)
        fixed (SequenceCell* llTable = _literalLengthTable.Cells)
        fixed (SequenceCell* ofTable = _offsetTable.Cells)
        fixed (SequenceCell* mlTable = _matchLengthTable.Cells)
        {
            var bits = BackwardBitReader.Open(bitstream, stream.Length, out bool valid);
            if (!valid) throw Corrupt("the sequences bitstream is empty or lacks its end marker", streamOffset);
            uint llState = bits.Read(_literalLengthTable.Log);
            uint ofState = bits.Read(_offsetTable.Log);
            uint mlState = bits.Read(_matchLengthTable.Log);
            bits.Reload();

            byte* op = outBase + dstPos;
            byte* oend = op + blockMaximum;
            byte* history = outBase + historyStart;
            byte* lit = litBase;
            byte* litEnd = litBase + literalCount;

            for (int i = 0; i < nbSequences; i++)
            {
                SequenceCell ll = llTable[llState];
                SequenceCell ml = mlTable[mlState];
                SequenceCell of = ofTable[ofState];

                uint offsetValue = of.BaseValue + bits.Read(of.ExtraBits);
                uint matchLength = ml.BaseValue + bits.Read(ml.ExtraBits);
                bits.Reload();
                uint literalLength = ll.BaseValue + bits.Read(ll.ExtraBits);

                uint offset;
                if (offsetValue > 3)
                {
                    offset = offsetValue - 3;
                    rep3 = rep2;
                    rep2 = rep1;
                    rep1 = offset;
                }
                else
                {
                    // Repeat offsets; a zero literal length shifts the meaning by one (RFC 8878 section 3.1.2.5).
                    uint index = offsetValue - (literalLength == 0 ? 0u : 1u);
                    if (index == 0)
                    {
                        offset = rep1;
                    }
                    else if (index == 1)
                    {
                        offset = rep2;
                        rep2 = rep1;
                        rep1 = offset;
                    }
                    else
                    {
                        offset = index == 2 ? rep3 : rep1 - 1;
                        if (offset == 0) throw Corrupt($"sequence {i} uses repeat offset 0", streamOffset);
                        rep3 = rep2;
                        rep2 = rep1;
                        rep1 = offset;
                    }
                }

                if (i + 1 < nbSequences)
                {
                    llState = ll.NextStateBase + bits.Read(ll.NbBits);
                    mlState = ml.NextStateBase + bits.Read(ml.NbBits);
                    ofState = of.NextStateBase + bits.Read(of.NbBits);
                }
                bits.Reload();

                if (literalLength > (ulong)(litEnd - lit)) throw Corrupt($"sequence {i} uses more literals than the block has", streamOffset);
                if ((ulong)literalLength + matchLength > (ulong)(oend - op)) throw Corrupt($"sequence {i} makes the block larger than {blockMaximum} bytes", streamOffset);
                WildCopy(op, lit, (int)literalLength);
                op += literalLength;
                lit += literalLength;
                if (offset > (ulong)(op - history)) throw Corrupt($"sequence {i} refers {offset} bytes back, before the start of the frame or window", streamOffset);
                CopyMatch(op, offset, (int)matchLength);
                op += matchLength;
            }

            if (!bits.Finished) throw Corrupt("the sequences bitstream does not end where the last sequence does", streamOffset);
            int remaining = (int)(litEnd - lit);
            if (remaining > oend - op) throw Corrupt($"the block is larger than {blockMaximum} bytes", streamOffset);
            Buffer.MemoryCopy(lit, op, remaining, remaining);
            op += remaining;
            written = (int)(op - (outBase + dstPos));
        }
        _rep1 = rep1;
        _rep2 = rep2;
        _rep3 = rep3;
        return written;
    }

    /// <summary>Copies in 16-byte steps; may read and write up to 15 bytes past the end (buffers keep slack for it).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WildCopy(byte* dst, byte* src, int length)
    {
        byte* end = dst + length;
        do
        {
            Vector128.Store(Vector128.Load(src), dst);
            dst += 16;
            src += 16;
        }
        while (dst < end);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyMatch(byte* op, uint offset, int length)
    {
        byte* match = op - offset;
        if (offset >= 16)
        {
            WildCopy(op, match, length);
            return;
        }
        if (offset == 1)
        {
            Unsafe.InitBlockUnaligned(op, *match, (uint)length);
            return;
        }
        // Short offsets: after the first (distance - offset) bytes the output is periodic with a period that is a
        // multiple of offset and at least 8, so the rest can be copied 8 bytes at a time without overlap.
        uint distance = offset;
        while (distance < 8) distance += offset;
        int head = Math.Min(length, (int)(distance - offset));
        for (int i = 0; i < head; i++) op[i] = match[i];
        byte* d = op + head;
        byte* end = op + length;
        byte* s = d - distance;
        while (d < end)
        {
            Unsafe.WriteUnaligned(d, Unsafe.ReadUnaligned<ulong>(s));
            d += 8;
            s += 8;
        }
    }
}
