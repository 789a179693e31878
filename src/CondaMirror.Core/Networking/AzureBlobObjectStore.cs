using System.Net.Sockets;
using Azure;
using Azure.Core.Pipeline;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using CondaMirror.Core.Errors;

namespace CondaMirror.Core.Networking;

/// <summary>Where and how to reach one Azure Blob container. The credential is read from the environment when the store opens.</summary>
public sealed record AzureBlobStoreOptions
{
    /// <summary>The storage account (3–24 lower-case letters and digits).</summary>
    public required string Account { get; init; }

    public required string Container { get; init; }

    /// <summary>The account's blob service URL: https://account.blob.core.windows.net, or an emulator's http://127.0.0.1:10000/devstoreaccount1.</summary>
    public required Uri ServiceUri { get; init; }

    /// <summary>Per-attempt timeout (CondaHttpTimeoutSeconds).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(100);

    /// <summary>Retries per request (CondaRetryCount), the SDK's exponential backoff.</summary>
    public int RetryCount { get; init; } = 5;

    /// <summary>The most one call may take, retries and body included (CondaHttpRequestDeadlineSeconds).</summary>
    public TimeSpan RequestDeadline { get; init; } = TimeSpan.FromSeconds(600);

    /// <summary>The most a whole listing may take, every page together.</summary>
    public TimeSpan ListingDeadline { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>The publish step's network time across every call (CondaNetworkDeadlineSeconds).</summary>
    public NetworkBudget Budget { get; init; } = new(NetworkBudget.DefaultLimit);

    /// <summary>Where the credential variables are read; the process environment unless a test gives its own.</summary>
    public Func<string, string?> Environment { get; init; } = System.Environment.GetEnvironmentVariable;
}

/// <summary>
/// <see cref="IObjectStore"/> over Azure.Storage.Blobs. The credential comes only from the environment:
/// AZURE_STORAGE_SAS_TOKEN (a SAS for the container or account) or AZURE_STORAGE_KEY (the account's shared key).
/// SDK exceptions never reach the user as they are: each is mapped to one code with the Azure error code and HTTP
/// status only, so no header, signature, SAS or key can be echoed.
/// </summary>
public sealed class AzureBlobObjectStore : IObjectStore
{
    public const string SasTokenVariable = "AZURE_STORAGE_SAS_TOKEN";
    public const string KeyVariable = "AZURE_STORAGE_KEY";

    /// <summary>The metadata name the sha256 is stored under (Azure metadata names are C# identifiers).</summary>
    private const string ShaMetadata = "sha256";

    /// <summary>One request body up to this size is a single Put Blob; larger files go as blocks committed at once by Put Block List.</summary>
    private const long SingleUploadBytes = 256L << 20;

    private readonly BlobContainerClient _container;
    private readonly SocketsHttpHandler _handler;
    private readonly AzureBlobStoreOptions _options;
    private readonly string _where;

    public AzureBlobObjectStore(AzureBlobStoreOptions options)
    {
        _options = options;
        _where = Describe(options.Account, options.Container, options.ServiceUri);
        var credential = ReadCredential(options.Environment, _where);
        _handler = new SocketsHttpHandler
        {
            // A silent host must look unreachable, not like a slow transfer: connects give up well before the request does.
            ConnectTimeout = options.Timeout < TimeSpan.FromSeconds(20) ? options.Timeout / 2 : TimeSpan.FromSeconds(10),
            AutomaticDecompression = System.Net.DecompressionMethods.None,
        };
        var clientOptions = new BlobClientOptions
        {
            Transport = new HttpClientTransport(_handler),
            Retry =
            {
                MaxRetries = options.RetryCount,
                NetworkTimeout = options.Timeout,
                Mode = Azure.Core.RetryMode.Exponential,
                Delay = TimeSpan.FromMilliseconds(500),
                MaxDelay = TimeSpan.FromSeconds(30),
            },
        };
        // No request logging or telemetry: headers are the SDK's to redact, and a build log is not the place for them.
        clientOptions.Diagnostics.IsLoggingEnabled = false;
        clientOptions.Diagnostics.IsDistributedTracingEnabled = false;
        clientOptions.Diagnostics.IsTelemetryEnabled = false;
        var containerUri = new Uri(options.ServiceUri.AbsoluteUri.TrimEnd('/') + "/" + options.Container);

        _container = credential.Sas is { } token
            ? new BlobContainerClient(containerUri, new AzureSasCredential(token), clientOptions)
            : new BlobContainerClient(containerUri, new StorageSharedKeyCredential(options.Account, credential.Key!), clientOptions);
    }

