using CondaMirror.Core.Errors;

namespace CondaMirror.Core.Records;

/// <summary>
/// conda's package-name grammar, checked where a name enters: lower-case ASCII letters, digits, '_', '-' and '.',
/// starting with a letter, digit or '_' (conda-build refuses anything else, and lower case is what conda's MatchSpec
/// matches against). A name ends up in file names, folder names (the package cache, a PyPI-style index), log lines
/// and the lock, so <c>../../evil</c>, <c>a/b</c> or a control character is refused as a name before any path check
/// downstream would have to catch it.
/// </summary>
public static class PackageName
{
    /// <summary>Longer than any real conda name; a bound, so a hostile record cannot carry megabytes as its name.</summary>
    public const int MaxLength = 128;

    public static bool IsValid(string? name) => IsValid(name, allowGlob: false);

    /// <summary>
    /// A MatchSpec name as conda reads it (already lower-cased): the grammar, with <c>*</c> allowed as a glob.
    /// </summary>
    public static bool IsValidPattern(string? pattern) => IsValid(pattern, allowGlob: true);

    private static bool IsValid(string? name, bool allowGlob)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxLength) return false;
        if (name[0] == '.' || name[0] == '-') return false;
        foreach (var c in name)
        {
            var ok = c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_' or '-' or '.' || (allowGlob && c == '*');
            if (!ok) return false;
        }
        return !name.Contains("..", StringComparison.Ordinal);
    }

    /// <summary>Returns <paramref name="name"/>, or throws CMIR123 naming <paramref name="where"/> (the record) and <paramref name="file"/>.</summary>
    public static string Validate(string? name, string where, string? file)
    {
        if (IsValid(name)) return name!;
        throw new CondaMirrorException(ErrorCodes.PackageNameInvalid,
            $"{where}: name {Show(name)} is not a conda package name (lower-case letters, digits, '_', '-' and '.', starting with a letter, digit or '_', " +
            $"at most {MaxLength} characters). The record was refused; fix or remove it, or use another source.", file);
    }

    /// <summary>A name for a message: quoted, control characters escaped, cut to a readable length.</summary>
    public static string Show(string? name)
    {
        if (name is null) return "(none)";
        if (name.Length == 0) return "'' (empty)";
        var cut = name.Length > 80 ? name[..80] + "…" : name;
        var escaped = string.Concat(cut.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()));
        return $"'{escaped}'";
    }
}
