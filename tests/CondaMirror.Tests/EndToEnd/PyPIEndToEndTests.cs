using System.Diagnostics;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using CondaMirror.Core.Errors;
using CondaMirror.TestKit;
using CondaMirror.TestKit.Channels;
using CondaMirror.TestKit.PyPI;
using Xunit;

namespace CondaMirror.Tests.EndToEnd;

/// <summary>
/// A pixi.lock with conda and PyPI entries through a real `dotnet build`; the simple index it writes is then served
/// on loopback and read by Debian's real pip, with hash checking on (<c>--require-hashes</c> and the lock's hashes).
/// </summary>
[Collection(EndToEndSecondLaneCollection.Name)]
public class PyPIEndToEndTests
{
    private const string Python = "/usr/bin/python3";
    private static readonly WheelSpec[] Wheels =
    {
        new("alpha", "1.0", RequiresPython: ">=3.7"),
        new("Beta.Pkg", "2.0.1"),
        new("gamma_util", "0.3"),
    };

    private readonly PackedPackage _package;

    public PyPIEndToEndTests(PackedPackage package) => _package = package;

    private static void RequirePip()
    {
        Requirement.That(File.Exists(Python), "Debian's python3 is not installed (apt-get install python3)");
        Requirement.That(Run(Python, ".", null, "-m", "pip", "--version").Exit == 0, "Debian's pip is not installed (apt-get install python3-pip python3-venv)");
    }

    /// <summary>The conda channel and the wheels (under /wheels/), served together; returns the lock text.</summary>
    private static string WriteUpstreamAndLock(TempDirectory work, LoopbackChannelServer conda, LoopbackChannelServer wheels, bool withSdist)
    {
        var condaRecord = ChannelRecords.Read(work.Combine("upstream"), conda.BaseUri).Single();
        var lines = new StringBuilder();
        lines.Append($"""
            version: 6
            environments:
              default:
                channels:
                - url: {conda.BaseUri}
                indexes:
                - {wheels.UrlFor("simple")}
                packages:
                  linux-64:
                  - conda: {condaRecord.Url}

            """);
        foreach (var w in Wheels) lines.Append($"      - pypi: {wheels.UrlFor("wheels/" + w.FileName)}\n");
        if (withSdist) lines.Append($"      - pypi: {wheels.UrlFor("wheels/delta-0.9.tar.gz")}\n");
        lines.Append($"""
            packages:
            - conda: {condaRecord.Url}
              sha256: {condaRecord.Record.Sha256}
              md5: {condaRecord.Record.Md5}
              size: {condaRecord.Record.Size}

            """);
        foreach (var w in Wheels)
        {
            lines.Append($"- pypi: {wheels.UrlFor("wheels/" + w.FileName)}\n  name: {w.Name}\n  version: {w.Version}\n  sha256: {Sha256(w.Build())}\n");
            if (w.RequiresPython is not null) lines.Append($"  requires_python: '{w.RequiresPython}'\n");
        }
        if (withSdist) lines.Append($"- pypi: {wheels.UrlFor("wheels/delta-0.9.tar.gz")}\n  name: delta\n  version: '0.9'\n  sha256: {new string('d', 64)}\n");
        return lines.ToString();
    }

    private static void WriteWheels(string folder)
    {
        Directory.CreateDirectory(folder);
        foreach (var w in Wheels) File.WriteAllBytes(Path.Combine(folder, w.FileName), w.Build());
    }

    private static string Sha256(byte[] bytes) => Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant();

    /// <summary>pip's requirements with the lock's hashes; <paramref name="corrupt"/> changes one.</summary>
    private static string Requirements(string path, bool corrupt = false)
    {
        var lines = Wheels.Select((w, i) => $"{w.Name}=={w.Version} --hash=sha256:{(corrupt && i == 1 ? new string('0', 64) : Sha256(w.Build()))}");
        File.WriteAllText(path, string.Join("\n", lines) + "\n");
        return path;
    }

