using System.Diagnostics;
using System.Text.Json;
using CondaMirror.TestKit;
using CondaMirror.TestKit.Channels;
using Xunit;
using Xunit.Abstractions;

namespace CondaMirror.Tests.EndToEnd;

/// <summary>
/// CondaPublish to Azure Blob Storage through real builds against Azurite (Microsoft's emulator, tests/npm) with an
/// account and key made per test, the key only in the build's environment. What reached the server is read from a
/// forwarding proxy in front of it (every request it passed on, in order), never from the publisher's own report:
/// the first publish uploads the channel and conda 25.11 installs from the container over plain HTTP; an unchanged
/// build uploads nothing; a new package uploads exactly its archive and the index files that changed, repodata.json
/// last; a SAS works as well as the key; and a build killed (SIGKILL) while uploads are held at several points leaves
/// every repodata.json in the container naming only packages that are there.
/// </summary>
[Collection(EndToEndSecondLaneCollection.Name)]
public class AzurePublishEndToEndTests
{
    private const string ContainerName = "channels";
    private readonly PackedPackage _package;
    private readonly ITestOutputHelper _output;

    public AzurePublishEndToEndTests(PackedPackage package, ITestOutputHelper output)
    {
        _package = package;
        _output = output;
    }

    private static ChannelBuilder Upstream() => new ChannelBuilder()
        .Add(new PackageSpec("tool", "1.0", "h_0", "linux-64") { Depends = ["data >=1"] })
        .Add(new PackageSpec("data", "1.2", "h_0", "noarch") { Noarch = "generic" })
        .Add(new PackageSpec("extra", "2.0", "h_0", "linux-64"))
        .Add(new PackageSpec("more", "3.0", "h_0", "linux-64"))
        .Add(new PackageSpec("notes", "0.5", "h_0", "noarch") { Noarch = "generic" });

    private string Project(TempDirectory work, LoopbackChannelServer upstream, string publishItem, string packages) =>
        _package.WriteProject(work.Combine("app"), $"""
              <PropertyGroup>
                <CondaPlatforms>linux-64</CondaPlatforms>
                <CondaPackageCachePath>{work.Combine("pkgs")}</CondaPackageCachePath>
                <CondaRepodataCachePath>{work.Combine("repodata")}</CondaRepodataCachePath>
              </PropertyGroup>
              <ItemGroup>
                <CondaChannel Include="{upstream.BaseUri}" />
                {packages}
                {publishItem}
              </ItemGroup>
            """);

    /// <summary>The README's Azure snippet, word for word but for the account and the port (the proxy's).</summary>
    private static string ReadmeItem(AzuriteServer server, GatingHttpProxy proxy, bool prune = false)
    {
        var line = File.ReadAllLines(Path.Combine(TestData.RepoRoot, "README.md"))
            .Single(l => l.TrimStart().StartsWith("<CondaPublish Include=\"azblob://", StringComparison.Ordinal)).Trim();
        Assert.Contains("azblob://devstoreaccount1/channels/conda/main", line);
        Assert.Contains("Endpoint=\"http://127.0.0.1:10000/devstoreaccount1\"", line);
        var item = line.Replace("devstoreaccount1", server.Account, StringComparison.Ordinal)
            .Replace("127.0.0.1:10000", $"127.0.0.1:{proxy.Port}", StringComparison.Ordinal);
        return prune ? item.Replace(" />", " Prune=\"true\" />", StringComparison.Ordinal) : item;
    }

    private Dictionary<string, string> Environment(AzuriteServer server, string? sas = null)
    {
        var env = new Dictionary<string, string>(_package.BuildEnvironment);
        if (sas is null) env["AZURE_STORAGE_KEY"] = server.Key;
        else env["AZURE_STORAGE_SAS_TOKEN"] = sas;
        return env;
    }

    private static CommandResult Build(string project, IReadOnlyDictionary<string, string> env, params string[] extra) =>
        DotnetCli.Run(Path.GetDirectoryName(project)!, env, new[] { "build", project, "-nodeReuse:false", "-v:n", "-tl:off" }.Concat(extra).ToArray());

    private static List<string> Tree(string channel) =>
        Directory.EnumerateFiles(channel, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(channel, f).Replace('\\', '/'))
            .Where(f => !f.Split('/').Any(s => s.StartsWith('.'))).OrderBy(f => f, StringComparer.Ordinal).ToList();

