using System.Buffers;
using System.Text;

namespace CondaMirror.Core.Networking;

/// <summary>
/// Removes secrets from URLs before they reach a log line or an error message: the user-info part
/// (<c>user:pass@</c>), anaconda.org-style path tokens (<c>/t/&lt;token&gt;/</c>) and query parameters that
/// commonly carry credentials (signed CDN links, API keys).
/// <para>Plain string scanning, linear in the input: URLs come from lock files and servers, and the regular
/// expressions this replaces took quadratic time on a long line (a 10 MB URL ran for half an hour).</para>
/// </summary>
public static class UrlRedaction
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
        var result = ReplaceUserInfo(url, Mask);
        result = ReplacePathTokens(result, Mask);
        var query = result.IndexOf('?');
        if (query >= 0) result = result[..(query + 1)] + RedactQuery(result[(query + 1)..]);
        return result;
    }

    /// <summary>An absolute URI in its normalised (escaped) form with every secret replaced; a relative one as written.</summary>
    public static string Redact(Uri? uri) => uri is null ? string.Empty : uri.IsAbsoluteUri ? Redact(uri.AbsoluteUri) : uri.ToString();

    /// <summary>What a user wrote where a URL is expected: redacted in its normalised form when it parses as an absolute URI, otherwise unchanged.</summary>
    public static string RedactUrlOrText(string text) => Uri.TryCreate(text, UriKind.Absolute, out var uri) ? Redact(uri) : text;

    /// <summary>For lock files and channel lists: removes user info and <c>/t/&lt;token&gt;</c> segments entirely.</summary>
    public static string StripCredentials(string url)
    {
        var result = ReplaceUserInfo(url, null);
        return ReplacePathTokens(result, null);
    }

    /// <summary>
    /// The same for a parsed URI, part by part: user name and password are cleared and <c>/t/&lt;token&gt;</c> segments
    /// leave the path only (a host named <c>t</c> is not a token). Used for channel roots, whose path ends in '/'.
    /// </summary>
    public static Uri StripCredentials(Uri url)
    {
        var builder = new UriBuilder(url) { UserName = string.Empty, Password = string.Empty };
        builder.Path = ReplacePathTokens(builder.Path, null);
        return builder.Uri;
    }

    public static bool HasCredentials(string url) => FindUserInfo(url, 0).Start >= 0 || FindPathToken(url, 0).Start >= 0;

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

    // scheme://userinfo@ — a scheme ([a-zA-Z][a-zA-Z0-9+.-]*), "://", then the authority (no '/', '?', '#' or
    // white space) up to its LAST '@': an unescaped '@' inside a password must not leave its tail visible.
    // Replaced by scheme://***@ (mask) or scheme:// (no mask).
    private static string ReplaceUserInfo(string text, string? mask)
    {
        var found = FindUserInfo(text, 0);
        if (found.Start < 0) return text;
        var sb = new StringBuilder(text.Length);
        var copied = 0;
        while (found.Start >= 0)
        {
            sb.Append(text, copied, found.SchemeEnd - copied);
            if (mask is not null) sb.Append(mask).Append('@');
            copied = found.End;
            found = FindUserInfo(text, copied);
        }
        return sb.Append(text, copied, text.Length - copied).ToString();
    }

    /// <summary>
    /// The first user-info part at or after <paramref name="from"/>: where its scheme starts, where "://" ends and
    /// where the last '@' of the authority ends; Start is -1 when there is none. Each "://" is visited once and
    /// the scheme before it and the authority after it never overlap those of another, so the scan is linear.
    /// </summary>
    private static (int Start, int SchemeEnd, int End) FindUserInfo(string text, int from)
    {
        var search = from;
        while (search < text.Length)
        {
            var sep = text.IndexOf("://", search, StringComparison.Ordinal);
            if (sep < 0) break;
            var before = text.AsSpan(from, sep - from).LastIndexOfAnyExcept(SchemeChars);
            var runStart = before < 0 ? from : from + before + 1;
            // The leftmost match starts at the run's first letter (a scheme cannot start with a digit or sign).
            var start = runStart;
            while (start < sep && !char.IsAsciiLetter(text[start])) start++;
            if (start < sep)
            {
                var authority = text.AsSpan(sep + 3);
                var length = authority.IndexOfAny(AuthorityEnds);
                var lastAt = (length < 0 ? authority : authority[..length]).LastIndexOf('@');
                if (lastAt >= 0) return (start, sep + 3, sep + 3 + lastAt + 1);
            }
            search = sep + 1;
        }
        return (-1, -1, -1);
    }

    // "/t/<token>" followed by '/', '?', '#' or the end of the text: the token is replaced by the mask, or the
    // segment removed when there is no mask; the character after the token stays.
    private static string ReplacePathTokens(string text, string? mask)
    {
        var found = FindPathToken(text, 0);
        if (found.Start < 0) return text;
        var sb = new StringBuilder(text.Length);
        var copied = 0;
        while (found.Start >= 0)
        {
            sb.Append(text, copied, found.Start - copied);
            if (mask is not null) sb.Append("/t/").Append(mask);
            sb.Append(text, found.TokenEnd, found.End - found.TokenEnd);
            copied = found.End;
            found = FindPathToken(text, copied);
        }
        return sb.Append(text, copied, text.Length - copied).ToString();
    }

    /// <summary>
    /// The first "/t/&lt;token&gt;" at or after <paramref name="from"/>: its start, the end of the token and the end
    /// of the character that closes it (equal to the token's end at the end of the text); Start is -1 when none.
    /// A token cannot contain '/', so token scans of successive candidates overlap by at most two characters.
    /// </summary>
    private static (int Start, int TokenEnd, int End) FindPathToken(string text, int from)
    {
        var search = from;
        while (search < text.Length)
        {
            var at = text.IndexOf("/t/", search, StringComparison.Ordinal);
            if (at < 0) break;
            var length = text.AsSpan(at + 3).IndexOfAny(AuthorityEnds);
            var end = length < 0 ? text.Length : at + 3 + length;
            if (end > at + 3)
            {
                if (end == text.Length) return (at, end, end);
                if (text[end] is '/' or '?' or '#') return (at, end, end + 1);
                // Like a regex '$': the end of the text, or just before a final line feed.
                if (text[end] == '\n' && end == text.Length - 1) return (at, end, end);
            }
            search = at + 1;
        }
        return (-1, -1, -1);
    }

    // Vectorised sets keep the scans fast as well as linear.
    private static readonly SearchValues<char> SchemeChars =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+.-");

    // The characters that end an authority or a path token: '/', '?', '#' and white space (as regex \s, which is
    // exactly char.IsWhiteSpace).
    private static readonly SearchValues<char> AuthorityEnds = SearchValues.Create(
        "/?#" + new string(Enumerable.Range(0, char.MaxValue + 1).Select(c => (char)c).Where(char.IsWhiteSpace).ToArray()));
}
