using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using CondaMirror.Core.Diagnostics;
using CondaMirror.Core.Downloads;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Networking;
using CondaMirror.TestKit;
using Xunit;

namespace CondaMirror.Tests.Downloads;

/// <summary>Hosts that cannot be reached at all: one error naming the host, within seconds, for any number of packages.</summary>
public sealed class UnreachableHostTests
{
    // The aim for any number of packages at default settings (5 retries, 100 s timeout, 8 parallel).
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(15);

    /// <summary>A loopback port nothing listens on: connects are refused at once.</summary>
    internal static int ClosedPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    internal static IReadOnlyList<DownloadRequest> Requests(string baseUrl, int count, string prefix = "pkg") =>
        Enumerable.Range(0, count).Select(i =>
        {
            var name = $"{prefix}{i}-1.0-h0_0.conda";
            var sha = Convert.ToHexString(SHA256.HashData(BitConverter.GetBytes(i * 7919 + prefix.Length))).ToLowerInvariant();
            return new DownloadRequest(baseUrl.TrimEnd('/') + "/linux-64/" + name, name, "linux-64", sha, null, 1000);
        }).ToList();

    private static async Task<(CondaMirrorException Error, TimeSpan Elapsed, RecordingMirrorLog Log)> FailAsync(DownloadOptions options, IReadOnlyList<DownloadRequest> requests)
    {
        var log = new RecordingMirrorLog();
        using var downloader = new PackageDownloader(options, log);
        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<CondaMirrorException>(() => downloader.DownloadAsync(requests, CancellationToken.None));
        return (error, clock.Elapsed, log);
    }

    [SkippableFact]
    public async Task A_hundred_downloads_from_a_closed_port_end_in_one_error_naming_the_host_within_seconds()
    {
        using var cache = new TempDirectory("cm-unreachable");
        var port = ClosedPort();
        // Credentials in the URL must not reach the message.
        var requests = Requests($"http://mirror:s3cr3t@127.0.0.1:{port}/forge", 100);

        var (error, elapsed, log) = await FailAsync(new DownloadOptions { CacheRoot = cache.Path }, requests);

        Assert.Equal(ErrorCodes.DownloadHostUnreachable, error.Code);
        Assert.Contains($"http://127.0.0.1:{port}", error.Message);
        Assert.Contains("100 package(s)", error.Message);
        Assert.Contains("refused", error.Message);
        Assert.Contains("proxy", error.Message);
        Assert.Contains("None of the 100 packages", error.Message);
        Assert.DoesNotContain("the others are cached", error.Message);
        Assert.DoesNotContain("s3cr3t", error.Message);
        Assert.DoesNotContain(log.Details, d => d.Contains("s3cr3t"));
        Assert.True(elapsed < Budget, $"took {elapsed.TotalSeconds:0.0} s");
        // Requests that were queued when the circuit opened never retried on their own.
        Assert.True(log.Details.Count(d => d.StartsWith("Retrying", StringComparison.Ordinal)) < 60, string.Join("\n", log.Details));
    }

    [SkippableFact]
    public async Task A_hundred_downloads_from_a_host_that_does_not_resolve_end_in_one_error_naming_it()
    {
        using var cache = new TempDirectory("cm-unreachable");
        var requests = Requests("http://condamirror-test.invalid/forge", 100);

        var (error, elapsed, _) = await FailAsync(new DownloadOptions { CacheRoot = cache.Path }, requests);

        Assert.Equal(ErrorCodes.DownloadHostUnreachable, error.Code);
        Assert.Contains("http://condamirror-test.invalid", error.Message);
        Assert.Contains("100 package(s)", error.Message);
        Assert.Contains("DNS", error.Message);
        Assert.Equal("http://condamirror-test.invalid", error.File);
        Assert.True(elapsed < Budget, $"took {elapsed.TotalSeconds:0.0} s");
    }

