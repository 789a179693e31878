using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using CondaMirror.Core.Indexing;
using CondaMirror.Core.Records;
using CondaMirror.TestKit;
using CondaMirror.TestKit.Channels;

namespace CondaMirror.Benchmarks;

public static partial class BenchmarkRegistry
{
    /// <summary>
    /// Our indexer against conda-index 0.12.1 in the same run, each as its own process under GNU time: 1,000 packages
    /// with payloads taken from this machine's Debian files (ELF libraries, .pyc, text), written by TestKit's
    /// independent <see cref="ChannelBuilder"/> (2/3 .conda, 1/3 .tar.bz2, four subdirs), every output on both sides.
    /// Rounds alternate the two tools so both see the same load. Args: [packages=1000] [rounds=3] [parallelism=0 (cores)].
    /// </summary>
    private static Benchmark RegisterIndex() => new("index", "ours vs conda-index 0.12.1: 1,000 realistic packages, all outputs, packages/s and peak RSS", args =>
    {
        var count = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1000;
        var rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 3;
        var parallelism = args.Length > 2 ? args[2] : "0";
        if (!File.Exists(GnuTime)) throw new InvalidOperationException($"{GnuTime} is missing; install GNU time (apt-get install -y time).");

        using var work = new TempDirectory("cm-bench-index");
        var setup = RunProcess("bash", TestData.RepoRoot, null, Path.Combine(TestData.RepoRoot, "benchmarks", "conda-index", "setup.sh"), work.Combine("conda-index"));
        setup.ThrowIfFailed("benchmarks/conda-index/setup.sh");
        var condaIndex = setup.Output.Trim().Split('\n')[^1].Trim();

        var clock = Stopwatch.StartNew();
        var packages = IndexBenchmarkPackages.Write(work.Combine("packages"), count);
        var totalMb = packages.Sum(f => new FileInfo(f).Length) / 1048576.0;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"generated {packages.Count} packages ({packages.Count(f => f.EndsWith(".conda", StringComparison.Ordinal))} .conda, {packages.Count(f => f.EndsWith(".tar.bz2", StringComparison.Ordinal))} .tar.bz2), {totalMb:0.0} MB in {clock.Elapsed.TotalSeconds:0.0} s"));
        Console.WriteLine($"load average before: {File.ReadAllText("/proc/loadavg").Trim()}");

