using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CondaMirror.Core.Diagnostics;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Networking;
using CondaMirror.Core.Networking.Oci;
using CondaMirror.Core.Publishing;
using CondaMirror.Core.Records;
using CondaMirror.TestKit;
using CondaMirror.TestKit.Channels;
using Xunit;

namespace CondaMirror.Tests.Publishing;

/// <summary>
/// Publishing a channel to a real OCI registry (Debian's docker-registry on loopback) through Core's API, and reading
/// it back through oci:// URLs: the registry's own API, asked with plain HTTP, is the oracle for the layout (repository
/// per name, tag per version-build, media types as rattler reads them); a second publish uploads nothing.
/// </summary>
public class OciChannelPublisherTests
{
    private static ChannelBuilder Upstream() => new ChannelBuilder()
        .Add(new PackageSpec("tool", "1.0+local", "h_0", "linux-64") { Depends = ["data >=1"] })
        .Add(new PackageSpec("data", "1.2", "h_0", "noarch") { Noarch = "generic", Format = ArchiveFormat.TarBz2 })
        .Add(new PackageSpec("_private", "2!3.0", "0", "linux-64"));

    private static NetworkClient Network(OciRegistryServer registry, AuthenticationHeaderValue? credential = null) => new(new NetworkOptions
    {
        Retry = new HttpRetrySettings { RetryCount = 1, BaseDelay = TimeSpan.Zero },
        OciSettings = new OciSettings([registry.Host], credential),
    });

    private static List<string> Published(string channel) => Directory.EnumerateFiles(channel, "*", SearchOption.AllDirectories)
        .Select(Path.GetFileName).Where(n => n!.EndsWith(".conda", StringComparison.Ordinal) || n.EndsWith(".tar.bz2", StringComparison.Ordinal) || n is "repodata.json" or "repodata.json.zst")
        .Select(n => n!).ToList();

    private static string Sha256(byte[] bytes) => Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant();

