using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using CondaMirror.Core.Locks;
using CondaMirror.Core.Records;
using CondaMirror.TestKit;
using CondaMirror.TestKit.Channels;

namespace CondaMirror.Benchmarks;

public static partial class BenchmarkRegistry
{
    /// <summary>
    /// The whole product through a real `dotnet build`: a packed CondaMirror.MSBuild, a consumer class library
    /// mirroring a pixi.lock of [packages=300] packages totalling [totalMB=600] MB from a loopback channel.
    /// Packages are assembled from this system's own files (<see cref="RealisticPackages"/>). Measures the cold build
    /// against the physical floors of the same run: curl fetching the same URLs (as parallel as the build), and Debian's
    /// zstd/bzip2 decompressing the same archives' payloads in as many processes as the build checks archives at once;
    /// the build's peak RSS against the same project with the mirror disabled (MSBuild alone); and the no-op rebuild.
    /// Args: [packages] [totalMB] [coldRounds=3] [noopRuns=5]. Needs dotnet, curl, zstd, bzip2 and GNU time (/usr/bin/time).
    /// </summary>
    private static Benchmark RegisterBuild() => new("build", "dotnet build of a pixi.lock (300 realistic pkgs / 600 MB): cold vs curl and zstd/bzip2 floors, peak RSS, no-op rebuild", args =>
    {
        var count = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 300;
        var totalMb = args.Length > 1 ? double.Parse(args[1], CultureInfo.InvariantCulture) : 600;
        var coldRounds = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 3;
        var noopRuns = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 5;
        if (!File.Exists(GnuTime)) throw new InvalidOperationException($"{GnuTime} is missing; install GNU time (apt-get install -y time).");
        return RunBuildBenchmark(count, totalMb, coldRounds, noopRuns).GetAwaiter().GetResult();
    });

    private const string GnuTime = "/usr/bin/time";

    // One process: no MSBuild worker nodes, no compiler server, no MSBuild server, so GNU time sees the whole build.
    private static readonly string[] SingleProcessBuildFlags = { "-nodeReuse:false", "-m:1", "-p:UseSharedCompilation=false", "-tl:off", "-v:n" };