        var self = typeof(Program).Assembly.Location;
        var theirs = new List<(double Seconds, double RssMb)>();
        var ours = new List<(double Seconds, double RssMb)>();
        for (var round = 0; round <= rounds; round++)
        {
            // conda-index indexes a folder in place: a fresh folder of hard links to the same archives every round.
            var channel = work.Combine($"conda-index-{round}");
            RunProcess("cp", work.Path, null, "-al", work.Combine("packages"), channel).ThrowIfFailed("cp -al");
            var them = RunProcess(GnuTime, work.Path, null, "-v", condaIndex, "--channeldata", "--no-rss", "--run-exports", "--zst",
                "--write-shards", "--no-current-repodata", channel);
            them.ThrowIfFailed("conda-index");
            var us = RunProcess(GnuTime, work.Path, null, "-v", Environment.ProcessPath!, self, "index-run", work.Combine("packages"), work.Combine($"ours-{round}"), parallelism);
            us.ThrowIfFailed("index-run");
            var indexed = Regex.Match(us.Output, @"indexed (\d+) packages");
            if (!indexed.Success || int.Parse(indexed.Groups[1].Value, CultureInfo.InvariantCulture) != packages.Count)
                throw new InvalidOperationException($"index-run did not index every package:\n{us.Output}");
            var listed = RepodataPackages(channel);
            if (listed != packages.Count)
            {
                var kept = Path.Combine(Path.GetTempPath(), $"cm-bench-index-failed-{Environment.ProcessId}");
                RunProcess("cp", work.Path, null, "-a", channel, kept);
                throw new InvalidOperationException($"conda-index listed {listed} of {packages.Count} packages (its channel kept in {kept}):\n{them.Output}");
            }
            Directory.Delete(channel, recursive: true);
            Directory.Delete(work.Combine($"ours-{round}"), recursive: true);
            // Round 0 warms the page cache and both tools' imports; it is not counted.
            var line = string.Create(CultureInfo.InvariantCulture,
                $"conda-index {them.Seconds:0.00} s, {MaxRssMb(them.Output):0} MB; ours {us.Seconds:0.00} s, {MaxRssMb(us.Output):0} MB ({indexed.Value}; {Regex.Match(us.Output, @"in [0-9.]+ s inside the process").Value})");
            Console.WriteLine(round == 0 ? $"warm-up: {line}" : $"round {round}: {line}");
            if (round == 0) continue;
            theirs.Add((them.Seconds, MaxRssMb(them.Output)));
            ours.Add((us.Seconds, MaxRssMb(us.Output)));
        }
        Console.WriteLine($"load average after: {File.ReadAllText("/proc/loadavg").Trim()}");
        var theirRate = packages.Count / Median(theirs.Select(r => r.Seconds).ToList());
        var ourRate = packages.Count / Median(ours.Select(r => r.Seconds).ToList());
        var theirRss = Median(theirs.Select(r => r.RssMb).ToList());
        var ourRss = Median(ours.Select(r => r.RssMb).ToList());
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"conda-index 0.12.1  {theirRate,7:0} packages/s  peak RSS {theirRss:0} MB (median of {rounds}, whole process)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ours                {ourRate,7:0} packages/s  peak RSS {ourRss:0} MB (median of {rounds}, whole process)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ratio: {ourRate / theirRate:0.00}x the packages/s, {ourRss / theirRss:0.00}x the peak RSS"));
        return 0;
    });

    /// <summary>
    /// The child process the <c>index</c> benchmark times: indexes every archive under a folder into a new channel the
    /// way the index step treats CondaPackageFile items (every member checked, every output on). Args: packagesDir channelDir [parallelism=0].
    /// </summary>
    private static Benchmark RegisterIndexRun() => new("index-run", "(child of `index`) index one folder of local packages once, every output on", args =>
    {
        var clock = Stopwatch.StartNew();
        var files = Directory.EnumerateFiles(args[0], "*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".conda", StringComparison.Ordinal) || f.EndsWith(".tar.bz2", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal).ToList();
        var parallelism = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 0;
        var listed = clock.Elapsed;
        var entries = ArchiveEntries.FromArchives(files, maxParallelism: parallelism);
        var extracted = clock.Elapsed;
        var result = ChannelIndexer.Write(args[1], entries, new IndexOptions());
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"indexed {result.PackagesPerSubdir.Values.Sum()} packages in {clock.Elapsed.TotalSeconds:0.000} s inside the process " +
            $"(listing {listed.TotalSeconds:0.000} s, extraction {(extracted - listed).TotalSeconds:0.000} s, writing {(clock.Elapsed - extracted).TotalSeconds:0.000} s; " +
            $"process start to Main {(DateTime.Now - Process.GetCurrentProcess().StartTime - clock.Elapsed).TotalSeconds:0.000} s)"));
        if (Environment.GetEnvironmentVariable("CONDAMIRROR_BENCH_MEMORY") == "1")
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"GC: committed {GC.GetGCMemoryInfo().TotalCommittedBytes / 1048576.0:0.0} MB, heap {GC.GetGCMemoryInfo().HeapSizeBytes / 1048576.0:0.0} MB, allocated {GC.GetTotalAllocatedBytes() / 1048576.0:0} MB, " +
                $"collections {GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)}; peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0:0.0} MB; " +
                $"JIT {System.Runtime.JitInfo.GetCompiledMethodCount()} methods in {System.Runtime.JitInfo.GetCompilationTime().TotalMilliseconds:0} ms"));
        return 0;
    });

    private static int RepodataPackages(string channel) => Directory.GetFiles(channel, "repodata.json", SearchOption.AllDirectories).Sum(path =>
    {
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(path));
        return new[] { "packages", "packages.conda" }.Sum(key => doc.RootElement.TryGetProperty(key, out var p) ? p.EnumerateObject().Count() : 0);
    });

    /// <summary>Packages of 10–50 KB of random payload; every third one a .tar.bz2; spread over four subdirs.</summary>
    private static List<string> GenerateIndexInputs(string directory, int count)
    {
        var subdirs = new[] { "linux-64", "win-64", "osx-arm64", "noarch" };
        var random = new Random(7);
        var files = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            var subdir = subdirs[i % subdirs.Length];
            var spec = new PackageSpec($"pkg{i:D4}", $"1.{i % 7}.{i % 3}", $"h{i:x4}_{i % 3}", subdir)
            {
                Depends = new[] { $"pkg{(i + 1) % count:D4} >=1.0", "python >=3.9" },
                Format = i % 3 == 2 ? ArchiveFormat.TarBz2 : ArchiveFormat.Conda,
                PayloadBytes = random.Next(10_000, 50_000),
            };
            files.Add(CoreChannelBuilder.WritePackage(Path.Combine(directory, subdir), spec));
        }
        return files;
    }
}
