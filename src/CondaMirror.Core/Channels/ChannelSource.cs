using CondaMirror.Core.Networking;

namespace CondaMirror.Core.Channels;

/// <summary>
/// One resolved channel: where to request repodata and packages from, and how to name it to a user.
/// <see cref="BaseUrl"/> keeps credentials (user:password@ or a conda /t/&lt;token&gt;/ segment) because requests
/// need them; everything meant for display or persistence (logs, lock files, record URLs) uses
/// <see cref="DisplayUrl"/> or <see cref="PublicBaseUrl"/>, which never contain them. How credentials are taken
/// out of a URL, turned into headers and redacted is decided in one place, <see cref="CondaMirror.Core.Networking"/>.
/// </summary>
public sealed class ChannelSource
{
    public ChannelSource(string name, Uri baseUrl)
    {
        if (!baseUrl.IsAbsoluteUri) throw new ArgumentException("channel base URL must be absolute", nameof(baseUrl));
        Name = name;
        Root = new UrlRoot(WithTrailingSlash(baseUrl));
    }

    /// <summary>The channel root as requested and in its public form.</summary>
    public UrlRoot Root { get; }

    /// <summary>What the user wrote, normalised: "conda-forge", "pytorch/label/nightly", or the redacted URL.</summary>
    public string Name { get; }

    /// <summary>Channel root with a trailing slash; may contain credentials. Use for requests only.</summary>
    public Uri BaseUrl => Root.Request;

    /// <summary>Channel root without user info or /t/&lt;token&gt;/ segment: safe to write into lock files and logs.</summary>
    public Uri PublicBaseUrl => Root.Public;

    public bool IsFile => BaseUrl.IsFile;

    public bool IsHttp => BaseUrl.Scheme is "http" or "https";

    /// <summary>An OCI registry channel (oci://host/namespace/channel), read through <see cref="Networking.Oci.OciRegistryClient"/>.</summary>
    public bool IsOci => BaseUrl.Scheme == "oci";

    /// <summary>Fetched over the network: http(s) or an OCI registry.</summary>
    public bool IsRemote => IsHttp || IsOci;

    /// <summary>True when requests carry credentials from the URL (user info or token segment).</summary>
    public bool HasUrlCredentials => Root.HasCredentials;

    /// <summary>The channel URL as shown to users: credentials replaced by ***, no trailing slash.</summary>
    public string DisplayUrl => UrlRedaction.Redact(BaseUrl).TrimEnd('/');

    /// <summary>The subdir folder URL used for requests, e.g. https://host/conda-forge/linux-64/.</summary>
    public Uri SubdirUrl(string subdir) => new(BaseUrl, subdir.Trim('/') + "/");

    /// <summary>
    /// Maps a public (credential-free) URL under this channel back to the URL to request, re-adding the
    /// credentials; URLs outside the channel are returned unchanged.
    /// </summary>
    public Uri ToRequestUri(string publicUrl) => Root.ToRequestUri(publicUrl);

    public override string ToString() => Name == DisplayUrl ? Name : $"{Name} ({DisplayUrl})";

    private static Uri WithTrailingSlash(Uri url) =>
        url.AbsolutePath.EndsWith('/') ? url : new UriBuilder(url) { Path = url.AbsolutePath + "/" }.Uri;
}
