using System.Text.RegularExpressions;

namespace CondaMirror.Core.Locks;

/// <summary>
/// Credentials in channel URLs: <c>user:pass@host</c> and anaconda.org-style <c>/t/&lt;token&gt;/</c> path tokens.
/// Records keep the full URL (it is what downloads need); logs and written lock files use these forms.
/// </summary>
public static partial class UrlRedaction
{
    /// <summary>For logs: replaces user info and tokens with <c>***</c> so the reader still sees that some were there.</summary>
    public static string Redact(string url)
    {
        var result = UserInfo().Replace(url, m => m.Groups["scheme"].Value + "***@");
        return Token().Replace(result, "/t/***/");
    }

    /// <summary>For lock files and channel lists: removes user info and <c>/t/&lt;token&gt;</c> segments entirely.</summary>
    public static string StripCredentials(string url)
    {
        var result = UserInfo().Replace(url, m => m.Groups["scheme"].Value);
        return Token().Replace(result, "/");
    }

    public static bool HasCredentials(string url) => UserInfo().IsMatch(url) || Token().IsMatch(url);

    // scheme://user[:password]@ — only inside the authority, never a later '@' in the path.
    [GeneratedRegex(@"^(?<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)[^/@?#]*@")]
    private static partial Regex UserInfo();

    [GeneratedRegex(@"/t/[^/]+/")]
    private static partial Regex Token();
}