    [SkippableFact]
    public async Task A_connect_timeout_is_retried_then_reported_as_an_unreachable_host_not_as_a_crash()
    {
        Requirement.That(OperatingSystem.IsLinux(), "SilentPort relies on Linux dropping SYNs to a full accept queue; other systems refuse them");
        using var cache = new TempDirectory("cm-unreachable");
        using var silent = new SilentPort();

        var (error, elapsed, log) = await FailAsync(
            new DownloadOptions { CacheRoot = cache.Path, AttemptTimeout = TimeSpan.FromSeconds(2) },
            Requests($"http://127.0.0.1:{silent.Port}/forge", 20));

        Assert.Equal(ErrorCodes.DownloadHostUnreachable, error.Code);
        Assert.Contains($"127.0.0.1:{silent.Port}", error.Message);
        Assert.Contains("within 1 s", error.Message);
        Assert.Contains(log.Details, d => d.StartsWith("Retrying", StringComparison.Ordinal) && d.Contains("within 1 s"));
        Assert.True(elapsed < Budget, $"took {elapsed.TotalSeconds:0.0} s");
    }

    [SkippableFact]
    public async Task Counts_in_the_error_and_the_summary_say_what_was_downloaded_and_what_was_cached()
    {
        await using var f = new DownloadFixture();
        var cached = Enumerable.Range(0, 4).Select(i => f.AddPackage($"cached{i}-1-0.conda", 2000 + i)).ToArray();
        var fresh = Enumerable.Range(0, 3).Select(i => f.AddPackage($"fresh{i}-1-0.conda", 3000 + i)).ToArray();
        await f.RunAsync(f.Options(), cached);
        var dead = Requests($"http://127.0.0.1:{ClosedPort()}/forge", 6, "dead");

        var error = await Assert.ThrowsAsync<CondaMirrorException>(() =>
            f.RunAsync(new DownloadOptions { CacheRoot = f.CacheRoot, Validation = null /* the fixture serves random bytes, not packages */ }, [.. cached, .. fresh, .. dead]));

        Assert.Equal(ErrorCodes.DownloadHostUnreachable, error.Code);
        Assert.Contains("Cannot download 6 package(s)", error.Message);
        Assert.Contains("Of 13 packages, 3 were downloaded and 4 were already in the package cache", error.Message);

        var summary = await f.RunAsync(f.Options(), [.. cached, .. fresh, f.AddPackage("new-1-0.conda", 999)]);
        Assert.Equal((1, 7), (summary.Downloaded, summary.FromCache));
        Assert.Contains(f.Log.Details, i => i.Contains("Downloaded 1 packages") && i.Contains("7 from cache"));
    }

    [SkippableFact]
    public async Task An_unreachable_host_among_other_failures_is_one_line_of_the_combined_error()
    {
        await using var f = new DownloadFixture();
        var gone = f.AddPackage("gone-1-0.conda", 1000);
        File.Delete(f.ChannelPathOf(gone));
        var port = ClosedPort();

        var error = await Assert.ThrowsAsync<CondaMirrorException>(() =>
            f.RunAsync(new DownloadOptions { CacheRoot = f.CacheRoot }, [gone, .. Requests($"http://127.0.0.1:{port}/forge", 30)]));

        Assert.Equal(ErrorCodes.DownloadsFailed, error.Code);
        Assert.Contains("31 packages could not be downloaded", error.Message);
        Assert.Contains("None of the 31 packages", error.Message);
        Assert.Single(error.Message.Split('\n'), l => l.Contains(ErrorCodes.DownloadHostUnreachable));
        Assert.Single(error.Message.Split('\n'), l => l.Contains(ErrorCodes.DownloadNotFound) && l.Contains("gone-1-0.conda"));
        Assert.DoesNotContain("the others are cached", error.Message);
    }

    [SkippableFact]
    public async Task A_blip_that_fails_every_first_connect_is_retried_through()
    {
        await using var f = new DownloadFixture();
        var requests = Enumerable.Range(0, 8).Select(i => f.AddPackage($"p{i}-1-0.conda", 5000 + i)).ToArray();
        using var blip = new FailFirstHandler(failures: 8);

        using var downloader = new PackageDownloader(f.Options(retries: 3, maxParallel: 8), f.Log, blip);
        var summary = await downloader.DownloadAsync(requests, CancellationToken.None);

        Assert.Equal(8, summary.Downloaded);
        Assert.Equal(8, blip.Failed);
    }