    [SkippableFact]
    public async Task Pip_fetches_and_installs_every_wheel_from_the_built_simple_index_with_hashes_required()
    {
        RequirePip();
        using var work = new TempDirectory("condamirror-e2e");
        new ChannelBuilder().Add(new PackageSpec("data", "1.0", "h_0", "noarch")).WriteTo(work.Combine("upstream"));
        WriteWheels(work.Combine("upstream", "wheels"));
        await using var server = new LoopbackChannelServer(work.Combine("upstream"));
        File.WriteAllText(work.Combine("pixi.lock"), WriteUpstreamAndLock(work, server, server, withSdist: true));
        var project = _package.WriteProject(work.Combine("app"), $"""
              <PropertyGroup>
                <CondaLockFile>{work.Combine("pixi.lock")}</CondaLockFile>
                <CondaPackageCachePath>{work.Combine("cache")}</CondaPackageCachePath>
              </PropertyGroup>
            """);

        var build = _package.Build(project);
        Assert.True(build.Succeeded, build.ToString());
        var pypi = work.Combine("app", "bin", "Debug", "net10.0", "pypi");
        Assert.True(File.Exists(Path.Combine(work.Combine("app", "bin", "Debug", "net10.0", "conda-channel"), "noarch", "data-1.0-h_0.conda")));
        Assert.DoesNotContain(ErrorCodes.LockPypiSkipped, build.Output);
        // The sdist: one warning, naming it; never fetched.
        Assert.Contains($"warning {ErrorCodes.PypiNotMirrored}", build.Output);
        Assert.Contains("delta 0.9 (source distribution", build.Output);
        Assert.DoesNotContain(server.Requests, r => r.Path.EndsWith(".tar.gz", StringComparison.Ordinal));
        Assert.Contains("PyPI packages: 3 wheels of 3 projects", build.Output);
        Assert.Contains("3 PyPI wheels (3 downloaded, 0 from cache)]", build.Output); // in the channel line's brackets
        foreach (var w in Wheels) Assert.Equal(w.Build(), File.ReadAllBytes(Path.Combine(pypi, "files", w.FileName)));

        // Real pip against the index, served over HTTP as any static web server would.
        await using (var index = new LoopbackChannelServer(pypi) { ServeDirectoryIndex = true })
        {
            var simple = index.UrlFor("simple");
            var downloaded = work.Combine("downloaded");
            var download = Pip(work.Path, "download", "--no-deps", "--require-hashes", "-r", Requirements(work.Combine("req.txt")),
                "--index-url", simple, "-d", downloaded);
            Assert.True(download.Exit == 0, download.Output);
            foreach (var w in Wheels) Assert.Equal(w.Build(), File.ReadAllBytes(Path.Combine(downloaded, w.FileName)));
            // pip read the project pages (normalized names), not just guessed file URLs.
            Assert.Contains(index.Requests, r => r.Path == "/simple/beta-pkg/");
            Assert.Contains(index.Requests, r => r.Path == "/simple/gamma-util/");

            // Without hash checking pip resolves from the core metadata served beside each wheel (PEP 658), checked
            // against the hash on the page, before it fetches the wheel (pip skips metadata-only fetches under --require-hashes).
            index.ClearRequests();
            var viaMetadata = Pip(work.Path, new[] { "download", "--no-deps", "--index-url", simple, "-d", work.Combine("downloaded-meta") }
                .Concat(Wheels.Select(w => $"{w.Name}=={w.Version}")).ToArray());
            Assert.True(viaMetadata.Exit == 0, viaMetadata.Output);
            foreach (var w in Wheels)
            {
                Assert.Contains(index.Requests, r => r.Path == $"/files/{w.FileName}.metadata");
                Assert.Equal(w.Build(), File.ReadAllBytes(Path.Combine(work.Combine("downloaded-meta"), w.FileName)));
            }

            // Hash checking is on: one wrong hash and pip refuses.
            var wrong = Pip(work.Path, "download", "--no-deps", "--require-hashes", "-r", Requirements(work.Combine("bad.txt"), corrupt: true),
                "--index-url", simple, "-d", work.Combine("downloaded-bad"));
            Assert.True(wrong.Exit != 0, wrong.Output);
            Assert.Contains("HASHES", wrong.Output, StringComparison.OrdinalIgnoreCase);
        }

        // Installed from the files folder alone, then importable.
        var target = work.Combine("site");
        var install = Pip(work.Path, "install", "--no-index", "--find-links", Path.Combine(pypi, "files"), "--require-hashes",
            "-r", work.Combine("req.txt"), "--target", target);
        Assert.True(install.Exit == 0, install.Output);
        foreach (var w in Wheels)
        {
            var import = Run(Python, work.Path, new Dictionary<string, string> { ["PYTHONPATH"] = target }, "-c", $"import {w.Module}; print({w.Module}.VALUE)");
            Assert.True(import.Exit == 0, import.Output);
            Assert.Equal(w.Value, import.Output.Trim());
        }

        // Nothing changed: the PyPI step does no work, and no wheel is requested.
        var stamp = work.Combine("app", "obj", "Debug", "net10.0", "condamirror", "pypi.step.json");
        var stampTime = File.GetLastWriteTimeUtc(stamp);
        server.ClearRequests();
        var again = _package.Build(project);
        Assert.True(again.Succeeded, again.ToString());
        Assert.DoesNotContain("PyPI packages:", again.Output);
        Assert.Empty(server.Requests);
        Assert.Equal(stampTime, File.GetLastWriteTimeUtc(stamp));

        // A deleted wheel is noticed (the stamp lists it) and placed again from the cache; this time in MSBuild's .NET
        // task host, which is how Visual Studio runs the task (its TaskHostFactory registration).
        File.Delete(Path.Combine(pypi, "files", Wheels[0].FileName));
        var repaired = _package.Build(project, "-p:CondaMirrorTaskHost=NET");
        Assert.True(repaired.Succeeded, repaired.ToString());
        Assert.Contains("PyPI packages: 3 wheels of 3 projects", repaired.Output);
        Assert.True(File.Exists(Path.Combine(pypi, "files", Wheels[0].FileName)));
        Assert.Empty(server.Requests);

        // Opting out: the old warning lists the PyPI packages as skipped.
        var optOut = _package.Build(project, "-p:CondaMirrorPyPI=false");
        Assert.True(optOut.Succeeded, optOut.ToString());
        Assert.Contains($"warning {ErrorCodes.LockPypiSkipped}", optOut.Output);
        Assert.DoesNotContain("PyPI packages:", optOut.Output);

        // Plan mode lists the PyPI side too (every wheel is cached by now) and writes nothing.
        var plan = _package.Build(project, "-p:CondaMirrorPlan=true");
        Assert.True(plan.Succeeded, plan.ToString());
        Assert.Contains("PyPI plan: 3 wheels of 3 projects; 3 in the cache, 0 to download; 1 not mirrored", plan.Output);

        // Clean removes the simple index with the channel.
        var clean = _package.Clean(project);
        Assert.True(clean.Succeeded, clean.ToString());
        Assert.False(Directory.Exists(pypi));
    }

