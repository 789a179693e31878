using System.Net;
using System.Net.Sockets;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using CondaMirror.Core.Errors;

namespace CondaMirror.Core.Networking;

/// <summary>Where and how to reach one bucket. Credentials are not part of it: the AWS SDK's default chain finds them.</summary>
public sealed record S3StoreOptions
{
    public required string Bucket { get; init; }

    /// <summary>An S3-compatible endpoint (http(s)://host:port); null means AWS itself in <see cref="Region"/>.</summary>
    public Uri? Endpoint { get; init; }

    public string Region { get; init; } = "us-east-1";

    /// <summary>Path-style addressing (http://host/bucket/key), what most S3-compatible servers need.</summary>
    public bool ForcePathStyle { get; init; }

    /// <summary>Per-request timeout (CondaHttpTimeoutSeconds).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(100);

    /// <summary>Retries per request (CondaRetryCount), the SDK's standard mode with its backoff.</summary>
    public int RetryCount { get; init; } = 5;

    /// <summary>
    /// The most one call may take, retries and body included (CondaHttpRequestDeadlineSeconds): the SDK's timeout
    /// covers the wait for headers only, so a server dripping its body would otherwise hold the build as long as it likes.
    /// </summary>
    public TimeSpan RequestDeadline { get; init; } = TimeSpan.FromSeconds(600);

    /// <summary>Network time of the whole publish, every call and retry included (CondaNetworkDeadlineSeconds, CMIR685).</summary>
    public NetworkBudget Budget { get; init; } = new(NetworkBudget.DefaultLimit);

    /// <summary>The most a whole listing may take, every page together.</summary>
    public TimeSpan ListingDeadline { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Tests only (internal): a key pair instead of the default chain, so parallel tests need not share the process environment.</summary>
    internal AWSCredentials? TestCredentials { get; init; }
}

/// <summary>
/// <see cref="IObjectStore"/> over the AWS SDK for .NET. Credentials come only from the SDK's default chain
/// (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, AWS_PROFILE and the shared credentials file, …);
/// nothing here accepts a key. SDK exceptions never reach the user as they are: each is mapped to one code with the
/// S3 error code and HTTP status only, so no header, signature or key can be echoed.
/// </summary>
public sealed class S3ObjectStore : IObjectStore
{
    private readonly AmazonS3Client _client;
    private readonly S3StoreOptions _options;
    private readonly string _where;

    public S3ObjectStore(S3StoreOptions options)
    {
        _options = options;
        _where = options.Endpoint is null ? $"s3://{options.Bucket} (AWS {options.Region})" : $"s3://{options.Bucket} at {UrlRedaction.Redact(options.Endpoint)}";
        var config = new AmazonS3Config
        {
            ForcePathStyle = options.ForcePathStyle,
            Timeout = options.Timeout,
            // A silent host must look unreachable, not like a slow transfer: connects give up well before the request does.
            ConnectTimeout = options.Timeout < TimeSpan.FromSeconds(20) ? options.Timeout / 2 : TimeSpan.FromSeconds(10),
            MaxErrorRetry = options.RetryCount,
            RetryMode = RequestRetryMode.Standard,
            // SDK v4 adds CRC trailers in aws-chunked bodies by default; many S3-compatible servers (s3rver, older
            // MinIO, Ceph) do not understand them. The sha256 we record is our integrity check.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            DisableLogging = true,
        };
        if (options.Endpoint is not null)
        {
            config.ServiceURL = options.Endpoint.AbsoluteUri;
            config.AuthenticationRegion = options.Region;
        }
        else
        {
            config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(options.Region);
        }
        _client = options.TestCredentials is null ? new AmazonS3Client(config) : new AmazonS3Client(options.TestCredentials, config);
    }

    /// <summary>An endpoint as a user writes it: an absolute http(s) URL without credentials, query or fragment; else null.</summary>
    public static Uri? ParseEndpoint(string text) =>
        Uri.TryCreate(text.Trim(), UriKind.Absolute, out var endpoint) && endpoint.Scheme is "http" or "https"
        && !UrlRedaction.HasCredentials(endpoint.AbsoluteUri) && endpoint.Query.Length == 0 && endpoint.Fragment.Length == 0
            ? endpoint : null;

