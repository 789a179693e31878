using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CondaMirror.Core.Errors;

namespace CondaMirror.Core.Networking.Oci;

/// <summary>Where a file of an OCI channel is: the blob URL and the header to send with it; or the status that says why not.</summary>
public sealed record OciBlobLocation(Uri? BlobUrl, AuthenticationHeaderValue? Authorization, HttpStatusCode Status);

/// <summary>
/// The OCI distribution API as conda channels need it: manifests and blobs, read and written, with the registry's
/// authentication. A request goes out with what is known for its repository and action; a 401 with a
/// <c>WWW-Authenticate: Bearer realm=…,service=…</c> challenge is answered the docker way — a token for
/// <c>repository:&lt;name&gt;:&lt;action&gt;</c> from the realm, with the user's basic credentials when there are
/// any, anonymous otherwise — and a <c>Basic</c> challenge with the user's credentials; either is tried once. A token
/// the user gives is a registry token and sent as it is. Tokens are kept per scope for the client's life.
/// Plain http only for the hosts in <see cref="OciSettings.PlainHttpHosts"/>, and a token realm must then be https or
/// on such a host too, so basic credentials never travel in clear unless the user said so.
/// </summary>
public sealed class OciRegistryClient
{
    /// <summary>A manifest or token answer larger than this is refused (CMIR692/CMIR691): both are a few hundred bytes.</summary>
    public const int MaxDocumentBytes = 1 << 20;

    private readonly HttpClient _client;
    private readonly OciSettings _settings;
    private readonly ConcurrentDictionary<string, AuthenticationHeaderValue> _tokens = new(StringComparer.Ordinal);

    public OciRegistryClient(HttpClient client, OciSettings settings)
    {
        _client = client;
        _settings = settings;
    }

    /// <summary>Requests sent, by kind, for tests and the publish summary: blob HEADs, blob uploads, manifest PUTs, token fetches.</summary>
    public int BlobHeads => _blobHeads;
    public int BlobUploads => _blobUploads;
    public int ManifestPuts => _manifestPuts;
    public int TokenFetches => _tokenFetches;
    private int _blobHeads, _blobUploads, _manifestPuts, _tokenFetches;

    public Uri BaseOf(string registry) => new($"{(_settings.IsPlainHttp(registry) ? "http" : "https")}://{registry}/");

    /// <summary>
    /// Sends the request <paramref name="create"/> builds (called again for the one retry after a challenge), for
    /// <paramref name="action"/> ("pull" or "push,pull") on <paramref name="repository"/>.
    /// </summary>
    public async Task<HttpResponseMessage> SendAsync(string registry, string repository, string action, AuthenticationHeaderValue? credential,
        Func<HttpRequestMessage> create, CancellationToken cancellationToken)
    {
        var scope = $"repository:{repository}:{action}";
        var key = TokenKey(registry, scope, credential);
        var authorization = credential is { Scheme: "Bearer" } ? credential : _tokens.GetValueOrDefault(key) ?? KnownBasic(registry, credential);
        var response = await SendOnceAsync(create, authorization, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Unauthorized || credential is { Scheme: "Bearer" }) return response;

        var challenge = OciChallenge.Parse(response.Headers.WwwAuthenticate);
        AuthenticationHeaderValue? answer = null;
        if (challenge is { Scheme: "bearer", Realm: { } realm })
        {
            answer = await FetchTokenAsync(registry, realm, challenge.Service, scope, credential, cancellationToken).ConfigureAwait(false);
            _tokens[key] = answer;
        }
        else if (challenge is { Scheme: "basic" } && credential is not null && authorization is null)
        {
            answer = credential;
            _basicHosts[registry] = true;
        }
        if (answer is null) return response;
        response.Dispose();
        return await SendOnceAsync(create, answer, cancellationToken).ConfigureAwait(false);
    }

    private readonly ConcurrentDictionary<string, bool> _basicHosts = new(StringComparer.Ordinal);

    private AuthenticationHeaderValue? KnownBasic(string registry, AuthenticationHeaderValue? credential) =>
        credential is not null && _basicHosts.ContainsKey(registry) ? credential : null;

