using System.Text.RegularExpressions;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Networking;

namespace CondaMirror.Core.Channels;

/// <summary>
/// Turns a CondaChannel item into a <see cref="ChannelSource"/>, the way conda reads channel arguments:
/// a bare name ("conda-forge", "pytorch/label/nightly") is appended to the channel alias; an http(s) or
/// file URL is used as is; anything that looks like a file-system path becomes a file:// channel.
/// </summary>
public static class ChannelResolver
{
    public const string DefaultChannelAlias = "https://conda.anaconda.org/";

    // Channel names are anaconda.org-style path segments: letters, digits, '.', '_', '-' (and '+', seen in labels).
    private static readonly Regex NamePattern = new(@"^[A-Za-z0-9_.+-]+(/[A-Za-z0-9_.+-]+)*$", RegexOptions.CultureInvariant | RegexOptions.NonBacktracking);

    /// <summary>The channel alias in force: the configured one (CondaChannelAlias), or conda's default when it is empty.</summary>
    public static string AliasOrDefault(string? alias) => string.IsNullOrWhiteSpace(alias) ? DefaultChannelAlias : alias;

    /// <summary>
    /// What a channel spec means as a URL root, for <see cref="CredentialSet.FromChannels"/>: specs resolved like
    /// <see cref="Resolve"/> with <paramref name="channelAlias"/> (conda's default when empty) and <paramref name="baseDirectory"/>.
    /// </summary>
    public static Func<string, UrlRoot> RootResolver(string? channelAlias, string? baseDirectory = null)
    {
        var alias = AliasOrDefault(channelAlias);
        return spec => Resolve(spec, alias, baseDirectory).Root;
    }

    public static ChannelSource Resolve(string itemSpec, string channelAlias = DefaultChannelAlias, string? baseDirectory = null)
    {
        var spec = (itemSpec ?? "").Trim();
        if (spec.Length == 0)
            throw new CondaMirrorException(ErrorCodes.ChannelSpecInvalid,
                "A CondaChannel item is empty. Use a channel name (conda-forge), an http(s) or file:// URL, or a local folder path.");

        var schemeEnd = spec.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd > 0)
            return ResolveUrl(spec, spec[..schemeEnd].ToLowerInvariant());

        if (LooksLikePath(spec, baseDirectory))
            return ResolvePath(spec, baseDirectory);

        var name = spec.Trim('/');
        if (!NamePattern.IsMatch(name) || name.Split('/').Any(s => s is "." or ".."))
            throw new CondaMirrorException(ErrorCodes.ChannelSpecInvalid,
                $"Channel '{itemSpec}' is not a valid channel name, URL or existing folder. " +
                "Names look like 'conda-forge' or 'pytorch/label/nightly'; URLs start with https:// or file://; " +
                "local folders must exist (relative paths are resolved against the project directory).", itemSpec);

        var alias = ParseAlias(channelAlias);
        return new ChannelSource(name, new Uri(alias, name + "/"));
    }

    private static ChannelSource ResolveUrl(string spec, string scheme)
    {
        if (scheme is not ("http" or "https" or "file" or "oci"))
            throw new CondaMirrorException(ErrorCodes.ChannelSchemeUnsupported,
                $"Channel '{UrlRedaction.RedactUrlOrText(spec)}' uses the unsupported scheme '{scheme}'. Use http://, https://, oci:// or file://.", UrlRedaction.RedactUrlOrText(spec));
        if (!Uri.TryCreate(spec, UriKind.Absolute, out var uri) || (scheme != "file" && string.IsNullOrEmpty(uri.Host)))
            throw new CondaMirrorException(ErrorCodes.ChannelSpecInvalid,
                $"Channel '{UrlRedaction.RedactUrlOrText(spec)}' is not a valid URL. Check the spelling, e.g. https://conda.anaconda.org/conda-forge.", UrlRedaction.RedactUrlOrText(spec));
        var source = new ChannelSource("", uri);
        return new ChannelSource(source.DisplayUrl, uri);
    }

    private static ChannelSource ResolvePath(string spec, string? baseDirectory)
    {
        string full;
        try
        {
            var expanded = spec.StartsWith('~')
                ? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile) + spec[1..]
                : spec;
            full = Path.GetFullPath(expanded, baseDirectory ?? Directory.GetCurrentDirectory());
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new CondaMirrorException(ErrorCodes.ChannelSpecInvalid,
                $"Channel '{spec}' is not a valid folder path: {e.Message}", spec, e);
        }
        var uri = new Uri(Path.TrimEndingDirectorySeparator(full) + Path.DirectorySeparatorChar);
        return new ChannelSource(spec.TrimEnd('/', '\\'), uri);
    }

    private static bool LooksLikePath(string spec, string? baseDirectory)
    {
        if (Path.IsPathRooted(spec) || spec.StartsWith('~') || spec.StartsWith("./", StringComparison.Ordinal) ||
            spec.StartsWith("../", StringComparison.Ordinal) || spec.StartsWith(".\\", StringComparison.Ordinal) ||
            spec.StartsWith("..\\", StringComparison.Ordinal) || spec is "." or ".." || spec.Contains('\\'))
            return true;
        // "channels/local" could be a name or a folder: an existing folder wins, as in conda.
        var root = baseDirectory ?? Directory.GetCurrentDirectory();
        try { return Directory.Exists(Path.Combine(root, spec)); }
        catch (ArgumentException) { return false; }
    }

    private static Uri ParseAlias(string channelAlias)
    {
        var text = (channelAlias ?? "").Trim();
        if (!Uri.TryCreate(text, UriKind.Absolute, out var alias) || alias.Scheme is not ("http" or "https" or "file"))
            throw new CondaMirrorException(ErrorCodes.ChannelAliasInvalid,
                $"The channel alias '{text}' is not an absolute http(s) or file URL (e.g. https://conda.anaconda.org/).", text);
        return alias.AbsolutePath.EndsWith('/') ? alias : new UriBuilder(alias) { Path = alias.AbsolutePath + "/" }.Uri;
    }
}
