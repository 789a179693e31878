using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using CondaMirror.Core.Networking;
using CondaMirror.TestKit;
using Xunit;

namespace CondaMirror.Tests.Networking;

/// <summary>The one GET every fetcher uses, against the raw-socket loopback server.</summary>
public sealed class NetworkClientTests : IAsyncDisposable
{
    private readonly TempDirectory _root = new("cm-net");
    private readonly LoopbackChannelServer _server;

    public NetworkClientTests()
    {
        File.WriteAllText(_root.Combine("body.txt"), "hello channel");
        _server = new LoopbackChannelServer(_root.Path);
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        _root.Dispose();
    }

    private NetworkClient Client(int retries = 2, CredentialSet? credentials = null, TimeSpan? attemptTimeout = null) => new(new NetworkOptions
    {
        Retry = new HttpRetrySettings { RetryCount = retries, BaseDelay = TimeSpan.FromMilliseconds(5) },
        AttemptTimeout = attemptTimeout ?? TimeSpan.FromSeconds(10),
        Credentials = credentials ?? CredentialSet.None,
    });

    private static async Task<(HttpStatusCode Status, string Body)> ReadText(HttpResponseMessage response, HttpAttempt attempt) =>
        (response.StatusCode, await response.Content.ReadAsStringAsync(attempt.Token));

    [Fact]
    public async Task A_get_carries_the_credential_validators_and_encoding_it_asks_for()
    {
        var credentials = new CredentialSet([new ChannelCredential(_server.BaseUri.AbsoluteUri, "tok-9", null, null)]);
        using var client = Client(credentials: credentials);
        var get = new HttpGet(client.Authenticate(new Uri(_server.UrlFor("body.txt"))), "body")
        {
            IfNoneMatch = new EntityTagHeaderValue("\"old\""),
            IfModifiedSince = new DateTimeOffset(2001, 2, 3, 4, 5, 6, TimeSpan.Zero),
            AcceptCompressed = true,
        };

        var (status, body) = await client.GetAsync(get, ReadText, CancellationToken.None);

        Assert.Equal((HttpStatusCode.OK, "hello channel"), (status, body));
        Assert.Equal(1, get.Attempts);
        var request = Assert.Single(_server.Requests);
        Assert.Equal("Bearer tok-9", request.Authorization);
        Assert.Equal("\"old\"", request.IfNoneMatch);
        Assert.Equal("Sat, 03 Feb 2001 04:05:06 GMT", request.IfModifiedSince);
        Assert.Equal("gzip, br, deflate", request.Headers["Accept-Encoding"]);
    }

    [Fact]
    public async Task Archives_are_asked_for_as_they_are_and_revalidation_hands_304_to_the_reader()
    {
        using var client = Client();
        var first = await client.GetAsync(new HttpGet(client.Authenticate(new Uri(_server.UrlFor("body.txt"))), "body"),
            async (response, attempt) => (response.Headers.ETag, await ReadText(response, attempt)), CancellationToken.None);
        Assert.Equal("identity", _server.Requests[^1].Headers["Accept-Encoding"]);

        var again = new HttpGet(client.Authenticate(new Uri(_server.UrlFor("body.txt"))), "body") { IfNoneMatch = first.ETag };
        var (status, body) = await client.GetAsync(again, ReadText, CancellationToken.None);
        Assert.Equal(HttpStatusCode.NotModified, status);
        Assert.Equal("", body);
    }

