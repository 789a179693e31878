using CondaMirror.Core.Errors;
using CondaMirror.Core.Networking;

namespace CondaMirror.Core.Publishing;

/// <summary>Which kind of object store a destination is on.</summary>
public enum PublishStore
{
    S3,
    AzureBlob,
    Oci,
}

/// <summary>
/// One CondaPublish destination: <c>s3://bucket[/prefix]</c> plus where the store is (Endpoint, Region, path style),
/// or <c>azblob://account/container[/prefix]</c> (also written https://account.blob.core.windows.net/container/prefix)
/// plus an Endpoint for an emulator, or <c>oci://registry/namespace/channel</c> (an OCI registry); and whether objects no longer in the channel are deleted (Prune). Parsed from the
/// item's Include and metadata; metadata that looks like a credential is refused (CMIR361): credentials come from the
/// environment only.
/// </summary>
public sealed record PublishTarget
{
    public PublishStore Store { get; init; } = PublishStore.S3;

    /// <summary>The Azure storage account; null for S3 and OCI.</summary>
    public string? Account { get; init; }

    /// <summary>The S3 bucket, the Azure container, or for an OCI destination (<see cref="IsOci"/>) the registry, host[:port].</summary>
    public required string Bucket { get; init; }

    /// <summary>An OCI registry (oci://host[:port]/namespace/channel): <see cref="Bucket"/> is the registry, <see cref="Prefix"/> the channel's repository path.</summary>
    public bool IsOci => Store == PublishStore.Oci;

    /// <summary>The key prefix without leading or trailing '/', "" for the bucket's root.</summary>
    public required string Prefix { get; init; }

    public Uri? Endpoint { get; init; }
    public string Region { get; init; } = "us-east-1";
    public bool ForcePathStyle { get; init; }
    public bool Prune { get; init; }

    /// <summary>
    /// The PyPI metadata: where the PyPI simple index is published, on the same store with the same settings; null
    /// when not set. Its own <see cref="PyPI"/> is always null.
    /// </summary>
    public PublishTarget? PyPI { get; init; }

    /// <summary>
    /// PyPIFolderKeys (default true): each simple page is also stored under its folder's key (simple/&lt;name&gt;/),
    /// which is what pip asks for. False for stores that refuse such keys with content (MinIO); a web server in front
    /// must then map folders to index.html.
    /// </summary>
    public bool PyPIFolderKeys { get; init; } = true;

    /// <summary>The layout the PyPI index is published with.</summary>
    public PublishLayout PyPILayout => PyPIFolderKeys ? PublishLayout.PyPI : PublishLayout.PyPIWithoutFolderKeys;

    /// <summary>The destination as the user wrote it, normalised: s3://bucket/prefix, azblob://account/container/prefix or oci://registry/path.</summary>
    public string Url => Store switch
    {
        PublishStore.Oci => $"oci://{Bucket}/{Prefix}",
        PublishStore.AzureBlob => $"azblob://{Account}/{Bucket}" + (Prefix.Length == 0 ? "" : "/" + Prefix),
        _ => $"s3://{Bucket}" + (Prefix.Length == 0 ? "" : "/" + Prefix),
    };

    /// <summary>An Azure destination's blob service: the Endpoint metadata, else https://account.blob.core.windows.net.</summary>
    public Uri? AzureServiceUri => Store != PublishStore.AzureBlob ? null : Endpoint ?? new Uri($"https://{Account}.blob.core.windows.net");

    /// <summary>The store a destination is on, for comparing destinations: two with the same identity share one key space.</summary>
    private string StoreIdentity => $"{Store}|{Account}|{Bucket}|{(Store == PublishStore.AzureBlob ? AzureServiceUri!.AbsoluteUri.TrimEnd('/') : Endpoint?.AbsoluteUri)}";

    /// <summary>The key of a channel file (relative path with '/').</summary>
    public string KeyOf(string relativePath) => Prefix.Length == 0 ? relativePath : Prefix + "/" + relativePath;

    /// <summary>What every key of this channel starts with ("" or "prefix/").</summary>
    public string KeyPrefix => Prefix.Length == 0 ? "" : Prefix + "/";

