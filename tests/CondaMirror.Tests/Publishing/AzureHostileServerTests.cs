using System.Diagnostics;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Networking;
using CondaMirror.TestKit;
using Xunit;

namespace CondaMirror.Tests.Publishing;

/// <summary>
/// The Azure Blob store against a server that talks as Azure does until it stops making sense: a listing that always
/// continues with a fresh marker, one that repeats its marker, one slower than its deadline, a body dripped a byte at
/// a time and a body that is not Azure's XML. Each ends in one coded error, in bounded time, without the key.
/// </summary>
public sealed class AzureHostileServerTests
{
    private const string Key = "aG9zdGlsZS10ZXN0LWtleS1ub3QtYS1yZWFsLW9uZQ==";

    private static AzureBlobObjectStore Store(OneRouteHttpServer server, TimeSpan? deadline = null, TimeSpan? listingDeadline = null) => new(new AzureBlobStoreOptions
    {
        Account = "hostile",
        Container = "channels",
        ServiceUri = new Uri(server.Url, "hostile"),
        Timeout = TimeSpan.FromSeconds(5),
        RetryCount = 0,
        RequestDeadline = deadline ?? TimeSpan.FromSeconds(30),
        ListingDeadline = listingDeadline ?? TimeSpan.FromMinutes(10),
        Environment = name => name == AzureBlobObjectStore.KeyVariable ? Key : null,
    });

    /// <summary>One listing page as Azure writes it (List Blobs, 2021+ service versions), with one blob and a marker.</summary>
    private static string Page(int n, string? marker) => $"""
        <?xml version="1.0" encoding="utf-8"?><EnumerationResults ServiceEndpoint="http://127.0.0.1/hostile" ContainerName="channels"><Prefix>conda/</Prefix><MaxResults>5000</MaxResults><Blobs><Blob><Name>conda/k{n}</Name><Properties><Content-Length>1</Content-Length><Etag>"0x8D{n:X8}"</Etag><BlobType>BlockBlob</BlobType></Properties></Blob></Blobs><NextMarker>{marker}</NextMarker></EnumerationResults>
        """.Trim();

    private static void AssertNoKey(Exception error) => Assert.DoesNotContain(Key, error.ToString());

    [Fact]
    public async Task A_listing_that_always_continues_with_fresh_markers_stops_at_the_page_bound()
    {
        using var server = new OneRouteHttpServer((context, n) => OneRouteHttpServer.Xml(context, Page(n, $"m{n}")));
        using var store = Store(server);
        using var guard = new CancellationTokenSource(TimeSpan.FromMinutes(2)); // against a hang only
        var error = await Assert.ThrowsAsync<CondaMirrorException>(() => store.ListAsync("conda/", maxObjects: 5_000, guard.Token));
        Assert.Equal(ErrorCodes.PublishRequestFailed, error.Code);
        Assert.Contains("did not finish within 100 pages", error.Message);
        Assert.Equal(100, server.Requests);
        AssertNoKey(error);
    }

    [Fact]
    public async Task A_listing_that_repeats_its_marker_is_refused_on_the_repeat()
    {
        using var server = new OneRouteHttpServer((context, n) => OneRouteHttpServer.Xml(context, Page(n, "same-marker")));
        using var store = Store(server);
        var error = await Assert.ThrowsAsync<CondaMirrorException>(() => store.ListAsync("conda/", maxObjects: 5_000, CancellationToken.None));
        Assert.Equal(ErrorCodes.PublishRequestFailed, error.Code);
        Assert.Contains("does not advance", error.Message);
        Assert.Equal(2, server.Requests);
    }

    [Fact]
    public async Task A_listing_that_outlasts_its_deadline_is_a_coded_error()
    {
        using var server = new OneRouteHttpServer(async (context, n) =>
        {
            await Task.Delay(300);
            await OneRouteHttpServer.Xml(context, Page(n, $"m{n}"));
        });
        using var store = Store(server, listingDeadline: TimeSpan.FromSeconds(2));
        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<CondaMirrorException>(() => store.ListAsync("conda/", maxObjects: 1_000_000, CancellationToken.None));
        Assert.Equal(ErrorCodes.PublishRequestFailed, error.Code);
        Assert.Contains("did not finish within 2 s", error.Message);
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(2), "the bound is the configured listing time");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task A_body_dripped_a_byte_at_a_time_ends_at_the_request_deadline()
    {
        using var server = new OneRouteHttpServer(async (context, n) =>
        {
            context.Response.ContentType = "application/json";
            context.Response.Headers["ETag"] = "\"0x8DCAFE\"";
            context.Response.Headers["Last-Modified"] = "Sun, 06 Dec 2026 00:00:00 GMT";
            context.Response.Headers["x-ms-blob-type"] = "BlockBlob";
            context.Response.Headers["x-ms-version"] = "2025-01-05";
            await OneRouteHttpServer.Drip(context, 1000, TimeSpan.FromMilliseconds(500));
        });
        using var store = Store(server, deadline: TimeSpan.FromSeconds(3));
        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<CondaMirrorException>(() => store.GetSmallAsync("conda/.condamirror/publish-manifest.json", 1 << 20, CancellationToken.None));
        Assert.True(error.Code == ErrorCodes.PublishUnreachable, error.ToString());
        Assert.Contains("within 3 s (CondaHttpRequestDeadlineSeconds)", error.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
        AssertNoKey(error);
    }

    [Theory]
    [InlineData("<EnumerationResults><Blobs><Blob><Name>a</Name><Properties><Content-Length>not-a-number</Content-Length></Properties></Blob></Blobs></EnumerationResults>")]
    [InlineData("this is not xml at all <<<")]
    public async Task A_listing_that_is_not_Azures_XML_is_a_coded_error_naming_no_body(string body)
    {
        using var server = new OneRouteHttpServer((context, n) => OneRouteHttpServer.Xml(context, body));
        using var store = Store(server);
        var error = await Assert.ThrowsAsync<CondaMirrorException>(() => store.ListAsync("conda/", maxObjects: 1000, CancellationToken.None));
        Assert.Equal(ErrorCodes.PublishRequestFailed, error.Code);
        Assert.DoesNotContain("not-a-number", error.Message);
        Assert.DoesNotContain("<<<", error.Message);
        AssertNoKey(error);
    }
}