    private static async Task<byte[]> GetOciAsync(NetworkClient network, string url, AuthenticationHeaderValue? authorization = null)
    {
        var get = new HttpGet(new AuthenticatedTarget(new Uri(url), authorization, url), url);
        return await network.GetAsync(get, async (response, attempt) =>
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return await response.Content.ReadAsByteArrayAsync(attempt.Token);
        }, CancellationToken.None);
    }

    [Theory]
    [InlineData("oci://ghcr.io/my-org/conda/main", "ghcr.io", "my-org/conda/main")]
    [InlineData("oci://127.0.0.1:5000/ns/chan/", "127.0.0.1:5000", "ns/chan")]
    [InlineData("OCI://Registry.Example.org/ns/chan", "registry.example.org", "ns/chan")]
    public void Oci_destinations_parse_to_registry_and_repository_path(string include, string registry, string path)
    {
        var target = PublishTarget.Parse(include, new Dictionary<string, string>());
        Assert.True(target.IsOci);
        Assert.Equal((registry, path), (target.Bucket, target.Prefix));
        Assert.Equal($"oci://{registry}/{path}", target.Url);
    }

    [Theory]
    [InlineData("oci://ghcr.io", null)]
    [InlineData("oci://ghcr.io/My-Org/chan", null)]
    [InlineData("oci://ghcr.io/ns//chan", null)]
    [InlineData("oci://user:pw@ghcr.io/ns/chan", null)]
    [InlineData("oci://ghcr.io:99999/ns/chan", null)]
    [InlineData("oci://ghcr.io/ns/chan?x=1", null)]
    [InlineData("oci://ghcr.io/ns/chan", "Prune")]
    [InlineData("oci://ghcr.io/ns/chan", "Endpoint")]
    [InlineData("oci://ghcr.io/ns/chan", "PyPI")]
    public void Bad_oci_destinations_are_CMIR371(string include, string? metadata)
    {
        var items = metadata is null ? new Dictionary<string, string>() : new Dictionary<string, string> { [metadata] = metadata == "PyPI" ? "s3://b/p" : "true" };
        var e = Assert.Throws<CondaMirrorException>(() => PublishTarget.Parse(include, items));
        Assert.Equal(ErrorCodes.OciPublishDestinationInvalid, e.Code);
        Assert.DoesNotContain("pw@", e.Message);
        // A credential in the item is CMIR361 whatever the scheme, and never echoed.
        var secret = Assert.Throws<CondaMirrorException>(() => PublishTarget.Parse("oci://ghcr.io/ns/chan", new Dictionary<string, string> { ["Password"] = "hunter2" }));
        Assert.Equal(ErrorCodes.PublishSecretInProject, secret.Code);
        Assert.DoesNotContain("hunter2", secret.Message);
    }

    [SkippableFact]
    public async Task Publish_stores_rattlers_layout_reads_back_byte_for_byte_and_a_second_publish_uploads_nothing()
    {
        using var registry = new OciRegistryServer();
        using var work = new TempDirectory("condamirror-oci");
        var channel = work.Combine("channel");
        Upstream().WriteTo(channel);
        var target = PublishTarget.Parse($"oci://{registry.Host}/mirrors/main", new Dictionary<string, string>());
        using var network = Network(registry);

        var first = await OciChannelPublisher.PublishAsync(channel, target, network, new OciSettings([registry.Host], null), new PublishOptions(), NullMirrorLog.Instance, CancellationToken.None);
        // Every archive and every repodata form; channeldata.json, index.html and the like have no place in the layout.
        Assert.Equal(Published(channel).Count, first.Uploaded);
        // Archives first, every repodata after the last archive.
        var manifests = registry.Requests.Where(r => r.StartsWith("PUT 201 ", StringComparison.Ordinal) && r.Contains("/manifests/", StringComparison.Ordinal)).ToList();
        Assert.Equal(5, manifests.Count);
        var lastArchive = manifests.FindLastIndex(r => !r.Contains("repodata.json", StringComparison.Ordinal));
        var firstRepodata = manifests.FindIndex(r => r.Contains("repodata.json", StringComparison.Ordinal));
        Assert.True(lastArchive < firstRepodata, string.Join("\n", manifests));

        // The layout, read with plain HTTP from the registry's API (names and tags written out by hand, from rattler's rules).
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        async Task<JsonElement> Manifest(string repository, string tag)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"http://{registry.Host}/v2/{repository}/manifests/{tag}");
            request.Headers.Accept.ParseAdd("application/vnd.oci.image.manifest.v1+json");
            using var response = await http.SendAsync(request);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{repository}:{tag} → {(int)response.StatusCode}");
            return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
        }
        var expected = new[]
        {
            ("mirrors/main/linux-64/tool", "1.0__p__local-h_0", "application/vnd.conda.package.v2", "linux-64/tool-1.0+local-h_0.conda"),
            ("mirrors/main/noarch/data", "1.2-h_0", "application/vnd.conda.package.v1", "noarch/data-1.2-h_0.tar.bz2"),
            ("mirrors/main/linux-64/zzz_private", "2__e__3.0-0", "application/vnd.conda.package.v2", "linux-64/_private-2!3.0-0.conda"),
            ("mirrors/main/linux-64/repodata.json", "latest", "application/vnd.conda.repodata.v1+json", "linux-64/repodata.json"),
            ("mirrors/main/noarch/repodata.json", "latest", "application/vnd.conda.repodata.v1+json", "noarch/repodata.json"),
        };
        foreach (var (repository, tag, mediaType, file) in expected)
        {
            var manifest = await Manifest(repository, tag);
            var layer = manifest.GetProperty("layers").EnumerateArray().Single(l => l.GetProperty("mediaType").GetString() == mediaType);
            var bytes = await File.ReadAllBytesAsync(Path.Combine(channel, file));
            Assert.Equal("sha256:" + Sha256(bytes), layer.GetProperty("digest").GetString());
            Assert.Equal(bytes.Length, layer.GetProperty("size").GetInt64());
            // Read back through oci:// as a channel reader does: the same bytes.
            Assert.Equal(bytes, await GetOciAsync(network, $"oci://{registry.Host}/mirrors/main/{Uri.EscapeDataString(file).Replace("%2F", "/", StringComparison.Ordinal)}"));
        }
        if (File.Exists(Path.Combine(channel, "linux-64", "repodata.json.zst")))
            Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(channel, "linux-64", "repodata.json.zst")),
                await GetOciAsync(network, $"oci://{registry.Host}/mirrors/main/linux-64/repodata.json.zst"));

        // A second publish: no blob uploaded, no tag written.
        var before = registry.Requests.Count;
        var second = await OciChannelPublisher.PublishAsync(channel, target, network, new OciSettings([registry.Host], null), new PublishOptions(), NullMirrorLog.Instance, CancellationToken.None);
        Assert.Equal(0, second.Uploaded);
        Assert.Empty(second.UploadOrder);
        var requests = registry.Requests.Skip(before).ToList();
        Assert.DoesNotContain(requests, r => !r.StartsWith("HEAD ", StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task With_basic_auth_publishing_needs_the_credentials_and_reading_uses_them()
    {
        using var registry = new OciRegistryServer(basicAuth: true);
        using var work = new TempDirectory("condamirror-oci");
        var channel = work.Combine("channel");
        new ChannelBuilder().Add("data", "1.0", "0", "noarch").WriteTo(channel);
        var target = PublishTarget.Parse($"oci://{registry.Host}/private/chan", new Dictionary<string, string>());
        using var network = Network(registry);

        var refused = await Assert.ThrowsAsync<CondaMirrorException>(() =>
            OciChannelPublisher.PublishAsync(channel, target, network, new OciSettings([registry.Host], null), new PublishOptions(), NullMirrorLog.Instance, CancellationToken.None));
        Assert.Equal(ErrorCodes.OciPublishAccessDenied, refused.Code);
        Assert.Contains("CONDAMIRROR_OCI_USERNAME", refused.Message);

        var settings = OciSettings.FromEnvironment(name => name switch
        {
            OciSettings.UserVariable => registry.User,
            OciSettings.PasswordVariable => registry.Password,
            _ => null,
        });
        var result = await OciChannelPublisher.PublishAsync(channel, target, network, new OciSettings([registry.Host], settings.PublishCredential), new PublishOptions(), NullMirrorLog.Instance, CancellationToken.None);
        Assert.Equal(Published(channel).Count, result.Uploaded);

        var basic = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{registry.User}:{registry.Password}")));
        Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(channel, "noarch", "data-1.0-0.conda")),
            await GetOciAsync(network, $"oci://{registry.Host}/private/chan/noarch/data-1.0-0.conda", basic));
        // Without credentials the registry's 401 reaches the reader as it is.
        var get = new HttpGet(new AuthenticatedTarget(new Uri($"oci://{registry.Host}/private/chan/noarch/repodata.json"), null, "x"), "x");
        Assert.Equal(HttpStatusCode.Unauthorized, await network.GetAsync(get, (response, _) => Task.FromResult(response.StatusCode), CancellationToken.None));
        Assert.Equal(ErrorCodes.OciPublishCredentialsIncomplete,
            Assert.Throws<CondaMirrorException>(() => OciSettings.FromEnvironment(name => name == OciSettings.UserVariable ? "someone" : null)).Code);
    }
}
