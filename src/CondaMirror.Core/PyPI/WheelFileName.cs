using CondaMirror.Core.IO;
using CondaMirror.Core.Locks;

namespace CondaMirror.Core.PyPI;

/// <summary>
/// A wheel file name as the binary distribution format spells it:
/// <c>{distribution}-{version}(-{build tag})?-{python tag}-{abi tag}-{platform tag}.whl</c>. Parsing is strict on
/// purpose: the name comes from a URL in a lock and becomes a file in the output folder, so anything that is not a
/// plain wheel file name is refused.
/// </summary>
public readonly record struct WheelFileName(string FileName, string Distribution, string Version, string? BuildTag, string PythonTag, string AbiTag, string PlatformTag)
{
    /// <summary>The distribution part, PEP 503-normalized (what the simple index files it under).</summary>
    public string NormalizedName => PypiLocations.Normalize(Distribution)!;

    public static bool TryParse(string? fileName, out WheelFileName wheel)
    {
        wheel = default;
        if (fileName is null || !fileName.EndsWith(".whl", StringComparison.Ordinal) || !SafePath.IsPlainSegment(fileName)) return false;
        var parts = fileName[..^4].Split('-');
        if (parts.Length is not (5 or 6)) return false;
        if (!parts.Select((p, i) => p.Length > 0 && (i == 1 || p.All(IsTagChar))).All(ok => ok)) return false;
        if (PypiLocations.Normalize(parts[0]) is null) return false;
        if (!parts[1].All(c => IsTagChar(c) || c is '!' or '+')) return false;
        string? build = null;
        if (parts.Length == 6)
        {
            build = parts[2];
            if (!char.IsAsciiDigit(build[0])) return false; // the spec: a build tag starts with a digit
        }
        wheel = new WheelFileName(fileName, parts[0], parts[1], build, parts[^3], parts[^2], parts[^1]);
        return true;
    }

    // Letters, digits, '_' and '.': the characters the format leaves in names and tags ('-' separates the parts).
    private static bool IsTagChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '.';
}
