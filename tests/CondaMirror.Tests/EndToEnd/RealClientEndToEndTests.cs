using System.Diagnostics;
using System.Text.Json;
using CondaMirror.Core.Records;
using CondaMirror.TestKit;
using CondaMirror.TestKit.Channels;
using Xunit;

namespace CondaMirror.Tests.EndToEnd;

/// <summary>
/// A real conda client installs from a channel that `dotnet build` wrote, served over loopback HTTP: rattler (the
/// library behind pixi, WASM build from npm, set up by `npm ci --prefix tests/npm`) solves against it and
/// fetches and verifies every package. The server's log shows which repodata it read: the .zst, never the .json.
/// Skipped when node or the npm package is missing, except under CI=true.
/// </summary>
[Collection(EndToEndSecondLaneCollection.Name)]
public class RealClientEndToEndTests
{
    private static readonly string ClientDir = NodeTools.Folder;
    private readonly PackedPackage _package;

    public RealClientEndToEndTests(PackedPackage package) => _package = package;

    /// <summary>The node executable, once the rattler client is installed (missing: skipped locally, a failure under CI).</summary>
    private static string RequireClient()
    {
        NodeTools.Require("@conda-org/rattler");
        return Requirement.Tool("node", "nodejs");
    }

    [SkippableFact]
    public async Task Rattler_solves_and_installs_over_http_reading_repodata_json_zst_only()
    {
        var node = RequireClient();
        using var work = new TempDirectory("condamirror-e2e");
        var packages = work.Combine("packages");
        ChannelBuilder.WritePackage(Path.Combine(packages, "linux-64"), new PackageSpec("tool", "1.2.0", "h1_0", "linux-64") { Depends = new[] { "helper >=1" } });
        ChannelBuilder.WritePackage(Path.Combine(packages, "linux-64"), new PackageSpec("tool", "1.1.0", "h1_0", "linux-64") { Depends = new[] { "helper >=1" } });
        ChannelBuilder.WritePackage(Path.Combine(packages, "noarch"), new PackageSpec("helper", "1.0", "pyh_0") { Noarch = "generic", Format = ArchiveFormat.TarBz2 });
        // Sharded repodata (CEP 16), where the build writes it, is what rattler asks for first; this test is about the .zst.
        var project = _package.WriteProject(work.Combine("app"), """
              <PropertyGroup>
                <CondaPlatforms>linux-64</CondaPlatforms>
                <CondaWriteShards>false</CondaWriteShards>
              </PropertyGroup>
              <ItemGroup>
                <CondaPackageFile Include="../packages/**/*.conda;../packages/**/*.tar.bz2" />
              </ItemGroup>
            """);
        var build = _package.Build(project);
        Assert.True(build.Succeeded, build.ToString());
        var channel = Path.Combine(work.Path, "app", "bin", "Debug", "net10.0", "conda-channel");
        await using var server = new LoopbackChannelServer(channel);

        var (exit, stdout, stderr) = Run(node, Path.Combine(ClientDir, "rattler-install.cjs"), server.BaseUri.AbsoluteUri, "linux-64,noarch", "tool");

        Assert.True(exit == 0, $"rattler failed ({exit}): {stderr}\n{stdout}");
        var installed = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(new[] { "helper-1.0-pyh_0.tar.bz2", "tool-1.2.0-h1_0.conda" }, installed.Select(p => p.GetProperty("filename").GetString()).Order(StringComparer.Ordinal));
        foreach (var p in installed)
            Assert.Equal(new FileInfo(Path.Combine(channel, p.GetProperty("subdir").GetString()!, p.GetProperty("filename").GetString()!)).Length, p.GetProperty("fetchedBytes").GetInt64());
        var paths = server.Requests.Select(r => r.Path).ToList();
        Assert.Contains("/linux-64/repodata.json.zst", paths);
        Assert.Contains("/noarch/repodata.json.zst", paths);
        Assert.DoesNotContain("/linux-64/repodata.json", paths);
        Assert.DoesNotContain("/noarch/repodata.json", paths);
        Assert.Contains("/linux-64/tool-1.2.0-h1_0.conda", paths);
        Assert.Contains("/noarch/helper-1.0-pyh_0.tar.bz2", paths);
    }