    /// <summary>Metadata names that would put a credential into the project file.</summary>
    private static readonly string[] SecretLike = ["accesskey", "secret", "password", "passwd", "token", "credential", "sessionkey", "apikey",
        "accountkey", "sharedkey", "storagekey", "connectionstring", "sas"];

    /// <summary>Whether an Include names an Azure Blob destination (azblob:// or an https blob service URL).</summary>
    public static bool IsAzure(string include)
    {
        var text = include.Trim();
        return text.StartsWith(AzureScheme, StringComparison.OrdinalIgnoreCase)
               || Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "https" && uri.Host.Contains(".blob.", StringComparison.OrdinalIgnoreCase);
    }

    private const string AzureScheme = "azblob://";

    public static PublishTarget Parse(string include, IReadOnlyDictionary<string, string> metadata, string? projectFile = null)
    {
        foreach (var name in metadata.Keys)
        {
            var folded = name.Replace("_", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal).ToLowerInvariant();
            if (SecretLike.Any(s => folded.Contains(s, StringComparison.Ordinal)))
                // The value is never echoed, only the metadata name.
                throw new CondaMirrorException(ErrorCodes.PublishSecretInProject,
                    $"CondaPublish '{Safe(include)}' has metadata '{name}', which looks like a credential. Credentials are never read from the project file " +
                    "(it is committed, logged and copied into binlogs): remove it and set " +
                    (IsAzure(include)
                        ? $"{AzureBlobObjectStore.SasTokenVariable} or {AzureBlobObjectStore.KeyVariable}"
                        : "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE)") + " in the build's environment.",
                    projectFile);
        }
        if (IsAzure(include)) return ParseAzure(include, metadata, projectFile);

        if (include.Trim().StartsWith("oci://", StringComparison.OrdinalIgnoreCase))
            return ParseOci(include, metadata, projectFile);
        var (bucket, prefix) = ParseLocation(include, include, null, projectFile);

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
        var target = new PublishTarget
        {
            Bucket = bucket,
            Prefix = prefix,
            Endpoint = endpoint,
            Region = region,
            ForcePathStyle = Flag(metadata, "ForcePathStyle", include, projectFile),
            Prune = Flag(metadata, "Prune", include, projectFile),
        };
        var folderKeys = !metadata.TryGetValue("PyPIFolderKeys", out var fk) || string.IsNullOrWhiteSpace(fk) || Flag(metadata, "PyPIFolderKeys", include, projectFile);
        target = target with { PyPIFolderKeys = folderKeys };
        if (!metadata.TryGetValue("PyPI", out var pypi) || string.IsNullOrWhiteSpace(pypi)) return target;

        var (pypiBucket, pypiPrefix) = ParseLocation(pypi, include, "PyPI", projectFile);
        var pypiTarget = target with { Bucket = pypiBucket, Prefix = pypiPrefix };
        // Each tree prunes and keeps its manifest under its own prefix: nested prefixes would delete each other's objects.
        if (pypiBucket == bucket && Overlaps(prefix, pypiPrefix))
            throw new CondaMirrorException(ErrorCodes.PublishDestinationsOverlap,
                $"CondaPublish '{Safe(include)}': PyPI '{Safe(pypi)}' overlaps the channel's destination {target.Url} (one is inside the other). " +
                "Give the PyPI index a prefix of its own beside the channel, e.g. s3://bucket/conda/main and s3://bucket/pypi.", projectFile);
        return target with { PyPI = pypiTarget };
    }

    /// <summary>
    /// Every destination of every item (channels and PyPI indexes) is a tree of its own: the same destination twice is
    /// CMIR369, one inside another on the same store is CMIR370 (each publish would prune or shadow the other's objects).
    /// </summary>
    public static void CheckDistinct(IReadOnlyList<PublishTarget> targets, string? projectFile = null)
    {
        var trees = targets.SelectMany(t => t.PyPI is null ? new[] { t } : new[] { t, t.PyPI }).ToList();
        for (var i = 0; i < trees.Count; i++)
            for (var j = i + 1; j < trees.Count; j++)
            {
                var (a, b) = (trees[i], trees[j]);
                if (a.StoreIdentity != b.StoreIdentity) continue;
                if (a.Prefix == b.Prefix)
                    throw new CondaMirrorException(ErrorCodes.PublishMetadataInvalid,
                        $"Two CondaPublish destinations are both {a.Url}; publish to each destination once.", projectFile);
                if (Overlaps(a.Prefix, b.Prefix))
                    throw new CondaMirrorException(ErrorCodes.PublishDestinationsOverlap,
                        $"The CondaPublish destinations {a.Url} and {b.Url} overlap (one is inside the other), so each publish would prune or shadow the other's objects. " +
                        "Give every channel and every PyPI index a prefix of its own, side by side, e.g. s3://bucket/conda/main, s3://bucket/conda/extra and s3://bucket/pypi.", projectFile);
            }
    }

