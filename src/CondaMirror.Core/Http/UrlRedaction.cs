using System.Text.RegularExpressions;

namespace CondaMirror.Core.Http;

/// <summary>
/// Removes secrets from URLs before they reach a log line or an error message: the user-info part
/// (<c>user:pass@</c>), anaconda.org-style path tokens (<c>/t/&lt;token&gt;/</c>) and query parameters that
/// commonly carry credentials (signed CDN links, API keys).
/// </summary>
public static partial class UrlRedaction
{
    public const string Mask = "***";

    private static readonly HashSet<string> SecretQueryKeys = new(StringComparer.OrdinalIgnoreCase)
    {
        "token", "access_token", "api_key", "apikey", "key", "password", "secret", "sig", "signature",
        "x-amz-signature", "x-amz-credential", "x-amz-security-token", "x-goog-signature", "x-goog-credential",
    };

    /// <summary>Returns <paramref name="url"/> with every secret replaced by <c>***</c>. Non-URLs pass through unchanged.</summary>
    public static string Redact(string? url)
    {
        if (string.IsNullOrEmpty(url)) return url ?? string.Empty;
        var result = UserInfo().Replace(url, m => m.Groups["scheme"].Value + Mask + "@");
        result = PathToken().Replace(result, "/t/" + Mask + "$1");
        var query = result.IndexOf('?');
        if (query >= 0) result = result[..(query + 1)] + RedactQuery(result[(query + 1)..]);
        return result;
    }

    public static string Redact(Uri? uri) => uri is null ? string.Empty : Redact(uri.OriginalString);

    private static string RedactQuery(string query)
    {
        var fragment = query.IndexOf('#');
        var tail = fragment >= 0 ? query[fragment..] : string.Empty;
        if (fragment >= 0) query = query[..fragment];
        var parts = query.Split('&');
        for (var i = 0; i < parts.Length; i++)
        {
            var eq = parts[i].IndexOf('=');
            if (eq > 0 && SecretQueryKeys.Contains(Uri.UnescapeDataString(parts[i][..eq])))
                parts[i] = parts[i][..(eq + 1)] + Mask;
        }
        return string.Join('&', parts) + tail;
    }

    // scheme://userinfo@ up to the LAST '@' of the authority (which ends at '/', '?' or '#'):
    // an unescaped '@' inside a password must not leave its tail visible.
    [GeneratedRegex(@"(?<scheme>[a-zA-Z][a-zA-Z0-9+.\-]*://)[^/?#\s]*@")]
    private static partial Regex UserInfo();

    [GeneratedRegex(@"/t/[^/?#\s]+(/|$|\?|#)")]
    private static partial Regex PathToken();
}
