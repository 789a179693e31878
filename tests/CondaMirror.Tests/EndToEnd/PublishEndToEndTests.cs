using System.IO.Compression;
using System.Text;
using CondaMirror.TestKit;
using CondaMirror.TestKit.Channels;
using Xunit;

namespace CondaMirror.Tests.EndToEnd;

/// <summary>
/// CondaPublish through real builds against a real S3-compatible server on loopback (tests/npm/s3-server.cjs: s3rver
/// behind a front that checks Signature V4 against a random secret), credentials only in the build's environment:
/// the first publish uploads the channel, an unchanged build uploads nothing, a new package uploads its archive and
/// the changed index files with repodata.json last (order from the server's log), a removed package is deleted only
/// with Prune and after the new repodata, conda 25.11 installs from the bucket over HTTP, and the secret is nowhere.
/// </summary>
[Collection(EndToEndCollection.Name)]
public class PublishEndToEndTests
{
    private readonly PackedPackage _package;

    public PublishEndToEndTests(PackedPackage package) => _package = package;

    private static ChannelBuilder Upstream() => new ChannelBuilder()
        .Add(new PackageSpec("tool", "1.0", "h_0", "linux-64") { Depends = ["data >=1"] })
        .Add(new PackageSpec("data", "1.2", "h_0", "noarch") { Noarch = "generic" })
        .Add(new PackageSpec("extra", "2.0", "h_0", "linux-64"));

    private string Project(TempDirectory work, LoopbackChannelServer upstream, string publishItem, string packages, string properties = "") =>
        _package.WriteProject(work.Combine("app"), $"""
              <PropertyGroup>
                <CondaPlatforms>linux-64</CondaPlatforms>
                <CondaPackageCachePath>{work.Combine("pkgs")}</CondaPackageCachePath>
                <CondaRepodataCachePath>{work.Combine("repodata")}</CondaRepodataCachePath>
                {properties}
              </PropertyGroup>
              <ItemGroup>
                <CondaChannel Include="{upstream.BaseUri}" />
                {packages}
                {publishItem}
              </ItemGroup>
            """);

    private static IReadOnlyDictionary<string, string> Environment(PackedPackage package, S3Server server, string? secret = null)
    {
        var env = new Dictionary<string, string>(package.BuildEnvironment);
        foreach (var (k, v) in server.CredentialEnvironment) env[k] = v;
        if (secret is not null) env["AWS_SECRET_ACCESS_KEY"] = secret;
        return env;
    }

    private static CommandResult Build(PackedPackage package, string project, IReadOnlyDictionary<string, string> env, params string[] extra) =>
        DotnetCli.Run(Path.GetDirectoryName(project)!, env, new[] { "build", project, "-nodeReuse:false", "-v:n", "-tl:off" }.Concat(extra).ToArray());

    private static List<string> Tree(string channel) =>
        Directory.EnumerateFiles(channel, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(channel, f).Replace('\\', '/'))
            .Where(f => !f.Split('/').Any(s => s.StartsWith('.'))).OrderBy(f => f, StringComparer.Ordinal).ToList();

