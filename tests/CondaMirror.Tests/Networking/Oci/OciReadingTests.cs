using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Networking;
using CondaMirror.Core.Networking.Oci;
using CondaMirror.TestKit;
using Xunit;

namespace CondaMirror.Tests.Networking.Oci;

/// <summary>
/// oci:// addresses (rattler's rules: repository per name, version-build tags with '+', '!', '=' spelled out, "zzz" for
/// names starting with '_', repodata at latest) and the token dance against a loopback registry that demands docker's
/// bearer tokens: anonymous, with basic credentials at the token service, and the refusals that must be coded errors.
/// </summary>
public class OciReadingTests
{
    [Theory]
    // rattler's own example (crates/rattler_networking/src/oci_middleware.rs tests): ghcr.io's conda-forge mirror.
    [InlineData("oci://ghcr.io/channel-mirrors/conda-forge/osx-arm64/xtensor-0.25.0-h2ffa867_0.conda", "ghcr.io", "channel-mirrors/conda-forge/osx-arm64/xtensor", "0.25.0-h2ffa867_0", "application/vnd.conda.package.v2")]
    [InlineData("oci://ghcr.io/channel-mirrors/conda-forge/osx-arm64/repodata.json", "ghcr.io", "channel-mirrors/conda-forge/osx-arm64/repodata.json", "latest", "application/vnd.conda.repodata.v1+json")]
    [InlineData("oci://ghcr.io/channel-mirrors/conda-forge/linux-64/repodata.json.zst", "ghcr.io", "channel-mirrors/conda-forge/linux-64/repodata.json", "latest", "application/vnd.conda.repodata.v1+json+zst")]
    [InlineData("oci://127.0.0.1:5000/ns/chan/noarch/_libgcc_mutex-0.1-conda_forge.tar.bz2", "127.0.0.1:5000", "ns/chan/noarch/zzz_libgcc_mutex", "0.1-conda_forge", "application/vnd.conda.package.v1")]
    [InlineData("oci://r.example/ns/chan/linux-64/tool-1.0+local-h_0.conda", "r.example", "ns/chan/linux-64/tool", "1.0__p__local-h_0", "application/vnd.conda.package.v2")]
    [InlineData("oci://r.example/ns/chan/linux-64/x-2!3.0-py_0.conda", "r.example", "ns/chan/linux-64/x", "2__e__3.0-py_0", "application/vnd.conda.package.v2")]
    [InlineData("oci://r.example/ns/chan/linux-64/my-pkg-1.0-0.conda", "r.example", "ns/chan/linux-64/my-pkg", "1.0-0", "application/vnd.conda.package.v2")]
    public void Files_are_addressed_as_rattler_addresses_them(string url, string registry, string repository, string tag, string mediaType)
    {
        var reference = OciReference.Parse(new Uri(url))!;
        Assert.Equal((registry, repository, tag, mediaType), (reference.Registry, reference.Repository, reference.Tag, reference.MediaType));
    }

    [Fact]
    public void Tags_round_trip_and_names_without_a_place_are_not_found()
    {
        Assert.Equal("1.0__p__cuda__eq__12-py__e__x", OciReference.VersionBuildTag("1.0+cuda=12-py!x"));
        Assert.Equal("1.0+cuda=12-py!x", OciReference.VersionBuildOfTag("1.0__p__cuda__eq__12-py__e__x"));
        Assert.Null(OciReference.Parse(new Uri("oci://r.example/ns/chan/linux-64/channeldata.json")));
        Assert.Null(OciReference.Parse(new Uri("oci://r.example/ns/chan/linux-64/repodata_shards.msgpack.zst")));
        Assert.Null(OciReference.Parse(new Uri("oci://r.example/ns/chan/linux-64/nodashes.conda")));
        Assert.Null(OciReference.Parse(new Uri("oci://r.example/ns/Upper/linux-64/x-1-0.conda")));
        Assert.Equal(ErrorCodes.OciUrlInvalid, Assert.Throws<CondaMirrorException>(() => OciReference.Parse(new Uri("oci://r.example/file.conda"))).Code);
        Assert.Equal(ErrorCodes.OciUrlInvalid, Assert.Throws<CondaMirrorException>(() => OciReference.Parse(new Uri("oci://r.example/ns/chan/x-1-0.conda?x=1"))).Code);
    }

    private static (byte[] Blob, string Digest) Serve(OciBearerRegistry registry, string repository, string tag, string mediaType)
    {
        var blob = Encoding.UTF8.GetBytes("package bytes of " + repository);
        var digest = "sha256:" + Convert.ToHexString(SHA256.HashData(blob)).ToLowerInvariant();
        var manifest = OciManifest.Write([new OciLayer(mediaType, digest, blob.Length, "x")]);
        registry.Put($"{repository}/manifests/{tag}", OciReference.ManifestMediaType, manifest);
        registry.Put($"{repository}/blobs/{digest}", "application/octet-stream", blob);
        return (blob, digest);
    }

    private static NetworkClient Client(OciBearerRegistry registry) => new(new NetworkOptions
    {
        Retry = new HttpRetrySettings { RetryCount = 0, BaseDelay = TimeSpan.Zero },
        OciSettings = new OciSettings([registry.Host], null),
    });

    private static Task<(HttpStatusCode Status, byte[] Body)> GetAsync(NetworkClient client, string url, AuthenticationHeaderValue? credential = null) =>
        client.GetAsync(new HttpGet(new AuthenticatedTarget(new Uri(url), credential, url), url),
            async (response, attempt) => (response.StatusCode, await response.Content.ReadAsByteArrayAsync(attempt.Token)), CancellationToken.None);

