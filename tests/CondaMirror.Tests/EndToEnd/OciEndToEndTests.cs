using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using CondaMirror.TestKit;
using CondaMirror.TestKit.Channels;
using Xunit;

namespace CondaMirror.Tests.EndToEnd;

/// <summary>
/// A channel through a real OCI registry (Debian's docker-registry on loopback, htpasswd basic auth), in real builds:
/// one project publishes the channel it builds with the README's CondaPublish item (credentials only in the
/// environment), another reads that registry with the README's oci:// CondaChannel item and mirrors it. Package bytes
/// and repodata records round-trip exactly; an unchanged publish uploads no blob and writes no tag (the registry's own
/// access log is the witness); the password is in no output.
/// </summary>
[Collection(EndToEndCollection.Name)]
public class OciEndToEndTests
{
    private readonly PackedPackage _package;

    public OciEndToEndTests(PackedPackage package) => _package = package;

    private static ChannelBuilder Upstream() => new ChannelBuilder()
        .Add(new PackageSpec("tool", "1.0+local", "h_0", "linux-64") { Depends = ["data >=1"] })
        .Add(new PackageSpec("data", "1.2", "h_0", "noarch") { Noarch = "generic", Format = Core.Records.ArchiveFormat.TarBz2 });

    private string Project(TempDirectory work, string name, string channelItem, string extra = "") =>
        _package.WriteProject(work.Combine(name), $"""
              <PropertyGroup>
                <CondaPlatforms>linux-64</CondaPlatforms>
                <CondaPackageCachePath>{work.Combine(name + "-pkgs")}</CondaPackageCachePath>
                <CondaRepodataCachePath>{work.Combine(name + "-repodata")}</CondaRepodataCachePath>
              </PropertyGroup>
              <ItemGroup>
                {channelItem}
                <CondaPackage Include="tool" />
                {extra}
              </ItemGroup>
            """);

    private static CommandResult Build(string project, IReadOnlyDictionary<string, string> env) =>
        DotnetCli.Run(Path.GetDirectoryName(project)!, env, "build", project, "-nodeReuse:false", "-v:n", "-tl:off");

    private static string ReadmeLine(string start) =>
        File.ReadAllLines(Path.Combine(TestData.RepoRoot, "README.md")).Single(l => l.TrimStart().StartsWith(start, StringComparison.Ordinal)).Trim();

    private static Dictionary<string, JsonNode> Records(string channel, string subdir)
    {
        var root = JsonNode.Parse(File.ReadAllBytes(Path.Combine(channel, subdir, "repodata.json")))!.AsObject();
        var records = new Dictionary<string, JsonNode>(StringComparer.Ordinal);
        foreach (var map in new[] { "packages", "packages.conda" })
            if (root[map] is JsonObject entries)
                foreach (var (file, record) in entries) records[file] = record!;
        return records;
    }

