using CondaMirror.Core.Errors;

namespace CondaMirror.Core.Locks;

/// <summary>
/// Local locations (file:// channels and packages) as a lock records them: relative to the lock file's folder, the
/// way rattler_lock resolves path locations, so the same project checked out elsewhere (with its local channels at
/// the same relative place) reads the same lock. http(s) URLs stay URLs.
/// <para>A location is made relative only when it shares a folder below the file-system root with the lock
/// (e.g. <c>/home/me/src/upstream</c> and <c>/home/me/src/app</c>); a machine-wide channel such as
/// <c>/opt/channels/x</c> next to a project in <c>/home/me/app</c> keeps its absolute URL, which is what stays true
/// when that project moves. Other drives and UNC shares keep their URL too.</para>
/// </summary>
public static class LockPaths
{
    private static readonly StringComparison PathComparison =
        OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;

    /// <summary>
    /// A file:// URL as a path relative to <paramref name="lockDirectory"/> with '/' separators, starting with
    /// <c>./</c> or <c>../</c> (so every reader sees a path, not a channel name) and keeping a trailing '/'.
    /// Anything else is returned unchanged.
    /// </summary>
    public static string ToLockLocation(string url, string lockDirectory)
    {
        if (!url.StartsWith("file:", StringComparison.OrdinalIgnoreCase) ||
            !Uri.TryCreate(url, UriKind.Absolute, out var uri) || !uri.IsFile || uri.IsUnc || !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment))
            return url;
        var trailingSlash = url.EndsWith('/');
        if (!IsValidPath(uri.LocalPath)) return url; // e.g. a NUL character: no relative form, the URL stays as read
        var target = Path.TrimEndingDirectorySeparator(Path.GetFullPath(uri.LocalPath));
        var from = Path.TrimEndingDirectorySeparator(Path.GetFullPath(lockDirectory));
        if (!ShareFolderBelowRoot(target, from)) return url;
        var relative = Path.GetRelativePath(from, target).Replace('\\', '/');
        if (relative == ".") relative = "./";
        else if (relative != ".." && !relative.StartsWith("../", StringComparison.Ordinal)) relative = "./" + relative;
        if (trailingSlash && !relative.EndsWith('/')) relative += "/";
        return relative;
    }

    /// <summary>
    /// A location read from a lock as a URL: URLs are returned unchanged; a path (relative to
    /// <paramref name="lockDirectory"/>, or absolute) becomes the file:// URL of that place on this machine.
    /// </summary>
    public static string FromLockLocation(string location, string lockDirectory)
    {
        if (LocationFields.IsUrl(location)) return location;
        var trailingSlash = location.EndsWith('/') || location.EndsWith('\\');
        var combined = Path.Combine(lockDirectory, location.Replace('\\', '/').Replace('/', Path.DirectorySeparatorChar));
        if (!IsValidPath(combined))
            throw new CondaMirrorException(ErrorCodes.LockEntryInvalid,
                $"the location '{location}' in the lock file in '{lockDirectory}' is not a valid path (it contains a NUL character or is too long). Regenerate the lock.");
        var full = Path.GetFullPath(combined);
        var url = new Uri(Path.TrimEndingDirectorySeparator(full)).AbsoluteUri;
        return trailingSlash ? url + "/" : url;
    }

    /// <summary>
    /// True when a channel string in a lock is a folder path rather than a channel name: it starts with <c>./</c>,
    /// <c>../</c> or a root, or contains a backslash (as conda tells folders from channel names).
    /// </summary>
    public static bool IsPath(string location) =>
        !LocationFields.IsUrl(location) &&
        (location is "." or ".." || location.StartsWith("./", StringComparison.Ordinal) || location.StartsWith("../", StringComparison.Ordinal) ||
         location.StartsWith(".\\", StringComparison.Ordinal) || location.StartsWith("..\\", StringComparison.Ordinal) ||
         location.StartsWith('/') || location.Contains('\\') || Path.IsPathRooted(location));

    // Path.GetFullPath throws ArgumentException for these; a lock is input, so they must become coded errors.
    private static bool IsValidPath(string path)
    {
        try
        {
            Path.GetFullPath(path);
            return true;
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return false;
        }
    }

    private static bool ShareFolderBelowRoot(string a, string b)
    {
        var root = Path.GetPathRoot(a);
        if (string.IsNullOrEmpty(root) || !string.Equals(root, Path.GetPathRoot(b), PathComparison)) return false;
        var first = FirstSegment(a[root.Length..]);
        return first.Length > 0 && string.Equals(first, FirstSegment(b[root.Length..]), PathComparison);
    }

    private static string FirstSegment(string relativeToRoot)
    {
        var trimmed = relativeToRoot.TrimStart('/', '\\');
        var end = trimmed.IndexOfAny(new[] { '/', '\\' });
        return end < 0 ? trimmed : trimmed[..end];
    }
}
