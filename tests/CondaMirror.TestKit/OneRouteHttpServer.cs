using System.Net;
using System.Net.Sockets;
using System.Text;

namespace CondaMirror.TestKit;

/// <summary>
/// The smallest hostile server: an HTTP listener on 127.0.0.1 whose every request is answered by one function (given
/// the request's number, from 1), for tests that need a server to misbehave in one precise way (an endless listing, a
/// dripped body, a body that is not the protocol's). Errors of a client that went away are expected and ignored.
/// </summary>
public sealed class OneRouteHttpServer : IDisposable
{
    private readonly HttpListener _http = new();
    private readonly Task _serving;
    private int _requests;

    public OneRouteHttpServer(Func<HttpListenerContext, int, Task> answer)
    {
        Port = FreePort();
        _http.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _http.Start();
        _serving = Task.Run(async () =>
        {
            while (_http.IsListening)
            {
                HttpListenerContext context;
                try { context = await _http.GetContextAsync(); }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
                var n = Interlocked.Increment(ref _requests);
                _ = Task.Run(async () =>
                {
                    try { await answer(context, n); }
                    catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException or InvalidOperationException) { }
                });
            }
        });
    }

    public int Port { get; }

    /// <summary>The requests answered so far.</summary>
    public int Requests => Volatile.Read(ref _requests);

    public Uri Url => new($"http://127.0.0.1:{Port}/");

    /// <summary>Answers with <paramref name="xml"/> as an XML body of exact length.</summary>
    public static async Task Xml(HttpListenerContext context, string xml, int status = 200)
    {
        var body = Encoding.UTF8.GetBytes(xml);
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/xml";
        context.Response.ContentLength64 = body.Length;
        await context.Response.OutputStream.WriteAsync(body);
        context.Response.Close();
    }

    /// <summary>Announces <paramref name="length"/> bytes and sends one every <paramref name="interval"/>.</summary>
    public static async Task Drip(HttpListenerContext context, int length, TimeSpan interval)
    {
        context.Response.ContentLength64 = length;
        for (var i = 0; i < length; i++)
        {
            await context.Response.OutputStream.WriteAsync(new[] { (byte)' ' });
            await context.Response.OutputStream.FlushAsync();
            await Task.Delay(interval);
        }
        context.Response.Close();
    }

    /// <summary>A port the OS had free a moment ago (HttpListener cannot bind port 0 itself).</summary>
    private static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    public void Dispose()
    {
        _http.Stop();
        _http.Close();
        try { _serving.Wait(TimeSpan.FromSeconds(10)); }
        catch (AggregateException) { }
    }
}
