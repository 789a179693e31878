using System.Diagnostics;
using Amazon.Runtime;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Networking;
using CondaMirror.TestKit;
using Xunit;

namespace CondaMirror.Tests.Publishing;

/// <summary>
/// The walls an S3 server cannot talk its way through: a listing that always says "more follows" with a fresh key and
/// token, a body dripped a byte at a time, and a body that is not S3's XML each end in one coded error, in bounded time.
/// </summary>
public sealed class S3HostileServerTests
{
    private static S3ObjectStore Store(int port, TimeSpan? deadline = null, TimeSpan? listingDeadline = null) => new(new S3StoreOptions
    {
        Bucket = "channels", Endpoint = new Uri($"http://127.0.0.1:{port}"), ForcePathStyle = true,
        Timeout = TimeSpan.FromSeconds(5), RetryCount = 0, TestCredentials = new BasicAWSCredentials("AKIDEXAMPLE", "hostile-test-secret"),
        RequestDeadline = deadline ?? TimeSpan.FromSeconds(30), ListingDeadline = listingDeadline ?? TimeSpan.FromMinutes(10),
    });

    [Fact]
    public async Task A_listing_that_is_always_truncated_with_fresh_keys_and_tokens_stops_at_the_page_bound()
    {
        var pages = 0;
        using var server = new OneRouteHttpServer((context, n) =>
        {
            Interlocked.Increment(ref pages);
            return OneRouteHttpServer.Xml(context, $"""
                <?xml version="1.0" encoding="UTF-8"?>
                <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>channels</Name><Prefix>conda/</Prefix><KeyCount>1</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>true</IsTruncated><Contents><Key>conda/k{n}</Key><Size>1</Size><ETag>"e{n}"</ETag></Contents><NextContinuationToken>t{n}</NextContinuationToken></ListBucketResult>
                """.Trim());
        });
        using var store = Store(server.Port);
        using var guard = new CancellationTokenSource(TimeSpan.FromMinutes(2)); // against a hang only
        var error = await Assert.ThrowsAsync<CondaMirrorException>(() => store.ListAsync("conda/", maxObjects: 5_000, guard.Token));
        Assert.Equal(ErrorCodes.PublishRequestFailed, error.Code);
        Assert.Contains("did not finish within 100 pages", error.Message);
        Assert.Equal(100, pages);
    }

    [Fact]
    public async Task A_listing_that_outlasts_its_deadline_is_a_coded_error()
    {
        using var server = new OneRouteHttpServer(async (context, n) =>
        {
            await Task.Delay(300);
            await OneRouteHttpServer.Xml(context, $"""
                <?xml version="1.0" encoding="UTF-8"?>
                <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>channels</Name><KeyCount>1</KeyCount><IsTruncated>true</IsTruncated><Contents><Key>conda/k{n}</Key><Size>1</Size><ETag>"e"</ETag></Contents><NextContinuationToken>t{n}</NextContinuationToken></ListBucketResult>
                """.Trim());
        });
        using var store = Store(server.Port, listingDeadline: TimeSpan.FromSeconds(2));
        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<CondaMirrorException>(() => store.ListAsync("conda/", maxObjects: 1_000_000, CancellationToken.None));
        Assert.Equal(ErrorCodes.PublishRequestFailed, error.Code);
        Assert.Contains("did not finish within 2 s", error.Message);
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(2), "the bound is the configured listing time");
    }

    [Fact]
    public async Task A_body_dripped_a_byte_at_a_time_ends_at_the_request_deadline()
    {
        using var server = new OneRouteHttpServer(async (context, n) =>
        {
            context.Response.ContentType = "application/json";
            context.Response.Headers["ETag"] = "\"d41d8cd98f00b204e9800998ecf8427e\"";
            context.Response.Headers["Last-Modified"] = "Sun, 06 Dec 2026 00:00:00 GMT";
            await OneRouteHttpServer.Drip(context, 1000, TimeSpan.FromMilliseconds(500));
        });
        using var store = Store(server.Port, deadline: TimeSpan.FromSeconds(3));
        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<CondaMirrorException>(() => store.GetSmallAsync("conda/.condamirror/publish-manifest.json", 1 << 20, CancellationToken.None));
        Assert.True(error.Code == ErrorCodes.PublishUnreachable, error.ToString());
        Assert.Contains("within 3 s (CondaHttpRequestDeadlineSeconds)", error.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"took {clock.Elapsed}");
    }

    [Theory]
    [InlineData("<ListBucketResult><Contents><Key>a</Key><Size>not-a-number</Size></Contents>")]
    [InlineData("this is not xml at all <<<")]
    public async Task A_listing_that_is_not_S3s_XML_is_a_coded_error_naming_no_body(string body)
    {
        using var server = new OneRouteHttpServer((context, n) => OneRouteHttpServer.Xml(context, body));
        using var store = Store(server.Port);
        var error = await Assert.ThrowsAsync<CondaMirrorException>(() => store.ListAsync("conda/", maxObjects: 1000, CancellationToken.None));
        Assert.Equal(ErrorCodes.PublishRequestFailed, error.Code);
        Assert.DoesNotContain("not-a-number", error.Message);
        Assert.DoesNotContain("hostile-test-secret", error.ToString());
    }
}
