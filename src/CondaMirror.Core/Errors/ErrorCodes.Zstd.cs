namespace CondaMirror.Core.Errors;

public static partial class ErrorCodes
{
    /// <summary>The input does not start with a zstd frame (bad magic number or trailing garbage).</summary>
    public const string ZstdBadMagic = "CMIR250";
    /// <summary>The compressed input ends in the middle of a frame.</summary>
    public const string ZstdTruncated = "CMIR251";
    /// <summary>A frame header, block or entropy table is malformed, or the blocks do not add up to the content size the header declares.</summary>
    public const string ZstdCorrupt = "CMIR252";
    /// <summary>The content checksum stored in the frame does not match the decoded data.</summary>
    public const string ZstdChecksumMismatch = "CMIR253";
    /// <summary>The frame asks for a larger window than the decoder allows.</summary>
    public const string ZstdWindowTooLarge = "CMIR254";
    /// <summary>The frame needs a dictionary, which this decoder does not support.</summary>
    public const string ZstdDictionaryRequired = "CMIR255";
    /// <summary>Reserved: no longer raised; a decoded size that differs from the declared content size is CMIR252.</summary>
    public const string ZstdContentSizeMismatch = "CMIR256";
}
