using CondaMirror.Core.Errors;
using CondaMirror.Core.Networking;

namespace CondaMirror.Core.Locks;

/// <summary>What a PyPI lock entry points at; only <see cref="Wheel"/> can be served from a static simple index.</summary>
public enum PypiDistributionKind
{
    /// <summary>A built wheel (<c>.whl</c>), by URL or as a local file.</summary>
    Wheel,

    /// <summary>A source distribution (<c>.tar.gz</c>, <c>.zip</c>, ...): installing it runs a build.</summary>
    Sdist,

    /// <summary>A URL or local file that is neither a wheel nor a source archive.</summary>
    Path,

    /// <summary>A VCS location (<c>git+https://...</c>).</summary>
    Git,

    /// <summary>A local project installed in editable (development) mode.</summary>
    Editable,

    /// <summary>A local project folder (built at install time).</summary>
    Directory,
}

/// <summary>
/// One PyPI distribution of a lock (pixi.lock v4–v7 <c>pypi</c> packages, conda-lock <c>manager: pip</c> rows), as
/// the lock records it; one entry per distinct location, with every platform of the selected environment that uses it.
/// </summary>
/// <param name="Name">The project name, normalized (PEP 503): lower case, runs of <c>-_.</c> as one <c>-</c>.</param>
/// <param name="Version">As the lock writes it; null when the lock has none (path and git entries).</param>
/// <param name="Location">The location as written in the lock (URL or path), for messages.</param>
/// <param name="Url">The absolute URL to fetch, credentials and fragment removed: http(s), or file:// for paths
/// (relative ones resolved against the lock's folder); null for git locations.</param>
/// <param name="Sha256">Lower-case hex, when the lock has it.</param>
/// <param name="Md5">Lower-case hex, when the lock has it.</param>
/// <param name="RequiresPython">The entry's requires_python, when the lock has it.</param>
/// <param name="IndexUrl">The index the lock names for it (the entry's own, or the environment's first), credentials removed.</param>
/// <param name="Platforms">The lock platforms of the environment that install it, in ordinal order.</param>
/// <param name="Line">Line of the entry in the lock file.</param>
public sealed record PypiLockEntry(
    string Name,
    string? Version,
    string Location,
    string? Url,
    string? Sha256,
    string? Md5,
    string? RequiresPython,
    string? IndexUrl,
    PypiDistributionKind Kind,
    IReadOnlyList<string> Platforms,
    int Line)
{
    /// <summary>The file name the URL ends in (query and fragment removed, percent-decoding undone); null when it has none.</summary>
    public string? FileName => Url is null ? null : PypiLocations.FileNameOf(Url);

    public override string ToString() => $"{Name} {Version} ({Kind}) from {UrlRedaction.RedactUrlOrText(Location)}";
}

/// <summary>PyPI names and locations as the lock readers need them.</summary>
public static class PypiLocations
{
    /// <summary>Longest project name accepted; PyPI's longest names are well below 100 characters.</summary>
    public const int MaxNameLength = 200;

    /// <summary>
    /// PEP 503 normalization: lower case, every run of <c>-</c>, <c>_</c> and <c>.</c> as a single <c>-</c>. Returns
    /// null when <paramref name="name"/> is not a valid project name (PEP 508: ASCII letters and digits, with
    /// <c>-_.</c> only between them), so a normalized name is always a plain folder name.
    /// </summary>
    public static string? Normalize(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxNameLength) return null;
        if (!char.IsAsciiLetterOrDigit(name[0]) || !char.IsAsciiLetterOrDigit(name[^1])) return null;
        var result = new System.Text.StringBuilder(name.Length);
        var inSeparator = false;
        foreach (var c in name)
        {
            if (char.IsAsciiLetterOrDigit(c))
            {
                if (inSeparator) result.Append('-');
                inSeparator = false;
                result.Append(char.ToLowerInvariant(c));
            }
            else if (c is '-' or '_' or '.') inSeparator = true;
            else return null;
        }
        return result.ToString();
    }

    /// <summary>The last path segment of a URL or path, percent-decoded; query and fragment removed. Null when empty.</summary>
    public static string? FileNameOf(string location)
    {
        var cut = location.IndexOfAny(['?', '#']);
        var path = cut < 0 ? location : location[..cut];
        var slash = path.LastIndexOfAny(['/', '\\']);
        var last = path[(slash + 1)..];
        if (last.Length == 0) return null;
        try { return Uri.UnescapeDataString(last); }
        catch (UriFormatException) { return last; }
    }

    private static readonly string[] SdistSuffixes = [".tar.gz", ".zip", ".tar.bz2", ".tar.xz", ".tgz", ".tar", ".tar.zst"];

    /// <summary>What a location names, from its form alone (the file system is never consulted).</summary>
    public static PypiDistributionKind KindOf(string location, bool editable)
    {
        if (editable) return PypiDistributionKind.Editable;
        if (location.StartsWith("git+", StringComparison.OrdinalIgnoreCase)) return PypiDistributionKind.Git;
        var isUrl = LocationFields.IsUrl(location);
        var file = FileNameOf(location);
        if (file is null || file is "." or "..") return isUrl ? PypiDistributionKind.Path : PypiDistributionKind.Directory;
        if (file.EndsWith(".whl", StringComparison.OrdinalIgnoreCase)) return PypiDistributionKind.Wheel;
        if (SdistSuffixes.Any(s => file.EndsWith(s, StringComparison.OrdinalIgnoreCase))) return PypiDistributionKind.Sdist;
        // A path without an archive suffix is a project folder (rattler_lock reads it the same way).
        return isUrl ? PypiDistributionKind.Path : PypiDistributionKind.Directory;
    }

    /// <summary>
    /// The URL to fetch for a location read from a lock: fragment (pip's <c>#sha256=</c>) and credentials removed;
    /// a path becomes the file:// URL of that place, relative paths against the lock's folder. Null for git locations
    /// and for URL schemes that cannot be fetched.
    /// </summary>
    internal static string? UrlOf(string location, string lockDirectory)
    {
        if (location.StartsWith("git+", StringComparison.OrdinalIgnoreCase)) return null;
        location = WithoutDirectPrefix(location);
        var hash = location.IndexOf('#');
        var withoutFragment = hash < 0 ? location : location[..hash];
        if (LocationFields.IsUrl(withoutFragment))
            return LocationFields.IsHierarchical(withoutFragment) ? UrlRedaction.StripCredentials(withoutFragment) : null;
        return LockPaths.FromLockLocation(withoutFragment, lockDirectory);
    }

    /// <summary>rattler_lock writes a URL the project depends on directly (not through an index) as <c>direct+https://...</c>.</summary>
    internal static string WithoutDirectPrefix(string location) =>
        location.StartsWith("direct+", StringComparison.OrdinalIgnoreCase) ? location["direct+".Length..] : location;

    /// <summary>The <c>sha256=</c> of a pip-style URL fragment (<c>#sha256=&lt;hex&gt;</c>), when present.</summary>
    internal static string? Sha256FromFragment(string location)
    {
        var hash = location.IndexOf('#');
        if (hash < 0) return null;
        foreach (var part in location[(hash + 1)..].Split('&'))
            if (part.StartsWith("sha256=", StringComparison.OrdinalIgnoreCase)) return part["sha256=".Length..].ToLowerInvariant();
        return null;
    }

    internal static CondaMirrorException InvalidName(YamlFields y, YNode at, string? name) =>
        y.Entry(at, $"the PyPI package name '{name}' is not a valid project name (letters, digits, and '-', '_', '.' between them); regenerate the lock file.");
}