    /// <summary>The destination as messages name it: account, container and the (redacted) service URL.</summary>
    public static string Describe(string account, string container, Uri serviceUri) => $"azblob://{account}/{container} at {UrlRedaction.Redact(serviceUri)}";

    /// <summary>A SAS token (without its '?') or an account key: exactly one is set.</summary>
    private readonly record struct AzureCredential(string? Sas, string? Key);

    /// <summary>
    /// Checks that <paramref name="environment"/> holds exactly one well-formed credential, without using it: called
    /// by the store, and before a build resolves or downloads anything, so a build that cannot publish stops first.
    /// </summary>
    /// <param name="where">The destination as messages name it (no secret in it).</param>
    public static void CheckCredential(Func<string, string?> environment, string where) => ReadCredential(environment, where);

    private static AzureCredential ReadCredential(Func<string, string?> environment, string where)
    {
        var sas = environment(SasTokenVariable);
        var key = environment(KeyVariable);
        var hasSas = !string.IsNullOrWhiteSpace(sas);
        var hasKey = !string.IsNullOrWhiteSpace(key);
        if (!hasSas && !hasKey)
            throw new CondaMirrorException(ErrorCodes.PublishAzureNoCredentials,
                $"No credentials for {where}: set {SasTokenVariable} (a SAS with read, write, list and, for Prune, delete permissions) or {KeyVariable} " +
                "(the account's access key) in the build's environment. Credentials are never read from the project.");
        if (hasSas && hasKey)
            throw new CondaMirrorException(ErrorCodes.PublishAzureCredentialInvalid,
                $"Both {SasTokenVariable} and {KeyVariable} are set for {where}; which one to use would be a guess. Unset one of them.");
        if (hasSas)
        {
            var token = sas!.Trim().TrimStart('?');
            // A SAS is a query string with a signature; anything else (a URL, a connection string) is refused, unquoted.
            if (!token.Contains("sig=", StringComparison.Ordinal) || token.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c is '/' or '#' or ';'))
                throw new CondaMirrorException(ErrorCodes.PublishAzureCredentialInvalid,
                    $"{SasTokenVariable} is not a SAS token (the query string with sv=…&sig=…, without the URL in front) for {where}. Its value is not shown.");
            return new AzureCredential(token, null);
        }
        Span<byte> decoded = stackalloc byte[256];
        if (!Convert.TryFromBase64String(key!.Trim(), decoded, out var length) || length == 0)
            throw new CondaMirrorException(ErrorCodes.PublishAzureCredentialInvalid,
                $"{KeyVariable} is not an account key (base64, as the portal's Access keys page shows it) for {where}. Its value is not shown.");
        return new AzureCredential(null, key.Trim());
    }

    public async Task<IReadOnlyList<StoredObject>> ListAsync(string prefix, int maxObjects, CancellationToken cancellationToken)
    {
        var result = new List<StoredObject>();
        var tokens = new HashSet<string>(StringComparer.Ordinal);
        // Pages hold up to 5,000 names; a server handing out a few per page, each with a fresh marker, would keep a
        // listing going for hours: pages and time are bounded as well as objects.
        var maxPages = Math.Max(100, maxObjects / 100);
        var pages = 0;
        var started = System.Diagnostics.Stopwatch.StartNew();
        string? token = null;
        do
        {
            if (++pages > maxPages || started.Elapsed > _options.ListingDeadline)
                throw new CondaMirrorException(ErrorCodes.PublishRequestFailed,
                    $"{_where}: listing '{prefix}' did not finish within {(pages > maxPages ? $"{maxPages} pages" : $"{_options.ListingDeadline.TotalSeconds:0} s")} " +
                    $"({result.Count} objects so far); the server keeps answering that more follow. Check the server, or publish to a prefix of its own.");
            var marker = token;
            var page = await Call("list", prefix, async ct =>
            {
                await using var pagesOf = _container.GetBlobsAsync(BlobTraits.None, BlobStates.None, prefix, ct).AsPages(marker, 5000).GetAsyncEnumerator(ct);
                return await pagesOf.MoveNextAsync().ConfigureAwait(false) ? pagesOf.Current : null;
            }, cancellationToken).ConfigureAwait(false);
            if (page is null) break;
            foreach (var blob in page.Values)
            {
                if (result.Count >= maxObjects)
                    throw new CondaMirrorException(ErrorCodes.PublishRemoteTooLarge,
                        $"{_where} holds more than {maxObjects} blobs under '{prefix}'; publishing reads the whole listing to decide what changed. Publish to a prefix of its own.");
                result.Add(new StoredObject(blob.Name, blob.Properties.ContentLength ?? 0, Unquote(blob.Properties.ETag)));
            }
            token = string.IsNullOrEmpty(page.ContinuationToken) ? null : page.ContinuationToken;
            // A listing must make progress: a continued page without blobs, or a marker seen before, would loop forever.
            if (token is not null && (page.Values.Count == 0 || !tokens.Add(token)))
                throw new CondaMirrorException(ErrorCodes.PublishRequestFailed,
                    $"{_where} returned a listing of '{prefix}' that does not advance (an empty page with a marker, or a repeated marker); the server is not behaving as Azure Blob Storage does.");
        }
        while (token is not null);
        return result;
    }