    [SkippableFact]
    public async Task Once_open_the_circuit_refuses_requests_without_touching_the_network()
    {
        using var blip = new FailFirstHandler(failures: int.MaxValue);
        using var http = new NetworkClient(new HttpRetrySettings { RetryCount = 0 }, blip, disposeHandler: false);
        var uri = new Uri("https://user:pw@repo.example.org/forge/noarch/a.conda");

        var first = await Assert.ThrowsAsync<HostUnreachableException>(() => http.ExecuteAsync(uri, "a", (_, t) => http.Client.GetAsync(uri, t), CancellationToken.None));
        var second = await Assert.ThrowsAsync<HostUnreachableException>(() => http.ExecuteAsync(uri, "a", (_, t) => http.Client.GetAsync(uri, t), CancellationToken.None));

        Assert.Equal("https://repo.example.org", first.Host);
        Assert.Equal(first.Message, second.Message);
        Assert.Equal(1, blip.Failed);
        Assert.DoesNotContain("pw", first.Message);
        Assert.False(HttpResilience.IsTransient(first));
    }

    [SkippableFact]
    public async Task The_circuit_opens_when_failures_repeat_for_the_window_without_a_response_in_between()
    {
        using var circuits = new HostCircuits(TimeSpan.FromMilliseconds(300));
        var circuit = circuits.For(new Uri("https://u:p@repo.example.org/a"));
        var refused = new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused (repo.example.org:443)", new SocketException((int)SocketError.ConnectionRefused));
        Assert.Same(circuit, circuits.For(new Uri("https://repo.example.org/b")));
        Assert.NotSame(circuit, circuits.For(new Uri("https://repo.example.org:8443/b")));

        // A response ends the streak: its window starts over.
        circuit.ReportUnreachable(refused, Stopwatch.GetTimestamp());
        circuit.ReportUnreachable(refused, Stopwatch.GetTimestamp());
        circuit.ReportReachable();
        await Task.Delay(450);
        Assert.False(circuit.IsOpen);

        // One failure is not enough, however long ago it started; the second one past the window opens it.
        circuit.ReportUnreachable(refused, Stopwatch.GetTimestamp());
        await Task.Delay(450);
        Assert.False(circuit.IsOpen);
        circuit.ReportUnreachable(refused, Stopwatch.GetTimestamp());
        Assert.True(circuit.IsOpen);
        Assert.True(circuit.Opened.IsCancellationRequested);
        var failure = Assert.Throws<HostUnreachableException>(circuit.ThrowIfOpen);
        Assert.Equal("https://repo.example.org", failure.Host);
        Assert.Contains("the connection was refused", failure.Message);

        // Two quick failures, then silence: the timer opens it when the window has passed, without a third attempt.
        var other = circuits.For(new Uri("https://other.example.org/"));
        other.ReportUnreachable(refused, Stopwatch.GetTimestamp());
        other.ReportUnreachable(refused, Stopwatch.GetTimestamp());
        Assert.False(other.IsOpen);
        await Task.Delay(700);
        Assert.True(other.IsOpen);
    }

    /// <summary>Fails the first <c>failures</c> sends as a refused connection would, then forwards to a real handler.</summary>
    private sealed class FailFirstHandler(int failures) : DelegatingHandler(new SocketsHttpHandler())
    {
        private int _failed;
        public int Failed => Volatile.Read(ref _failed);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref _failed) <= failures)
                throw new HttpRequestException(HttpRequestError.ConnectionError, $"Connection refused ({request.RequestUri!.Host}:{request.RequestUri.Port})",
                    new SocketException((int)SocketError.ConnectionRefused));
            Interlocked.Decrement(ref _failed);
            return base.SendAsync(request, cancellationToken);
        }
    }
}

/// <summary>
/// A loopback port whose accept queue is full, so further connects get no answer at all (the kernel drops the SYN),
/// like a firewalled host: the client's connect timeout is what ends the attempt.
/// </summary>
internal sealed class SilentPort : IDisposable
{
    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly List<Socket> _fillers = new();

    public SilentPort()
    {
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(0);
        Port = ((IPEndPoint)_listener.LocalEndPoint!).Port;
        for (var i = 0; i < 3; i++)
        {
            var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            _ = filler.ConnectAsync(IPAddress.Loopback, Port);
            _fillers.Add(filler);
        }
        Thread.Sleep(200);
    }

    public int Port { get; }

    public void Dispose()
    {
        foreach (var filler in _fillers) filler.Dispose();
        _listener.Dispose();
    }
}