    public async Task<IReadOnlyList<StoredObject>> ListAsync(string prefix, int maxObjects, CancellationToken cancellationToken)
    {
        var result = new List<StoredObject>();
        var tokens = new HashSet<string>(StringComparer.Ordinal);
        string? token = null;
        // S3 pages hold up to 1,000 keys; a server handing out a few per page, each with a fresh token, would keep a
        // listing going for hours: pages and time are bounded as well as objects.
        var maxPages = Math.Max(100, maxObjects / 100);
        var pages = 0;
        var started = System.Diagnostics.Stopwatch.StartNew();
        do
        {
            if (++pages > maxPages || started.Elapsed > _options.ListingDeadline)
                throw new CondaMirrorException(ErrorCodes.PublishRequestFailed,
                    $"{_where}: listing '{prefix}' did not finish within {(pages > maxPages ? $"{maxPages} pages" : $"{_options.ListingDeadline.TotalSeconds:0} s")} " +
                    $"({result.Count} objects so far); the server keeps answering that more follow. Check the server, or publish to a prefix of its own.");
            var response = await Call("list", prefix, ct => _client.ListObjectsV2Async(new ListObjectsV2Request
            {
                BucketName = _options.Bucket,
                Prefix = prefix,
                ContinuationToken = token,
            }, ct), cancellationToken).ConfigureAwait(false);
            foreach (var o in response.S3Objects ?? [])
            {
                if (result.Count >= maxObjects)
                    throw new CondaMirrorException(ErrorCodes.PublishRemoteTooLarge,
                        $"{_where} holds more than {maxObjects} objects under '{prefix}'; publishing reads the whole listing to decide what changed. Publish to a prefix of its own.");
                result.Add(new StoredObject(o.Key, o.Size ?? 0, Unquote(o.ETag)));
            }
            token = response.IsTruncated == true ? response.NextContinuationToken : null;
            // A listing must make progress: a truncated page without objects, or a token seen before, would loop forever.
            if (token is not null && ((response.S3Objects?.Count ?? 0) == 0 || !tokens.Add(token)))
                throw new CondaMirrorException(ErrorCodes.PublishRequestFailed,
                    $"{_where} returned a listing of '{prefix}' that does not advance (an empty truncated page or a repeated continuation token); the server is not behaving as S3 does.");
        }
        while (token is not null);
        return result;
    }