    [Fact]
    public async Task An_anonymous_bearer_challenge_is_answered_with_a_token_for_the_repositorys_pull_scope()
    {
        using var registry = new OciBearerRegistry();
        using var client = Client(registry);
        var (blob, digest) = Serve(registry, "ns/chan/noarch/data", "1.0-0", OciReference.CondaV2MediaType);

        var (status, body) = await GetAsync(client, $"oci://{registry.Host}/ns/chan/noarch/data-1.0-0.conda");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(blob, body);
        var log = registry.Log;
        Assert.Equal("GET /v2/ns/chan/noarch/data/manifests/1.0-0 -", log[0]);
        Assert.Equal("GET /token?service=fake-registry&scope=repository%3Ans%2Fchan%2Fnoarch%2Fdata%3Apull -", log[1]);
        Assert.Equal("GET /v2/ns/chan/noarch/data/manifests/1.0-0 Bearer", log[2]);
        Assert.Equal($"GET /v2/ns/chan/noarch/data/blobs/{digest} Bearer", log[3]);

        // The token is kept: a second file of the same repository needs no new one.
        Serve(registry, "ns/chan/noarch/data", "1.1-0", OciReference.CondaV2MediaType);
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(client, $"oci://{registry.Host}/ns/chan/noarch/data-1.1-0.conda")).Status);
        Assert.Single(registry.Log, l => l.StartsWith("GET /token", StringComparison.Ordinal));
        Assert.Equal(1, client.OciRegistry.TokenFetches);

        // A tag the registry has not got, or a media type its manifest lacks: 404, as for any server.
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(client, $"oci://{registry.Host}/ns/chan/noarch/data-9-0.conda")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(client, $"oci://{registry.Host}/ns/chan/noarch/data-1.0-0.tar.bz2")).Status);
    }

    [Fact]
    public async Task Basic_credentials_go_to_the_token_service_and_without_them_the_token_is_refused_with_CMIR691()
    {
        var password = Convert.ToHexString(RandomNumberGenerator.GetBytes(8));
        using var registry = new OciBearerRegistry("reader", password);
        using var client = Client(registry);
        var (blob, _) = Serve(registry, "private/chan/linux-64/tool", "2.0-h_1", OciReference.CondaV2MediaType);
        var url = $"oci://{registry.Host}/private/chan/linux-64/tool-2.0-h_1.conda";

        var refused = await Assert.ThrowsAsync<CondaMirrorException>(() => GetAsync(client, url));
        Assert.Equal(ErrorCodes.OciTokenFailed, refused.Code);
        Assert.Contains("401", refused.Message);

        var basic = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("reader:" + password)));
        var (status, body) = await GetAsync(client, url, basic);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(blob, body);
        Assert.Contains(registry.Log, l => l.StartsWith("GET /token?", StringComparison.Ordinal) && l.EndsWith(" Basic", StringComparison.Ordinal));
        // The basic credentials went to the token service only, never to the registry's API.
        Assert.DoesNotContain(registry.Log, l => l.StartsWith("GET /v2/", StringComparison.Ordinal) && l.EndsWith(" Basic", StringComparison.Ordinal));
        Assert.DoesNotContain(password, refused.Message);
    }

    [Fact]
    public async Task A_plain_http_realm_elsewhere_a_token_answer_without_a_token_and_a_broken_manifest_are_coded_errors()
    {
        using var registry = new OciBearerRegistry();
        using var client = Client(registry);
        Serve(registry, "ns/chan/noarch/data", "1.0-0", OciReference.CondaV2MediaType);
        var url = $"oci://{registry.Host}/ns/chan/noarch/data-1.0-0.conda";

        // Credentials are never sent in clear to a host nobody listed.
        registry.Realm = "http://127.0.0.2:9/token";
        var clear = await Assert.ThrowsAsync<CondaMirrorException>(() => GetAsync(client, url));
        Assert.Equal(ErrorCodes.OciTokenFailed, clear.Code);
        Assert.Contains(OciSettings.PlainHttpVariable, clear.Message);
        Assert.DoesNotContain(registry.Log, l => l.StartsWith("GET /token", StringComparison.Ordinal));

        registry.Realm = $"http://{registry.Host}/token";
        registry.TokenBodyOverride = """{"nothing":"here"}""";
        Assert.Equal(ErrorCodes.OciTokenFailed, (await Assert.ThrowsAsync<CondaMirrorException>(() => GetAsync(client, url))).Code);

        registry.TokenBodyOverride = null;
        registry.Put("ns/chan/noarch/data/manifests/2.0-0", OciReference.ManifestMediaType, "{\"layers\":[{\"mediaType\":\"application/vnd.conda.package.v2\",\"digest\":\"sha256:../../etc\"}]}"u8.ToArray());
        var broken = await Assert.ThrowsAsync<CondaMirrorException>(() => GetAsync(client, $"oci://{registry.Host}/ns/chan/noarch/data-2.0-0.conda"));
        Assert.Equal(ErrorCodes.OciManifestInvalid, broken.Code);
        registry.Put("ns/chan/noarch/data/manifests/3.0-0", OciReference.ManifestMediaType, "not json"u8.ToArray());
        Assert.Equal(ErrorCodes.OciManifestInvalid, (await Assert.ThrowsAsync<CondaMirrorException>(() => GetAsync(client, $"oci://{registry.Host}/ns/chan/noarch/data-3.0-0.conda"))).Code);
    }
}