    /// <summary>The blob names of the PUTs the proxy forwarded from request <paramref name="from"/> on, in order ("/account/container/" removed).</summary>
    private static List<string> PutsSince(GatingHttpProxy proxy, AzuriteServer server, int from)
    {
        var root = $"/{server.Account}/{ContainerName}/";
        return proxy.Forwarded.Skip(from).Where(r => r.StartsWith("PUT ", StringComparison.Ordinal)).Select(r => r["PUT ".Length..])
            .Select(p => Uri.UnescapeDataString(p.Split('?')[0])).Select(p => p.StartsWith(root, StringComparison.Ordinal) ? p[root.Length..] : "?" + p).ToList();
    }

    [SkippableFact]
    public async Task Publish_to_Azurite_conda_installs_from_the_container_an_unchanged_build_uploads_nothing_and_a_new_package_uploads_only_its_files()
    {
        using var server = new AzuriteServer();
        server.CreateContainer(ContainerName);
        await using var proxy = new GatingHttpProxy(server.Port);
        using var work = new TempDirectory("condamirror-e2e");
        Upstream().WriteTo(work.Combine("upstream"));
        await using var upstream = new LoopbackChannelServer(work.Combine("upstream"));
        var env = Environment(server);
        var channel = work.Combine("app", "bin", "Debug", "net10.0", "conda-channel");
        const string prefix = "conda/main/";

        // (a) First publish: every file of the channel, byte for byte, as the server received it.
        var first = Build(Project(work, upstream, ReadmeItem(server, proxy), """<CondaPackage Include="tool" />"""), env);
        Assert.True(first.Succeeded, first.ToString());
        var tree = Tree(channel);
        Assert.Contains("linux-64/tool-1.0-h_0.conda", tree);
        var expected = tree.Select(k => prefix + k).Append(prefix + ".condamirror/publish-manifest.json").Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expected, PutsSince(proxy, server, 0).Order(StringComparer.Ordinal));
        Assert.Equal(expected, server.Blobs(ContainerName, prefix).Keys);
        foreach (var file in tree)
            Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(channel, file)), await server.GetAnonymousAsync(ContainerName, prefix + file));
        Assert.Contains($"Published conda-channel to azblob://{server.Account}/{ContainerName}/conda/main: {tree.Count} uploaded", first.Output);

        // (b) conda installs from the container over plain HTTP (straight from Azurite, anonymous).
        CondaClient.Require();
        var (exit, condaLog) = CondaClient.Run(work.Combine("conda-pkgs"), "create", "--override-channels", "-c", server.HttpUrl(ContainerName, "conda/main"),
            "-p", work.Combine("env"), "-y", "tool");
        Assert.True(exit == 0, condaLog);
        Assert.Equal("1.0", CondaClient.InstalledVersions(work.Combine("env"))["tool"]);
        Assert.Equal("1.2", CondaClient.InstalledVersions(work.Combine("env"))["data"]);

        // (c) Nothing changed: no PUT, no blob written again (in MSBuild's .NET task host, as Visual Studio runs the tasks:
        // the Azure SDK's assemblies load there too, and the environment reaches it).
        var etags = server.Blobs(ContainerName, prefix);
        var before = proxy.Forwarded.Count;
        var second = Build(Project(work, upstream, ReadmeItem(server, proxy), """<CondaPackage Include="tool" />"""), env, "-p:CondaMirrorTaskHost=NET");
        Assert.True(second.Succeeded, second.ToString());
        Assert.Empty(PutsSince(proxy, server, before));
        Assert.Equal(etags, server.Blobs(ContainerName, prefix));
        Assert.Contains($"0 uploaded (0 B), {tree.Count} unchanged, 0 pruned", second.Output);

        // (d) One more package: exactly its archive and the index files whose bytes changed, plus the manifest;
        // in each subdir repodata.json after every other file of it.
        var hashes = FileTreeSnapshot.ContentHashes(channel).ToHashSet();
        before = proxy.Forwarded.Count;
        var third = Build(Project(work, upstream, ReadmeItem(server, proxy), """<CondaPackage Include="tool" /><CondaPackage Include="extra" />"""), env);
        Assert.True(third.Succeeded, third.ToString());
        var changed = FileTreeSnapshot.ContentHashes(channel).Where(h => !hashes.Contains(h)).Select(h => h[..h.LastIndexOf(' ')].Replace('\\', '/')).ToList();
        Assert.Contains("linux-64/extra-2.0-h_0.conda", changed);
        Assert.DoesNotContain("linux-64/tool-1.0-h_0.conda", changed);
        var puts = PutsSince(proxy, server, before);
        _output.WriteLine($"first publish: {tree.Count + 1} PUTs; one package added: {puts.Count} PUTs ({string.Join(", ", puts)})");
        Assert.Equal(changed.Select(k => prefix + k).Append(prefix + ".condamirror/publish-manifest.json").Order(StringComparer.Ordinal), puts.Order(StringComparer.Ordinal));
        Assert.True(puts.IndexOf(prefix + "linux-64/extra-2.0-h_0.conda") < puts.IndexOf(prefix + "linux-64/repodata.json"), string.Join(", ", puts));
        Assert.All(puts.Where(p => p.StartsWith(prefix + "linux-64/", StringComparison.Ordinal)),
            p => Assert.True(puts.IndexOf(p) <= puts.IndexOf(prefix + "linux-64/repodata.json"), $"{p} after repodata.json: {string.Join(", ", puts)}"));
        var unchangedBlobs = etags.Keys.Where(k => !puts.Contains(k)).ToList();
        var now = server.Blobs(ContainerName, prefix);
        Assert.All(unchangedBlobs, k => Assert.Equal(etags[k], now[k]));

        // (e) A container SAS instead of the key; Prune deletes the removed package after the new repodata is in place.
        before = proxy.Forwarded.Count;
        var sas = server.ContainerSas(ContainerName);
        var fourth = Build(Project(work, upstream, ReadmeItem(server, proxy, prune: true), """<CondaPackage Include="tool" />"""), Environment(server, sas));
        Assert.True(fourth.Succeeded, fourth.ToString());
        var requests = proxy.Forwarded.Skip(before).Select(r => Uri.UnescapeDataString(r.Split('?')[0])).ToList();
        var blobPath = $"/{server.Account}/{ContainerName}/conda/main/linux-64/";
        var delete = requests.IndexOf("DELETE " + blobPath + "extra-2.0-h_0.conda");
        Assert.True(delete >= 0, string.Join("\n", requests));
        Assert.True(requests.LastIndexOf("PUT " + blobPath + "repodata.json") is >= 0 and var put && put < delete, string.Join("\n", requests));
        Assert.Equal(Tree(channel).Select(k => prefix + k).Append(prefix + ".condamirror/publish-manifest.json").Order(StringComparer.Ordinal), server.Blobs(ContainerName, prefix).Keys);

        // The key and the SAS: in no build output, no file of the project.
        var signature = sas[(sas.IndexOf("sig=", StringComparison.Ordinal) + 4)..].Split('&')[0];
        foreach (var output in new[] { first, second, third, fourth })
        {
            Assert.DoesNotContain(server.Key, output.Output);
            Assert.DoesNotContain(Uri.UnescapeDataString(signature)[..20], output.Output);
        }
        Assert.DoesNotContain(Directory.EnumerateFiles(work.Combine("app"), "*", SearchOption.AllDirectories), f => File.ReadAllText(f).Contains(server.Key, StringComparison.Ordinal));

        // A wrong key: one coded error, neither key in the output, nothing written.
        var wrongKey = Convert.ToBase64String(new byte[64]);
        etags = server.Blobs(ContainerName, prefix);
        var refused = Build(Project(work, upstream, ReadmeItem(server, proxy), """<CondaPackage Include="tool" /><CondaPackage Include="extra" />"""),
            new Dictionary<string, string>(env) { ["AZURE_STORAGE_KEY"] = wrongKey });
        Assert.False(refused.Succeeded);
        Assert.Single(refused.DiagnosticLines("error"));
        Assert.Contains("error CMIR379", refused.Output);
        Assert.DoesNotContain(wrongKey, refused.Output);
        Assert.DoesNotContain(server.Key, refused.Output);
        Assert.Equal(etags, server.Blobs(ContainerName, prefix));

        // A malformed destination: at the item's line, before anything is resolved.
        var project = Project(work, upstream, $"""<CondaPublish Include="azblob://{server.Account}/Channels/conda" />""", """<CondaPackage Include="tool" />""");
        var bad = Build(project, env);
        Assert.False(bad.Succeeded);
        var line = File.ReadAllLines(project).ToList().FindIndex(l => l.Contains("<CondaPublish", StringComparison.Ordinal)) + 1;
        Assert.True(bad.Output.Contains($"{project}({line}): error CMIR376", StringComparison.Ordinal), bad.Output);
    }

    [SkippableFact]
    public async Task A_publish_killed_while_uploads_are_held_never_leaves_a_repodata_that_names_a_missing_package()
    {
        using var server = new AzuriteServer();
        server.CreateContainer(ContainerName);
        await using var proxy = new GatingHttpProxy(server.Port);
        using var work = new TempDirectory("condamirror-e2e");
        Upstream().WriteTo(work.Combine("upstream"));
        await using var upstream = new LoopbackChannelServer(work.Combine("upstream"));
        var env = Environment(server);
        var item = ReadmeItem(server, proxy);
        const string all = """<CondaPackage Include="tool" /><CondaPackage Include="extra" /><CondaPackage Include="more" /><CondaPackage Include="notes" />""";

        // A published channel with one package, then a build that adds three: killed after k of its uploads reached the server.
        var first = Build(Project(work, upstream, item, """<CondaPackage Include="tool" />"""), env);
        Assert.True(first.Succeeded, first.ToString());
        AssertRepodataNamesOnlyPresentPackages(server, expectPackages: ["tool-1.0-h_0.conda"]);
        var project = Project(work, upstream, item, all);
        // Kill at the first upload, then two uploads further each time (what reached the server is skipped by the next
        // publish), until a build gets through every upload: each kill point of the publish is covered in turn.
        var kills = 0;
        for (var step = 0; ; step = 2)
        {
            proxy.HoldAfter(step);
            using var build = StartBuild(project, env);
            var outcome = await Task.WhenAny(proxy.Held, build.WaitForExitAsync(), Task.Delay(TimeSpan.FromMinutes(3)));
            if (outcome != proxy.Held)
            {
                Assert.True(build.HasExited && build.ExitCode == 0, $"the build neither reached an upload nor succeeded (exited: {build.HasExited})");
                break;
            }
            build.Kill(entireProcessTree: true); // SIGKILL on Unix: no finally block, no cleanup
            await build.WaitForExitAsync();
            kills++;
            // The server holds only what was forwarded: every repodata.json in the container names only blobs that exist.
            AssertRepodataNamesOnlyPresentPackages(server, expectPackages: ["tool-1.0-h_0.conda"]);
            Assert.True(kills < 20, "the publish never finished");
        }
        Assert.True(kills >= 3, $"only {kills} kills: the publish had too few uploads to kill it at several points");
        _output.WriteLine($"{kills} builds killed (SIGKILL) with uploads held, two more uploads reaching the server before each kill after the first");

        // The publish that got through: the repodata names all four packages, each present; another build uploads nothing.
        proxy.Release();
        AssertRepodataNamesOnlyPresentPackages(server, expectPackages: ["tool-1.0-h_0.conda", "extra-2.0-h_0.conda", "more-3.0-h_0.conda", "notes-0.5-h_0.conda"]);
        var before = proxy.Forwarded.Count;
        var last = Build(project, env);
        Assert.True(last.Succeeded, last.ToString());
        Assert.Empty(PutsSince(proxy, server, before));
    }

    private static Process StartBuild(string project, IReadOnlyDictionary<string, string> env)
    {
        var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetDirectoryName(project)! };
        foreach (var a in new[] { "build", project, "--no-restore", "-m:1", "-nodeReuse:false", "-v:m", "-tl:off" }) psi.ArgumentList.Add(a);
        foreach (var (k, v) in env) psi.Environment[k] = v;
        psi.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        psi.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        var build = Process.Start(psi)!;
        build.OutputDataReceived += (_, _) => { };
        build.ErrorDataReceived += (_, _) => { };
        build.BeginOutputReadLine();
        build.BeginErrorReadLine();
        return build;
    }

    /// <summary>
    /// Reads the container as a reader does: each subdir's repodata.json over anonymous HTTP, and every archive it names
    /// must be a blob beside it. <paramref name="expectPackages"/> must all be named (the repodata is the published one).
    /// </summary>
    private static void AssertRepodataNamesOnlyPresentPackages(AzuriteServer server, IReadOnlyList<string> expectPackages)
    {
        var blobs = server.Blobs(ContainerName, "conda/main/").Keys.ToHashSet(StringComparer.Ordinal);
        var named = new List<string>();
        foreach (var repodata in blobs.Where(b => b.EndsWith("/repodata.json", StringComparison.Ordinal)))
        {
            var subdir = repodata[..^"repodata.json".Length];
            var bytes = server.GetAnonymousAsync(ContainerName, repodata).GetAwaiter().GetResult()!;
            using var document = JsonDocument.Parse(bytes);
            foreach (var section in new[] { "packages", "packages.conda" })
                if (document.RootElement.TryGetProperty(section, out var packages))
                    foreach (var package in packages.EnumerateObject())
                    {
                        Assert.True(blobs.Contains(subdir + package.Name), $"{repodata} names {package.Name}, which is not in the container");
                        named.Add(package.Name);
                    }
        }
        Assert.Contains("conda/main/noarch/repodata.json", blobs);
        foreach (var package in expectPackages)
            Assert.Contains(package, named);
    }
}
