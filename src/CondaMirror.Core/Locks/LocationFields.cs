using CondaMirror.Core.Records;

namespace CondaMirror.Core.Locks;

/// <summary>
/// What a package location says about the package, following rattler_lock's derivation rules
/// (<c>utils/derived_fields.rs</c>): pixi.lock v6+ omits every field these rules can reproduce.
/// </summary>
internal readonly record struct LocationFields(string? FileName, ArchiveFileName? Archive, string? Subdir, string? Channel)
{
    public static LocationFields FromUrl(string url)
    {
        var path = UrlPath(url);
        var segments = path.Split('/');
        var fileName = segments.Length > 0 ? Uri.UnescapeDataString(segments[^1]) : null;
        if (string.IsNullOrEmpty(fileName)) fileName = null;
        ArchiveFileName? archive = fileName is not null && ArchiveFileName.TryParse(fileName, out var a) ? a : null;
        string? subdir = null;
        // The subdir only counts when the file is an archive and its parent folder is a known platform.
        if (archive is not null && segments.Length >= 2 && Platforms.Platforms.IsKnown(segments[^2]) && IsHierarchical(url))
            subdir = segments[^2];
        return new LocationFields(fileName, archive, subdir, ChannelOf(url));
    }

    /// <summary>
    /// What rattler derives from a path location (<c>../channel/linux-64/x-1-0.conda</c>): the file name and the
    /// archive's name, version and build, but neither subdir nor channel.
    /// </summary>
    public static LocationFields FromPath(string path)
    {
        var slash = path.LastIndexOfAny(new[] { '/', '\\' });
        var fileName = path[(slash + 1)..];
        if (fileName.Length == 0) return new LocationFields(null, null, null, null);
        ArchiveFileName? archive = ArchiveFileName.TryParse(fileName, out var a) ? a : null;
        return new LocationFields(fileName, archive, null, null);
    }

    /// <summary>The URL with its last two path segments (subdir and file) removed, without a trailing slash.</summary>
    public static string? ChannelOf(string url)
    {
        if (!IsHierarchical(url)) return null;
        var cut = StripQueryAndFragment(url);
        for (var i = 0; i < 2; i++)
        {
            var slash = cut.LastIndexOf('/');
            if (slash < cut.IndexOf("://", StringComparison.Ordinal) + 3) return null;
            cut = cut[..slash];
        }
        return cut;
    }

    /// <summary>rattler: the trailing digits of the build string (<c>py312h1_3</c> → 3); null when it does not end in digits.</summary>
    public static long? BuildNumberFromBuild(string build)
    {
        var i = build.Length;
        while (i > 0 && char.IsAsciiDigit(build[i - 1])) i--;
        if (i == build.Length) return null;
        return long.TryParse(build.AsSpan(i), out var n) ? n : null;
    }

    /// <summary>rattler: a noarch subdir means noarch "python" when the build string contains "py", else "generic".</summary>
    public static string? NoarchFrom(string subdir, string build) =>
        subdir == "noarch" ? (build.Contains("py", StringComparison.Ordinal) ? "python" : "generic") : null;

    public static bool IsUrl(string location)
    {
        var sep = location.IndexOf("://", StringComparison.Ordinal);
        if (sep <= 0) return false;
        for (var i = 0; i < sep; i++)
        {
            var c = location[i];
            if (!(char.IsAsciiLetterOrDigit(c) || c is '+' or '-' or '.')) return false;
        }
        return true;
    }

    /// <remarks>oci:// included: pixi.lock keeps a registry channel's package URLs as oci://host/namespace/channel/subdir/file.</remarks>
    public static bool IsHierarchical(string url) =>
        url.StartsWith("https://", StringComparison.OrdinalIgnoreCase) ||
        url.StartsWith("oci://", StringComparison.OrdinalIgnoreCase) ||
        url.StartsWith("http://", StringComparison.OrdinalIgnoreCase) ||
        url.StartsWith("file://", StringComparison.OrdinalIgnoreCase);

    private static string UrlPath(string url)
    {
        var s = StripQueryAndFragment(url);
        var start = s.IndexOf("://", StringComparison.Ordinal);
        return start < 0 ? s : s[(start + 3)..];
    }

    private static string StripQueryAndFragment(string url)
    {
        var cut = url.IndexOfAny(new[] { '?', '#' });
        return cut < 0 ? url : url[..cut];
    }
}
