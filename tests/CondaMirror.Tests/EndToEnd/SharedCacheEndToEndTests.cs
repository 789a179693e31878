using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using CondaMirror.Core.Locks;
using CondaMirror.Core.Records;
using CondaMirror.TestKit;
using CondaMirror.TestKit.Channels;
using Xunit;
using Xunit.Abstractions;

namespace CondaMirror.Tests.EndToEnd;

/// <summary>
/// Two projects sharing one package cache, through real `dotnet build`s against the loopback channel server: an archive
/// edited in place in one project's channel never reaches the other project's channel, and a lock that only records
/// md5 is served from what the other project already downloaded.
/// </summary>
[Collection(EndToEndCollection.Name)]
public class SharedCacheEndToEndTests
{
    private readonly PackedPackage _package;
    private readonly ITestOutputHelper _output;

    public SharedCacheEndToEndTests(PackedPackage package, ITestOutputHelper output)
    {
        _package = package;
        _output = output;
    }

    private static ChannelBuilder Upstream() => new ChannelBuilder()
        .Add(new PackageSpec("app", "2.0", "h1_0", "linux-64") { Depends = new[] { "lib >=1", "util" }, PayloadBytes = 200_000 })
        .Add(new PackageSpec("lib", "1.5", "h3_0", "linux-64") { PayloadBytes = 300_000, Format = ArchiveFormat.TarBz2 })
        .Add(new PackageSpec("tool", "3.1", "h5_0", "linux-64") { PayloadBytes = 100_000 })
        .Add(new PackageSpec("util", "0.3", "pyh_0", "noarch") { Noarch = "python", PayloadBytes = 50_000 });

    private sealed class Scenario : IAsyncDisposable
    {
        public required TempDirectory Work { get; init; }
        public required LoopbackChannelServer Server { get; init; }
        public required IReadOnlyList<RepodataRecord> Records { get; init; }
        public string Cache => Work.Combine("cache");
        public static string ChannelOf(string project) => Path.Combine(Path.GetDirectoryName(project)!, "bin", "Debug", "net10.0", "conda-channel");

        public async ValueTask DisposeAsync()
        {
            await Server.DisposeAsync();
            Work.Dispose();
        }
    }

    private static Scenario Start()
    {
        var work = new TempDirectory("condamirror-e2e-shared-cache");
        Upstream().WriteTo(work.Combine("upstream"));
        var server = new LoopbackChannelServer(work.Combine("upstream"));
        return new Scenario { Work = work, Server = server, Records = ChannelRecords.Read(work.Combine("upstream"), server.BaseUri) };
    }

    /// <summary>A pixi.lock (sha256 and md5 per package) of every linux-64 and noarch record.</summary>
    private static string WritePixiLock(string path, IReadOnlyList<RepodataRecord> records)
    {
        var document = new LockDocument();
        var environment = document.Environment("default", new[] { records[0].Channel! });
        foreach (var r in records) environment.Add("linux-64", r);
        PixiLockWriter.Write(path, document);
        return path;
    }

    private string WriteProject(Scenario scenario, string name, string lockPath) => _package.WriteProject(scenario.Work.Combine(name), $"""
          <PropertyGroup>
            <CondaLockFile>{lockPath}</CondaLockFile>
            <CondaPackageCachePath>{scenario.Cache}</CondaPackageCachePath>
          </PropertyGroup>
        """);

    private static bool IsArchiveRequest(RecordedRequest r) => r.Path.EndsWith(".conda", StringComparison.Ordinal) || r.Path.EndsWith(".tar.bz2", StringComparison.Ordinal);

