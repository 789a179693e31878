using CondaMirror.Core.Errors;

namespace CondaMirror.Core.Networking;

/// <summary>
/// A remote channel stays remote: a location a server states (repodata's base_url, a shard index's base_url and
/// shards_base_url) is followed only to http(s) when the document came over http(s), so no server can make the build
/// read, copy and publish local files. Channels given as local paths may point anywhere they like.
/// </summary>
public static class RemoteLocation
{
    /// <summary>Throws CMIR670 when <paramref name="stated"/>, read from a document at <paramref name="origin"/>, leaves http(s).</summary>
    public static Uri Check(Uri origin, Uri stated, string field, string where)
    {
        if (!IsRemote(origin) || IsRemote(stated)) return stated;
        throw new CondaMirrorException(ErrorCodes.RemoteChannelPointsElsewhere,
            $"The channel at {UrlRedaction.Redact(origin)} states {field} '{stated.Scheme}:…', which is not an http(s) URL; a remote channel may only " +
            "point at http(s) locations, so nothing was read from there. Fix the channel's repodata, or mirror a local copy of the channel given as a local path.",
            where);
    }

    /// <summary>http(s), or an OCI registry's oci:// (whose files are fetched over http(s) too).</summary>
    public static bool IsRemote(Uri uri) => IsHttp(uri) || (uri.IsAbsoluteUri && uri.Scheme == "oci");

    public static bool IsHttp(Uri uri) => uri.IsAbsoluteUri && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);
}
