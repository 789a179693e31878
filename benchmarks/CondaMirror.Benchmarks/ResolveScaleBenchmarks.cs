using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using CondaMirror.Core.Repodata;
using CondaMirror.Core.Repodata.Shards;
using CondaMirror.TestKit;
using CondaMirror.TestKit.Synthetic;

namespace CondaMirror.Benchmarks;

public static partial class BenchmarkRegistry
{
    /// <summary>
    /// The resolve step of a real MSBuild process over the synthetic conda-forge-scale channel (500k records at scale
    /// 1.0, linux-64 + noarch), three ways: a local folder with repodata.json, repodata.json.zst over HTTP (zstd CLI,
    /// level 10), and CEP-16 shards over HTTP (each shard and the index compressed by the zstd CLI, level 19).
    /// Every run is cold (no repodata cache, no lock) under /usr/bin/time -v; the baseline is the same MSBuild running
    /// only the project check. The floor, in the same rounds: libsolv with conda support (what libmamba solves with)
    /// loading the same repodata.json files and solving the same request (benchmarks/libsolv/setup.sh builds it).
    /// Args: [scale=1.0] [rounds=2] [variants=json,zst,shards].
    /// </summary>
    private static Benchmark RegisterResolveScale() => new("resolve-scale",
        "MSBuild resolve step over a 500k-record channel: monolithic .json, .json.zst over HTTP, CEP-16 shards; peak RSS, wall, bytes fetched", args =>
    {
        var scale = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 1.0;
        var rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 2;
        var only = args.Length > 2 ? args[2].Split(',') : new[] { "json", "zst", "shards" };
        return RunResolveScale(scale, rounds, only).GetAwaiter().GetResult();
    });

    private const string ResolveTimingsVariable = "CONDAMIRROR_RESOLVE_TIMINGS";