    /// <summary>Whether one key prefix contains the other, by whole segments ("" is the bucket's root and holds every prefix).</summary>
    public static bool Overlaps(string a, string b) =>
        a.Length == 0 || b.Length == 0 || a == b
        || b.StartsWith(a + "/", StringComparison.Ordinal) || a.StartsWith(b + "/", StringComparison.Ordinal);

    /// <summary>s3://bucket[/prefix] to its bucket and prefix; <paramref name="metadataName"/> names the metadata it came from, null for the Include.</summary>
    private static (string Bucket, string Prefix) ParseLocation(string value, string include, string? metadataName, string? projectFile)
    {
        var text = value.Trim();
        const string scheme = "s3://";
        if (!text.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
            throw BadUrl(include, metadataName, value, "it does not start with s3://", projectFile);
        var rest = text[scheme.Length..];
        if (rest.IndexOfAny(['?', '#', '@', '\\', '*']) >= 0 || rest.Any(char.IsWhiteSpace) || rest.Any(char.IsControl))
            throw BadUrl(include, metadataName, value, "it holds a query, fragment, user info, backslash, wildcard or white space", projectFile);
        var slash = rest.IndexOf('/');
        var bucket = slash < 0 ? rest : rest[..slash];
        var prefix = slash < 0 ? "" : rest[(slash + 1)..].Trim('/');
        if (!IsBucketName(bucket))
            throw BadUrl(include, metadataName, value, $"'{bucket}' is not a bucket name (3–63 characters: lower-case letters, digits, '.', '-')", projectFile);
        if (prefix.Split('/').Any(s => s.Length == 0 && prefix.Length > 0 || s is "." or ".."))
            throw BadUrl(include, metadataName, value, "the prefix has an empty, '.' or '..' segment", projectFile);
        return (bucket, prefix);
    }

    /// <summary>
    /// oci://host[:port]/namespace/channel: the registry and the channel's repository path (lower-case OCI path
    /// components). The S3 settings have no meaning for a registry, and pruning and a PyPI index are not done there.
    /// </summary>
    private static PublishTarget ParseOci(string include, IReadOnlyDictionary<string, string> metadata, string? projectFile)
    {
        foreach (var name in new[] { "Endpoint", "Region", "ForcePathStyle", "Prune", "PyPI", "PyPIFolderKeys" })
            if (metadata.TryGetValue(name, out var value) && !string.IsNullOrWhiteSpace(value))
                throw new CondaMirrorException(ErrorCodes.OciPublishDestinationInvalid,
                    $"CondaPublish '{Safe(include)}' has {name} metadata, which an OCI registry destination does not take (it is for s3:// destinations; a registry is not pruned and holds no PyPI index). Remove it.",
                    projectFile);
        var rest = include.Trim()["oci://".Length..];
        var slash = rest.IndexOf('/');
        var registry = slash < 0 ? rest : rest[..slash];
        var path = slash < 0 ? "" : rest[(slash + 1)..].TrimEnd('/');
        var colon = registry.LastIndexOf(':');
        var host = colon < 0 ? registry : registry[..colon];
        var hostValid = host.Length is > 0 and <= 253 && host.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-')
                        && (colon < 0 || (int.TryParse(registry[(colon + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) && port is > 0 and < 65536));
        if (!hostValid || path.Length == 0 || !path.Split('/').All(Networking.Oci.OciReference.IsValidComponent))
            throw new CondaMirrorException(ErrorCodes.OciPublishDestinationInvalid,
                $"CondaPublish '{Safe(include)}' is not an OCI destination: write it as oci://registry.example.org/namespace/channel (host and optional port, then the channel's repository path " +
                "of lower-case letters, digits, '.', '_' and '-'; no query, user info or empty segment). Credentials come from CONDAMIRROR_OCI_USERNAME/CONDAMIRROR_OCI_PASSWORD or CONDAMIRROR_OCI_TOKEN.",
                projectFile);
        return new PublishTarget { Store = PublishStore.Oci, Bucket = registry.ToLowerInvariant(), Prefix = path };
    }


    private static PublishTarget ParseAzure(string include, IReadOnlyDictionary<string, string> metadata, string? projectFile)
    {
        foreach (var s3Only in new[] { "Region", "ForcePathStyle" })
            if (metadata.TryGetValue(s3Only, out var v) && !string.IsNullOrWhiteSpace(v))
                throw new CondaMirrorException(ErrorCodes.PublishAzureUrlInvalid,
                    $"CondaPublish '{Safe(include)}': {s3Only} is S3 metadata and means nothing for an Azure Blob destination. Remove it; an emulator or another cloud is named by Endpoint.",
                    projectFile);
        var (account, container, prefix, service) = ParseAzureLocation(include, include, null, projectFile);
        Uri? endpoint = service;
        if (metadata.TryGetValue("Endpoint", out var e) && !string.IsNullOrWhiteSpace(e))
        {
            endpoint = S3ObjectStore.ParseEndpoint(e);
            if (endpoint is null)
                throw new CondaMirrorException(ErrorCodes.PublishAzureUrlInvalid,
                    $"CondaPublish '{Safe(include)}': Endpoint '{UrlRedaction.Redact(e)}' is not an absolute http(s) URL without credentials, query or fragment " +
                    "(the account's blob service, e.g. http://127.0.0.1:10000/devstoreaccount1 for Azurite). A SAS token goes in AZURE_STORAGE_SAS_TOKEN, not the URL.",
                    projectFile);
        }
        var target = new PublishTarget
        {
            Store = PublishStore.AzureBlob,
            Account = account,
            Bucket = container,
            Prefix = prefix,
            Endpoint = endpoint,
            Prune = Flag(metadata, "Prune", include, projectFile),
        };
        var folderKeys = !metadata.TryGetValue("PyPIFolderKeys", out var fk) || string.IsNullOrWhiteSpace(fk) || Flag(metadata, "PyPIFolderKeys", include, projectFile);
        target = target with { PyPIFolderKeys = folderKeys };
        if (!metadata.TryGetValue("PyPI", out var pypi) || string.IsNullOrWhiteSpace(pypi)) return target;

        var (pypiAccount, pypiContainer, pypiPrefix, _) = ParseAzureLocation(pypi, include, "PyPI", projectFile);
        // One credential and one endpoint serve the item: its PyPI index lives in the same account.
        if (pypiAccount != account)
            throw new CondaMirrorException(ErrorCodes.PublishAzureUrlInvalid,
                $"CondaPublish '{Safe(include)}': PyPI '{Safe(pypi)}' is in account '{pypiAccount}', the channel in '{account}'. One item publishes to one account: " +
                "use a container or prefix of the same account, or a second build for the other.", projectFile);
        var pypiTarget = target with { Bucket = pypiContainer, Prefix = pypiPrefix };
        if (pypiContainer == container && Overlaps(prefix, pypiPrefix))
            throw new CondaMirrorException(ErrorCodes.PublishDestinationsOverlap,
                $"CondaPublish '{Safe(include)}': PyPI '{Safe(pypi)}' overlaps the channel's destination {target.Url} (one is inside the other). " +
                $"Give the PyPI index a prefix of its own beside the channel, e.g. azblob://{account}/{container}/conda/main and azblob://{account}/{container}/pypi.", projectFile);
        return target with { PyPI = pypiTarget };
    }

    /// <summary>
    /// azblob://account/container[/prefix] or https://account.blob.&lt;cloud suffix&gt;/container[/prefix] to its parts;
    /// the https form also names the blob service (its scheme and host), the azblob form leaves it to Endpoint or the default.
    /// </summary>
    private static (string Account, string Container, string Prefix, Uri? Service) ParseAzureLocation(string value, string include, string? metadataName, string? projectFile)
    {
        var text = value.Trim();
        string account, rest;
        Uri? service = null;
        if (text.StartsWith(AzureScheme, StringComparison.OrdinalIgnoreCase))
        {
            rest = text[AzureScheme.Length..];
            var slash = rest.IndexOf('/');
            account = slash < 0 ? rest : rest[..slash];
            rest = slash < 0 ? "" : rest[(slash + 1)..];
        }
        else if (text.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            rest = text["https://".Length..];
            var slash = rest.IndexOf('/');
            var host = (slash < 0 ? rest : rest[..slash]).ToLowerInvariant();
            rest = slash < 0 ? "" : rest[(slash + 1)..];
            var dot = host.IndexOf(".blob.", StringComparison.Ordinal);
            account = dot < 0 ? host : host[..dot];
            var suffix = dot < 0 ? "" : host[(dot + ".blob.".Length)..];
            if (dot < 0 || suffix.Length == 0 || !suffix.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-') || suffix.Contains("..", StringComparison.Ordinal))
                throw AzureBadUrl(include, metadataName, value, $"'{host}' is not an account's blob service host (account.blob.core.windows.net)", projectFile);
            service = new Uri("https://" + host);
        }
        else
            throw AzureBadUrl(include, metadataName, value, "it does not start with azblob:// or https://", projectFile);
        if (rest.IndexOfAny(['?', '#', '@', '\\', '*', ':', '%']) >= 0 || rest.Any(char.IsWhiteSpace) || rest.Any(char.IsControl) || account.IndexOfAny(['@', ':']) >= 0)
            throw AzureBadUrl(include, metadataName, value, "it holds a query (a SAS token belongs in AZURE_STORAGE_SAS_TOKEN), fragment, user info, port, escape, backslash, wildcard or white space", projectFile);
        if (!IsAccountName(account))
            throw AzureBadUrl(include, metadataName, value, $"'{account}' is not a storage account name (3–24 lower-case letters and digits)", projectFile);
        var cut = rest.IndexOf('/');
        var container = cut < 0 ? rest : rest[..cut];
        var prefix = cut < 0 ? "" : rest[(cut + 1)..].Trim('/');
        if (!IsContainerName(container))
            throw AzureBadUrl(include, metadataName, value, container.Length == 0
                ? "it names no container"
                : $"'{container}' is not a container name (3–63 lower-case letters, digits and single '-', starting and ending with a letter or digit)", projectFile);
        if (prefix.Split('/').Any(s => s.Length == 0 && prefix.Length > 0 || s is "." or ".."))
            throw AzureBadUrl(include, metadataName, value, "the prefix has an empty, '.' or '..' segment", projectFile);
        return (account, container, prefix, service);
    }

    private static bool IsAccountName(string name) =>
        name.Length is >= 3 and <= 24 && name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9'));

    private static bool IsContainerName(string name) =>
        name.Length is >= 3 and <= 63
        && name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-')
        && char.IsAsciiLetterOrDigit(name[0]) && char.IsAsciiLetterOrDigit(name[^1]) && !name.Contains("--", StringComparison.Ordinal);

    private static CondaMirrorException AzureBadUrl(string include, string? metadataName, string value, string why, string? projectFile) =>
        new(ErrorCodes.PublishAzureUrlInvalid, metadataName is null
                ? $"CondaPublish '{Safe(include)}' is not an Azure Blob destination: {why}. Write it as azblob://account/container[/prefix] or https://account.blob.core.windows.net/container[/prefix], with Endpoint as metadata for an emulator."
                : $"CondaPublish '{Safe(include)}': {metadataName} '{Safe(value)}' is not an Azure Blob destination: {why}. Write it as azblob://account/container/prefix in the item's account.",
            projectFile);

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

    private static CondaMirrorException BadUrl(string include, string? metadataName, string value, string why, string? projectFile) =>
        new(ErrorCodes.PublishUrlInvalid, metadataName is null
                ? $"CondaPublish '{Safe(include)}' is not a destination: {why}. Write it as s3://bucket or s3://bucket/prefix, with Endpoint, Region and ForcePathStyle as metadata."
                : $"CondaPublish '{Safe(include)}': {metadataName} '{Safe(value)}' is not a destination: {why}. Write it as s3://bucket/prefix; Endpoint, Region, ForcePathStyle and Prune are the item's.",
            projectFile);

    /// <summary>The Include as shown in messages: bounded, user info (a key pasted into the URL) masked.</summary>
    private static string Safe(string include) => UrlRedaction.Redact(include.Length > 200 ? include[..200] + "…" : include);
}
