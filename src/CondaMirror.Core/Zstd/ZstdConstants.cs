namespace CondaMirror.Core.Zstd;

internal static class ZstdConstants
{
    public const uint FrameMagic = 0xFD2FB528;
    public const uint SkippableMagicMask = 0xFFFFFFF0;
    public const uint SkippableMagic = 0x184D2A50;
    public const int MaxBlockSize = 128 * 1024;
    public const int MaxFrameHeaderSize = 18;
    public const int MinWindowLog = 10;
    /// <summary>Bytes kept free past the end of decode buffers so copies may run 32 bytes at a time.</summary>
    public const int WildCopySlack = 64;
}
