using System.Net;
using System.Net.Sockets;
using System.Text;

namespace CondaMirror.TestKit;

/// <summary>
/// A byte-for-byte HTTP/1.1 forwarder on loopback that reads each request's head on the way through: it records
/// "METHOD path" of every request the server received, and can hold every PUT after the first
/// <see cref="HoldPutsAfter"/> (never forwarded), so a test can kill a client while it waits and know exactly which
/// uploads reached the server. Headers pass unchanged, so signed requests stay valid.
/// </summary>
public sealed class GatingHttpProxy : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly int _targetPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<string> _forwarded = new();
    private readonly List<TcpClient> _connections = new();
    private readonly Task _accepting;
    private int _putsForwarded;
    private TaskCompletionSource _held = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public GatingHttpProxy(int targetPort)
    {
        _targetPort = targetPort;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>PUTs after this many are held; null forwards every request.</summary>
    public int? HoldPutsAfter { get; private set; }

    /// <summary>Completes when a PUT is held.</summary>
    public Task Held => _held.Task;

    /// <summary>Holds PUTs from now on once <paramref name="count"/> more have been forwarded.</summary>
    public void HoldAfter(int count)
    {
        lock (_forwarded)
        {
            _held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            HoldPutsAfter = _putsForwarded + count;
        }
    }

    public void Release()
    {
        lock (_forwarded) HoldPutsAfter = null;
    }

    /// <summary>Every request forwarded so far, "METHOD path-and-query", in the order they were forwarded.</summary>
    public IReadOnlyList<string> Forwarded
    {
        get { lock (_forwarded) return _forwarded.ToList(); }
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            lock (_connections) _connections.Add(client);
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var server = new TcpClient();
        try
        {
            await server.ConnectAsync(IPAddress.Loopback, _targetPort, _stop.Token);
            lock (_connections) _connections.Add(server);
            var fromClient = client.GetStream();
            var toServer = server.GetStream();
            var responses = server.GetStream().CopyToAsync(fromClient, _stop.Token);
            var requests = ForwardRequestsAsync(fromClient, toServer);
            await Task.WhenAny(responses, requests);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // A connection closed by either side (or a killed client): nothing to forward any more.
        }
        finally
        {
            client.Dispose();
        }
    }

    private async Task ForwardRequestsAsync(NetworkStream client, NetworkStream server)
    {
        var buffered = new MemoryStream();
        var chunk = new byte[65536];
        while (true)
        {
            // The request head: everything up to the blank line.
            int end;
            while ((end = IndexOfHeadEnd(buffered)) < 0)
            {
                var read = await client.ReadAsync(chunk, _stop.Token);
                if (read == 0) return;
                buffered.Write(chunk, 0, read);
            }
            var bytes = buffered.ToArray();
            var head = Encoding.ASCII.GetString(bytes, 0, end);
            var lines = head.Split("\r\n");
            var requestLine = lines[0].Split(' ');
            var method = requestLine[0];
            long length = 0;
            foreach (var line in lines.Skip(1))
            {
                var colon = line.IndexOf(':');
                if (colon < 0) continue;
                var name = line[..colon].Trim();
                if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)) length = long.Parse(line[(colon + 1)..].Trim());
                if (name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
                    throw new InvalidOperationException("GatingHttpProxy forwards Content-Length bodies only, not " + line);
            }
            if (method == "PUT")
            {
                bool hold;
                lock (_forwarded)
                {
                    hold = HoldPutsAfter is { } limit && _putsForwarded >= limit;
                    if (!hold) _putsForwarded++;
                }
                if (hold)
                {
                    _held.TrySetResult();
                    // Never forwarded: the client waits until it is killed or the proxy is disposed.
                    await Task.Delay(Timeout.Infinite, _stop.Token);
                }
            }
            lock (_forwarded) _forwarded.Add(method + " " + requestLine[1]);
            var total = end + 4 + length;
            // Forward the head and as much of the body as is buffered, then the rest of the body as it arrives.
            var available = Math.Min(bytes.Length, total);
            await server.WriteAsync(bytes.AsMemory(0, (int)available), _stop.Token);
            var remaining = total - available;
            while (remaining > 0)
            {
                var read = await client.ReadAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, remaining)), _stop.Token);
                if (read == 0) return;
                await server.WriteAsync(chunk.AsMemory(0, read), _stop.Token);
                remaining -= read;
            }
            buffered = new MemoryStream();
            if (bytes.Length > total) buffered.Write(bytes, (int)total, bytes.Length - (int)total);
        }
    }

    private static int IndexOfHeadEnd(MemoryStream buffered)
    {
        var span = buffered.GetBuffer().AsSpan(0, (int)buffered.Length);
        return span.IndexOf("\r\n\r\n"u8);
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        lock (_connections)
            foreach (var c in _connections) c.Dispose();
        try
        {
            await _accepting;
        }
        catch (OperationCanceledException)
        {
        }
        _stop.Dispose();
    }
}
