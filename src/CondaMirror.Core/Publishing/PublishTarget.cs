using CondaMirror.Core.Errors;
using CondaMirror.Core.Networking;

namespace CondaMirror.Core.Publishing;

/// <summary>
/// One CondaPublish destination: <c>s3://bucket[/prefix]</c> plus where the store is (Endpoint, Region, path style)
/// and whether objects no longer in the channel are deleted (Prune). Parsed from the item's Include and metadata;
/// metadata that looks like a credential is refused (CMIR361): credentials come from the environment only.
/// </summary>
public sealed record PublishTarget
{
    public required string Bucket { get; init; }

    /// <summary>The key prefix without leading or trailing '/', "" for the bucket's root.</summary>
    public required string Prefix { get; init; }

    public Uri? Endpoint { get; init; }
    public string Region { get; init; } = "us-east-1";
    public bool ForcePathStyle { get; init; }
    public bool Prune { get; init; }

    /// <summary>The destination as the user wrote it, normalised: s3://bucket/prefix.</summary>
    public string Url => Prefix.Length == 0 ? $"s3://{Bucket}" : $"s3://{Bucket}/{Prefix}";

    /// <summary>The key of a channel file (relative path with '/').</summary>
    public string KeyOf(string relativePath) => Prefix.Length == 0 ? relativePath : Prefix + "/" + relativePath;

    /// <summary>What every key of this channel starts with ("" or "prefix/").</summary>
    public string KeyPrefix => Prefix.Length == 0 ? "" : Prefix + "/";

    /// <summary>Metadata names that would put a credential into the project file.</summary>
    private static readonly string[] SecretLike = ["accesskey", "secret", "password", "passwd", "token", "credential", "sessionkey", "apikey"];

    public static PublishTarget Parse(string include, IReadOnlyDictionary<string, string> metadata, string? projectFile = null)
    {
        foreach (var name in metadata.Keys)
        {
            var folded = name.Replace("_", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal).ToLowerInvariant();
            if (SecretLike.Any(s => folded.Contains(s, StringComparison.Ordinal)))
                // The value is never echoed, only the metadata name.
                throw new CondaMirrorException(ErrorCodes.PublishSecretInProject,
                    $"CondaPublish '{Safe(include)}' has metadata '{name}', which looks like a credential. Credentials are never read from the project file " +
                    "(it is committed, logged and copied into binlogs): remove it and set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) in the build's environment.",
                    projectFile);
        }

        var text = include.Trim();
        const string scheme = "s3://";
        if (!text.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
            throw BadUrl(include, "it does not start with s3://", projectFile);
        var rest = text[scheme.Length..];
        if (rest.IndexOfAny(['?', '#', '@', '\\', '*']) >= 0 || rest.Any(char.IsWhiteSpace) || rest.Any(char.IsControl))
            throw BadUrl(include, "it holds a query, fragment, user info, backslash, wildcard or white space", projectFile);
        var slash = rest.IndexOf('/');
        var bucket = slash < 0 ? rest : rest[..slash];
        var prefix = slash < 0 ? "" : rest[(slash + 1)..].Trim('/');
        if (!IsBucketName(bucket))
            throw BadUrl(include, $"'{bucket}' is not a bucket name (3–63 characters: lower-case letters, digits, '.', '-')", projectFile);
        if (prefix.Split('/').Any(s => s.Length == 0 && prefix.Length > 0 || s is "." or ".."))
            throw BadUrl(include, "the prefix has an empty, '.' or '..' segment", projectFile);

        Uri? endpoint = null;
        if (metadata.TryGetValue("Endpoint", out var e) && !string.IsNullOrWhiteSpace(e))
        {
            endpoint = S3ObjectStore.ParseEndpoint(e);
            if (endpoint is null)
                throw new CondaMirrorException(ErrorCodes.PublishUrlInvalid,
                    $"CondaPublish '{Safe(include)}': Endpoint '{UrlRedaction.Redact(e)}' is not an absolute http(s) URL without credentials, query or fragment (e.g. http://127.0.0.1:9000 or https://s3.example.com).",
                    projectFile);
        }
        var region = metadata.TryGetValue("Region", out var r) && !string.IsNullOrWhiteSpace(r) ? r.Trim() : "us-east-1";
        if (region.Length > 64 || !region.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
            throw new CondaMirrorException(ErrorCodes.PublishMetadataInvalid, $"CondaPublish '{Safe(include)}': Region '{region}' is not a region name (e.g. us-east-1).", projectFile);
        return new PublishTarget
        {
            Bucket = bucket,
            Prefix = prefix,
            Endpoint = endpoint,
            Region = region,
            ForcePathStyle = Flag(metadata, "ForcePathStyle", include, projectFile),
            Prune = Flag(metadata, "Prune", include, projectFile),
        };
    }

    private static bool Flag(IReadOnlyDictionary<string, string> metadata, string name, string include, string? projectFile)
    {
        if (!metadata.TryGetValue(name, out var value) || string.IsNullOrWhiteSpace(value)) return false;
        if (bool.TryParse(value.Trim(), out var flag)) return flag;
        throw new CondaMirrorException(ErrorCodes.PublishMetadataInvalid, $"CondaPublish '{Safe(include)}': {name}='{value}' is not true or false.", projectFile);
    }

    private static bool IsBucketName(string name) =>
        name.Length is >= 3 and <= 63
        && name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '.' or '-')
        && char.IsAsciiLetterOrDigit(name[0]) && char.IsAsciiLetterOrDigit(name[^1]);

    private static CondaMirrorException BadUrl(string include, string why, string? projectFile) =>
        new(ErrorCodes.PublishUrlInvalid,
            $"CondaPublish '{Safe(include)}' is not a destination: {why}. Write it as s3://bucket or s3://bucket/prefix, with Endpoint, Region and ForcePathStyle as metadata.",
            projectFile);

    /// <summary>The Include as shown in messages: bounded, user info (a key pasted into the URL) masked.</summary>
    private static string Safe(string include) => UrlRedaction.Redact(include.Length > 200 ? include[..200] + "…" : include);
}