    [SkippableFact]
    public async Task Publishing_sends_the_channel_and_the_simple_index_to_the_bucket_wheels_first_and_pip_downloads_from_it()
    {
        RequirePip();
        using var s3 = new S3Server();
        using var work = new TempDirectory("condamirror-e2e");
        new ChannelBuilder().Add(new PackageSpec("data", "1.0", "h_0", "noarch")).WriteTo(work.Combine("upstream"));
        WriteWheels(work.Combine("upstream", "wheels"));
        await using var server = new LoopbackChannelServer(work.Combine("upstream"));
        File.WriteAllText(work.Combine("pixi.lock"), WriteUpstreamAndLock(work, server, server, withSdist: false));
        string Project(string pypi) => _package.WriteProject(work.Combine("app"), $"""
              <PropertyGroup>
                <CondaLockFile>{work.Combine("pixi.lock")}</CondaLockFile>
                <CondaPackageCachePath>{work.Combine("cache")}</CondaPackageCachePath>
              </PropertyGroup>
              <ItemGroup>
                <CondaPublish Include="s3://{s3.Bucket}/conda/main" PyPI="{pypi}" Endpoint="{s3.Endpoint.AbsoluteUri.TrimEnd('/')}" ForcePathStyle="true" />
              </ItemGroup>
            """);
        var environment = new Dictionary<string, string>(_package.BuildEnvironment);
        foreach (var (k, v) in s3.CredentialEnvironment) environment[k] = v;
        CommandResult Build(string project, params string[] extra) =>
            DotnetCli.Run(work.Combine("app"), environment, new[] { "build", project, "-nodeReuse:false", "-tl:off", "-v:n" }.Concat(extra).ToArray());

        // An overlapping PyPI destination: CMIR370 at the item's line, before anything is downloaded.
        var overlapping = Project($"s3://{s3.Bucket}/conda/main/pypi");
        var refused = Build(overlapping);
        Assert.False(refused.Succeeded);
        var line = File.ReadAllLines(overlapping).ToList().FindIndex(l => l.Contains("<CondaPublish", StringComparison.Ordinal)) + 1;
        Assert.True(refused.Output.Contains($"{overlapping}({line}): error CMIR370", StringComparison.Ordinal), refused.Output);
        Assert.DoesNotContain("PyPI packages:", refused.Output);
        Assert.Empty(s3.StoredKeys());

        var project = Project($"s3://{s3.Bucket}/pypi");
        var first = Build(project);
        Assert.True(first.Succeeded, first.ToString());
        var pypi = work.Combine("app", "bin", "Debug", "net10.0", "pypi");
        Assert.True(first.Output.Contains($"Published conda-channel to s3://{s3.Bucket}/conda/main: ", StringComparison.Ordinal), first.Output);
        Assert.True(System.Text.RegularExpressions.Regex.IsMatch(first.Output, $@"Published pypi to s3://{s3.Bucket}/pypi: [0-9]+ uploaded \([0-9.]+ [KM]?B\), 0 unchanged, 0 pruned in [0-9.]+ s"), first.Output);
        s3.LogWhen(l => l.Contains("stored pypi/.condamirror/publish-manifest.json"));
        var stored = s3.StoredSince(0).Where(k => k.StartsWith("pypi/", StringComparison.Ordinal)).ToList();
        // Every file of the index (each page also under its folder's key), byte for byte, in PyPI's safe order.
        var files = Directory.EnumerateFiles(pypi, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(pypi, f).Replace('\\', '/'))
            .Where(f => !f.Split('/').Any(x => x.StartsWith('.'))).ToList();
        Assert.Equal(files.Concat(files.Where(f => f.StartsWith("simple/", StringComparison.Ordinal) && f.EndsWith("/index.html", StringComparison.Ordinal)).Select(f => f[..^"index.html".Length]))
                .Select(f => "pypi/" + f).Append("pypi/.condamirror/publish-manifest.json").Order(StringComparer.Ordinal),
            stored.Order(StringComparer.Ordinal));
        var lastWheel = stored.FindLastIndex(k => k.EndsWith(".whl", StringComparison.Ordinal));
        var firstPage = stored.FindIndex(k => k.StartsWith("pypi/simple/", StringComparison.Ordinal));
        Assert.True(lastWheel >= 0 && lastWheel < firstPage, string.Join(", ", stored));
        Assert.True(stored.FindLastIndex(k => k.EndsWith(".metadata", StringComparison.Ordinal)) < firstPage, string.Join(", ", stored));
        var rootIndex = stored.FindIndex(k => k is "pypi/simple/index.html" or "pypi/simple/index.json" or "pypi/simple/");
        Assert.True(stored.Take(rootIndex).Count(k => k.StartsWith("pypi/simple/", StringComparison.Ordinal)) == 3 * Wheels.Length, string.Join(", ", stored));
        Assert.Equal(["pypi/simple/", "pypi/simple/index.html", "pypi/simple/index.json"], stored.Skip(rootIndex).Take(3).Order(StringComparer.Ordinal));
        Assert.Equal("pypi/.condamirror/publish-manifest.json", stored[^1]);
        foreach (var w in Wheels) Assert.Equal(w.Build(), await s3.GetAnonymousAsync("pypi/files/" + w.FileName));

        // Nothing changed: nothing stored, neither channel nor index.
        var before = s3.Log.Count;
        var second = Build(project);
        Assert.True(second.Succeeded, second.ToString());
        Assert.Contains($"Published pypi to s3://{s3.Bucket}/pypi: 0 uploaded (0 B), {stored.Count - 1} unchanged, 0 pruned", second.Output);
        Assert.Empty(s3.StoredSince(before));

        // Plan mode reports the index's destination too.
        var plan = Build(project, "-p:CondaMirrorPlan=true");
        Assert.True(plan.Succeeded, plan.ToString());
        Assert.Contains($"Would publish pypi to s3://{s3.Bucket}/pypi: 0 to upload (0 B), {stored.Count - 1} unchanged", plan.Output);

        // Debian's real pip, from the bucket over anonymous HTTP, hashes required.
        before = s3.Log.Count;
        var downloaded = work.Combine("downloaded");
        var download = Pip(work.Path, "download", "--no-deps", "--require-hashes", "-r", Requirements(work.Combine("req.txt")),
            "--index-url", s3.HttpUrl("pypi/simple"), "-d", downloaded);
        Assert.True(download.Exit == 0, download.Output);
        foreach (var w in Wheels)
        {
            Assert.Equal(w.Build(), File.ReadAllBytes(Path.Combine(downloaded, w.FileName)));
            Assert.Contains($"GET 200 anonymous pypi/files/{w.FileName}", s3.LogWhen(l => l.Skip(before).Contains($"GET 200 anonymous pypi/files/{w.FileName}")));
        }
        // pip asked for the project folders (normalized names) and the bucket answered them.
        Assert.Contains("GET 200 anonymous pypi/simple/beta-pkg/", s3.Log.Skip(before));
        Assert.Contains("GET 200 anonymous pypi/simple/gamma-util/", s3.Log.Skip(before));

        // No PyPI index built (CondaMirrorPyPI=false): the channel is published, the index is not, no error.
        before = s3.Log.Count;
        var optOut = Build(project, "-p:CondaMirrorPyPI=false", "-v:d");
        Assert.True(optOut.Succeeded, optOut.ToString());
        Assert.Contains($"No PyPI index to publish to s3://{s3.Bucket}/pypi", optOut.Output);
        Assert.DoesNotContain("Published pypi", optOut.Output);
        Assert.DoesNotContain(s3.Log.Skip(before), l => l.Contains(" pypi/", StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task An_index_credential_from_the_environment_reaches_the_wheel_server_and_appears_nowhere()
    {
        const string token = "pypi-secret-7e3a91c0d4";
        using var work = new TempDirectory("condamirror-e2e");
        new ChannelBuilder().Add(new PackageSpec("data", "1.0", "h_0", "noarch")).WriteTo(work.Combine("upstream"));
        WriteWheels(work.Combine("private", "wheels"));
        await using var conda = new LoopbackChannelServer(work.Combine("upstream"));
        await using var wheels = new LoopbackChannelServer(work.Combine("private"));
        wheels.Faults.Add("**", FaultKind.RequireBearer(token), count: 1000);
        File.WriteAllText(work.Combine("pixi.lock"), WriteUpstreamAndLock(work, conda, wheels, withSdist: false));
        var project = _package.WriteProject(work.Combine("app"), $"""
              <PropertyGroup>
                <CondaLockFile>{work.Combine("pixi.lock")}</CondaLockFile>
                <CondaPackageCachePath>{work.Combine("cache")}</CondaPackageCachePath>
              </PropertyGroup>
              <ItemGroup>
                <CondaPyPIIndex Include="{wheels.UrlFor("simple")}" BearerTokenEnvironmentVariable="PRIVATE_PYPI_TOKEN" />
              </ItemGroup>
            """);
        var environment = new Dictionary<string, string>(_package.BuildEnvironment) { ["PRIVATE_PYPI_TOKEN"] = token };
        var binlog = work.Combine("build.binlog");
        var result = DotnetCli.Run(work.Combine("app"), environment, "build", project, "-nodeReuse:false", "-tl:off", "-v:diag", "-bl:" + binlog);
        Assert.True(result.Succeeded, result.ToString().Replace(token, "<token>"));
        Assert.All(wheels.Requests.Where(r => r.Path.EndsWith(".whl", StringComparison.Ordinal)), r => Assert.Equal("Bearer " + token, r.Authorization));
        Assert.Equal(Wheels.Length, wheels.Requests.Count(r => r.Path.EndsWith(".whl", StringComparison.Ordinal) && r.Authorization is not null));
        Assert.True(File.Exists(work.Combine("app", "bin", "Debug", "net10.0", "pypi", "files", Wheels[0].FileName)));

        Assert.DoesNotContain(token, result.Output);
        // The binlog is a gzip stream: its decompressed bytes must not hold the token in any encoding MSBuild writes.
        using (var gzip = new GZipStream(File.OpenRead(binlog), CompressionMode.Decompress))
        using (var raw = new MemoryStream())
        {
            gzip.CopyTo(raw);
            var bytes = raw.ToArray();
            Assert.Equal(-1, bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(token)));
            Assert.Equal(-1, bytes.AsSpan().IndexOf(Encoding.Unicode.GetBytes(token)));
        }
        var holding = Directory.EnumerateFiles(work.Path, "*", SearchOption.AllDirectories)
            .Where(f => f != binlog && File.ReadAllText(f, Encoding.Latin1).Contains(token, StringComparison.Ordinal)).ToList();
        Assert.True(holding.Count == 0, "token written to: " + string.Join(", ", holding));
    }

    [SkippableFact]
    public async Task A_hostile_wheel_file_name_fails_the_build_with_its_code_and_writes_nothing_outside()
    {
        using var work = new TempDirectory("condamirror-e2e");
        new ChannelBuilder().Add(new PackageSpec("data", "1.0", "h_0", "noarch")).WriteTo(work.Combine("upstream"));
        await using var server = new LoopbackChannelServer(work.Combine("upstream"));
        var condaRecord = ChannelRecords.Read(work.Combine("upstream"), server.BaseUri).Single();
        var hostile = server.UrlFor("wheels/") + "..%2F..%2F..%2Fevil-1.0-py3-none-any.whl";
        File.WriteAllText(work.Combine("pixi.lock"), $"""
            version: 6
            environments:
              default:
                channels:
                - url: {server.BaseUri}
                packages:
                  linux-64:
                  - conda: {condaRecord.Url}
                  - pypi: {hostile}
            packages:
            - conda: {condaRecord.Url}
              sha256: {condaRecord.Record.Sha256}
            - pypi: {hostile}
              name: evil
              version: '1.0'
              sha256: {new string('e', 64)}
            """);
        var project = _package.WriteProject(work.Combine("app"), $"""
              <PropertyGroup>
                <CondaLockFile>{work.Combine("pixi.lock")}</CondaLockFile>
                <CondaPackageCachePath>{work.Combine("cache")}</CondaPackageCachePath>
              </PropertyGroup>
            """);
        var build = _package.Build(project);
        Assert.False(build.Succeeded, build.ToString());
        Assert.Contains($"error {ErrorCodes.PypiFileNameInvalid}", build.Output);
        Assert.DoesNotContain(server.Requests, r => r.Path.Contains("evil", StringComparison.Ordinal));
        Assert.Empty(Directory.EnumerateFileSystemEntries(work.Path, "evil*", SearchOption.AllDirectories));
        Assert.False(File.Exists(work.Combine("app", "obj", "Debug", "net10.0", "condamirror", "pypi.step.json")));
    }

    private static (int Exit, string Output) Pip(string workingDirectory, params string[] args) =>
        Run(Python, workingDirectory, null, new[] { "-m", "pip" }.Concat(args).ToArray());

    /// <summary>Runs a command with pip isolated from the machine (no cache, no config, no version check), 120 s at most.</summary>
    private static (int Exit, string Output) Run(string tool, string workingDirectory, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var psi = new ProcessStartInfo(tool) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["PIP_NO_CACHE_DIR"] = "1";
        psi.Environment["PIP_DISABLE_PIP_VERSION_CHECK"] = "1";
        psi.Environment["PIP_CONFIG_FILE"] = "/dev/null";
        psi.Environment["PIP_BREAK_SYSTEM_PACKAGES"] = "0";
        psi.Environment["NO_PROXY"] = "127.0.0.1,localhost";
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromSeconds(120)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{tool} {string.Join(' ', args)} did not finish in 120 s");
        }
        return (p.ExitCode, stdout.Result + stderr.Result);
    }
}
