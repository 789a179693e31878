namespace CondaMirror.Core.Errors;

// 6xx: channels and repodata.
public static partial class ErrorCodes
{
    /// <summary>A channel item is empty or neither a name, an http(s)/oci/file URL nor a local path.</summary>
    public const string ChannelSpecInvalid = "CMIR601";

    /// <summary>The channel alias (base for channel names) is not an absolute http(s) or file URL.</summary>
    public const string ChannelAliasInvalid = "CMIR602";

    /// <summary>A channel URL uses a scheme other than http, https or file.</summary>
    public const string ChannelSchemeUnsupported = "CMIR603";

    /// <summary>repodata.json is not valid JSON or not shaped like repodata.</summary>
    public const string RepodataInvalid = "CMIR610";

    /// <summary>One record in repodata.json is malformed (not an object, no name).</summary>
    public const string RepodataRecordInvalid = "CMIR611";

    /// <summary>repodata.json.zst could not be decompressed.</summary>
    public const string RepodataDecompressFailed = "CMIR612";

    /// <summary>A local repodata file (file:// channel or the cache) could not be read.</summary>
    public const string RepodataReadFailed = "CMIR613";

    /// <summary>The channel has no noarch/repodata.json: the URL is not a conda channel.</summary>
    public const string NotACondaChannel = "CMIR620";

    /// <summary>Offline mode and no cached repodata for that channel and subdir.</summary>
    public const string RepodataOfflineCacheMissing = "CMIR621";

    /// <summary>The server answered repodata with an unexpected HTTP status.</summary>
    public const string RepodataHttpError = "CMIR622";

    /// <summary>The server could not be reached (after retries).</summary>
    public const string RepodataNetworkError = "CMIR623";

    /// <summary>The server refused the credentials (401/403).</summary>
    public const string RepodataAuthFailed = "CMIR624";

    /// <summary>Warning: the server was unreachable, a stale cached copy was used instead.</summary>
    public const string RepodataStaleCacheUsed = "CMIR630";

    /// <summary>The repodata cache directory could not be written.</summary>
    public const string RepodataCacheWriteFailed = "CMIR631";

    /// <summary>A repodata body (as sent, or decompressed) is larger than CondaMaxRepodataBytes: a decompression bomb or a wrong URL.</summary>
    public const string RepodataTooLarge = "CMIR640";

    /// <summary>Every attempt at repodata ran out of its whole-transfer deadline (CondaHttpRequestDeadlineSeconds) while the server was still sending.</summary>
    public const string RepodataDeadlineExceeded = "CMIR641";

    /// <summary>The server's Retry-After for repodata asks for a longer wait than CondaMaxRetryAfterSeconds; the message says until when.</summary>
    public const string RepodataRetryAfterTooLong = "CMIR642";

    /// <summary>The repodata response uses a Content-Encoding this build cannot decode.</summary>
    public const string RepodataContentEncodingUnsupported = "CMIR643";

    /// <summary>A CEP-16 shard index (repodata_shards.msgpack.zst) is malformed: not zstd, not MessagePack, not shaped like an index, or over a bound.</summary>
    public const string ShardIndexInvalid = "CMIR650";

    /// <summary>A CEP-16 shard (&lt;sha256&gt;.msgpack.zst) is malformed: not zstd, not MessagePack, not shaped like a shard, a bad record, or over a bound.</summary>
    public const string ShardInvalid = "CMIR651";

    /// <summary>A shard's bytes do not have the sha256 its index names.</summary>
    public const string ShardHashMismatch = "CMIR652";

    /// <summary>A shard index or shard decompresses to more than the limit (64 MiB): a decompression bomb or not a shard.</summary>
    public const string ShardTooLarge = "CMIR653";

    /// <summary>A CondaChannelSubset's selection (records it keeps, with dependencies) is larger than its MaxSizeGB; refused before any package is requested.</summary>
    public const string SubsetTooLarge = "CMIR660";

    /// <summary>Two CondaChannelSubset channels offer different packages under one subdir/file name.</summary>
    public const string SubsetConflict = "CMIR661";

    /// <summary>The subset step's selection file under obj/…/condamirror/ is unreadable (damaged or from another version); the step writes it again.</summary>
    public const string SubsetSelectionInvalid = "CMIR662";

    /// <summary>Warning: a mirror (CondaChannelMirror) could not be reached or kept failing; the next one is tried.</summary>
    public const string MirrorFailedOver = "CMIR680";

    /// <summary>A remote channel's repodata or shard index points package or shard downloads at a non-http(s) location (file://, ftp://).</summary>
    public const string RemoteChannelPointsElsewhere = "CMIR670";

    /// <summary>A server answered with a redirect the build does not follow: to a non-http(s) location, from https to http, or past 10 redirects.</summary>
    public const string RedirectNotFollowed = "CMIR671";

    /// <summary>A build step spent its network time (CondaNetworkDeadlineSeconds) across all its requests, attempts and bodies.</summary>
    public const string NetworkDeadlineExceeded = "CMIR685";
}
