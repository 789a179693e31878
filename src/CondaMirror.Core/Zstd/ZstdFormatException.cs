using CondaMirror.Core.Errors;

namespace CondaMirror.Core.Zstd;

/// <summary>
/// The compressed input is not valid zstd data. The message says what is wrong and at which byte offset of the
/// compressed input; <see cref="CondaMirrorException.Code"/> is the stable CMIR error code.
/// It is a <see cref="CondaMirrorException"/> (not an <see cref="InvalidDataException"/>, which is sealed) so the
/// MSBuild tasks report it like every other failure; callers set the file name by wrapping or catching it.
/// </summary>
public sealed class ZstdFormatException : CondaMirrorException
{
    public ZstdFormatException(string code, string problem, long offset, string? file = null)
        : base(code, $"invalid zstd data at byte offset {offset} of the compressed input: {problem}", file)
    {
        Offset = offset;
        Problem = problem;
    }

    /// <summary>Byte offset in the compressed input where the problem was found.</summary>
    public long Offset { get; }

    /// <summary>What is wrong, without the offset.</summary>
    public string Problem { get; }
}
