namespace CondaMirror.Core.Specs;

/// <summary>
/// The part of conda's Channel model a match spec needs: the channel name and an optional trailing subdir.
/// <c>conda-forge/linux-64</c> is conda-forge + linux-64; <c>https://conda.anaconda.org/conda-forge/noarch</c> is
/// conda-forge + noarch; another URL is named by its path (<c>https://host/a/b</c> is <c>a/b</c>), or by the URL
/// itself when it has no path. Custom channel aliases from a .condarc are not consulted.
/// </summary>
internal readonly record struct ChannelName(string Name, string? Subdir)
{
    public static (string? Name, string? Subdir) ParseOptional(string? value)
    {
        if (string.IsNullOrEmpty(value)) return (null, null);
        var parsed = Parse(value);
        return (parsed.Name, parsed.Subdir);
    }

    public static ChannelName Parse(string value)
    {
        var text = value.TrimEnd('/');
        string? subdir = null;
        var slash = text.LastIndexOf('/');
        if (slash >= 0 && Platforms.Platforms.IsKnown(text[(slash + 1)..]))
        {
            subdir = text[(slash + 1)..];
            text = text[..slash];
        }

        var scheme = text.IndexOf("://", StringComparison.Ordinal);
        if (scheme < 0) return new ChannelName(text, subdir);

        var pathStart = text.IndexOf('/', scheme + 3);
        if (pathStart < 0) return new ChannelName(text, subdir);
        // conda names a URL channel by its path, behind the default alias (conda.anaconda.org) and elsewhere.
        var path = text[(pathStart + 1)..];
        return new ChannelName(path.Length == 0 ? text : path, subdir);
    }
}
