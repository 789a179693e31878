using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace CondaMirror.TestKit;

/// <summary>One request as the server saw it.</summary>
/// <param name="Path">Decoded path without query, e.g. <c>/t/abc/linux-64/x.conda</c>.</param>
/// <param name="Target">The raw request target (path and query).</param>
public sealed record RecordedRequest(string Method, string Path, string Target, IReadOnlyDictionary<string, string> Headers)
{
    public string? Authorization => Headers.TryGetValue("Authorization", out var v) ? v : null;
    public string? IfNoneMatch => Headers.TryGetValue("If-None-Match", out var v) ? v : null;
    public string? IfModifiedSince => Headers.TryGetValue("If-Modified-Since", out var v) ? v : null;
}

/// <summary>
/// A minimal HTTP/1.1 file server on 127.0.0.1 (random port) that serves a directory like a static conda channel
/// host: keep-alive, Content-Length, GET/HEAD, ETag/Last-Modified with If-None-Match/If-Modified-Since → 304.
/// Built on raw sockets so tests can inject real transport faults (resets and truncation mid-body) through
/// <see cref="Faults"/>. Every request is recorded for assertions. Large files go out with sendfile, so it keeps
/// up with parallel clients in benchmarks.
/// </summary>
public sealed class LoopbackChannelServer : IAsyncDisposable
{
    private const int MaxHeaderBytes = 64 * 1024;
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();
    private readonly ConcurrentDictionary<string, ServedBytes> _served = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<int, (TcpClient Client, Task Task)> _connections = new();
    private readonly Task _acceptLoop;
    private int _nextConnectionId;

    public LoopbackChannelServer(string rootDirectory)
    {
        RootDirectory = Path.GetFullPath(rootDirectory);
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _listener.Start(backlog: 128);
        BaseUri = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");
        _acceptLoop = AcceptLoopAsync();
    }

    public string RootDirectory { get; }

    /// <summary><c>http://127.0.0.1:&lt;port&gt;/</c></summary>
    public Uri BaseUri { get; }

    public FaultPlan Faults { get; } = new();

    /// <summary>
    /// Off by default (a conda client never asks for a folder). On: a path naming a folder is answered with its
    /// index.html, as static web servers do, which is how a PEP 503 simple index is served (<c>/simple/&lt;name&gt;/</c>).
    /// </summary>
    public bool ServeDirectoryIndex { get; set; }

    /// <summary>Requests received so far, in arrival order.</summary>
    public IReadOnlyList<RecordedRequest> Requests => _requests.ToArray();

    public int RequestCount(string path) => _requests.Count(r => r.Path == (path.StartsWith('/') ? path : "/" + path));

    public void ClearRequests() => _requests.Clear();

    /// <summary>
    /// Answers GETs of <paramref name="path"/> with exactly <paramref name="body"/> and the extra response headers
    /// given (e.g. <c>("Content-Encoding", "gzip")</c>), whatever is on disk: for bodies no file server would produce.
    /// Status faults still apply; body faults do not.
    /// </summary>
    public void ServeBytes(string path, byte[] body, params (string Name, string Value)[] headers) =>
        _served[path.StartsWith('/') ? path : "/" + path] = new ServedBytes(body, string.Concat(headers.Select(h => $"{h.Name}: {h.Value}\r\n")));

    private sealed record ServedBytes(byte[] Body, string Headers);

