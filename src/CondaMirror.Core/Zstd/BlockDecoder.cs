namespace CondaMirror.Core.Zstd;

internal sealed class BlockDecoder
{
    public void ResetForFrame() { }
    public int Decode(byte[] src, int srcPos, int srcLen, byte[] dst, int dstPos, int historyStart, int blockMax, long offset)
        => throw new ZstdFormatException(Errors.ErrorCodes.ZstdCorrupt, "compressed blocks are not supported yet", offset);
}