    private static string TokenKey(string registry, string scope, AuthenticationHeaderValue? credential) =>
        registry + " " + scope + " " + (credential is null ? "" : Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(credential.ToString()))));

    private async Task<HttpResponseMessage> SendOnceAsync(Func<HttpRequestMessage> create, AuthenticationHeaderValue? authorization, CancellationToken cancellationToken)
    {
        using var request = create();
        request.Headers.Authorization = authorization;
        return await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
    }

    private async Task<AuthenticationHeaderValue> FetchTokenAsync(string registry, Uri realm, string? service, string scope,
        AuthenticationHeaderValue? credential, CancellationToken cancellationToken)
    {
        var shownRealm = UrlRedaction.Redact(realm);
        if (realm.Scheme != Uri.UriSchemeHttps && !(realm.Scheme == Uri.UriSchemeHttp && _settings.IsPlainHttp(realm.IsDefaultPort ? realm.Host : $"{realm.Host}:{realm.Port}")))
            throw new CondaMirrorException(ErrorCodes.OciTokenFailed,
                $"The registry {registry} asks for a token from {shownRealm}, which is not an https URL; credentials are not sent in clear. " +
                $"If that host is meant to be reached over plain http, list it in {OciSettings.PlainHttpVariable}.", registry);
        var query = (service is null ? "" : "service=" + Uri.EscapeDataString(service) + "&") + "scope=" + Uri.EscapeDataString(scope);
        var url = new UriBuilder(realm) { Query = string.IsNullOrEmpty(realm.Query) ? query : realm.Query.TrimStart('?') + "&" + query }.Uri;
        Interlocked.Increment(ref _tokenFetches);
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (credential is { Scheme: "Basic" }) request.Headers.Authorization = credential;
        using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
            throw new CondaMirrorException(ErrorCodes.OciTokenFailed,
                $"The registry {registry} sent the build to {shownRealm} for a token ({scope}), which answered {(int)response.StatusCode} {response.ReasonPhrase}. " +
                (credential is null ? $"The repository may be private: give the channel credentials (UserEnvironmentVariable/PasswordEnvironmentVariable or BearerTokenEnvironmentVariable on the CondaChannel, {OciSettings.UserVariable}/{OciSettings.PasswordVariable} for CondaPublish)."
                    : "Check the credentials and that they may access the repository."), registry);
        var body = await ReadBoundedAsync(response, ErrorCodes.OciTokenFailed, $"the token answer of {shownRealm}", cancellationToken).ConfigureAwait(false);
        string? token = null;
        try
        {
            using var document = JsonDocument.Parse(body);
            foreach (var name in new[] { "token", "access_token" })
                if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String)
                {
                    token = value.GetString();
                    break;
                }
        }
        catch (JsonException)
        {
        }
        if (string.IsNullOrEmpty(token) || token.Any(c => char.IsControl(c) || c == ' '))
            throw new CondaMirrorException(ErrorCodes.OciTokenFailed,
                $"The token answer of {shownRealm} for {registry} is not JSON with a \"token\" or \"access_token\" string; the registry's token service is misconfigured.", registry);
        return new AuthenticationHeaderValue("Bearer", token);
    }

    /// <summary>
    /// Where <paramref name="reference"/>'s bytes are: the manifest of its tag, the layer of its media type, that blob.
    /// A status other than 200 for the manifest (404, 401, 5xx) comes back as it is, for the caller to report; a
    /// manifest without that layer is 404.
    /// </summary>
    public async Task<OciBlobLocation> LocateAsync(OciReference reference, AuthenticationHeaderValue? credential, CancellationToken cancellationToken)
    {
        var baseUrl = BaseOf(reference.Registry);
        var manifestUrl = new Uri(baseUrl, $"v2/{reference.Repository}/manifests/{reference.Tag}");
        using var response = await SendAsync(reference.Registry, reference.Repository, "pull", credential, () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, manifestUrl);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(OciReference.ManifestMediaType));
            return request;
        }, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.OK) return new OciBlobLocation(null, null, response.StatusCode);
        var body = await ReadBoundedAsync(response, ErrorCodes.OciManifestInvalid, $"the manifest {reference.Repository}:{reference.Tag} on {reference.Registry}", cancellationToken).ConfigureAwait(false);
        var digest = OciManifest.LayerDigest(body, reference.MediaType, $"{reference.Registry}/{reference.Repository}:{reference.Tag}");
        if (digest is null) return new OciBlobLocation(null, null, HttpStatusCode.NotFound);
        var scope = $"repository:{reference.Repository}:pull";
        var authorization = credential is { Scheme: "Bearer" } ? credential : _tokens.GetValueOrDefault(TokenKey(reference.Registry, scope, credential)) ?? KnownBasic(reference.Registry, credential);
        return new OciBlobLocation(new Uri(baseUrl, $"v2/{reference.Repository}/blobs/{digest}"), authorization, HttpStatusCode.OK);
    }

    /// <summary>Whether the repository has the blob (HEAD by digest): an existing blob is never uploaded again.</summary>
    public async Task<bool> HasBlobAsync(string registry, string repository, string digest, AuthenticationHeaderValue? credential, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _blobHeads);
        var url = new Uri(BaseOf(registry), $"v2/{repository}/blobs/{digest}");
        using var response = await SendAsync(registry, repository, "push,pull", credential, () => new HttpRequestMessage(HttpMethod.Head, url), cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.OK) return true;
        if (response.StatusCode == HttpStatusCode.NotFound) return false;
        throw Failed(response, $"checking blob {digest} in {repository}", registry);
    }

    /// <summary>Uploads one blob: POST an upload session, then PUT the bytes with the digest (the monolithic upload every registry takes).</summary>
    public async Task UploadBlobAsync(string registry, string repository, string digest, Func<Stream> open, long size, AuthenticationHeaderValue? credential,
        CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _blobUploads);
        var baseUrl = BaseOf(registry);
        using var session = await SendAsync(registry, repository, "push,pull", credential,
            () => new HttpRequestMessage(HttpMethod.Post, new Uri(baseUrl, $"v2/{repository}/blobs/uploads/")), cancellationToken).ConfigureAwait(false);
        if (session.StatusCode != HttpStatusCode.Accepted || session.Headers.Location is not { } location)
            throw Failed(session, $"starting the upload of {digest} to {repository}", registry);
        var uploadUrl = location.IsAbsoluteUri ? location : new Uri(baseUrl, location);
        if (uploadUrl.Scheme != baseUrl.Scheme || uploadUrl.Authority != baseUrl.Authority)
            throw new CondaMirrorException(ErrorCodes.OciPublishFailed,
                $"The registry {registry} sent the upload of {digest} to another host ({UrlRedaction.Redact(uploadUrl)}); the build uploads only to the registry it was given.");
        var separator = string.IsNullOrEmpty(uploadUrl.Query) ? "?" : "&";
        var putUrl = new Uri(uploadUrl.AbsoluteUri + separator + "digest=" + Uri.EscapeDataString(digest));
        using var put = await SendAsync(registry, repository, "push,pull", credential, () =>
        {
            var content = new StreamContent(open());
            content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            content.Headers.ContentLength = size;
            return new HttpRequestMessage(HttpMethod.Put, putUrl) { Content = content };
        }, cancellationToken).ConfigureAwait(false);
        if (put.StatusCode != HttpStatusCode.Created)
            throw Failed(put, $"uploading {digest} to {repository}", registry);
    }

    /// <summary>The digest of the manifest a tag names now (HEAD), null when there is none.</summary>
    public async Task<string?> ManifestDigestAsync(string registry, string repository, string tag, AuthenticationHeaderValue? credential, CancellationToken cancellationToken)
    {
        var url = new Uri(BaseOf(registry), $"v2/{repository}/manifests/{tag}");
        using var response = await SendAsync(registry, repository, "push,pull", credential, () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Head, url);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(OciReference.ManifestMediaType));
            return request;
        }, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        if (response.StatusCode != HttpStatusCode.OK) throw Failed(response, $"reading the manifest {repository}:{tag}", registry);
        return response.Headers.TryGetValues("Docker-Content-Digest", out var values) ? values.FirstOrDefault() : null;
    }

    public async Task PutManifestAsync(string registry, string repository, string tag, byte[] manifest, AuthenticationHeaderValue? credential, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _manifestPuts);
        var url = new Uri(BaseOf(registry), $"v2/{repository}/manifests/{tag}");
        using var response = await SendAsync(registry, repository, "push,pull", credential, () =>
        {
            var content = new ByteArrayContent(manifest);
            content.Headers.ContentType = new MediaTypeHeaderValue(OciReference.ManifestMediaType);
            return new HttpRequestMessage(HttpMethod.Put, url) { Content = content };
        }, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Created) throw Failed(response, $"writing the manifest {repository}:{tag}", registry);
    }

    /// <summary>A publish request's failure: retryable statuses as <see cref="TransientHttpStatusException"/> (the caller's retries), 401/403 CMIR373, others CMIR374.</summary>
    private static Exception Failed(HttpResponseMessage response, string what, string registry)
    {
        if (HttpResilience.IsTransientStatus(response.StatusCode))
            return new TransientHttpStatusException(response.StatusCode, null, $"{registry} ({what})");
        if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
            return new CondaMirrorException(ErrorCodes.OciPublishAccessDenied,
                $"The registry {registry} refused {what} ({(int)response.StatusCode} {response.ReasonPhrase}). Set {OciSettings.UserVariable} and {OciSettings.PasswordVariable} " +
                $"(or {OciSettings.TokenVariable}) in the build's environment to credentials that may push to it.");
        return new CondaMirrorException(ErrorCodes.OciPublishFailed,
            $"The registry {registry} answered {(int)response.StatusCode} {response.ReasonPhrase} when {what}. Nothing that lists this file was written; build again once the registry accepts it.");
    }

    private static async Task<byte[]> ReadBoundedAsync(HttpResponseMessage response, string code, string what, CancellationToken cancellationToken)
    {
        if (response.Content.Headers.ContentLength > MaxDocumentBytes)
            throw new CondaMirrorException(code, $"{what} is larger than {MaxDocumentBytes} bytes, more than such a document ever is; nothing was read from it.");
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var buffer = new MemoryStream();
        var chunk = new byte[16384];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > MaxDocumentBytes)
                throw new CondaMirrorException(code, $"{what} is larger than {MaxDocumentBytes} bytes, more than such a document ever is; nothing was read from it.");
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }
}