    [Fact]
    public async Task Retryable_statuses_are_retried_and_counted_and_others_reach_the_reader()
    {
        _server.Faults.Add("/body.txt", FaultKind.Status(503), count: 2);
        using var client = Client(retries: 3);
        var get = new HttpGet(client.Authenticate(new Uri(_server.UrlFor("body.txt"))), "body");
        Assert.Equal((HttpStatusCode.OK, "hello channel"), await client.GetAsync(get, ReadText, CancellationToken.None));
        Assert.Equal(3, get.Attempts);
        Assert.Equal(3, _server.RequestCount("/body.txt"));

        // 404 is an answer, not a failure: the reader decides what it means, and nothing is retried.
        var missing = new HttpGet(client.Authenticate(new Uri(_server.UrlFor("missing.txt"))), "missing");
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(missing, ReadText, CancellationToken.None)).Status);
        Assert.Equal(1, missing.Attempts);
    }

    [Fact]
    public async Task Failures_leave_classified_with_the_attempts_made()
    {
        _server.Faults.Add("/body.txt", FaultKind.Status(502), count: 10);
        using var client = Client(retries: 1);
        var get = new HttpGet(client.Authenticate(new Uri(_server.UrlFor("body.txt"))), "body");
        var e = await Assert.ThrowsAsync<TransientHttpStatusException>(() => client.GetAsync(get, ReadText, CancellationToken.None));
        Assert.Equal(HttpFailureKind.ServerError, HttpResilience.Classify(e));
        Assert.Equal(2, get.Attempts);

        _server.Faults.Clear();
        _server.Faults.Add("/body.txt", FaultKind.Status(429, retryAfter: "3600"));
        var patient = new HttpGet(client.Authenticate(new Uri(_server.UrlFor("body.txt"))), "body");
        var tooLong = await Assert.ThrowsAsync<RetryAfterTooLongException>(() => client.GetAsync(patient, ReadText, CancellationToken.None));
        Assert.Equal(HttpFailureKind.RetryAfterTooLong, HttpResilience.Classify(tooLong));
        Assert.Equal(1, patient.Attempts);
    }

    [Fact]
    public async Task A_stalled_body_ends_as_a_stall_timeout_and_the_reader_sees_its_token_cancelled()
    {
        _server.Faults.Add("/body.txt", FaultKind.StallMidBody(afterBytes: 3, pause: TimeSpan.FromSeconds(30)));
        using var client = Client(retries: 0, attemptTimeout: TimeSpan.FromMilliseconds(500));
        var readerSawCancellation = false;
        var get = new HttpGet(client.Authenticate(new Uri(_server.UrlFor("body.txt"))), "body");
        var e = await Assert.ThrowsAsync<HttpStallTimeoutException>(() => client.GetAsync(get, async (response, attempt) =>
        {
            try { return await ReadText(response, attempt); }
            catch (OperationCanceledException) { readerSawCancellation = true; throw; }
        }, CancellationToken.None));
        Assert.True(readerSawCancellation);
        Assert.Equal(HttpFailureKind.Network, HttpResilience.Classify(e));
        Assert.Contains(_server.UrlFor("body.txt"), e.Message);
    }

    [Fact]
    public async Task Url_credentials_leave_the_url_for_a_header_and_never_reach_messages()
    {
        _server.Faults.Add("/body.txt", FaultKind.RequireBasic("bob", "hunter2"));
        _server.Faults.Add("/body.txt", FaultKind.Status(500), count: 5);
        using var client = Client(retries: 0);
        var url = new UriBuilder(_server.UrlFor("body.txt")) { UserName = "bob", Password = "hunter2" }.Uri;
        var get = new HttpGet(client.Authenticate(url), "body");
        var e = await Assert.ThrowsAsync<TransientHttpStatusException>(() => client.GetAsync(get, ReadText, CancellationToken.None));
        Assert.DoesNotContain("hunter2", e.Message);
        Assert.DoesNotContain("hunter2", get.DisplayUrl);
        Assert.Equal("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("bob:hunter2")), Assert.Single(_server.Requests).Authorization);
    }

    [Fact]
    public void One_classification_for_every_fetcher()
    {
        Assert.Equal(HttpFailureKind.Unreachable, HttpResilience.Classify(new HostUnreachableException("https://h", "refused", 2, TimeSpan.FromSeconds(5), new IOException())));
        Assert.Equal(HttpFailureKind.DeadlineExceeded, HttpResilience.Classify(new HttpDeadlineExceededException("https://h/x", TimeSpan.FromSeconds(1))));
        Assert.Equal(HttpFailureKind.Network, HttpResilience.Classify(new HttpStallTimeoutException("https://h/x", TimeSpan.FromSeconds(1))));
        Assert.Equal(HttpFailureKind.Network, HttpResilience.Classify(new HttpConnectTimeoutException("h", TimeSpan.FromSeconds(1), new SocketException())));
        Assert.Equal(HttpFailureKind.Network, HttpResilience.Classify(new HttpRequestException("reset", new IOException())));
        Assert.Equal(HttpFailureKind.Network, HttpResilience.Classify(new IOException("reset")));
        // A certificate failure is not retried, but it is still the network's fault, not a bug.
        var tls = new HttpRequestException("ssl", new AuthenticationException("bad certificate"));
        Assert.False(HttpResilience.IsTransient(tls));
        Assert.Equal(HttpFailureKind.Network, HttpResilience.Classify(tls));
        Assert.Equal(HttpFailureKind.None, HttpResilience.Classify(new OperationCanceledException()));
        Assert.Equal(HttpFailureKind.None, HttpResilience.Classify(new Core.Errors.CondaMirrorException("CMIR530", "too large")));
        Assert.Equal(HttpFailureKind.None, HttpResilience.Classify(new InvalidOperationException()));
    }

    [Fact]
    public void Retries_are_decided_from_the_same_classification()
    {
        Assert.True(HttpResilience.IsTransient(new TransientHttpStatusException(HttpStatusCode.ServiceUnavailable, null, "https://h/x")));
        Assert.True(HttpResilience.IsTransient(new HttpDeadlineExceededException("https://h/x", TimeSpan.FromSeconds(1))));
        Assert.True(HttpResilience.IsTransient(new HttpStallTimeoutException("https://h/x", TimeSpan.FromSeconds(1))));
        Assert.True(HttpResilience.IsTransient(new HttpConnectTimeoutException("h", null, new SocketException())));
        Assert.True(HttpResilience.IsTransient(new HttpRequestException("reset", new IOException())));
        Assert.True(HttpResilience.IsTransient(new IOException("reset")));
        Assert.False(HttpResilience.IsTransient(new HostUnreachableException("https://h", "refused", 2, TimeSpan.FromSeconds(5), new IOException())));
        Assert.False(HttpResilience.IsTransient(new OperationCanceledException()));
        Assert.False(HttpResilience.IsTransient(new Core.Errors.CondaMirrorException("CMIR530", "too large")));
    }
}