    [SkippableFact]
    public async Task A_channel_published_to_a_registry_is_mirrored_back_from_it_exactly_and_republishing_uploads_nothing()
    {
        using var registry = new OciRegistryServer(basicAuth: true);
        using var work = new TempDirectory("condamirror-e2e");
        Upstream().WriteTo(work.Combine("upstream"));
        await using var upstream = new LoopbackChannelServer(work.Combine("upstream"));
        var env = new Dictionary<string, string>(_package.BuildEnvironment)
        {
            ["CONDAMIRROR_OCI_PLAIN_HTTP_HOSTS"] = registry.Host,
            ["CONDAMIRROR_OCI_USERNAME"] = registry.User!,
            ["CONDAMIRROR_OCI_PASSWORD"] = registry.Password!,
            ["REGISTRY_USER"] = registry.User!,
            ["REGISTRY_PASSWORD"] = registry.Password!,
        };
        string FromReadme(string start) => ReadmeLine(start).Replace("registry.example.org", registry.Host, StringComparison.Ordinal);
        var publishItem = FromReadme("<CondaPublish Include=\"oci://");
        var channelItem = FromReadme("<CondaChannel Include=\"oci://");
        Assert.Contains("/my-org/conda/main", publishItem);

        // (a) The first project builds from the HTTP upstream and publishes to the registry.
        var publisher = Project(work, "publisher", $"""<CondaChannel Include="{upstream.BaseUri}" />""", publishItem);
        var first = Build(publisher, env);
        Assert.True(first.Succeeded, first.ToString() + "\n" + registry.Output);
        Assert.Contains($"Published conda-channel to oci://{registry.Host}/my-org/conda/main", first.Output);
        var published = work.Combine("publisher", "bin", "Debug", "net10.0", "conda-channel");

        // (b) Nothing changed: the registry is only asked (HEAD), nothing is uploaded or tagged.
        var before = registry.Requests.Count;
        var second = Build(publisher, env);
        Assert.True(second.Succeeded, second.ToString());
        var again = registry.Requests.Skip(before).ToList();
        Assert.NotEmpty(again);
        Assert.All(again, r => Assert.StartsWith("HEAD ", r));

        // (c) The second project reads the registry as its channel and mirrors it.
        var mirror = Project(work, "mirror", channelItem);
        var third = Build(mirror, env);
        Assert.True(third.Succeeded, third.ToString() + "\n" + registry.Output);
        var mirrored = work.Combine("mirror", "bin", "Debug", "net10.0", "conda-channel");
        foreach (var (subdir, file) in new[] { ("linux-64", "tool-1.0+local-h_0.conda"), ("noarch", "data-1.2-h_0.tar.bz2") })
        {
            Assert.Equal(SHA256.HashData(File.ReadAllBytes(Path.Combine(published, subdir, file))), SHA256.HashData(File.ReadAllBytes(Path.Combine(mirrored, subdir, file))));
            // The record, field by field, as the first channel has it.
            var expected = Records(published, subdir)[file];
            var actual = Records(mirrored, subdir)[file];
            foreach (var (field, value) in expected.AsObject())
                Assert.True(JsonNode.DeepEquals(value, actual[field]), $"{file}: {field} is {actual[field]?.ToJsonString()}, the published channel has {value?.ToJsonString()}");
            Assert.Equal(expected.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal), actual.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal));
        }
        // The blobs came from the registry, and the lock keeps the oci:// URLs (as pixi.lock does).
        Assert.Contains(registry.Requests, r => r.StartsWith("GET 200 /v2/my-org/conda/main/linux-64/tool/blobs/sha256:", StringComparison.Ordinal));
        var lockText = File.ReadAllText(work.Combine("mirror", "conda-mirror.lock"));
        Assert.Contains($"oci://{registry.Host}/my-org/conda/main/linux-64/tool-1.0+local-h_0.conda", lockText);

        // (d) A filtered whole-channel mirror (CondaChannelSubset) of the registry, its credentials on the item: every
        // record it keeps, exactly.
        var subset = _package.WriteProject(work.Combine("subset"), $"""
              <PropertyGroup>
                <CondaPackageCachePath>{work.Combine("subset-pkgs")}</CondaPackageCachePath>
                <CondaRepodataCachePath>{work.Combine("subset-repodata")}</CondaRepodataCachePath>
              </PropertyGroup>
              <ItemGroup>
                <CondaChannelSubset Include="oci://{registry.Host}/my-org/conda/main" Platforms="linux-64;noarch" UserEnvironmentVariable="REGISTRY_USER" PasswordEnvironmentVariable="REGISTRY_PASSWORD" />
              </ItemGroup>
            """);
        var fourth = Build(subset, env);
        Assert.True(fourth.Succeeded, fourth.ToString() + "\n" + registry.Output);
        var subsetChannel = work.Combine("subset", "bin", "Debug", "net10.0", "conda-channel");
        foreach (var subdir in new[] { "linux-64", "noarch" })
        {
            var expected = Records(published, subdir);
            var actual = Records(subsetChannel, subdir);
            Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
            foreach (var (file, record) in expected)
            {
                Assert.True(JsonNode.DeepEquals(record, actual[file]), $"{file}: {actual[file]!.ToJsonString()} vs {record!.ToJsonString()}");
                Assert.Equal(File.ReadAllBytes(Path.Combine(published, subdir, file)), File.ReadAllBytes(Path.Combine(subsetChannel, subdir, file)));
            }
        }

        // (e) The password is in no build output and no file the builds wrote.
        foreach (var output in new[] { first, second, third, fourth })
            Assert.DoesNotContain(registry.Password!, output.Output);
        foreach (var folder in new[] { "publisher", "mirror", "subset" })
            Assert.DoesNotContain(Directory.EnumerateFiles(work.Combine(folder), "*", SearchOption.AllDirectories),
                f => File.ReadAllText(f).Contains(registry.Password!, StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task Without_credentials_the_publish_is_refused_with_one_coded_error()
    {
        using var registry = new OciRegistryServer(basicAuth: true);
        using var work = new TempDirectory("condamirror-e2e");
        Upstream().WriteTo(work.Combine("upstream"));
        await using var upstream = new LoopbackChannelServer(work.Combine("upstream"));
        var env = new Dictionary<string, string>(_package.BuildEnvironment) { ["CONDAMIRROR_OCI_PLAIN_HTTP_HOSTS"] = registry.Host };
        var project = Project(work, "app", $"""<CondaChannel Include="{upstream.BaseUri}" />""", $"""<CondaPublish Include="oci://{registry.Host}/ns/chan" />""");
        var refused = Build(project, env);
        Assert.False(refused.Succeeded);
        // One error, at the project (MSBuild prints it again in its summary).
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(refused.Output, @"(?:\d+>)?(\S+ : error CMIR\d+: [^\n]*)").Select(m => m.Groups[1].Value.Trim()).Distinct());
        Assert.Contains($"{project} : error CMIR373", refused.Output);
        Assert.Contains("CONDAMIRROR_OCI_USERNAME", refused.Output);

        var bad = Build(Project(work, "app", $"""<CondaChannel Include="{upstream.BaseUri}" />""", $"""<CondaPublish Include="oci://{registry.Host}/ns/chan" Prune="true" />"""), env);
        Assert.False(bad.Succeeded);
        Assert.Contains("error CMIR371", bad.Output);
        Assert.DoesNotContain("Conda packages:", bad.Output);
    }
}