/// <summary>The first usable challenge of a 401: Bearer (with its realm and service) preferred over Basic.</summary>
public sealed record OciChallenge(string Scheme, Uri? Realm, string? Service)
{
    public static OciChallenge? Parse(HttpHeaderValueCollection<AuthenticationHeaderValue> headers)
    {
        OciChallenge? basic = null;
        foreach (var header in headers)
        {
            if (header.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase)) basic ??= new OciChallenge("basic", null, null);
            if (!header.Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase) || header.Parameter is null) continue;
            var parameters = ParseParameters(header.Parameter);
            if (parameters.TryGetValue("realm", out var realm) && Uri.TryCreate(realm, UriKind.Absolute, out var realmUrl) && realmUrl.Scheme is "http" or "https")
                return new OciChallenge("bearer", realmUrl, parameters.GetValueOrDefault("service"));
        }
        return basic;
    }

    /// <summary>key="value" pairs separated by commas (values may hold commas inside quotes).</summary>
    public static Dictionary<string, string> ParseParameters(string text)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var i = 0;
        while (i < text.Length)
        {
            while (i < text.Length && text[i] is ',' or ' ') i++;
            var eq = text.IndexOf('=', i);
            if (eq < 0) break;
            var key = text[i..eq].Trim();
            i = eq + 1;
            string value;
            if (i < text.Length && text[i] == '"')
            {
                var end = text.IndexOf('"', i + 1);
                if (end < 0) end = text.Length;
                value = text[(i + 1)..end];
                i = end + 1;
            }
            else
            {
                var end = text.IndexOf(',', i);
                if (end < 0) end = text.Length;
                value = text[i..end].Trim();
                i = end;
            }
            if (key.Length > 0) result[key] = value;
        }
        return result;
    }
}
