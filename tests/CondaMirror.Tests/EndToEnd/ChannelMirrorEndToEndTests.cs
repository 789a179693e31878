using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using CondaMirror.TestKit;
using CondaMirror.TestKit.Channels;
using Xunit;

namespace CondaMirror.Tests.EndToEnd;

/// <summary>
/// CondaChannelMirror: fetches go to the mirrors (in order, past a dead one) and never to the canonical channel,
/// while the lock and the channel come out byte-identical to a build without the map.
/// </summary>
[Collection(EndToEndCollection.Name)]
public class ChannelMirrorEndToEndTests
{
    private readonly PackedPackage _package;

    public ChannelMirrorEndToEndTests(PackedPackage package) => _package = package;

    [SkippableFact]
    public async Task Every_request_goes_to_the_mirror_and_the_outputs_keep_canonical_urls()
    {
        using var work = new TempDirectory("condamirror-e2e");
        new ChannelBuilder()
            .Add(new PackageSpec("tool", "1.0", "h_0", "linux-64") { Depends = ["data"] })
            .Add(new PackageSpec("data", "1.0", "h_0", "noarch"))
            .WriteTo(work.Combine("upstream"));
        await using var canonical = new LoopbackChannelServer(work.Combine("upstream"));
        await using var mirror = new LoopbackChannelServer(work.Combine("upstream"));
        var dead = DeadLoopbackUrl();

        string Project(string name, string mirrors) => _package.WriteProject(work.Combine(name), $"""
              <PropertyGroup>
                <CondaPlatforms>linux-64</CondaPlatforms>
                <CondaRetryCount>1</CondaRetryCount>
                <CondaPackageCachePath>{work.Combine(name + "-pkgs")}</CondaPackageCachePath>
                <CondaRepodataCachePath>{work.Combine(name + "-repodata")}</CondaRepodataCachePath>
              </PropertyGroup>
              <ItemGroup>
                <CondaChannel Include="{canonical.BaseUri}" />
                <CondaPackage Include="tool" />
                {mirrors}
              </ItemGroup>
            """);

        var plain = _package.Build(Project("plain", ""));
        Assert.True(plain.Succeeded, plain.ToString());

        canonical.ClearRequests();
        var mapped = _package.Build(Project("mapped", $"""<CondaChannelMirror Include="{canonical.BaseUri}" Url="{dead};{mirror.BaseUri}" />"""), "-v:n");
        Assert.True(mapped.Succeeded, mapped.ToString());

        Assert.Empty(canonical.Requests);
        Assert.Contains(mirror.Requests, r => r.Path.StartsWith("/linux-64/repodata", StringComparison.Ordinal)); // shard index, .json.zst or .json
        Assert.Contains(mirror.Requests, r => r.Path == "/linux-64/tool-1.0-h_0.conda");
        Assert.Contains(mirror.Requests, r => r.Path == "/noarch/data-1.0-h_0.conda");
        Assert.Contains("CMIR680", mapped.Output); // the dead mirror was reported, then passed over

        var plainLock = File.ReadAllText(work.Combine("plain", "conda-mirror.lock"));
        var mappedLock = File.ReadAllText(work.Combine("mapped", "conda-mirror.lock"));
        Assert.Contains(canonical.BaseUri.AbsoluteUri, mappedLock);
        Assert.DoesNotContain(mirror.BaseUri.AbsoluteUri, mappedLock);
        Assert.Equal(plainLock, mappedLock);
        Assert.Equal(FileTreeSnapshot.ContentHashes(work.Combine("plain", "bin", "Debug", "net10.0", "conda-channel")),
            FileTreeSnapshot.ContentHashes(work.Combine("mapped", "bin", "Debug", "net10.0", "conda-channel")));
    }

    [SkippableFact]
    public void A_mirror_that_is_not_a_url_is_one_coded_error()
    {
        using var work = new TempDirectory("condamirror-e2e");
        var project = _package.WriteProject(work.Combine("app"), """
              <PropertyGroup><CondaPlatforms>linux-64</CondaPlatforms></PropertyGroup>
              <ItemGroup>
                <CondaPackage Include="tool" />
                <CondaChannelMirror Include="conda-forge" Url="not a url" />
              </ItemGroup>
            """);
        var result = _package.Build(project);
        Assert.False(result.Succeeded);
        Assert.Contains("CMIR809", result.Output);
        Assert.Contains("Consumer.csproj", result.Output);
    }

    private static string DeadLoopbackUrl()
    {
        // A port that was just free: nothing listens there, so connections are refused at once.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return $"http://127.0.0.1:{port}/";
    }
}