    public async Task<ObjectHead?> HeadAsync(string key, CancellationToken cancellationToken)
    {
        var properties = await Call("head", key, async ct =>
        {
            var response = await _container.GetBlobClient(key).GetPropertiesAsync(cancellationToken: ct).ConfigureAwait(false);
            return response.Value;
        }, cancellationToken, notFoundIsNull: true).ConfigureAwait(false);
        if (properties is null) return null;
        var sha = properties.Metadata.TryGetValue(ShaMetadata, out var value) && value.Length > 0 ? value.ToLowerInvariant() : null;
        return new ObjectHead(properties.ContentLength, sha, Unquote(properties.ETag));
    }

    public Task<byte[]?> GetSmallAsync(string key, long maxBytes, CancellationToken cancellationToken) =>
        // The body is read inside the call, so the deadline covers a body dripped a byte at a time.
        Call<byte[]?>("get", key, async ct =>
        {
            var response = await _container.GetBlobClient(key).DownloadStreamingAsync(cancellationToken: ct).ConfigureAwait(false);
            using var download = response.Value;
            return await ObjectBody.ReadBoundedAsync(download.Content, download.Details.ContentLength, maxBytes, () => TooLarge(key, maxBytes), ct).ConfigureAwait(false);
        }, cancellationToken, notFoundIsNull: true);

    public async Task<string?> PutAsync(string key, Stream content, string contentType, string sha256, CancellationToken cancellationToken)
    {
        var upload = new BlobUploadOptions
        {
            HttpHeaders = new BlobHttpHeaders { ContentType = contentType },
            Metadata = new Dictionary<string, string> { [ShaMetadata] = sha256 },
            TransferOptions = new StorageTransferOptions { InitialTransferSize = SingleUploadBytes, MaximumTransferSize = 64L << 20, MaximumConcurrency = 1 },
        };
        var response = await Call("upload", key, async ct =>
        {
            // A retried call sends the file again from its start.
            content.Position = 0;
            return (await _container.GetBlobClient(key).UploadAsync(content, upload, ct).ConfigureAwait(false)).Value;
        }, cancellationToken).ConfigureAwait(false);
        return Unquote(response!.ETag);
    }

    public Task DeleteAsync(string key, CancellationToken cancellationToken) =>
        Call("delete", key, async ct => (object?)await _container.GetBlobClient(key).DeleteIfExistsAsync(cancellationToken: ct).ConfigureAwait(false), cancellationToken);

    public void Dispose() => _handler.Dispose();

    private CondaMirrorException TooLarge(string key, long maxBytes) =>
        new(ErrorCodes.PublishRemoteTooLarge, $"{_where}: '{key}' is larger than {maxBytes} bytes, more than publishing reads. Delete it, or publish to another prefix.");

