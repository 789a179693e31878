using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace CondaMirror.TestKit;

/// <summary>
/// A small OCI registry with docker's token authentication, on loopback (HttpListener), for the auth dance: every
/// /v2/ request without the token for its repository's pull scope gets 401 with
/// <c>WWW-Authenticate: Bearer realm="http://127.0.0.1:PORT/token",service="fake-registry",scope=…</c>; /token hands
/// out a random token per scope (anonymously, or only with the basic credentials given). Manifests and blobs are what
/// the test puts in. Every request is logged, "METHOD path Authorization-scheme".
/// </summary>
public sealed class OciBearerRegistry : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Dictionary<string, string> _tokens = new(StringComparer.Ordinal); // scope -> token
    private readonly Dictionary<string, (string MediaType, byte[] Body)> _content = new(StringComparer.Ordinal); // path -> content
    private readonly List<string> _log = new();
    private readonly Task _loop;

    /// <param name="basicUser">With a user, /token requires these basic credentials.</param>
    public OciBearerRegistry(string? basicUser = null, string? basicPassword = null)
    {
        for (var attempt = 0; ; attempt++)
        {
            Port = Random.Shared.Next(20000, 60000);
            _listener.Prefixes.Clear();
            _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
            try
            {
                _listener.Start();
                break;
            }
            catch (HttpListenerException) when (attempt < 20)
            {
            }
        }
        BasicUser = basicUser;
        BasicPassword = basicPassword;
        Realm = $"http://127.0.0.1:{Port}/token";
        _loop = Task.Run(LoopAsync);
    }

    public int Port { get; }
    public string Host => $"127.0.0.1:{Port}";
    public string? BasicUser { get; }
    public string? BasicPassword { get; }

    /// <summary>The realm the challenge names (settable to point elsewhere).</summary>
    public string Realm { get; set; }

    /// <summary>What /token answers instead of a token, when set.</summary>
    public string? TokenBodyOverride { get; set; }

    public IReadOnlyList<string> Log { get { lock (_log) return _log.ToList(); } }

    /// <summary>Serves <paramref name="body"/> at /v2/<paramref name="path"/>.</summary>
    public void Put(string path, string mediaType, byte[] body)
    {
        lock (_content) _content["/v2/" + path] = (mediaType, body);
    }

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync(); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
            try { Handle(context); }
            finally { context.Response.Close(); }
        }
    }

    private void Handle(HttpListenerContext context)
    {
        var request = context.Request;
        var path = request.Url!.AbsolutePath;
        var authorization = request.Headers["Authorization"];
        lock (_log) _log.Add($"{request.HttpMethod} {request.Url.PathAndQuery} {authorization?.Split(' ')[0] ?? "-"}");
        var response = context.Response;
        if (path == "/token")
        {
            if (BasicUser is not null && authorization != "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{BasicUser}:{BasicPassword}")))
            {
                response.StatusCode = 401;
                return;
            }
            var scope = request.QueryString["scope"] ?? "";
            string token;
            lock (_tokens)
                if (!_tokens.TryGetValue(scope, out token!)) _tokens[scope] = token = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
            Write(response, "application/json", Encoding.UTF8.GetBytes(TokenBodyOverride ?? $$"""{"token":"{{token}}","expires_in":300}"""));
            return;
        }
        if (!path.StartsWith("/v2/", StringComparison.Ordinal))
        {
            response.StatusCode = 404;
            return;
        }
        // /v2/<repository>/(manifests|blobs)/<ref>: the repository is everything before the last two segments.
        var segments = path["/v2/".Length..].Split('/');
        var repository = string.Join('/', segments[..^2]);
        var needed = $"repository:{repository}:pull";
        string? expected;
        lock (_tokens) expected = _tokens.GetValueOrDefault(needed);
        if (expected is null || authorization != "Bearer " + expected)
        {
            response.StatusCode = 401;
            response.AddHeader("WWW-Authenticate", $"Bearer realm=\"{Realm}\",service=\"fake-registry\",scope=\"{needed}\"");
            return;
        }
        (string MediaType, byte[] Body) content;
        bool found;
        lock (_content) found = _content.TryGetValue(path, out content);
        if (!found)
        {
            response.StatusCode = 404;
            return;
        }
        Write(response, content.MediaType, content.Body);
    }

    private static void Write(HttpListenerResponse response, string contentType, byte[] body)
    {
        response.StatusCode = 200;
        response.ContentType = contentType;
        response.ContentLength64 = body.Length;
        response.OutputStream.Write(body);
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        try { _loop.Wait(TimeSpan.FromSeconds(5)); }
        catch (AggregateException) { }
    }
}
