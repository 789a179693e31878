using CondaMirror.Core.Errors;
using CondaMirror.Core.Locks;
using CondaMirror.Core.Networking;

namespace CondaMirror.Core.PyPI;

/// <summary>
/// Credentials for private package indexes (CondaPyPIIndex items), configured like channel credentials (a literal
/// bearer token, a token or user + password from environment variables, <c>user:pass@</c> in the index URL) and
/// applied to the lock's wheel downloads by <see cref="CredentialSet.FromIndexes"/>: to wheel URLs under the index URL,
/// and to wheels whose entry names that index and that lie on the index's own host; never to another host.
/// </summary>
public static class PypiCredentials
{
    /// <param name="environment">Reads an environment variable; the process environment by default (tests pass their own).</param>
    public static CredentialSet For(IEnumerable<ChannelAuthSettings> indexes, IEnumerable<PypiLockEntry> entries, Func<string, string?>? environment = null) =>
        CredentialSet.FromIndexes(indexes, Root, entries.Where(e => e.Url is not null).Select(e => (e.Url!, e.IndexUrl)), environment, "CondaPyPIIndex");

    /// <summary>An index item as a root URL: only absolute http(s) URLs (CMIR465 otherwise).</summary>
    private static UrlRoot Root(string spec)
    {
        if (!Uri.TryCreate(spec.Trim(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            throw new CondaMirrorException(ErrorCodes.PypiIndexInvalid,
                $"CondaPyPIIndex '{UrlRedaction.RedactUrlOrText(spec)}' is not an absolute http(s) URL; give the index URL the lock names, e.g. https://pypi.example.com/simple.");
        return new UrlRoot(uri.AbsolutePath.EndsWith('/') ? uri : new UriBuilder(uri) { Path = uri.AbsolutePath + "/" }.Uri);
    }
}
