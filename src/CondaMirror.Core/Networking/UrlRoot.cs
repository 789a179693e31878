namespace CondaMirror.Core.Networking;

/// <summary>
/// A root URL (a channel's, ending in '/') as requests need it, which may carry credentials (<c>user:pass@</c>, a
/// <c>/t/&lt;token&gt;/</c> segment), and its public form without them, which is what lock files, records and logs hold.
/// </summary>
public sealed class UrlRoot
{
    /// <param name="request">The root as given, with a trailing slash.</param>
    public UrlRoot(Uri request)
    {
        if (!request.IsAbsoluteUri) throw new ArgumentException("a root URL must be absolute", nameof(request));
        Request = request;
        var stripped = UrlRedaction.StripCredentials(request);
        // Stripping a trailing token segment can leave the path without its final '/'.
        Public = stripped.AbsolutePath.EndsWith('/') ? stripped : new UriBuilder(stripped) { Path = stripped.AbsolutePath + "/" }.Uri;
    }

    /// <summary>The root to request, credentials included.</summary>
    public Uri Request { get; }

    /// <summary>The root without credentials: safe to persist and show.</summary>
    public Uri Public { get; }

    /// <summary>True when requests carry credentials from the URL itself.</summary>
    public bool HasCredentials => Request.AbsoluteUri != Public.AbsoluteUri;

    /// <summary>
    /// Maps a public URL under this root back to the URL to request, re-adding the credentials; URLs outside the root
    /// are returned unchanged.
    /// </summary>
    public Uri ToRequestUri(string publicUrl)
    {
        var prefix = Public.AbsoluteUri;
        return publicUrl.StartsWith(prefix, StringComparison.Ordinal)
            ? new Uri(Request, publicUrl[prefix.Length..])
            : new Uri(publicUrl);
    }

    /// <summary>True when <paramref name="publicUrl"/> lies under the public root.</summary>
    public bool Covers(string publicUrl) => publicUrl.StartsWith(Public.AbsoluteUri, StringComparison.Ordinal);

    public override string ToString() => UrlRedaction.Redact(Request);
}