    [SkippableFact]
    public async Task An_archive_edited_in_place_in_one_channel_keeping_size_and_mtime_never_reaches_another_projects_channel()
    {
        if (OperatingSystem.IsWindows()) return; // the edit below is the shell's (chmod, dd, touch)
        await using var scenario = Start();
        var lockPath = WritePixiLock(scenario.Work.Combine("pixi.lock"), scenario.Records);
        var projectA = WriteProject(scenario, "a", lockPath);
        var projectB = WriteProject(scenario, "b", lockPath);

        var a = _package.Build(projectA);
        Assert.True(a.Succeeded, a.ToString());
        // A .conda holds pkg-*.tar.zst first and info-*.tar.zst last: bytes changed early in it are payload, which the
        // index step never reads, so nothing but the hash can tell (as in the report: B was green).
        var app = scenario.Records.Single(r => r.Record.Name == "app");
        var channelFileA = Path.Combine(Scenario.ChannelOf(projectA), "linux-64", app.FileName);
        var cached = Path.Combine(scenario.Cache, app.Record.Sha256![..2], app.Record.Sha256, app.FileName);
        Assert.True(File.Exists(cached), $"{cached} is not in the cache\n{a}");
        // Where the channel file is a hard link, the edit below changes the cache's own file; otherwise (reflink, copy)
        // it cannot, and B is safe either way. The test checks B's outcome in both cases.
        var linked = Shell($"stat -c '%d:%i' '{channelFileA}'") == Shell($"stat -c '%d:%i' '{cached}'");
        _output.WriteLine(linked ? "A's channel file is a hard link into the cache" : "A's channel file is a file of its own (reflink or copy)");
        var before = new FileInfo(channelFileA);
        var (size, mtime) = (before.Length, before.LastWriteTimeUtc);

        // The reported edit: make it writable, write other bytes of the same size in place, put the mtime back.
        Shell($"""
            f='{channelFileA}'
            m=$(stat -c '%y' "$f")
            chmod u+w "$f"
            printf 'poisoned-archive' | dd of="$f" bs=1 seek=4096 conv=notrunc status=none
            touch -d "$m" "$f"
            """);
        var after = new FileInfo(channelFileA);
        Assert.Equal(size, after.Length);
        Assert.Equal(mtime, after.LastWriteTimeUtc);
        var edited = Sha256Of(channelFileA);
        Assert.NotEqual(app.Record.Sha256, edited);
        if (linked) Assert.Equal(edited, Sha256Of(cached)); // the precondition of the report: the cache itself was changed

        var requestsBefore = scenario.Server.Requests.Count(r => r.Path == "/linux-64/" + app.FileName);
        var b = _package.Build(projectB);

        var channelB = Scenario.ChannelOf(projectB);
        var channelFileB = Path.Combine(channelB, "linux-64", app.FileName);
        if (b.Succeeded)
        {
            // Repaired: every archive in B's channel has the bytes its repodata.json states, and the edited file was
            // fetched again.
            foreach (var record in scenario.Records)
            {
                var file = Path.Combine(channelB, record.Subdir, record.FileName);
                Assert.Equal(RepodataSha256(channelB, record.Subdir, record.FileName), Sha256Of(file));
            }
            Assert.Equal(app.Record.Sha256, RepodataSha256(channelB, "linux-64", app.FileName));
            Assert.NotEqual(edited, Sha256Of(channelFileB));
            if (linked)
                Assert.True(scenario.Server.Requests.Count(r => r.Path == "/linux-64/" + app.FileName) > requestsBefore,
                    $"the changed cache entry was not downloaded again\n{b}");
        }
        else
        {
            // Or refused with one coded error, and nothing edited published.
            // Each error shows twice in the console log (where it happened, prefixed by the node, and in the summary).
            var errors = b.Output.Split('\n').Where(l => l.Contains(": error CMIR")).Select(l => Regex.Replace(l.Trim(), @"^\d+>", "")).Distinct().ToList();
            Assert.True(errors.Count == 1, b.ToString());
            Assert.False(File.Exists(channelFileB) && Sha256Of(channelFileB) == edited, b.ToString());
        }
    }

    [SkippableFact]
    public async Task An_md5_only_explicit_list_is_served_from_what_another_project_downloaded()
    {
        await using var scenario = Start();
        var lockPath = WritePixiLock(scenario.Work.Combine("pixi.lock"), scenario.Records);
        var explicitPath = scenario.Work.Combine("explicit.txt");
        var list = new StringBuilder("# platform: linux-64\n@EXPLICIT\n");
        foreach (var r in scenario.Records)
        {
            Assert.False(string.IsNullOrEmpty(r.Record.Md5));
            list.Append(r.Url).Append('#').Append(r.Record.Md5).Append('\n');
        }
        File.WriteAllText(explicitPath, list.ToString());
        var projectA = WriteProject(scenario, "a", lockPath);
        var projectB = WriteProject(scenario, "b", explicitPath);

        var a = _package.Build(projectA);
        Assert.True(a.Succeeded, a.ToString());
        Assert.Contains($"({scenario.Records.Count} downloaded, 0 from cache", a.Output);
        var archiveRequests = scenario.Server.Requests.Count(IsArchiveRequest);

        var b = _package.Build(projectB);

        Assert.True(b.Succeeded, b.ToString());
        Assert.Contains($"Conda packages: {scenario.Records.Count} in channel (0 downloaded, {scenario.Records.Count} from cache", b.Output);
        Assert.Equal(archiveRequests, scenario.Server.Requests.Count(IsArchiveRequest));
        var channelB = Scenario.ChannelOf(projectB);
        foreach (var record in scenario.Records)
            Assert.Equal(record.Record.Sha256, Sha256Of(Path.Combine(channelB, record.Subdir, record.FileName)));
    }

    private static string Sha256Of(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(stream)).ToLowerInvariant();
    }

    private static string? RepodataSha256(string channel, string subdir, string fileName)
    {
        using var repodata = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(channel, subdir, "repodata.json")));
        var map = fileName.EndsWith(".conda", StringComparison.Ordinal) ? "packages.conda" : "packages";
        return repodata.RootElement.GetProperty(map).GetProperty(fileName).GetProperty("sha256").GetString();
    }

    /// <summary>Runs <paramref name="script"/> with bash; returns its trimmed standard output, fails on a non-zero exit.</summary>
    private static string Shell(string script)
    {
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("-euc");
        psi.ArgumentList.Add(script);
        using var process = Process.Start(psi)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"bash failed ({process.ExitCode}): {error}\n{script}");
        return output.Result.Trim();
    }
}