    /// <summary>Runs one SDK call and maps its failures to coded errors. The SDK's own messages are not repeated: they can quote request details.</summary>
    private async Task<T?> Call<T>(string what, string key, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken, bool notFoundIsNull = false)
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
        catch (Exception e) when (lease.Expired && !cancellationToken.IsCancellationRequested && e is OperationCanceledException or IOException or HttpRequestException or RequestFailedException { Status: 0 })
        {
            throw _options.Budget.Exceeded(_where);
        }
        catch (RequestFailedException e) when (notFoundIsNull && e.Status == 404 && e.ErrorCode is not ("ContainerNotFound" or "ResourceNotFound"))
        {
            return default;
        }
        catch (RequestFailedException e) when (e.Status != 0)
        {
            throw Map(what, key, e);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw; // the build was cancelled: not a network failure
        }
        catch (Exception e) when (deadline.IsCancellationRequested)
        {
            throw new CondaMirrorException(ErrorCodes.PublishUnreachable,
                $"{_where} did not finish a {what} of '{key}' within {_options.RequestDeadline.TotalSeconds:0} s (CondaHttpRequestDeadlineSeconds), retries included ({e.GetType().Name}). " +
                "Check the network and the server; raise CondaHttpRequestDeadlineSeconds for a slow link.");
        }
        catch (Exception e) when (e is System.Xml.XmlException or FormatException or InvalidDataException or System.Text.Json.JsonException
                                      || e.InnerException is System.Xml.XmlException or FormatException)
        {
            // A body that is not Azure's XML: named by type only, never the body itself.
            throw new CondaMirrorException(ErrorCodes.PublishRequestFailed,
                $"{_where} answered the {what} of '{key}' with a response that is not Azure Blob Storage's ({e.GetType().Name}). Check the CondaPublish item's URL and Endpoint.");
        }
        catch (Exception e) when (IsUnreachable(e))
        {
            throw new CondaMirrorException(ErrorCodes.PublishUnreachable,
                $"{_where} could not be reached to {what} '{key}' ({ObjectStoreFailure.Describe(e)}) within {_options.Timeout.TotalSeconds:0} s per attempt and {_options.RetryCount} retries. " +
                "Check the account name, the Endpoint metadata, the network, and that the server is running.");
        }
        catch (AggregateException e) when (e.InnerExceptions.OfType<RequestFailedException>().LastOrDefault(x => x.Status != 0) is { } last)
        {
            // Retries exhausted: the last answer the server gave decides.
            throw Map(what, key, last);
        }
        catch (Exception e) when (e is RequestFailedException or AggregateException or InvalidOperationException or ArgumentException)
        {
            // Named by type only: client-side messages can quote configuration and request details.
            throw new CondaMirrorException(ErrorCodes.PublishRequestFailed,
                $"{_where}: the Azure Blob client could not {what} '{key}' ({e.GetType().Name}). Check the CondaPublish item's URL and Endpoint.");
        }
    }

    private CondaMirrorException Map(string what, string key, RequestFailedException e)
    {
        var status = e.Status;
        var code = e.ErrorCode ?? "";
        var detail = $"{(code.Length > 0 ? code + ", " : "")}HTTP {status}";
        if (code == "ContainerNotFound" || (status == 404 && what == "list"))
            return new CondaMirrorException(ErrorCodes.PublishAzureNoSuchContainer,
                $"Container '{_options.Container}' does not exist at {_where} ({detail}). Create it first (with public read access for blobs if conda reads it over plain HTTP), " +
                "or fix the container name in the CondaPublish item; publishing never creates containers.");
        if (status is 401 or 403 || code.StartsWith("Authentication", StringComparison.Ordinal) || code.StartsWith("Authorization", StringComparison.Ordinal)
            || code is "InsufficientAccountPermissions" or "AccountIsDisabled")
            return new CondaMirrorException(ErrorCodes.PublishAzureAccessDenied,
                $"{_where} refused to {what} '{key}' ({detail}). Check {SasTokenVariable} or {KeyVariable} in the build's environment (the account, expiry and permissions: " +
                "read, write, list and, with Prune, delete on the container).");
        return new CondaMirrorException(ErrorCodes.PublishRequestFailed,
            $"{_where} failed to {what} '{key}' ({detail}) after {_options.RetryCount} retries. Build again; if it persists, check the service's status or logs.");
    }

    private static bool IsUnreachable(Exception e)
    {
        if (e is AggregateException aggregate)
            return aggregate.InnerExceptions.All(IsUnreachable);
        for (Exception? x = e; x is not null; x = x.InnerException)
            if (x is HttpRequestException or SocketException or TimeoutException or TaskCanceledException or IOException
                || x is RequestFailedException { Status: 0 } && x.InnerException is null)
                return true;
        return false;
    }

    /// <summary>The kind of transport failure, named by type only (messages may carry request details).</summary>
    private static string? Unquote(ETag? etag) => etag?.ToString().Trim('"');
}
