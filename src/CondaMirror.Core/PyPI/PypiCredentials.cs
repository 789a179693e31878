using CondaMirror.Core.Errors;
using CondaMirror.Core.Locks;
using CondaMirror.Core.Networking;

namespace CondaMirror.Core.PyPI;

/// <summary>
/// Credentials for private package indexes, configured like channel credentials (a literal bearer token, or a token or
/// user + password from environment variables; <c>user:pass@</c> in the index URL), and applied to wheel downloads:
/// <list type="bullet">
/// <item>to every wheel URL under the index URL (longest prefix wins, as for channels);</item>
/// <item>to a wheel whose entry names that index and whose URL is on the index's own scheme, host and port (indexes
/// usually serve files from another path, e.g. <c>/simple/</c> and <c>/packages/</c>). A wheel hosted elsewhere
/// (a CDN) gets nothing: a secret is never sent to a host it was not configured for, as pip does.</item>
/// </list>
/// </summary>
public static class PypiCredentials
{
    /// <param name="environment">Reads an environment variable; the process environment by default (tests pass their own).</param>
    public static CredentialSet For(IEnumerable<ChannelAuthSettings> indexes, IEnumerable<PypiLockEntry> entries, Func<string, string?>? environment = null)
    {
        var list = indexes.ToList();
        var fromSettings = CredentialSet.FromChannels(list, Root, environment, "CondaPyPIIndex");
        var configured = new List<ChannelCredential>(fromSettings.Configured);
        // user:pass@ in an index URL: a Basic credential for the index's public prefix (and so for its host's wheels).
        foreach (var root in list.Select(i => Root(i.Channel).Request).Where(u => !string.IsNullOrEmpty(u.UserInfo)))
        {
            var colon = root.UserInfo.IndexOf(':');
            var user = Uri.UnescapeDataString(colon >= 0 ? root.UserInfo[..colon] : root.UserInfo);
            var password = colon >= 0 ? Uri.UnescapeDataString(root.UserInfo[(colon + 1)..]) : "";
            configured.Add(new ChannelCredential(UrlRedaction.StripCredentials(root).AbsoluteUri, null, user, password));
        }

        var derived = new List<ChannelCredential>();
        foreach (var entry in entries)
        {
            if (entry.Url is null || entry.IndexUrl is null || !Uri.TryCreate(entry.Url, UriKind.Absolute, out var wheel)) continue;
            if (HttpAuthentication.FindCredential(entry.Url, configured) is not null) continue;
            if (HttpAuthentication.FindCredential(entry.IndexUrl, configured) is not { } credential) continue;
            if (!Uri.TryCreate(entry.IndexUrl, UriKind.Absolute, out var index) || !SameOrigin(wheel, index)) continue;
            // The URL as requests spell it (Uri's canonical form), so the prefix match sees the same string.
            derived.Add(credential with { UrlPrefix = wheel.AbsoluteUri });
        }
        return new CredentialSet(configured.Concat(derived));
    }

    private static bool SameOrigin(Uri a, Uri b) =>
        string.Equals(a.Scheme, b.Scheme, StringComparison.OrdinalIgnoreCase) &&
        string.Equals(a.Host, b.Host, StringComparison.OrdinalIgnoreCase) && a.Port == b.Port;

    /// <summary>An index item as a root URL: only absolute http(s) URLs (CMIR465 otherwise).</summary>
    private static UrlRoot Root(string spec)
    {
        if (!Uri.TryCreate(spec.Trim(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            throw new CondaMirrorException(ErrorCodes.PypiIndexInvalid,
                $"CondaPyPIIndex '{UrlRedaction.RedactUrlOrText(spec)}' is not an absolute http(s) URL; give the index URL the lock names, e.g. https://pypi.example.com/simple.");
        return new UrlRoot(uri.AbsolutePath.EndsWith('/') ? uri : new UriBuilder(uri) { Path = uri.AbsolutePath + "/" }.Uri);
    }
}
