using CondaMirror.Core.Errors;

namespace CondaMirror.Core.Networking.Oci;

/// <summary>
/// Where a file of an <c>oci://host/namespace/channel</c> channel lives in the registry, in the layout rattler, pixi and
/// ghcr.io/channel-mirrors use: one repository per package name (<c>namespace/channel/subdir/name</c>, a name starting
/// with '_' prefixed with "zzz", since repository names may not start with '_'), the archive tagged
/// <c>version-build</c> (with '+', '!' and '=' spelled "__p__", "__e__" and "__eq__", which tags may not hold) as the
/// layer of media type <c>application/vnd.conda.package.v2</c> (.conda) or <c>.v1</c> (.tar.bz2); and per subdir the
/// repository <c>namespace/channel/subdir/repodata.json</c>, tagged <c>latest</c>, with one layer per repodata form.
/// </summary>
public sealed record OciReference(string Registry, string Repository, string Tag, string MediaType, string FileName)
{
    public const string CondaV2MediaType = "application/vnd.conda.package.v2";
    public const string CondaV1MediaType = "application/vnd.conda.package.v1";
    public const string RepodataMediaType = "application/vnd.conda.repodata.v1+json";
    public const string RepodataZstMediaType = "application/vnd.conda.repodata.v1+json+zst";
    public const string ManifestMediaType = "application/vnd.oci.image.manifest.v1+json";
    public const string RepodataTag = "latest";

    /// <summary>Tags may hold only [A-Za-z0-9_.-]: conda's '+', '!' and '=' get spellings of their own.</summary>
    public static string VersionBuildTag(string versionBuild) =>
        versionBuild.Replace("+", "__p__", StringComparison.Ordinal).Replace("!", "__e__", StringComparison.Ordinal).Replace("=", "__eq__", StringComparison.Ordinal);

    /// <summary>The archive's <c>version-build</c> back from its tag.</summary>
    public static string VersionBuildOfTag(string tag) =>
        tag.Replace("__p__", "+", StringComparison.Ordinal).Replace("__eq__", "=", StringComparison.Ordinal).Replace("__e__", "!", StringComparison.Ordinal);

    /// <summary>What OCI allows as a tag: <c>[A-Za-z0-9_][A-Za-z0-9._-]{0,127}</c>.</summary>
    public static bool IsValidTag(string tag) =>
        tag.Length is >= 1 and <= 128 && (char.IsAsciiLetterOrDigit(tag[0]) || tag[0] == '_')
        && tag.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-');

    /// <summary>What OCI allows as one repository path component: lower-case letters and digits, joined by '.', '_', '__' or '-'s.</summary>
    public static bool IsValidComponent(string component) =>
        component.Length > 0 && char.IsAsciiLetterLower(component[0]) | char.IsAsciiDigit(component[0])
        && char.IsAsciiLetterLower(component[^1]) | char.IsAsciiDigit(component[^1])
        && component.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '.' or '_' or '-');

    /// <summary>
    /// The registry address of <paramref name="url"/> (<c>oci://host[:port]/namespace/channel/subdir/file</c>), or null
    /// for a file name the layout has no place for (then the file is "not found", as rattler answers too).
    /// A URL that is not an oci:// URL with a host and a repository path is CMIR690.
    /// </summary>
    public static OciReference? Parse(Uri url)
    {
        if (url.Scheme != "oci" || string.IsNullOrEmpty(url.Host) || !string.IsNullOrEmpty(url.Query) || !string.IsNullOrEmpty(url.Fragment))
            throw Invalid(url, "it is not oci://host/namespace/channel/subdir/file without query or fragment");
        var segments = Uri.UnescapeDataString(url.AbsolutePath).Trim('/').Split('/');
        if (segments.Length < 2 || segments.Any(s => s.Length == 0))
            throw Invalid(url, "it has no channel path or an empty path segment");
        var fileName = segments[^1];
        var folder = segments[..^1];
        string name, tag, mediaType;
        if (fileName.EndsWith(".conda", StringComparison.Ordinal) || fileName.EndsWith(".tar.bz2", StringComparison.Ordinal))
        {
            var v2 = fileName.EndsWith(".conda", StringComparison.Ordinal);
            var stem = fileName[..^(v2 ? ".conda".Length : ".tar.bz2".Length)];
            var build = stem.LastIndexOf('-');
            var version = build > 0 ? stem.LastIndexOf('-', build - 1) : -1;
            if (version <= 0) return null;
            name = stem[..version];
            tag = VersionBuildTag(stem[(version + 1)..]);
            mediaType = v2 ? CondaV2MediaType : CondaV1MediaType;
        }
        else if (fileName == "repodata.json")
            (name, tag, mediaType) = ("repodata.json", RepodataTag, RepodataMediaType);
        else if (fileName == "repodata.json.zst")
            (name, tag, mediaType) = ("repodata.json", RepodataTag, RepodataZstMediaType);
        else
            return null;
        if (name.StartsWith('_')) name = "zzz" + name;
        var repository = string.Join('/', folder.Append(name));
        if (!repository.Split('/').All(IsValidComponent) || !IsValidTag(tag)) return null;
        return new OciReference(url.IsDefaultPort ? url.Host : $"{url.Host}:{url.Port}", repository, tag, mediaType, fileName);
    }

    /// <summary>Where an archive of <paramref name="channelRepository"/>'s <paramref name="subdir"/> is stored; null when its name has no place in the layout.</summary>
    public static OciReference? ForFile(string registry, string channelRepository, string subdir, string fileName) =>
        Parse(new Uri($"oci://{registry}/{channelRepository}/{subdir}/{Uri.EscapeDataString(fileName)}"));

    private static CondaMirrorException Invalid(Uri url, string why) =>
        new(ErrorCodes.OciUrlInvalid, $"'{UrlRedaction.Redact(url)}' is not an OCI channel address: {why}. Write a channel as oci://registry.example.org/namespace/channel.",
            UrlRedaction.Redact(url));
}