    public async Task<ObjectHead?> HeadAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            var head = await Call("head", key, ct => _client.GetObjectMetadataAsync(new GetObjectMetadataRequest
            {
                BucketName = _options.Bucket,
                Key = key,
            }, ct), cancellationToken, notFoundIsNull: true).ConfigureAwait(false);
            return new ObjectHead(head.ContentLength, head.Metadata["x-amz-meta-sha256"] is { Length: > 0 } sha ? sha.ToLowerInvariant() : null, Unquote(head.ETag));
        }
        catch (NotFound)
        {
            return null;
        }
    }

    public async Task<byte[]?> GetSmallAsync(string key, long maxBytes, CancellationToken cancellationToken)
    {
        try
        {
            // The body is read inside the call, so the deadline covers a body dripped a byte at a time.
            return await Call("get", key, async ct =>
            {
                using var response = await _client.GetObjectAsync(new GetObjectRequest { BucketName = _options.Bucket, Key = key }, ct).ConfigureAwait(false);
                return await ObjectBody.ReadBoundedAsync(response.ResponseStream, response.ContentLength, maxBytes, () => TooLarge(key, maxBytes), ct).ConfigureAwait(false);
            }, cancellationToken, notFoundIsNull: true).ConfigureAwait(false);
        }
        catch (NotFound)
        {
            return null;
        }
    }

    public async Task<string?> PutAsync(string key, Stream content, string contentType, string sha256, CancellationToken cancellationToken)
    {
        var request = new PutObjectRequest
        {
            BucketName = _options.Bucket,
            Key = key,
            InputStream = content,
            AutoCloseStream = false,
            ContentType = contentType,
            // Plain bodies (no aws-chunked encoding with trailers), which every S3-compatible server accepts.
            UseChunkEncoding = false,
        };
        request.Metadata["sha256"] = sha256;
        var response = await Call("upload", key, ct => _client.PutObjectAsync(request, ct), cancellationToken).ConfigureAwait(false);
        return Unquote(response.ETag);
    }

    public Task DeleteAsync(string key, CancellationToken cancellationToken) =>
        Call("delete", key, ct => _client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = _options.Bucket, Key = key }, ct), cancellationToken);

    public void Dispose() => _client.Dispose();

    private sealed class NotFound : Exception;

    private CondaMirrorException TooLarge(string key, long maxBytes) =>
        new(ErrorCodes.PublishRemoteTooLarge, $"{_where}: '{key}' is larger than {maxBytes} bytes, more than publishing reads. Delete it, or publish to another prefix.");

    /// <summary>Runs one SDK call and maps its failures to coded errors. The SDK's own messages are not repeated: they can quote request details.</summary>
    private async Task<T> Call<T>(string what, string key, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken, bool notFoundIsNull = false)
    {
        using var lease = _options.Budget.Enter(_where);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lease.Token);
        deadline.CancelAfter(_options.RequestDeadline);
        try
        {
            return await call(deadline.Token).ConfigureAwait(false);
        }
        catch (CondaMirrorException)
        {
            throw;
        }
        catch (Exception e) when (lease.Expired && !cancellationToken.IsCancellationRequested && e is OperationCanceledException or IOException or HttpRequestException or AmazonClientException)
        {
            throw _options.Budget.Exceeded(_where);
        }
        catch (AmazonS3Exception e) when (notFoundIsNull && e.StatusCode == HttpStatusCode.NotFound && e.ErrorCode is not "NoSuchBucket")
        {
            throw new NotFound();
        }
        catch (AmazonServiceException e)
        {
            throw Map(what, key, e);
        }
        catch (AmazonClientException e) when (IsMissingCredentials(e))
        {
            throw new CondaMirrorException(ErrorCodes.PublishNoCredentials,
                $"No credentials for {_where}: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary ones) in the build's environment, " +
                "or AWS_PROFILE naming a profile of the shared credentials file. Credentials are never read from the project.");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw; // the build was cancelled: not a network failure
        }
        catch (Exception e) when (deadline.IsCancellationRequested && e is OperationCanceledException or IOException or HttpRequestException or AmazonClientException)
        {
            throw new CondaMirrorException(ErrorCodes.PublishUnreachable,
                $"{_where} did not finish a {what} of '{key}' within {_options.RequestDeadline.TotalSeconds:0} s (CondaHttpRequestDeadlineSeconds), retries included. " +
                "Check the network and the server; raise CondaHttpRequestDeadlineSeconds for a slow link.");
        }
        catch (Exception e) when (e is System.Xml.XmlException or FormatException or InvalidDataException
                                      || e.InnerException is System.Xml.XmlException or FormatException)
        {
            // A body that is not S3's XML (or a malformed value in it): named by type only, never the body itself.
            throw new CondaMirrorException(ErrorCodes.PublishRequestFailed,
                $"{_where} answered the {what} of '{key}' with a response that is not S3's ({e.GetType().Name}). Check the CondaPublish item's Endpoint: it must be an S3-compatible server.");
        }
        catch (Exception e) when (IsUnreachable(e))
        {
            throw new CondaMirrorException(ErrorCodes.PublishUnreachable,
                $"{_where} could not be reached to {what} '{key}' ({ObjectStoreFailure.Describe(e)}) within {_options.Timeout.TotalSeconds:0} s per attempt and {_options.RetryCount} retries. " +
                "Check the Endpoint metadata, the network, and that the server is running.");
        }
        catch (AmazonClientException e)
        {
            // Named by type only: the SDK's client-side messages can quote configuration and request details.
            throw new CondaMirrorException(ErrorCodes.PublishRequestFailed,
                $"{_where}: the S3 client could not {what} '{key}' ({e.GetType().Name}). Check the CondaPublish item's Endpoint, Region and ForcePathStyle.");
        }
    }

    private CondaMirrorException Map(string what, string key, AmazonServiceException e)
    {
        var status = (int)e.StatusCode;
        var code = e.ErrorCode ?? "";
        var detail = $"{(code.Length > 0 ? code + ", " : "")}HTTP {status}";
        if (code == "NoSuchBucket" || (status == 404 && what == "list"))
            return new CondaMirrorException(ErrorCodes.PublishNoSuchBucket,
                $"Bucket '{_options.Bucket}' does not exist at {_where} ({detail}). Create it first, or fix the bucket name in the CondaPublish item; publishing never creates buckets.");
        if (status is 401 or 403 || code is "AccessDenied" or "InvalidAccessKeyId" or "SignatureDoesNotMatch" or "ExpiredToken" or "InvalidToken")
            return new CondaMirrorException(ErrorCodes.PublishAccessDenied,
                $"{_where} refused to {what} '{key}' ({detail}). Check the credentials in the build's environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN or AWS_PROFILE) " +
                "and that they may list, read, write and (with Prune) delete objects under the prefix.");
        if (status == 0 && IsUnreachable(e))
            return new CondaMirrorException(ErrorCodes.PublishUnreachable,
                $"{_where} could not be reached to {what} '{key}' ({ObjectStoreFailure.Describe(e)}) within {_options.Timeout.TotalSeconds:0} s per attempt and {_options.RetryCount} retries. " +
                "Check the Endpoint metadata, the network, and that the server is running.");
        return new CondaMirrorException(ErrorCodes.PublishRequestFailed,
            $"{_where} failed to {what} '{key}' ({detail}) after {_options.RetryCount} retries. Build again; if it persists, check the server's logs.");
    }

    private static bool IsMissingCredentials(AmazonClientException e) =>
        e.Message.Contains("credentials", StringComparison.OrdinalIgnoreCase);

    private static bool IsUnreachable(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
            if (x is HttpRequestException or SocketException or TimeoutException or TaskCanceledException or IOException)
                return true;
        return false;
    }

    /// <summary>The kind of transport failure, named by type only (messages may carry request details).</summary>
    private static string? Unquote(string? etag) => etag?.Trim('"');
}