    [SkippableFact]
    public async Task Rattler_reads_our_sharded_repodata_and_only_the_shards_it_needs()
    {
        var node = RequireClient();
        using var work = new TempDirectory("condamirror-e2e");
        var packages = work.Combine("packages");
        ChannelBuilder.WritePackage(Path.Combine(packages, "linux-64"), new PackageSpec("tool", "1.2.0", "h1_0", "linux-64") { Depends = new[] { "helper >=1" } });
        ChannelBuilder.WritePackage(Path.Combine(packages, "noarch"), new PackageSpec("helper", "1.0", "pyh_0") { Noarch = "generic" });
        foreach (var unrelated in new[] { "alpha", "beta", "gamma" })
            ChannelBuilder.WritePackage(Path.Combine(packages, "linux-64"), new PackageSpec(unrelated, "1.0", "h_0", "linux-64"));
        var project = _package.WriteProject(work.Combine("app"), """
              <PropertyGroup>
                <CondaPlatforms>linux-64</CondaPlatforms>
              </PropertyGroup>
              <ItemGroup>
                <CondaPackageFile Include="../packages/**/*.conda" />
              </ItemGroup>
            """);
        var build = _package.Build(project);
        Assert.True(build.Succeeded, build.ToString());
        var channel = Path.Combine(work.Path, "app", "bin", "Debug", "net10.0", "conda-channel");
        Assert.Equal(4, Directory.GetFiles(Path.Combine(channel, "linux-64", "shards"), "*.msgpack.zst").Length);
        await using var server = new LoopbackChannelServer(channel);

        var (exit, stdout, stderr) = Run(node, Path.Combine(ClientDir, "rattler-install.cjs"), server.BaseUri.AbsoluteUri, "linux-64,noarch", "tool");

        Assert.True(exit == 0, $"rattler failed ({exit}): {stderr}\n{stdout}");
        var installed = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("filename").GetString()).Order(StringComparer.Ordinal);
        Assert.Equal(new[] { "helper-1.0-pyh_0.conda", "tool-1.2.0-h1_0.conda" }, installed);
        var paths = server.Requests.Select(r => r.Path).ToList();
        Assert.Contains("/linux-64/repodata_shards.msgpack.zst", paths);
        Assert.Contains("/noarch/repodata_shards.msgpack.zst", paths);
        var shardRequests = paths.Where(p => p.Contains("/shards/", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(shardRequests);
        // Only the shards of names the solve reached: tool and helper, never alpha, beta or gamma.
        Assert.True(shardRequests.Count <= 2 + 1, string.Join(", ", shardRequests)); // + a __virtual or two at most
        Assert.DoesNotContain("/linux-64/repodata.json", paths);
        Assert.DoesNotContain("/linux-64/repodata.json.zst", paths);
    }

    [SkippableFact]
    public async Task Rattler_installs_from_a_channel_mirrored_from_a_pixi_lock()
    {
        var node = RequireClient();
        using var work = new TempDirectory("condamirror-e2e");
        new ChannelBuilder()
            .Add(new PackageSpec("app", "2.0", "h1_0", "linux-64") { Depends = new[] { "lib >=1" }, RunExportsJson = """{"weak": ["app >=2"]}""" })
            .Add(new PackageSpec("lib", "1.5", "h3_0", "linux-64") { Format = ArchiveFormat.TarBz2 })
            .WriteTo(work.Combine("upstream"));
        await using var upstream = new LoopbackChannelServer(work.Combine("upstream"));
        var records = ChannelRecords.Read(work.Combine("upstream"), upstream.BaseUri);
        var document = new CondaMirror.Core.Locks.LockDocument();
        var environment = document.Environment("default", new[] { records[0].Channel! });
        foreach (var r in records) environment.Add("linux-64", r);
        var lockPath = work.Combine("pixi.lock");
        CondaMirror.Core.Locks.PixiLockWriter.Write(lockPath, document);
        var project = _package.WriteProject(work.Combine("app"), $"""
              <PropertyGroup>
                <CondaLockFile>{lockPath}</CondaLockFile>
                <CondaPackageCachePath>{work.Combine("cache")}</CondaPackageCachePath>
                <CondaWriteShards>false</CondaWriteShards>
              </PropertyGroup>
            """);
        var build = _package.Build(project);
        Assert.True(build.Succeeded, build.ToString());
        var channel = Path.Combine(work.Path, "app", "bin", "Debug", "net10.0", "conda-channel");
        // The downloaded archives' run_exports reached run_exports.json (read from the placed files).
        Assert.Contains("app >=2", File.ReadAllText(Path.Combine(channel, "linux-64", "run_exports.json")));
        await using var mirror = new LoopbackChannelServer(channel);

        var (exit, stdout, stderr) = Run(node, Path.Combine(ClientDir, "rattler-install.cjs"), mirror.BaseUri.AbsoluteUri, "linux-64,noarch", "app");

        Assert.True(exit == 0, $"rattler failed ({exit}): {stderr}\n{stdout}");
        var installed = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("url").GetString()).Order(StringComparer.Ordinal);
        Assert.Equal(new[] { mirror.UrlFor("linux-64/app-2.0-h1_0.conda"), mirror.UrlFor("linux-64/lib-1.5-h3_0.tar.bz2") }, installed);
        var paths = mirror.Requests.Select(r => r.Path).ToList();
        Assert.Contains("/linux-64/repodata.json.zst", paths);
        Assert.DoesNotContain("/linux-64/repodata.json", paths);
    }

    private static (int Exit, string Stdout, string Stderr) Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = ClientDir };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("the rattler client did not finish within 2 minutes");
        }
        return (process.ExitCode, stdout, stderr.Result);
    }
}
