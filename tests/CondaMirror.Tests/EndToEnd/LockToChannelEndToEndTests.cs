using System.Diagnostics;
using System.Text.Json;
using CondaMirror.Core.IO;
using CondaMirror.Core.Locks;
using CondaMirror.Core.Records;
using CondaMirror.TestKit;
using CondaMirror.TestKit.Channels;
using Xunit;

namespace CondaMirror.Tests.EndToEnd;

/// <summary>pixi.lock → verified channel through a real `dotnet build` against the loopback channel server.</summary>
[Collection(EndToEndSecondLaneCollection.Name)]
public class LockToChannelEndToEndTests
{
    private readonly PackedPackage _package;

    public LockToChannelEndToEndTests(PackedPackage package) => _package = package;

    private static ChannelBuilder Upstream() => new ChannelBuilder()
        .Add(new PackageSpec("app", "2.0", "h1_0", "linux-64") { Depends = new[] { "lib >=1", "util" }, PayloadBytes = 200_000 })
        .Add(new PackageSpec("app", "2.0", "h2_0", "win-64") { Depends = new[] { "lib >=1", "util" }, PayloadBytes = 200_000 })
        .Add(new PackageSpec("lib", "1.5", "h3_0", "linux-64") { PayloadBytes = 300_000, Format = ArchiveFormat.TarBz2 })
        .Add(new PackageSpec("lib", "1.5", "h4_0", "win-64") { PayloadBytes = 300_000 })
        .Add(new PackageSpec("util", "0.3", "pyh_0", "noarch") { Noarch = "python", PayloadBytes = 50_000 });

    /// <summary>Writes a v6 pixi.lock of the upstream channel, with app's depends changed to prove the lock's records win.</summary>
    private static string WriteLock(string path, IReadOnlyList<RepodataRecord> records)
    {
        var document = new LockDocument();
        var environment = document.Environment("default", new[] { records[0].Channel! });
        foreach (var platform in new[] { "linux-64", "win-64" })
            foreach (var r in records.Where(r => r.Subdir == platform || r.Subdir == "noarch"))
            {
                var record = r.Record.Clone();
                if (record.Name == "app") record.Depends = new List<string> { "lib >=1.5", "util", "patched-by-lock" };
                environment.Add(platform, r with { Record = record });
            }
        PixiLockWriter.Write(path, document);
        return path;
    }

    /// <summary>Upstream channel served on loopback, a pixi.lock of it, and a consumer project mirroring that lock.</summary>
    private sealed class Scenario : IAsyncDisposable
    {
        public required TempDirectory Work { get; init; }
        public required LoopbackChannelServer Server { get; init; }
        public required string LockPath { get; init; }
        public required string Project { get; init; }
        public string Channel => Work.Combine("app", "bin", "Debug", "net10.0", "conda-channel");
        public string Cache => Work.Combine("cache");

        public async ValueTask DisposeAsync()
        {
            await Server.DisposeAsync();
            Work.Dispose();
        }
    }

    private Scenario Start(string extraProperties = "")
    {
        var work = new TempDirectory("condamirror-e2e");
        Upstream().WriteTo(work.Combine("upstream"));
        var server = new LoopbackChannelServer(work.Combine("upstream"));
        var lockPath = WriteLock(work.Combine("pixi.lock"), ChannelRecords.Read(work.Combine("upstream"), server.BaseUri));
        var project = _package.WriteProject(work.Combine("app"), $"""
              <PropertyGroup>
                <CondaLockFile>{lockPath}</CondaLockFile>
                <CondaPackageCachePath>{work.Combine("cache")}</CondaPackageCachePath>
                {extraProperties}
              </PropertyGroup>
            """);
        return new Scenario { Work = work, Server = server, LockPath = lockPath, Project = project };
    }