    private static async Task<int> RunBuildBenchmark(int count, double totalMb, int coldRounds, int noopRuns)
    {
        using var work = new TempDirectory("cm-bench-build");
        var upstream = work.Combine("upstream");
        var clock = Stopwatch.StartNew();
        var packages = RealisticPackages.Plan(count, (long)(totalMb * 1048576), zstdLevel: 10);
        long unpacked = 0;
        // Compressing is the slow part: every core at once, one package per core in memory (TestKit's independent writer).
        var archives = ChannelBuilder.WriteStreaming(upstream, packages.Count, i =>
        {
            var spec = packages.Spec(i);
            Interlocked.Add(ref unpacked, spec.Files.Sum(f => (long)f.Content.Length));
            return spec;
        }, Environment.ProcessorCount);
        var totalBytes = archives.Sum(f => new FileInfo(f).Length);
        var bz2Count = archives.Count(f => f.EndsWith(".tar.bz2", StringComparison.Ordinal));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"generated {archives.Count} packages ({archives.Count - bz2Count} .conda, {bz2Count} .tar.bz2), {totalBytes / 1048576.0:0.0} MB of archives, {unpacked / 1048576.0:0} MB of Debian files in them, largest {archives.Max(f => new FileInfo(f).Length) / 1048576.0:0.0} MB, in {clock.Elapsed.TotalSeconds:0.0} s"));
        var floors = DecompressFloor.Prepare(archives, work.Combine("floor"));
        var workers = Environment.ProcessorCount;

        await using var server = new LoopbackChannelServer(upstream);
        var records = ChannelRecords.Read(upstream, server.BaseUri);
        var lockPath = WriteBenchmarkLock(work.Combine("pixi.lock"), records);

        var env = new Dictionary<string, string> { ["NUGET_PACKAGES"] = work.Combine("nuget-packages") };
        var (feed, version) = PackageToBenchmark(work, env);
        var cache = work.Combine("package-cache");
        var project = WriteBenchmarkConsumer(work.Combine("app"), feed, version, lockPath, cache);
        var channel = work.Combine("app", "bin", "Debug", "net10.0", "conda-channel");
        var stateDir = work.Combine("app", "obj", "Debug", "net10.0", "condamirror");
        void MakeCold()
        {
            foreach (var dir in new[] { cache, channel, stateDir })
                if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }

        // Warm-up: restore, compile, first mirror; afterwards only the conda steps have work left to do.
        clock.Restart();
        var warmup = RunProcess("dotnet", work.Combine("app"), env, new[] { "build", project }.Concat(SingleProcessBuildFlags).ToArray());
        warmup.ThrowIfFailed("warm-up dotnet build");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"warm-up build (restore + compile + mirror) {clock.Elapsed.TotalSeconds:0.0} s"));
        var expected = $"Conda packages: {archives.Count} in channel ({archives.Count} downloaded";
        if (!warmup.Output.Contains(expected, StringComparison.Ordinal)) throw new InvalidOperationException($"the build did not download every package:\n{warmup.Output}");

        var curlConfig = work.Combine("curl.cfg");
        var curlOut = work.Combine("curl-out");
        await File.WriteAllLinesAsync(curlConfig, records.Select(r => r.Url).Distinct()
            .SelectMany(url => new[] { $"url = \"{url}\"", $"output = \"{Path.Combine(curlOut, url[(url.LastIndexOf('/') + 1)..])}\"" }));

        var builds = new List<double>();
        var zstdFloors = new List<double>();
        var bzip2Floors = new List<double>();
        var performance = "";
        var taskTimes = new List<double>();
        var peaks = new List<double>();
        var curls = new List<double>();
        for (var round = 1; round <= coldRounds; round++)
        {
            // Alternate who goes first: the second runner pays for the first one's disk writeback.
            if (round % 2 == 1) { ColdBuild(); curls.Add(TimeCurl()); }
            else { curls.Add(TimeCurl()); ColdBuild(); }
            var (zstd, bzip2) = floors.Time(workers);
            zstdFloors.Add(zstd);
            bzip2Floors.Add(bzip2);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"cold round {round}: dotnet build {builds[^1]:0.00} s (download task {taskTimes[^1]:0.0} s), peak RSS {peaks[^1]:0} MB; curl {curls[^1]:0.00} s; zstd -d {zstd:0.00} s + bzip2 -d {bzip2:0.00} s in {workers} processes; load average {LoadAverage()}"));
        }

        void ColdBuild()
        {
            MakeCold();
            var build = RunProcess(GnuTime, work.Combine("app"), env, new[] { "-v", "dotnet", "build", project, "--no-restore", "-clp:PerformanceSummary" }.Concat(SingleProcessBuildFlags).ToArray());
            build.ThrowIfFailed("cold dotnet build");
            performance = CondaTaskTimes(build.Output);
            if (!build.Output.Contains(expected, StringComparison.Ordinal)) throw new InvalidOperationException($"the cold build did not download every package:\n{build.Output}");
            builds.Add(build.Seconds);
            taskTimes.Add(DownloadTaskSeconds(build.Output));
            peaks.Add(MaxRssMb(build.Output));
        }

        double TimeCurl()
        {
            if (Directory.Exists(curlOut)) Directory.Delete(curlOut, recursive: true);
            Directory.CreateDirectory(curlOut);
            // As parallel as the build's downloads (CondaMaxParallelDownloads, 8 by default).
            var curl = RunProcess("curl", work.Path, null, "--parallel", "--parallel-max", "8", "-s", "-S", "-f", "-K", curlConfig);
            curl.ThrowIfFailed("curl");
            return curl.Seconds;
        }

        // No-op rebuilds: nothing changed since the last cold build. Not interleaved with the disabled runs: a build
        // with CondaMirrorEnabled=false drops the channel from FileWrites, so IncrementalClean deletes it and the
        // next enabled build has real work again.
        var noop = new List<double>();
        var noopPeaks = new List<double>();
        for (var run = 1; run <= noopRuns; run++)
        {
            var on = RunProcess(GnuTime, work.Combine("app"), env, new[] { "-v", "dotnet", "build", project, "--no-restore" }.Concat(SingleProcessBuildFlags).ToArray());
            on.ThrowIfFailed("no-op dotnet build");
            if (!on.Output.Contains("Conda download step: up to date", StringComparison.Ordinal) || on.Output.Contains("step: runs because", StringComparison.Ordinal))
                throw new InvalidOperationException($"the no-op build did not skip the download:\n{on.Output}");
            noop.Add(on.Seconds);
            noopPeaks.Add(MaxRssMb(on.Output));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"no-op run {run}: mirror enabled {on.Seconds:0.00} s ({noopPeaks[^1]:0} MB)"));
        }

        var disabledArgs = new[] { "-v", "dotnet", "build", project, "--no-restore", "-p:CondaMirrorEnabled=false" }.Concat(SingleProcessBuildFlags).ToArray();
        RunProcess(GnuTime, work.Combine("app"), env, disabledArgs).ThrowIfFailed("first dotnet build with CondaMirrorEnabled=false");
        Console.WriteLine($"after the first CondaMirrorEnabled=false build the channel {(Directory.Exists(channel) && Directory.EnumerateFiles(channel, "*", SearchOption.AllDirectories).Any() ? "is still there" : "is gone (IncrementalClean)")}");
        var disabled = new List<double>();
        var disabledPeaks = new List<double>();
        for (var run = 1; run <= noopRuns; run++)
        {
            var off = RunProcess(GnuTime, work.Combine("app"), env, disabledArgs);
            off.ThrowIfFailed("dotnet build with CondaMirrorEnabled=false");
            disabled.Add(off.Seconds);
            disabledPeaks.Add(MaxRssMb(off.Output));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"no-op run {run}: CondaMirrorEnabled=false {off.Seconds:0.00} s ({disabledPeaks[^1]:0} MB)"));
        }

        // What re-enabling costs after that: the archives come from the package cache, nothing from the network.
        var reenabled = RunProcess("dotnet", work.Combine("app"), env, new[] { "build", project, "--no-restore" }.Concat(SingleProcessBuildFlags).ToArray());
        reenabled.ThrowIfFailed("dotnet build re-enabling the mirror");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"first build with the mirror enabled again: {reenabled.Seconds:0.00} s"));

        var mb = totalBytes / 1048576.0;
        var decompress = Median(zstdFloors) + Median(bzip2Floors);
        var floor = Math.Max(Median(curls), decompress);
        Console.WriteLine();
        Console.WriteLine("conda tasks in the last cold build (MSBuild performance summary):");
        Console.WriteLine(performance);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"summary ({archives.Count} packages, {mb:0} MB, medians):"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  cold dotnet build       {Median(builds):0.00} s (best {builds.Min():0.00} s, {mb / Median(builds):0} MB/s)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  DownloadCondaPackages   {Median(taskTimes):0.00} s (its own summary line)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  curl --parallel-max 8   {Median(curls):0.00} s (best {curls.Min():0.00} s, {mb / Median(curls):0} MB/s)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  decompress floor        {decompress:0.00} s (zstd -d -T1 {Median(zstdFloors):0.00} s + bzip2 -d {Median(bzip2Floors):0.00} s, {workers} processes, payloads only)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  ratio build/curl        {Median(builds) / Median(curls):0.00}x; download task/curl {Median(taskTimes) / Median(curls):0.00}x"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  ratio to max(curl, decompress floor) = {floor:0.00} s: build {Median(builds) / floor:0.00}x, download task {Median(taskTimes) / floor:0.00}x"));
        // The no-op build is the same MSBuild startup and project evaluation without the conda work.
        var condaWork = Median(builds) - Median(noop);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  cold build minus no-op  {condaWork:0.00} s (download + link + index), ratio to curl {condaWork / Median(curls):0.00}x"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  peak RSS cold build     {Median(peaks):0} MB (max {peaks.Max():0} MB); no-op build {Median(noopPeaks):0} MB; mirror disabled (MSBuild alone) {Median(disabledPeaks):0} MB; cold minus MSBuild alone {Median(peaks) - Median(disabledPeaks):0} MB"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  no-op rebuild           {Median(noop):0.00} s vs CondaMirrorEnabled=false {Median(disabled):0.00} s, ratio {Median(noop) / Median(disabled):0.00}x"));
        Console.WriteLine($"  load average at the end {LoadAverage()} on {Environment.ProcessorCount} cores");
        return 0;
    }

    /// <summary>
    /// The CondaMirror.MSBuild package the consumer uses: packed here with a unique version (NuGet caches by version, so
    /// a re-used one could hide a stale package), or, when CONDAMIRROR_BENCH_FEED names a folder, the newest package
    /// already packed there (repeated local runs of the same source).
    /// </summary>
    private static (string Feed, string Version) PackageToBenchmark(TempDirectory work, IReadOnlyDictionary<string, string> env)
    {
        var clock = Stopwatch.StartNew();
        if (Environment.GetEnvironmentVariable("CONDAMIRROR_BENCH_FEED") is { Length: > 0 } given)
        {
            const string Prefix = "CondaMirror.MSBuild.";
            var newest = Directory.Exists(given)
                ? new DirectoryInfo(given).GetFiles(Prefix + "*.nupkg").OrderByDescending(f => f.LastWriteTimeUtc).FirstOrDefault()
                : null;
            if (newest is null) throw new InvalidOperationException($"CONDAMIRROR_BENCH_FEED={given} holds no {Prefix}*.nupkg");
            var found = newest.Name[Prefix.Length..^".nupkg".Length];
            Console.WriteLine($"using the packed CondaMirror.MSBuild {found} from {given}");
            return (given, found);
        }
        var version = $"0.0.0-bench.{DateTime.UtcNow:yyyyMMddHHmmss}";
        var feed = work.Combine("feed");
        var pack = RunProcess("dotnet", TestData.RepoRoot, env, "pack", Path.Combine(TestData.RepoRoot, "src", "CondaMirror.MSBuild"),
            "-c", "Release", "-o", feed, $"-p:Version={version}", "-nodeReuse:false", "-tl:off", "-v:q");
        pack.ThrowIfFailed("dotnet pack");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"packed CondaMirror.MSBuild {version} in {clock.Elapsed.TotalSeconds:0.0} s"));
        return (feed, version);
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    /// <summary>The conda tasks' lines of MSBuild's task performance summary (-clp:PerformanceSummary).</summary>
    private static string CondaTaskTimes(string output)
    {
        var start = output.LastIndexOf("Task Performance Summary:", StringComparison.Ordinal);
        if (start < 0) return "  (no task performance summary in the build output)";
        return string.Join('\n', output[start..].Split('\n').Skip(1).TakeWhile(l => l.Trim().Length > 0)
            .Where(l => l.Contains("Conda", StringComparison.Ordinal)).Select(l => "  " + l.Trim()));
    }

    /// <summary>A v6 pixi.lock with every package: linux-64 and win-64 each get their own plus all noarch ones.</summary>
    private static string WriteBenchmarkLock(string path, IReadOnlyList<RepodataRecord> records)
    {
        var document = new LockDocument();
        var environment = document.Environment("default", new[] { records[0].Channel! });
        foreach (var platform in new[] { "linux-64", "win-64" })
            environment.AddRange(platform, records.Where(r => r.Subdir == platform || r.Subdir == "noarch"));
        PixiLockWriter.Write(path, document);
        return path;
    }

    private static string WriteBenchmarkConsumer(string directory, string feed, string version, string lockPath, string cache) =>
        ConsumerProject.Write(directory, feed, version, $"""
              <PropertyGroup>
                <CondaLockFile>{lockPath}</CondaLockFile>
                <CondaPackageCachePath>{cache}</CondaPackageCachePath>
              </PropertyGroup>
            """, "App");

    private static double DownloadTaskSeconds(string output)
    {
        var match = Regex.Match(output, @"Conda packages: .* in (\d+(?:\.\d+)?) s\)");
        if (!match.Success) throw new InvalidOperationException($"no \"Conda packages: ... in X s\" line in the build output:\n{output}");
        return double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    // GNU time reports the largest RSS of the process and its waited-for children (here: one dotnet process).
    private static double MaxRssMb(string output)
    {
        var match = Regex.Match(output, @"Maximum resident set size \(kbytes\): (\d+)");
        if (!match.Success) throw new InvalidOperationException($"no GNU time report in the output:\n{output}");
        return long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) / 1024.0;
    }

    private sealed record ProcessRun(int ExitCode, string Output, double Seconds)
    {
        public void ThrowIfFailed(string step)
        {
            if (ExitCode != 0) throw new InvalidOperationException($"{step} failed with exit code {ExitCode}:\n{Output}");
        }
    }

    private static ProcessRun RunProcess(string fileName, string workingDirectory, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var psi = new ProcessStartInfo(fileName) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        psi.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        psi.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        // Set by `dotnet run` for this harness; they would redirect the child build.
        foreach (var key in new[] { "MSBuildExtensionsPath", "MSBuildSDKsPath", "MSBUILD_EXE_PATH" }) psi.Environment.Remove(key);
        if (environment is not null)
            foreach (var (k, v) in environment) psi.Environment[k] = v;

        var output = new StringBuilder();
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(psi)!;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.WaitForExit();
        var seconds = clock.Elapsed.TotalSeconds;
        return new ProcessRun(process.ExitCode, output.ToString(), seconds);
    }
}