    private static async Task<int> RunResolveScale(double scale, int rounds, string[] only)
    {
        if (!File.Exists(GnuTime)) throw new InvalidOperationException($"{GnuTime} is missing; install GNU time (apt-get install -y time).");
        using var work = new TempDirectory("cm-bench-resolve");
        var clock = Stopwatch.StartNew();
        // The generated channel is deterministic per scale: CONDAMIRROR_RESOLVE_SCALE_CHANNEL keeps it between runs.
        var kept = Environment.GetEnvironmentVariable("CONDAMIRROR_RESOLVE_SCALE_CHANNEL") is { Length: > 0 } keep
            ? Path.Combine(keep, scale.ToString(CultureInfo.InvariantCulture)) : null;
        var channelRoot = kept ?? work.Path;
        var json = Path.Combine(channelRoot, "json");
        var zst = Path.Combine(channelRoot, "zst");
        var shards = Path.Combine(channelRoot, "shards");
        var complete = Path.Combine(channelRoot, only.Contains("shards") ? "complete-with-shards" : "complete");
        if (kept is not null && (File.Exists(complete) || File.Exists(Path.Combine(channelRoot, "complete-with-shards"))))
        {
            Console.WriteLine($"reusing the channel generated earlier in {channelRoot}");
            Directory.CreateDirectory(shards);
        }
        else
        {
            if (Directory.Exists(channelRoot) && kept is not null) Directory.Delete(channelRoot, recursive: true);
            var counts = new SyntheticChannelGenerator(scale).WriteChannel(json);
            Console.WriteLine($"generated {string.Join(", ", counts.Select(c => $"{c.Key} {c.Value:N0} records ({new FileInfo(Path.Combine(json, c.Key, "repodata.json")).Length / 1e6:F0} MB)"))} in {clock.Elapsed.TotalSeconds:F0} s");

            clock.Restart();
            foreach (var subdir in SyntheticChannelGenerator.Subdirs)
            {
                Directory.CreateDirectory(Path.Combine(zst, subdir));
                RunProcess("zstd", work.Path, null, "-q", "-T0", "-10", "-f", Path.Combine(json, subdir, "repodata.json"), "-o", Path.Combine(zst, subdir, "repodata.json.zst"))
                    .ThrowIfFailed("zstd");
                if (only.Contains("shards")) WriteCliShards(Path.Combine(json, subdir, "repodata.json"), Path.Combine(shards, subdir), subdir);
            }
            Console.WriteLine($"compressed .json.zst and shards with the zstd CLI in {clock.Elapsed.TotalSeconds:F0} s");
            Directory.CreateDirectory(shards);
            File.WriteAllText(complete, "");
        }

        await using var zstServer = new LoopbackChannelServer(zst);
        await using var shardServer = new LoopbackChannelServer(shards);

        var version = $"0.0.0-bench.{DateTime.UtcNow:yyyyMMddHHmmss}";
        var feed = work.Combine("feed");
        var env = new Dictionary<string, string> { ["NUGET_PACKAGES"] = work.Combine("nuget-packages"), [ResolveTimingsVariable] = "1" };
        RunProcess("dotnet", TestData.RepoRoot, env, "pack", Path.Combine(TestData.RepoRoot, "src", "CondaMirror.MSBuild"),
            "-c", "Release", "-o", feed, $"-p:Version={version}", "-nodeReuse:false", "-tl:off", "-v:q").ThrowIfFailed("dotnet pack");

        var items = string.Join("", SyntheticChannelGenerator.BenchmarkRequest.Select(n => $"<CondaPackage Include=\"{n}\" />"));
        var variants = new (string Key, string Name, string Channel, LoopbackChannelServer? Server)[]
        {
            ("json", "repodata.json (local folder)", new Uri(json + "/").AbsoluteUri, null),
            ("zst", "repodata.json.zst over HTTP", zstServer.BaseUri.AbsoluteUri, zstServer),
            ("shards", "CEP-16 shards over HTTP", shardServer.BaseUri.AbsoluteUri, shardServer),
        }.Where(v => only.Contains(v.Key)).ToArray();
        var projects = variants.Select((v, i) => ConsumerProject.Write(work.Combine($"app{i}"), feed, version, $"""
              <PropertyGroup>
                <CondaPlatforms>linux-64</CondaPlatforms>
                <CondaRepodataCachePath>{work.Combine($"repodata-cache{i}")}</CondaRepodataCachePath>
              </PropertyGroup>
              <ItemGroup>
                <CondaChannel Include="{v.Channel}" />
                {items}
              </ItemGroup>
            """, "App")).ToList();
        foreach (var project in projects)
            RunProcess("dotnet", Path.GetDirectoryName(project)!, env, "restore", project, "-nodeReuse:false", "-tl:off", "-v:q").ThrowIfFailed("dotnet restore");

        ProcessRun Msbuild(string project, string target) =>
            RunProcess(GnuTime, Path.GetDirectoryName(project)!, env, "-v", "dotnet", "msbuild", project, $"-t:{target}", "-nodeReuse:false", "-m:1", "-tl:off", "-v:n");

        var libsolv = LibsolvFloor();
        var libsolvArgs = SyntheticChannelGenerator.Subdirs.Select(d => Path.Combine(json, d, "repodata.json"))
            .Append("--").Concat(SyntheticChannelGenerator.BenchmarkRequest).ToArray();
        var libsolvWall = new List<double>();
        var libsolvPeak = new List<double>();
        var baseline = new List<double>();
        var baselineWall = new List<double>();
        var results = variants.Select(_ => (Wall: new List<double>(), Peak: new List<double>(), Bytes: 0L, Requests: 0)).ToArray();
        for (var round = 1; round <= rounds; round++)
        {
            var checkClock = Stopwatch.StartNew();
            var check = Msbuild(projects[0], "_CondaMirrorPrepare");
            baselineWall.Add(checkClock.Elapsed.TotalSeconds);
            check.ThrowIfFailed("baseline msbuild");
            baseline.Add(MaxRssMb(check.Output));
            var solvClock = Stopwatch.StartNew();
            var solv = RunProcess(GnuTime, work.Path, null, new[] { "-v", libsolv }.Concat(libsolvArgs).ToArray());
            libsolvWall.Add(solvClock.Elapsed.TotalSeconds);
            solv.ThrowIfFailed("libsolv conda_resolve");
            libsolvPeak.Add(MaxRssMb(solv.Output));
            var solvPackages = Regex.Match(solv.Output, @"^(\d+) packages$", RegexOptions.Multiline).Groups[1].Value;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"round {round} {"libsolv (repodata.json files)",-30} wall {libsolvWall[^1]:F2} s, peak RSS {libsolvPeak[^1]:F0} MB, {solvPackages} packages"));
            for (var i = 0; i < variants.Length; i++)
            {
                var dir = Path.GetDirectoryName(projects[i])!;
                foreach (var stale in new[] { Path.Combine(dir, "conda-mirror.lock") }) File.Delete(stale);
                foreach (var stale in new[] { work.Combine($"repodata-cache{i}"), Path.Combine(dir, "obj", "Debug", "net10.0", "condamirror") })
                    if (Directory.Exists(stale)) Directory.Delete(stale, recursive: true);
                var server = variants[i].Server;
                server?.ClearRequests();
                var sw = Stopwatch.StartNew();
                var run = Msbuild(projects[i], "_CondaMirrorPrepare;CondaMirrorResolve");
                var wall = sw.Elapsed.TotalSeconds;
                run.ThrowIfFailed($"resolve ({variants[i].Name})");
                if (!Regex.IsMatch(run.Output, @"Conda lock linux-64: \d+ packages")) throw new InvalidOperationException($"no solve in the output:\n{run.Output}");
                results[i].Wall.Add(wall);
                results[i].Peak.Add(MaxRssMb(run.Output));
                if (server is not null)
                {
                    results[i].Requests = server.Requests.Count;
                    results[i].Bytes = server.Requests.Select(r => Path.Combine(server.RootDirectory, r.Path.TrimStart('/')))
                        .Where(File.Exists).Sum(p => new FileInfo(p).Length);
                }
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"round {round} {variants[i].Name,-30} wall {wall:F2} s, peak RSS {results[i].Peak[^1]:F0} MB, {results[i].Requests} requests, {results[i].Bytes / 1e6:F2} MB fetched"));
                // The lock's hash with the channel's URL taken out (the loopback port changes): equal across runs and versions.
                var lockText = string.Join("\n", File.ReadLines(Path.Combine(dir, "conda-mirror.lock"))
                    .Where(l => !l.StartsWith("# condamirror-inputs-sha256:", StringComparison.Ordinal))
                    .Select(l => l.Replace(variants[i].Channel.TrimEnd('/'), "CHANNEL", StringComparison.Ordinal)));
                Console.WriteLine($"        lock sha256 {Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(lockText)))[..16]} (without the inputs hash line, channel URL replaced)");
                // Where the step's time went, from its own timings line.
                Console.WriteLine("        " + Regex.Match(run.Output, @"Resolve timings: .*$", RegexOptions.Multiline).Value.TrimEnd() +
                    "; solve stats: " + Regex.Match(run.Output, @"Conda lock linux-64: \d+ packages.*$", RegexOptions.Multiline).Value.TrimEnd());
            }
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"baseline (MSBuild, project check only) wall {Median(baselineWall):F2} s, peak RSS {Median(baseline):F0} MB"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"libsolv floor                  median wall {Median(libsolvWall):F2} s, peak RSS {Median(libsolvPeak):F0} MB"));
        var zstBytes = Math.Max(1, results.Select((r, i) => variants[i].Key == "zst" ? r.Bytes : 0).Max());
        for (var i = 0; i < variants.Length; i++)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{variants[i].Name,-30} median wall {Median(results[i].Wall):F2} s, peak RSS {Median(results[i].Peak):F0} MB (+{Median(results[i].Peak) - Median(baseline):F0} MB over the baseline)") +
                (variants[i].Server is null ? "" : string.Create(CultureInfo.InvariantCulture,
                    $", {results[i].Requests} requests, {results[i].Bytes / 1e6:F2} MB fetched ({100.0 * results[i].Bytes / zstBytes:F1} % of the .json.zst path)")) +
                string.Create(CultureInfo.InvariantCulture,
                    $"; {Median(results[i].Wall) / Median(libsolvWall):F2}x libsolv's wall ({(Median(results[i].Wall) - Median(baselineWall)) / Median(libsolvWall):F2}x net of the MSBuild check), {Median(results[i].Peak) / Median(libsolvPeak):F2}x its peak RSS"));
        return 0;
    }

    /// <summary>The libsolv floor's executable: <c>CONDAMIRROR_LIBSOLV_RESOLVE</c>, else built by benchmarks/libsolv/setup.sh.</summary>
    private static string LibsolvFloor()
    {
        if (Environment.GetEnvironmentVariable("CONDAMIRROR_LIBSOLV_RESOLVE") is { Length: > 0 } given) return given;
        var setup = RunProcess("bash", TestData.RepoRoot, null, Path.Combine(TestData.RepoRoot, "benchmarks", "libsolv", "setup.sh"));
        setup.ThrowIfFailed("benchmarks/libsolv/setup.sh");
        return setup.Output.Trim().Split('\n')[^1];
    }

    /// <summary>Writes one shard per name (MessagePack by ShardWriter, compressed by the zstd CLI at level 19) and the index.</summary>
    private static void WriteCliShards(string repodataJson, string subdirDir, string subdir)
    {
        var staging = Path.Combine(subdirDir, "staging");
        var shardsDir = Path.Combine(subdirDir, "shards");
        Directory.CreateDirectory(staging);
        Directory.CreateDirectory(shardsDir);
        var names = new List<string>();
        using (var repodata = SparseRepodata.LoadFile(repodataJson, new Uri("https://example.invalid/"), subdir))
        {
            foreach (var name in repodata.PackageNames)
            {
                var shard = new Shard();
                foreach (var record in repodata.Records(name)) shard.Add(record.FileName, record.Record);
                File.WriteAllBytes(Path.Combine(staging, names.Count.ToString(CultureInfo.InvariantCulture)), ShardWriter.WriteShard(shard));
                names.Add(name);
            }
        }
        RunProcess("zstd", staging, null, "-q", "-19", "-r", "--rm", ".").ThrowIfFailed("zstd (shards)");
        var index = new ShardIndex { Subdir = subdir, ShardsBaseUrl = "./shards/" };
        for (var i = 0; i < names.Count; i++)
        {
            var file = Path.Combine(staging, i.ToString(CultureInfo.InvariantCulture) + ".zst");
            var hash = ShardHash.Of(File.ReadAllBytes(file));
            File.Move(file, Path.Combine(shardsDir, ShardHash.FileName(hash)), overwrite: true);
            index.SetShard(names[i], hash);
        }
        var indexMsgpack = Path.Combine(subdirDir, "repodata_shards.msgpack");
        File.WriteAllBytes(indexMsgpack, ShardWriter.WriteIndex(index));
        RunProcess("zstd", subdirDir, null, "-q", "-19", "--rm", "-f", indexMsgpack, "-o", Path.Combine(subdirDir, "repodata_shards.msgpack.zst")).ThrowIfFailed("zstd (index)");
        Directory.Delete(staging, recursive: true);
    }
}