    [SkippableFact]
    public async Task Mirrors_every_locked_package_with_the_locks_records_and_skips_when_unchanged()
    {
        await using var scenario = Start();
        var (work, server, lockPath, project) = (scenario.Work, scenario.Server, scenario.LockPath, scenario.Project);

        var first = _package.Build(project);
        Assert.True(first.Succeeded, first.ToString());
        var channel = work.Combine("app", "bin", "Debug", "net10.0", "conda-channel");
        var locked = LockFileReader.Read(lockPath);
        foreach (var record in locked.DistinctPackages())
        {
            var file = Path.Combine(channel, record.Subdir, record.FileName);
            Assert.True(File.Exists(file), $"{record} missing\n{first}");
            Assert.Equal(record.Record.Sha256, FileHashes.Compute(file).Sha256);
        }
        foreach (var subdir in new[] { "linux-64", "win-64", "noarch" })
        {
            // Expected: the upstream's own records (written by TestKit's independent writer), field by field, with the
            // one change the lock made (app's depends) - not our serialiser's view of the lock.
            using var repodata = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(channel, subdir, "repodata.json")));
            using var upstream = JsonDocument.Parse(File.ReadAllBytes(work.Combine("upstream", subdir, "repodata.json")));
            foreach (var record in locked.DistinctPackages().Where(r => r.Subdir == subdir))
            {
                var map = record.FileName.EndsWith(".conda") ? "packages.conda" : "packages";
                var published = repodata.RootElement.GetProperty(map).GetProperty(record.FileName);
                var original = upstream.RootElement.GetProperty(map).GetProperty(record.FileName);
                // A null upstream field (conda-build's "arch": null of a noarch package) is the same as an absent one.
                var fields = original.EnumerateObject().Where(p => p.Value.ValueKind != JsonValueKind.Null).ToList();
                Assert.Equal(fields.Select(p => p.Name).Order(StringComparer.Ordinal), published.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
                foreach (var field in fields)
                {
                    if (record.Record.Name == "app" && field.Name == "depends")
                        Assert.Equal(new[] { "lib >=1.5", "util", "patched-by-lock" }, published.GetProperty("depends").EnumerateArray().Select(d => d.GetString()));
                    else
                        Assert.True(JsonElement.DeepEquals(field.Value, published.GetProperty(field.Name)),
                            $"{subdir}/{record.FileName} {field.Name}: upstream {field.Value.GetRawText()}, published {published.GetProperty(field.Name).GetRawText()}");
                }
            }
        }
        using (var linux = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(channel, "linux-64", "repodata.json"))))
            Assert.Contains("patched-by-lock", linux.RootElement.GetProperty("packages.conda").GetProperty("app-2.0-h1_0.conda").GetProperty("depends").EnumerateArray().Select(d => d.GetString()));

        var requests = server.Requests.Count;
        var second = _package.Build(project);
        Assert.True(second.Succeeded, second.ToString());
        Assert.Contains("Conda download step: up to date", second.Output);
        Assert.Contains("Conda index step: up to date", second.Output);
        Assert.Equal(requests, server.Requests.Count);

        var clean = _package.Clean(project);
        Assert.True(clean.Succeeded, clean.ToString());
        Assert.False(Directory.Exists(channel) && Directory.EnumerateFiles(channel, "*", SearchOption.AllDirectories).Any());
    }

    [SkippableFact]
    public async Task A_missing_package_is_one_error_naming_it_and_a_healthy_rerun_succeeds()
    {
        await using var scenario = Start("<CondaRetryCount>1</CondaRetryCount>");
        var (work, server, lockPath, project) = (scenario.Work, scenario.Server, scenario.LockPath, scenario.Project);
        server.Faults.Add("/noarch/util-0.3-pyh_0.conda", TestKit.FaultKind.Status(404), count: 100);

        var failed = _package.Build(project);

        Assert.False(failed.Succeeded);
        var errorLines = failed.Output.Split('\n').Where(l => l.Contains(": error CMIR")).Select(l => l.Trim()).Distinct().ToList();
        Assert.True(errorLines.Count >= 1, failed.ToString());
        Assert.Contains(errorLines, l => l.Contains("util-0.3-pyh_0.conda") && l.Contains("/noarch/"));
        Assert.DoesNotContain("   at ", failed.Output);
        AssertNoPartialFiles(work.Combine("cache"));
        var channel = work.Combine("app", "bin", "Debug", "net10.0", "conda-channel");
        Assert.False(File.Exists(Path.Combine(channel, "noarch", "util-0.3-pyh_0.conda")));

        server.Faults.Clear();
        var healthy = _package.Build(project);
        Assert.True(healthy.Succeeded, healthy.ToString());
        Assert.True(File.Exists(Path.Combine(channel, "noarch", "util-0.3-pyh_0.conda")));
    }

    [SkippableFact]
    public async Task A_build_killed_mid_download_is_completed_by_the_next_build()
    {
        await using var scenario = Start("<CondaMaxParallelDownloads>2</CondaMaxParallelDownloads>");
        var (work, server, lockPath, project) = (scenario.Work, scenario.Server, scenario.LockPath, scenario.Project);
        // Every archive stalls mid-body for a long time, so the build is surely inside the download when killed.
        server.Faults.Add("**/*.conda", TestKit.FaultKind.StallMidBody(1000, TimeSpan.FromSeconds(60)), count: 100);
        server.Faults.Add("**/*.tar.bz2", TestKit.FaultKind.StallMidBody(1000, TimeSpan.FromSeconds(60)), count: 100);

        var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetDirectoryName(project)! };
        foreach (var a in new[] { "build", project, "-nodeReuse:false", "-v:n", "-tl:off" }) psi.ArgumentList.Add(a);
        foreach (var (k, v) in _package.BuildEnvironment) psi.Environment[k] = v;
        psi.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        using (var build = Process.Start(psi)!)
        {
            build.OutputDataReceived += (_, _) => { };
            build.ErrorDataReceived += (_, _) => { };
            build.BeginOutputReadLine();
            build.BeginErrorReadLine();
            var deadline = DateTime.UtcNow.AddMinutes(3);
            while (!server.Requests.Any(r => r.Path.EndsWith(".conda") || r.Path.EndsWith(".bz2")) && DateTime.UtcNow < deadline && !build.HasExited)
                await Task.Delay(100);
            Assert.False(build.HasExited, "the build ended before it started downloading");
            await Task.Delay(500);
            build.Kill(entireProcessTree: true); // SIGKILL on Unix
            build.WaitForExit();
        }

        server.Faults.Clear();
        var next = _package.Build(project);
        Assert.True(next.Succeeded, next.ToString());
        var channel = work.Combine("app", "bin", "Debug", "net10.0", "conda-channel");
        foreach (var record in LockFileReader.Read(lockPath).DistinctPackages())
            Assert.Equal(record.Record.Sha256, FileHashes.Compute(Path.Combine(channel, record.Subdir, record.FileName)).Sha256);
    }

    private static void AssertNoPartialFiles(string cacheRoot)
    {
        if (!Directory.Exists(cacheRoot)) return;
        var leftovers = Directory.GetFiles(cacheRoot, "*", SearchOption.AllDirectories)
            .Where(f => f.Contains(Path.DirectorySeparatorChar + ".partial" + Path.DirectorySeparatorChar) || f.EndsWith(".tmp")).ToList();
        Assert.Empty(leftovers);
    }
}