    /// <summary>The URL of a file under the root, e.g. <c>UrlFor("linux-64/x.conda")</c>.</summary>
    public string UrlFor(string relativePath) => new Uri(BaseUri, relativePath.TrimStart('/')).AbsoluteUri;

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        try { await _acceptLoop.ConfigureAwait(false); } catch (Exception) { /* stopping */ }
        foreach (var (client, _) in _connections.Values) client.Dispose();
        try { await Task.WhenAll(_connections.Values.Select(c => c.Task)).ConfigureAwait(false); } catch (Exception) { /* connections die with the server */ }
        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token).ConfigureAwait(false); }
            catch (Exception) when (_stop.IsCancellationRequested) { return; }
            catch (SocketException) { continue; }
            client.NoDelay = true;
            var id = Interlocked.Increment(ref _nextConnectionId);
            var task = Task.Run(() => ServeConnectionAsync(client, id));
            _connections[id] = (client, task);
        }
    }

    private async Task ServeConnectionAsync(TcpClient client, int id)
    {
        try
        {
            using (client)
            {
                var stream = client.GetStream();
                var reader = new RequestReader(stream);
                while (!_stop.IsCancellationRequested)
                {
                    var request = await reader.ReadAsync(_stop.Token).ConfigureAwait(false);
                    if (request is null) return;
                    _requests.Enqueue(request);
                    var keepAlive = await RespondAsync(client, stream, request).ConfigureAwait(false);
                    if (!keepAlive) return;
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // Client went away or the server is stopping.
        }
        finally
        {
            _connections.TryRemove(id, out _);
        }
    }

    /// <returns>Whether the connection may serve another request.</returns>
    private async Task<bool> RespondAsync(TcpClient client, NetworkStream stream, RecordedRequest request)
    {
        var token = _stop.Token;
        var keepAlive = !(request.Headers.TryGetValue("Connection", out var connection) && connection.Equals("close", StringComparison.OrdinalIgnoreCase));
        var head = request.Method == "HEAD";
        if (request.Method is not ("GET" or "HEAD"))
        {
            await SendSimpleAsync(stream, 405, "Method Not Allowed", keepAlive, head, token).ConfigureAwait(false);
            return keepAlive;
        }

        FaultKind? fault = null;
        foreach (var f in Faults.Take(request.Path))
        {
            if (f is RequireAuthorizationFault auth)
            {
                if (request.Authorization != auth.ExpectedAuthorization)
                {
                    var scheme = auth.ExpectedAuthorization.Split(' ')[0];
                    await SendSimpleAsync(stream, 401, "Unauthorized", keepAlive, head, token, $"WWW-Authenticate: {scheme} realm=\"channel\"\r\n").ConfigureAwait(false);
                    return keepAlive;
                }
                continue;
            }
            fault = f;
        }

        switch (fault)
        {
            case StatusFault status:
                var extra = (status.RetryAfter is null ? string.Empty : $"Retry-After: {status.RetryAfter}\r\n")
                    + (status.Location is null ? string.Empty : $"Location: {status.Location}\r\n");
                await SendSimpleAsync(stream, status.Code, ReasonOf(status.Code), keepAlive, head, token, extra).ConfigureAwait(false);
                return keepAlive;
            case DelayFault delay:
                await Task.Delay(delay.Duration, token).ConfigureAwait(false);
                break;
        }

        if (_served.TryGetValue(request.Path, out var served))
        {
            var servedHead = Header(200, "OK", served.Body.Length, keepAlive, served.Headers + "Content-Type: application/octet-stream\r\n");
            await WriteAsync(stream, head ? servedHead : [.. servedHead, .. served.Body], token).ConfigureAwait(false);
            return keepAlive;
        }

        var file = Resolve(request.Path);
        if (file is null)
        {
            await SendSimpleAsync(stream, 404, "Not Found", keepAlive, head, token).ConfigureAwait(false);
            return keepAlive;
        }

        var info = new FileInfo(file);
        var lastModified = new DateTimeOffset(info.LastWriteTimeUtc.Ticks - info.LastWriteTimeUtc.Ticks % TimeSpan.TicksPerSecond, TimeSpan.Zero);
        var etag = $"\"{info.Length:x}-{info.LastWriteTimeUtc.Ticks:x}\"";
        var validators = $"ETag: {etag}\r\nLast-Modified: {lastModified.ToString("R", CultureInfo.InvariantCulture)}\r\n";
        if (NotModified(request, etag, lastModified))
        {
            await WriteAsync(stream, Header(304, "Not Modified", null, keepAlive, validators), token).ConfigureAwait(false);
            return keepAlive;
        }

        var headers = Header(200, "OK", info.Length, keepAlive, validators + $"Content-Type: {ContentTypeOf(file)}\r\n");
        if (head)
        {
            await WriteAsync(stream, headers, token).ConfigureAwait(false);
            return keepAlive;
        }

        switch (fault)
        {
            case ResetMidBodyFault reset:
                await WriteAsync(stream, headers, token).ConfigureAwait(false);
                await SendRangeAsync(stream, file, 0, reset.AfterBytes, token).ConfigureAwait(false);
                client.Client.LingerState = new LingerOption(true, 0); // close with RST, not FIN
                client.Client.Close();
                return false;
            case StallMidBodyFault stall:
                await WriteAsync(stream, headers, token).ConfigureAwait(false);
                await SendRangeAsync(stream, file, 0, stall.AfterBytes, token).ConfigureAwait(false);
                await Task.Delay(stall.Pause, token).ConfigureAwait(false);
                await SendRangeAsync(stream, file, stall.AfterBytes, long.MaxValue, token).ConfigureAwait(false);
                return keepAlive;
            case DripFault drip:
                await WriteAsync(stream, headers, token).ConfigureAwait(false);
                for (long sent = 0; sent < info.Length; sent += drip.BytesPerTick)
                {
                    await SendRangeAsync(stream, file, sent, drip.BytesPerTick, token).ConfigureAwait(false);
                    await Task.Delay(drip.Interval, token).ConfigureAwait(false);
                }
                return keepAlive;
            case TruncateBodyFault truncate:
                await WriteAsync(stream, headers, token).ConfigureAwait(false);
                await SendRangeAsync(stream, file, 0, truncate.Bytes, token).ConfigureAwait(false);
                client.Client.Shutdown(SocketShutdown.Send);
                return false;
            case AlterBodyFault alter:
                var bytes = await File.ReadAllBytesAsync(file, token).ConfigureAwait(false);
                if (bytes.Length > 0) bytes[Math.Clamp(alter.Offset ?? bytes.Length / 2, 0, bytes.Length - 1)] ^= 0xFF;
                await WriteAsync(stream, headers, token).ConfigureAwait(false);
                await stream.WriteAsync(bytes, token).ConfigureAwait(false);
                return keepAlive;
            default:
                await client.Client.SendFileAsync(file, headers, ReadOnlyMemory<byte>.Empty, TransmitFileOptions.UseDefaultWorkerThread, token).ConfigureAwait(false);
                return keepAlive;
        }
    }

    private static bool NotModified(RecordedRequest request, string etag, DateTimeOffset lastModified)
    {
        if (request.IfNoneMatch is { } inm)
            return inm.Trim() == "*" || inm.Split(',').Select(t => t.Trim()).Any(t => t == etag || t == "W/" + etag);
        return request.IfModifiedSince is { } ims
            && DateTimeOffset.TryParse(ims, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var since)
            && lastModified <= since;
    }

    private string? Resolve(string path)
    {
        var relative = path.TrimStart('/');
        if (relative.Length == 0) return null;
        var full = Path.GetFullPath(Path.Combine(RootDirectory, relative));
        if (!full.StartsWith(RootDirectory + Path.DirectorySeparatorChar, StringComparison.Ordinal)) return null;
        if (ServeDirectoryIndex && Directory.Exists(full)) full = Path.Combine(full, "index.html");
        return File.Exists(full) ? full : null;
    }

    private static async Task SendRangeAsync(NetworkStream stream, string file, long offset, long count, CancellationToken token)
    {
        await using var input = File.OpenRead(file);
        input.Position = Math.Min(offset, input.Length);
        var buffer = new byte[Math.Min(81920, Math.Max(1, count))];
        long left = count;
        while (left > 0)
        {
            var read = await input.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, left)), token).ConfigureAwait(false);
            if (read == 0) break;
            await stream.WriteAsync(buffer.AsMemory(0, read), token).ConfigureAwait(false);
            left -= read;
        }
        await stream.FlushAsync(token).ConfigureAwait(false);
    }

    private static Task SendSimpleAsync(NetworkStream stream, int code, string reason, bool keepAlive, bool head, CancellationToken token, string extraHeaders = "")
    {
        var body = Encoding.UTF8.GetBytes($"{code} {reason}\n");
        var header = Header(code, reason, body.Length, keepAlive, extraHeaders + "Content-Type: text/plain\r\n");
        return WriteAsync(stream, head ? header : [.. header, .. body], token);
    }

    private static byte[] Header(int code, string reason, long? contentLength, bool keepAlive, string extraHeaders)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"HTTP/1.1 {code} {reason}\r\n");
        sb.Append(CultureInfo.InvariantCulture, $"Date: {DateTimeOffset.UtcNow.ToString("R", CultureInfo.InvariantCulture)}\r\n");
        if (contentLength is { } length) sb.Append(CultureInfo.InvariantCulture, $"Content-Length: {length}\r\n");
        sb.Append(keepAlive ? "Connection: keep-alive\r\n" : "Connection: close\r\n");
        sb.Append(extraHeaders).Append("\r\n");
        return Encoding.ASCII.GetBytes(sb.ToString());
    }

    private static async Task WriteAsync(NetworkStream stream, byte[] bytes, CancellationToken token) =>
        await stream.WriteAsync(bytes, token).ConfigureAwait(false);

    private static string ContentTypeOf(string file) => Path.GetExtension(file) switch
    {
        ".json" => "application/json",
        ".html" => "text/html; charset=utf-8",
        ".zst" => "application/zstd",
        ".bz2" => "application/x-bzip2",
        _ => "application/octet-stream",
    };

    private static string ReasonOf(int code) => code switch
    {
        400 => "Bad Request", 401 => "Unauthorized", 403 => "Forbidden", 404 => "Not Found", 408 => "Request Timeout",
        410 => "Gone", 429 => "Too Many Requests", 500 => "Internal Server Error", 502 => "Bad Gateway",
        503 => "Service Unavailable", 504 => "Gateway Timeout", _ => "Status " + code.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>Reads request heads (no bodies: a channel server only sees GET/HEAD) from a keep-alive connection.</summary>
    private sealed class RequestReader(NetworkStream stream)
    {
        private readonly byte[] _buffer = new byte[MaxHeaderBytes];
        private int _start;
        private int _end;

        public async Task<RecordedRequest?> ReadAsync(CancellationToken token)
        {
            while (true)
            {
                var terminator = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n\r\n"u8);
                if (terminator >= 0)
                {
                    var text = Encoding.ASCII.GetString(_buffer, _start, terminator);
                    _start += terminator + 4;
                    var request = Parse(text);
                    if (request.Headers.TryGetValue("Content-Length", out var cl) && long.TryParse(cl, out var bodyLength) && bodyLength > 0)
                        await SkipAsync(bodyLength, token).ConfigureAwait(false);
                    return request;
                }
                if (_start > 0)
                {
                    Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                    _end -= _start;
                    _start = 0;
                }
                if (_end == _buffer.Length) throw new IOException("request head too large");
                var read = await stream.ReadAsync(_buffer.AsMemory(_end), token).ConfigureAwait(false);
                if (read == 0) return null;
                _end += read;
            }
        }

        private async Task SkipAsync(long count, CancellationToken token)
        {
            var buffered = Math.Min(count, _end - _start);
            _start += (int)buffered;
            count -= buffered;
            var scratch = new byte[8192];
            while (count > 0)
            {
                var read = await stream.ReadAsync(scratch.AsMemory(0, (int)Math.Min(scratch.Length, count)), token).ConfigureAwait(false);
                if (read == 0) throw new IOException("connection closed inside a request body");
                count -= read;
            }
        }

        private static RecordedRequest Parse(string head)
        {
            var lines = head.Split("\r\n");
            var parts = lines[0].Split(' ');
            if (parts.Length < 3) throw new IOException("malformed request line");
            var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var line in lines.Skip(1))
            {
                var colon = line.IndexOf(':');
                if (colon > 0) headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
            }
            var target = parts[1];
            var query = target.IndexOf('?');
            var path = Uri.UnescapeDataString(query >= 0 ? target[..query] : target);
            return new RecordedRequest(parts[0], path, target, headers);
        }
    }
}
