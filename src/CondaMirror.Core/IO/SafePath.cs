using CondaMirror.Core.Errors;

namespace CondaMirror.Core.IO;

/// <summary>
/// Paths the project writes are built from values that arrive in packages, repodata and lock files (subdirs,
/// file names). Every such path goes through <see cref="Combine"/>, which refuses a segment that is not a plain
/// single name and any result that would lie outside the output root (channel folder, package cache), so a
/// hostile value can never make a build write elsewhere.
/// </summary>
public static class SafePath
{
    private static readonly StringComparison PathComparison =
        OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;

    // Windows device names are reserved with any extension ("nul.txt"), on every volume.
    private static readonly HashSet<string> ReservedWindowsNames = new(StringComparer.OrdinalIgnoreCase)
    {
        "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
        "COM0", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9",
        "LPT0", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
    };

    /// <summary>
    /// <paramref name="root"/> joined with <paramref name="segments"/>, each of which must be a plain single name
    /// (<see cref="IsPlainSegment"/>). Throws CMIR330 when a segment is not, or the full path is not inside root.
    /// </summary>
    public static string Combine(string root, params string[] segments)
    {
        var fullRoot = Path.GetFullPath(root);
        foreach (var segment in segments)
            if (!IsPlainSegment(segment))
                throw Escapes(fullRoot, string.Join("/", segments), $"'{segment}' is not a plain file or folder name");
        var full = Path.GetFullPath(Path.Combine(new[] { fullRoot }.Concat(segments).ToArray()));
        if (!IsInside(fullRoot, full))
            throw Escapes(fullRoot, string.Join("/", segments), "it resolves outside that folder");
        return full;
    }

    /// <summary>True when <paramref name="path"/> is <paramref name="root"/> or lies below it (lexically, after full-path normalisation).</summary>
    public static bool IsInside(string root, string path)
    {
        var fullRoot = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        if (string.Equals(fullRoot, full, PathComparison)) return true;
        var prefix = fullRoot.EndsWith(Path.DirectorySeparatorChar) ? fullRoot : fullRoot + Path.DirectorySeparatorChar;
        return full.StartsWith(prefix, PathComparison);
    }

    /// <summary>
    /// A name that is one path segment on every OS: not empty, not <c>.</c> or <c>..</c>, no <c>..</c> anywhere,
    /// no separators, drive colons, control characters or characters Windows forbids, no trailing dot or space
    /// (Windows drops them), not a reserved Windows device name, at most 255 characters.
    /// </summary>
    public static bool IsPlainSegment(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > 255) return false;
        if (name.Contains("..", StringComparison.Ordinal)) return false;
        if (name == ".") return false;
        if (name[^1] is '.' or ' ') return false;
        foreach (var c in name)
            if (c < 0x20 || c == 0x7F || c is '/' or '\\' or ':' or '*' or '?' or '"' or '<' or '>' or '|')
                return false;
        var dot = name.IndexOf('.');
        var baseName = (dot < 0 ? name : name[..dot]).TrimEnd(' ');
        return !ReservedWindowsNames.Contains(baseName);
    }

    private static CondaMirrorException Escapes(string root, string relative, string problem) => new(
        ErrorCodes.OutputPathEscapes,
        $"Refusing to write '{relative}' below '{root}': {problem}. The name comes from a package, repodata or lock entry; " +
        "fix or remove that entry (CondaMirror only writes inside its channel folder and package cache).",
        root);
}
