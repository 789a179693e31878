using Azure.Storage.Sas;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Networking;
using CondaMirror.TestKit;
using Xunit;

namespace CondaMirror.Tests.Publishing;

/// <summary>
/// The Azure Blob store against Azurite (a real server checking shared-key and SAS signatures): each operation, and
/// each failure as one code whose message holds neither the key nor the SAS.
/// </summary>
public sealed class AzureBlobObjectStoreTests
{
    private static AzureBlobObjectStore Store(AzuriteServer server, string container, Dictionary<string, string> env, Uri? service = null, int retries = 1) => new(new AzureBlobStoreOptions
    {
        Account = server.Account,
        Container = container,
        ServiceUri = service ?? server.ServiceUri,
        Timeout = TimeSpan.FromSeconds(5),
        RetryCount = retries,
        Environment = name => env.GetValueOrDefault(name),
    });

    private static Dictionary<string, string> Key(AzuriteServer server) => new() { [AzureBlobObjectStore.KeyVariable] = server.Key };

    [SkippableFact]
    public async Task Put_list_head_get_delete_round_trip_with_the_key_and_with_a_SAS()
    {
        using var server = new AzuriteServer();
        server.CreateContainer("channels");
        var sas = server.ContainerSas("channels");
        foreach (var env in new[] { Key(server), new Dictionary<string, string> { [AzureBlobObjectStore.SasTokenVariable] = "?" + sas } })
        {
            using var store = Store(server, "channels", env);
            var body = new byte[70_000];
            Random.Shared.NextBytes(body);
            var sha = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(body)).ToLowerInvariant();
            using (var stream = new MemoryStream(body))
                Assert.NotNull(await store.PutAsync("p/linux-64/a b.conda", stream, "application/octet-stream", sha, CancellationToken.None));
            var listed = Assert.Single(await store.ListAsync("p/", 10, CancellationToken.None));
            Assert.Equal(("p/linux-64/a b.conda", 70_000L), (listed.Key, listed.Size));
            var head = await store.HeadAsync("p/linux-64/a b.conda", CancellationToken.None);
            Assert.Equal((70_000L, sha, listed.ETag), (head!.Size, head.Sha256, head.ETag));
            Assert.Equal(body, await server.GetAnonymousAsync("channels", "p/linux-64/a b.conda"));
            Assert.Equal(body, await store.GetSmallAsync("p/linux-64/a b.conda", 70_000, CancellationToken.None));
            Assert.Equal("CMIR367", (await Assert.ThrowsAsync<CondaMirrorException>(() => store.GetSmallAsync("p/linux-64/a b.conda", 69_999, CancellationToken.None))).Code);
            Assert.Null(await store.HeadAsync("p/missing", CancellationToken.None));
            Assert.Null(await store.GetSmallAsync("p/missing", 10, CancellationToken.None));
            Assert.Equal("CMIR367", (await Assert.ThrowsAsync<CondaMirrorException>(() => store.ListAsync("", 0, CancellationToken.None))).Code);
            await store.DeleteAsync("p/linux-64/a b.conda", CancellationToken.None);
            await store.DeleteAsync("p/linux-64/a b.conda", CancellationToken.None); // already gone: not an error
            Assert.Empty(await store.ListAsync("p/", 10, CancellationToken.None));
        }
    }

    [SkippableFact]
    public async Task Listing_goes_across_pages()
    {
        using var server = new AzuriteServer();
        var container = server.CreateContainer("channels");
        // More than one 5,000-name page.
        await Parallel.ForEachAsync(Enumerable.Range(0, 5003), new ParallelOptions { MaxDegreeOfParallelism = 16 },
            async (i, ct) => await container.GetBlobClient($"p/{i:D5}").UploadAsync(BinaryData.FromString("x"), ct));
        using var store = Store(server, "channels", Key(server));
        var listed = await store.ListAsync("p/", 10_000, CancellationToken.None);
        Assert.Equal(Enumerable.Range(0, 5003).Select(i => $"p/{i:D5}"), listed.Select(o => o.Key));
    }

    [SkippableFact]
    public async Task Credential_problems_missing_containers_and_dead_endpoints_are_one_code_each_without_the_secret()
    {
        using var server = new AzuriteServer();
        server.CreateContainer("channels");
        async Task<CondaMirrorException> Fails(Func<Task> call) => await Assert.ThrowsAsync<CondaMirrorException>(call);

        Assert.Equal("CMIR377", Assert.Throws<CondaMirrorException>(() => Store(server, "channels", new())).Code);
        var both = Assert.Throws<CondaMirrorException>(() => Store(server, "channels", new() { [AzureBlobObjectStore.KeyVariable] = server.Key, [AzureBlobObjectStore.SasTokenVariable] = server.ContainerSas("channels") }));
        Assert.Equal("CMIR378", both.Code);
        Assert.DoesNotContain(server.Key, both.Message);
        var notBase64 = Assert.Throws<CondaMirrorException>(() => Store(server, "channels", new() { [AzureBlobObjectStore.KeyVariable] = "not base64 !" }));
        Assert.Equal("CMIR378", notBase64.Code);
        Assert.DoesNotContain("not base64 !", notBase64.Message);
        var url = Assert.Throws<CondaMirrorException>(() => Store(server, "channels", new() { [AzureBlobObjectStore.SasTokenVariable] = $"{server.ServiceUri}/channels?{server.ContainerSas("channels")}" }));
        Assert.Equal("CMIR378", url.Code);

        // A wrong key: the server refuses the signature.
        var wrongKey = Convert.ToBase64String(new byte[64]);
        using (var wrong = Store(server, "channels", new() { [AzureBlobObjectStore.KeyVariable] = wrongKey }))
        {
            var denied = await Fails(() => wrong.ListAsync("", 10, CancellationToken.None));
            Assert.Equal("CMIR379", denied.Code);
            Assert.Contains("HTTP 403", denied.Message);
            Assert.DoesNotContain(wrongKey, denied.Message);
        }

        // A read-only SAS: listing works, an upload is refused.
        var readOnly = server.ContainerSas("channels", BlobContainerSasPermissions.Read | BlobContainerSasPermissions.List);
        using (var reader = Store(server, "channels", new() { [AzureBlobObjectStore.SasTokenVariable] = readOnly }))
        {
            Assert.Empty(await reader.ListAsync("", 10, CancellationToken.None));
            using var body = new MemoryStream(new byte[] { 1, 2, 3 });
            var denied = await Fails(() => reader.PutAsync("x", body, "application/octet-stream", new string('0', 64), CancellationToken.None));
            Assert.Equal("CMIR379", denied.Code);
            var signature = readOnly[(readOnly.IndexOf("sig=", StringComparison.Ordinal) + 4)..].Split('&')[0];
            Assert.DoesNotContain(signature, denied.Message);
            Assert.DoesNotContain(Uri.UnescapeDataString(signature), denied.Message);
        }

        // No such container.
        using (var missing = Store(server, "nothere", Key(server)))
            Assert.Equal("CMIR380", (await Fails(() => missing.ListAsync("", 10, CancellationToken.None))).Code);

        // Nobody listening: CMIR365, bounded by 5 s per attempt and one retry.
        var port = CondaMirror.Tests.Downloads.UnreachableHostTests.ClosedPort();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using (var dead = Store(server, "channels", Key(server), new Uri($"http://127.0.0.1:{port}/{server.Account}")))
            Assert.Equal("CMIR365", (await Fails(() => dead.ListAsync("", 10, CancellationToken.None))).Code);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"took {clock.Elapsed}");
    }
}
