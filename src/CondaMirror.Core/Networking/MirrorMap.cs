using CondaMirror.Core.Errors;

namespace CondaMirror.Core.Networking;

/// <summary>
/// Where to fetch a channel's files from instead of the channel itself (an Artifactory or Nexus proxy, a plain HTTP
/// mirror): canonical channel URL → mirror URLs, tried in order. Only the request changes: locks, caches and the
/// channel keep the canonical URLs, so a build with a map writes the same bytes as one without.
/// </summary>
public sealed class MirrorMap
{
    public static MirrorMap None { get; } = new([]);

    private readonly (string Prefix, Uri[] Mirrors)[] _entries;

    /// <param name="entries">Canonical channel URL and its mirrors, in the order to try them.</param>
    public MirrorMap(IEnumerable<(string Channel, IReadOnlyList<string> Mirrors)> entries)
    {
        _entries = entries
            .Select(e => (Prefix: Normalize(e.Channel), Mirrors: e.Mirrors.Select(m => new Uri(Normalize(m))).ToArray()))
            .Where(e => e.Mirrors.Length > 0)
            // Longest prefix first, so a map for https://h/a/b wins over one for https://h/a.
            .OrderByDescending(e => e.Prefix.Length)
            .ToArray();
    }

    /// <summary>
    /// A map from CondaChannelMirror-style entries: a channel (URL or name, resolved by <paramref name="resolveChannel"/>
    /// to its public root) and its mirrors separated by ';'. Several entries for one channel append, in order.
    /// </summary>
    /// <exception cref="CondaMirrorException">CMIR809 for an entry without mirrors or with a URL that is not absolute http(s)/file.</exception>
    public static MirrorMap Parse(IEnumerable<(string Channel, string Mirrors)> entries, Func<string, UrlRoot> resolveChannel)
    {
        var byChannel = new List<(string Channel, List<string> Mirrors)>();
        foreach (var (channel, mirrors) in entries)
        {
            var urls = mirrors.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (urls.Length == 0)
                throw Invalid($"The CondaChannelMirror item '{UrlRedaction.RedactUrlOrText(channel)}' has no Url metadata.");
            string canonical;
            try { canonical = resolveChannel(channel).Public.AbsoluteUri; }
            catch (Exception e) when (e is CondaMirrorException or UriFormatException or ArgumentException)
            {
                throw Invalid($"The CondaChannelMirror item '{UrlRedaction.RedactUrlOrText(channel)}' is not a channel URL or name: {e.Message}");
            }
            foreach (var url in urls)
                if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https" or "file"))
                    throw Invalid($"The mirror '{UrlRedaction.RedactUrlOrText(url)}' of '{UrlRedaction.RedactUrlOrText(channel)}' is not an absolute http, https or file URL.");
            var existing = byChannel.FindIndex(e => string.Equals(e.Channel, canonical, StringComparison.OrdinalIgnoreCase));
            if (existing >= 0) byChannel[existing].Mirrors.AddRange(urls);
            else byChannel.Add((canonical, urls.ToList()));
        }
        return byChannel.Count == 0 ? None : new MirrorMap(byChannel.Select(e => (e.Channel, (IReadOnlyList<string>)e.Mirrors)));
    }

    private static CondaMirrorException Invalid(string message) =>
        new(ErrorCodes.ChannelMirrorInvalid, message + " Write <CondaChannelMirror Include=\"<channel URL or name>\" Url=\"<mirror URL>[;<next mirror>]\" />.");

    public bool IsEmpty => _entries.Length == 0;

    public int Count => _entries.Length;

    /// <summary>
    /// The URLs to request for <paramref name="url"/>, in order: the mirrors of the longest canonical prefix that
    /// covers it (matched on the credential-free form, at a '/' boundary), or none when no mirror covers it.
    /// </summary>
    public IReadOnlyList<Uri> MirrorsFor(Uri url)
    {
        if (_entries.Length == 0) return [];
        var publicUrl = UrlRedaction.StripCredentials(url).AbsoluteUri;
        foreach (var (prefix, mirrors) in _entries)
            if (publicUrl.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                var rest = publicUrl[prefix.Length..];
                return mirrors.Select(m => new Uri(m, rest)).ToArray();
            }
        return [];
    }

    private static string Normalize(string url)
    {
        if (!Uri.TryCreate(url.Trim(), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https" or "file"))
            throw new ArgumentException($"'{UrlRedaction.RedactUrlOrText(url)}' is not an absolute http, https or file URL.", nameof(url));
        var text = uri.AbsoluteUri;
        return text.EndsWith('/') ? text : text + "/";
    }
}