    [SkippableFact]
    public async Task Publish_uploads_the_channel_then_nothing_then_only_changes_in_order_prunes_on_request_and_conda_installs_from_the_bucket()
    {
        using var server = new S3Server();
        using var work = new TempDirectory("condamirror-e2e");
        Upstream().WriteTo(work.Combine("upstream"));
        await using var upstream = new LoopbackChannelServer(work.Combine("upstream"));
        var env = Environment(_package, server);
        // The README's snippet, word for word but for the bucket and the port.
        var readmeItem = File.ReadAllLines(Path.Combine(TestData.RepoRoot, "README.md")).Single(l => l.TrimStart().StartsWith("<CondaPublish Include=\"s3://", StringComparison.Ordinal)).Trim();
        Assert.Contains("s3://my-bucket/conda/main", readmeItem);
        string Item(bool prune = false) => prune
            ? $"""<CondaPublish Include="s3://{server.Bucket}/conda/main" Endpoint="{server.Endpoint.AbsoluteUri.TrimEnd('/')}" ForcePathStyle="true" Prune="true" />"""
            : readmeItem.Replace("s3://my-bucket/", $"s3://{server.Bucket}/", StringComparison.Ordinal).Replace("http://127.0.0.1:9000", server.Endpoint.AbsoluteUri.TrimEnd('/'), StringComparison.Ordinal);
        var channel = work.Combine("app", "bin", "Debug", "net10.0", "conda-channel");
        var binlog = work.Combine("first.binlog");

        // (a) First publish: every file of the channel, byte for byte.
        var first = Build(_package, Project(work, upstream, Item(), """<CondaPackage Include="tool" />"""), env, "-bl:" + binlog, "-v:diag");
        Assert.True(first.Succeeded, first.ToString());
        var tree = Tree(channel);
        Assert.Contains("linux-64/tool-1.0-h_0.conda", tree);
        var stored = server.StoredSince(0);
        Assert.Equal(tree.Select(k => "conda/main/" + k).Append("conda/main/.condamirror/publish-manifest.json").Order(StringComparer.Ordinal), stored.Order(StringComparer.Ordinal));
        foreach (var file in tree)
            Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(channel, file)), await server.GetAnonymousAsync("conda/main/" + file));
        Assert.Matches($@"Published conda-channel to s3://{server.Bucket}/conda/main: {tree.Count} uploaded \([0-9.]+ [KM]?B\), 0 unchanged, 0 pruned in [0-9.]+ s", first.Output);
        AssertSafeOrder(stored);

        // (b) Nothing changed: list and read only.
        var before = server.LogWhen(l => l.Count(x => x.StartsWith("GET 200 anonymous", StringComparison.Ordinal)) == tree.Count).Count;
        // (in MSBuild's .NET task host, as Visual Studio runs the tasks: the environment reaches it too)
        var second = Build(_package, Project(work, upstream, Item(), """<CondaPackage Include="tool" />"""), env, "-p:CondaMirrorTaskHost=NET");
        Assert.True(second.Succeeded, second.ToString());
        Assert.Contains($"0 uploaded (0 B), {tree.Count} unchanged, 0 pruned", second.Output);
        Assert.Empty(server.StoredSince(before));
        Assert.All(server.Log.Skip(before), l => Assert.Matches("^GET 200 signed ", l));

        // (c) One more package: its archive and the index files that changed, repodata.json last.
        var hashes = FileTreeSnapshot.ContentHashes(channel).ToHashSet();
        before = server.Log.Count;
        var third = Build(_package, Project(work, upstream, Item(), """<CondaPackage Include="tool" /><CondaPackage Include="extra" />"""), env);
        Assert.True(third.Succeeded, third.ToString());
        var changed = FileTreeSnapshot.ContentHashes(channel).Where(h => !hashes.Contains(h)).Select(h => h[..h.LastIndexOf(' ')].Replace('\\', '/')).ToList();
        Assert.Contains("linux-64/extra-2.0-h_0.conda", changed);
        Assert.DoesNotContain("linux-64/tool-1.0-h_0.conda", changed);
        var storedThird = server.StoredSince(before);
        Assert.Equal(changed.Select(k => "conda/main/" + k).Append("conda/main/.condamirror/publish-manifest.json").Order(StringComparer.Ordinal), storedThird.Order(StringComparer.Ordinal));
        AssertSafeOrder(storedThird);
        Assert.True(storedThird.IndexOf("conda/main/linux-64/extra-2.0-h_0.conda") < storedThird.IndexOf("conda/main/linux-64/repodata.json.zst"));
        Assert.True(storedThird.IndexOf("conda/main/linux-64/repodata.json.zst") < storedThird.IndexOf("conda/main/linux-64/repodata.json"));

        // (d) The package removed: kept remotely without Prune; deleted with it, after the new repodata.json.
        before = server.Log.Count;
        var fourth = Build(_package, Project(work, upstream, Item(), """<CondaPackage Include="tool" />"""), env);
        Assert.True(fourth.Succeeded, fourth.ToString());
        Assert.Empty(server.DeletedSince(before));
        Assert.Contains("conda/main/linux-64/extra-2.0-h_0.conda", server.StoredKeys());
        Assert.Contains("no longer in the channel and were kept", fourth.Output);
        before = server.Log.Count;
        var fifth = Build(_package, Project(work, upstream, Item(prune: true), """<CondaPackage Include="tool" />"""), env);
        Assert.True(fifth.Succeeded, fifth.ToString());
        var deleted = server.DeletedSince(before);
        Assert.Contains("conda/main/linux-64/extra-2.0-h_0.conda", deleted);
        Assert.DoesNotContain("conda/main/linux-64/extra-2.0-h_0.conda", server.StoredKeys());
        Assert.Equal(Tree(channel).Select(k => "conda/main/" + k).Append("conda/main/.condamirror/publish-manifest.json").Order(StringComparer.Ordinal), server.StoredKeys());
        var log = server.Log.ToList();
        Assert.True(log.FindLastIndex(l => l == "stored conda/main/linux-64/repodata.json") < log.FindIndex(l => l == "deleted conda/main/linux-64/extra-2.0-h_0.conda"));

        // (e) conda installs from the bucket over plain HTTP.
        CondaClient.Require();
        var (exit, condaLog) = CondaClient.Run(work.Combine("conda-pkgs"), "create", "--override-channels", "-c", server.HttpUrl("conda/main"),
            "-p", work.Combine("env"), "-y", "tool");
        Assert.True(exit == 0, condaLog);
        Assert.Single(Directory.GetFiles(work.Combine("env", "conda-meta"), "tool-1.0-h_0.json"));
        Assert.Single(Directory.GetFiles(work.Combine("env", "conda-meta"), "data-1.2-h_0.json"));
        Assert.Contains(server.Log, l => l == "GET 200 anonymous conda/main/linux-64/tool-1.0-h_0.conda");

        // (f) The secret: in no build output, no file of the project (bin, obj, channel), not in the binlog's bytes.
        var secret = server.SecretAccessKey;
        foreach (var output in new[] { first, second, third, fourth, fifth })
            Assert.DoesNotContain(secret, output.Output);
        var holding = Directory.EnumerateFiles(work.Combine("app"), "*", SearchOption.AllDirectories).Where(f => Holds(File.ReadAllBytes(f), secret)).ToList();
        Assert.True(holding.Count == 0, "secret written to: " + string.Join(", ", holding));
        Assert.False(Holds(Gunzip(binlog), secret), "the secret is in the binlog");
        Assert.False(Holds(File.ReadAllBytes(binlog), secret));

        // And the server really checks signatures: the same build with a wrong secret is refused, coded, without either secret.
        var wrong = "wrong-" + Guid.NewGuid().ToString("N");
        var refused = Build(_package, Project(work, upstream, Item(), """<CondaPackage Include="tool" />"""), Environment(_package, server, wrong));
        Assert.False(refused.Succeeded);
        Assert.Contains("error CMIR363", refused.Output);
        Assert.Contains("SignatureDoesNotMatch", refused.Output);
        Assert.DoesNotContain(wrong, refused.Output);
        Assert.DoesNotContain(secret, refused.Output);
    }

    [SkippableFact]
    public async Task Bad_destinations_credentials_in_the_project_and_an_unreachable_endpoint_are_coded_errors()
    {
        using var server = new S3Server();
        using var work = new TempDirectory("condamirror-e2e");
        Upstream().WriteTo(work.Combine("upstream"));
        await using var upstream = new LoopbackChannelServer(work.Combine("upstream"));
        var env = Environment(_package, server);
        const string packages = """<CondaPackage Include="tool" />""";

        // A malformed destination: at the item's line in the project.
        var project = Project(work, upstream, """<CondaPublish Include="s3:/channels/conda" />""", packages);
        var bad = Build(_package, project, env);
        Assert.False(bad.Succeeded);
        var line = File.ReadAllLines(project).ToList().FindIndex(l => l.Contains("<CondaPublish", StringComparison.Ordinal)) + 1;
        Assert.True(bad.Output.Contains($"{project}({line}): error CMIR360", StringComparison.Ordinal), bad.Output);
        Assert.Contains("error CMIR360", bad.Output);
        // Checked up front, with the project: nothing was resolved or downloaded for a build that cannot publish.
        Assert.DoesNotContain("Conda packages:", bad.Output);

        // Azure Blob without a credential in the environment: found with the project, before anything is resolved.
        var noCredential = Build(_package, Project(work, upstream, """<CondaPublish Include="azblob://account1/channels/conda" />""", packages),
            new Dictionary<string, string>(env) { ["AZURE_STORAGE_KEY"] = "", ["AZURE_STORAGE_SAS_TOKEN"] = "" });
        Assert.False(noCredential.Succeeded);
        Assert.Contains("error CMIR377", noCredential.Output);
        Assert.Contains("AZURE_STORAGE_SAS_TOKEN", noCredential.Output);
        Assert.DoesNotContain("Conda packages:", noCredential.Output);
        Assert.False(Directory.Exists(work.Combine("pkgs")) && Directory.EnumerateFiles(work.Combine("pkgs"), "*.conda", SearchOption.AllDirectories).Any(), "nothing downloaded");

        // A key in the project file: refused, not echoed.
        const string pasted = "pasted-secret-0c9d8e7f6a5b";
        var leaked = Build(_package, Project(work, upstream, $"""<CondaPublish Include="s3://{server.Bucket}/x" Endpoint="{server.Endpoint}" SecretAccessKey="{pasted}" />""", packages), env);
        Assert.False(leaked.Succeeded);
        Assert.Contains("error CMIR361", leaked.Output);
        Assert.DoesNotContain(pasted, leaked.Output);
        Assert.Empty(server.StoredKeys());

        // Nobody listening: CMIR365 within the bounded time (5 s per attempt, one retry).
        var port = CondaMirror.Tests.Downloads.UnreachableHostTests.ClosedPort();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var unreachable = Build(_package, Project(work, upstream, $"""<CondaPublish Include="s3://{server.Bucket}/x" Endpoint="http://127.0.0.1:{port}" ForcePathStyle="true" />""", packages,
            "<CondaHttpTimeoutSeconds>5</CondaHttpTimeoutSeconds><CondaRetryCount>1</CondaRetryCount>"), env);
        Assert.False(unreachable.Succeeded);
        Assert.Contains("error CMIR365", unreachable.Output);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(120), $"took {clock.Elapsed}");

        // Plan mode says what would be published and writes nothing.
        var plan = Build(_package, Project(work, upstream, $"""<CondaPublish Include="s3://{server.Bucket}/x" Endpoint="{server.Endpoint}" ForcePathStyle="true" />""", packages), env, "-p:CondaMirrorPlan=true");
        Assert.True(plan.Succeeded, plan.ToString());
        Assert.Contains($"s3://{server.Bucket}/x", plan.Output);
        Assert.Contains("Would publish", plan.Output);
        Assert.Empty(server.StoredKeys());
    }

    private static bool Holds(byte[] bytes, string secret) =>
        Encoding.UTF8.GetString(bytes).Contains(secret, StringComparison.Ordinal)
        || Encoding.Unicode.GetString(bytes).Contains(secret, StringComparison.Ordinal)
        || Encoding.UTF8.GetString(bytes).Contains(Convert.ToBase64String(Encoding.UTF8.GetBytes(secret)), StringComparison.Ordinal);

    private static byte[] Gunzip(string path)
    {
        using var input = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var output = new MemoryStream();
        input.CopyTo(output);
        return output.ToArray();
    }

    private static void AssertSafeOrder(IReadOnlyList<string> stored)
    {
        var list = stored.ToList();
        var lastArchive = list.FindLastIndex(k => k.EndsWith(".conda", StringComparison.Ordinal) || k.EndsWith(".tar.bz2", StringComparison.Ordinal));
        var firstIndex = list.FindIndex(k => Path.GetFileName(k).StartsWith("repodata", StringComparison.Ordinal));
        Assert.True(lastArchive < firstIndex, string.Join(", ", stored));
        foreach (var json in list.Where(k => k.EndsWith("/repodata.json", StringComparison.Ordinal)))
        {
            var dir = json[..^"repodata.json".Length];
            Assert.All(list.Where(k => k.StartsWith(dir, StringComparison.Ordinal) && k != json), k => Assert.True(list.IndexOf(k) < list.IndexOf(json), $"{k} after {json}"));
        }
        Assert.EndsWith(".condamirror/publish-manifest.json", list[^1]);
    }
}
