using System.Net.Http.Headers;
using System.Text;

namespace CondaMirror.Core.Networking;

/// <summary>A request target with credentials moved out of the URL into an Authorization header.</summary>
/// <param name="RequestUri">The URL to send (user-info stripped; <c>/t/&lt;token&gt;/</c> path tokens stay, servers need them).</param>
/// <param name="Authorization">The header to send, or null.</param>
/// <param name="DisplayUrl">The URL with every secret redacted: the only form allowed in logs and errors.</param>
public sealed record AuthenticatedTarget(Uri RequestUri, AuthenticationHeaderValue? Authorization, string DisplayUrl)
{
    /// <summary>Further mirrors to try, in order, when this target's host is unreachable or keeps failing (<see cref="MirrorMap"/>).</summary>
    public IReadOnlyList<AuthenticatedTarget> Alternates { get; init; } = [];
}

public static class HttpAuthentication
{
    /// <summary>
    /// Works out what to send for <paramref name="url"/>: <c>user:pass@</c> in the URL becomes a Basic header
    /// (it wins over configured credentials, being the more specific); otherwise the credential whose prefix
    /// matches gives a Bearer or Basic header.
    /// </summary>
    public static AuthenticatedTarget Prepare(Uri url, IReadOnlyList<ChannelCredential>? credentials)
    {
        AuthenticationHeaderValue? header = null;
        var target = url;
        if (!string.IsNullOrEmpty(url.UserInfo))
        {
            var colon = url.UserInfo.IndexOf(':');
            var user = Uri.UnescapeDataString(colon >= 0 ? url.UserInfo[..colon] : url.UserInfo);
            var password = colon >= 0 ? Uri.UnescapeDataString(url.UserInfo[(colon + 1)..]) : string.Empty;
            header = Basic(user, password);
            target = new UriBuilder(url) { UserName = string.Empty, Password = string.Empty }.Uri;
        }

        if (header is null && FindCredential(target.AbsoluteUri, credentials) is { } credential)
        {
            if (!string.IsNullOrEmpty(credential.BearerToken)) header = new AuthenticationHeaderValue("Bearer", credential.BearerToken);
            else if (credential.User is not null) header = Basic(credential.User, credential.Password ?? string.Empty);
        }

        return new AuthenticatedTarget(target, header, UrlRedaction.Redact(url.OriginalString));
    }

    /// <summary>The longest-prefix credential for <paramref name="url"/>, matched at a '/' boundary so that
    /// <c>https://h/private</c> does not cover <c>https://h/private2/...</c>.</summary>
    public static ChannelCredential? FindCredential(string url, IReadOnlyList<ChannelCredential>? credentials)
    {
        if (credentials is null) return null;
        ChannelCredential? best = null;
        foreach (var c in credentials)
        {
            var prefix = c.UrlPrefix.TrimEnd('/');
            if (prefix.Length == 0 || !url.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)) continue;
            if (url.Length > prefix.Length && url[prefix.Length] is not ('/' or '?')) continue;
            if (best is null || prefix.Length > best.UrlPrefix.TrimEnd('/').Length) best = c;
        }
        return best;
    }

    private static AuthenticationHeaderValue Basic(string user, string password) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + password)));
}
