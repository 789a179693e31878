using System.Diagnostics;
using System.Globalization;
using CondaMirror.Core.Repodata;
using CondaMirror.Core.Zstd;
using CondaMirror.TestKit.Synthetic;

namespace CondaMirror.Benchmarks;

public static partial class BenchmarkRegistry
{
    /// <summary>
    /// repodata-parse [scale=1] [seed=20240501]: sparse index throughput over a generated conda-forge-scale channel
    /// (cached under /tmp/condamirror-bench), for .json and .json.zst, plus memory and the cost of materialising
    /// 50 popular names.
    /// </summary>
    private static Benchmark RegisterRepodataParse() => new("repodata-parse",
        "sparse repodata index MB/s (.json and .zst), memory, 50-name materialisation on a generated 500k-record channel",
        args =>
        {
            var (dir, channelUri) = GeneratedChannel(args);

            Console.WriteLine($"channel: {dir}");
            long totalBytes = 0;
            var loaded = new List<SparseRepodata>();
            var before = GC.GetTotalMemory(forceFullCollection: true);
            foreach (var subdir in SyntheticChannelGenerator.Subdirs)
            {
                var path = Path.Combine(dir, subdir, "repodata.json");
                var sw = Stopwatch.StartNew();
                var bytes = File.ReadAllBytes(path);
                var readMs = sw.Elapsed.TotalMilliseconds;
                totalBytes += bytes.Length;
                SparseRepodata? repodata = null;
                double best = double.MaxValue, bestCpu = double.MaxValue;
                for (var run = 0; run < 5; run++)
                {
                    repodata = null;
                    GC.Collect();
                    var cpu = CpuTime();
                    sw.Restart();
                    repodata = SparseRepodata.Load(path, bytes, channelUri, subdir);
                    best = Math.Min(best, sw.Elapsed.TotalMilliseconds);
                    bestCpu = Math.Min(bestCpu, (CpuTime() - cpu).TotalMilliseconds);
                }
                loaded.Add(repodata!);
                // The CPU-time figure is the single-core rate; wall time also counts waiting for a core on a busy machine.
                Console.WriteLine($"{subdir,-9} json  {bytes.Length / 1e6,8:F1} MB  {repodata!.RecordCount,7} records  {repodata.NameCount,6} names  " +
                                  $"read {readMs,6:F0} ms  index best-of-5: wall {best,6:F0} ms = {bytes.Length / 1e6 / (best / 1000),5:F0} MB/s, " +
                                  $"cpu {bestCpu,6:F0} ms = {bytes.Length / 1e6 / (bestCpu / 1000),5:F0} MB/s");
            }
            var after = GC.GetTotalMemory(forceFullCollection: true);
            Console.WriteLine($"managed memory held by both indexes: {(after - before) / 1e6:F1} MB for {totalBytes / 1e6:F1} MB of JSON " +
                              $"({(double)(after - before) / totalBytes:F3}x)");

            var popular = new SyntheticChannelGenerator().PopularNames;
            var materialise = Stopwatch.StartNew();
            var materialised = 0;
            foreach (var repodata in loaded)
                foreach (var name in popular)
                    materialised += repodata.Records(name).Count;
            Console.WriteLine($"materialise {popular.Count} popular names (both subdirs, first request): {materialised} records in {materialise.Elapsed.TotalMilliseconds:F0} ms");
            var afterRecords = GC.GetTotalMemory(forceFullCollection: true);
            Console.WriteLine($"managed memory after materialising them: {(afterRecords - before) / 1e6:F1} MB");

            var all = Stopwatch.StartNew();
            var allRecords = loaded[0].AllRecords().Count();
            Console.WriteLine($"materialise every {loaded[0].Subdir} record: {allRecords} in {all.Elapsed.TotalMilliseconds:F0} ms " +
                              $"({allRecords / all.Elapsed.TotalSeconds:F0} records/s; the indexer's path, not the solver's)");

            ZstdRun(dir, channelUri);
            GC.KeepAlive(loaded);
            Console.WriteLine($"peak working set: {Process.GetCurrentProcess().PeakWorkingSet64 / 1e6:F0} MB");
            return 0;
        });

    private static TimeSpan CpuTime()
    {
        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime;
    }

    /// <summary>
    /// The synthetic conda-forge-scale channel for args [scale] [seed], generated once and cached under
    /// /tmp/condamirror-bench (keyed by the generator's output version, so a changed generator regenerates).
    /// </summary>
    internal static (string Dir, Uri ChannelUri) GeneratedChannel(string[] args)
    {
        var scale = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 1.0;
        var seed = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 20240501;
        var dir = Path.Combine(Path.GetTempPath(), "condamirror-bench",
            $"synthetic-v{SyntheticChannelGenerator.OutputVersion}-s{scale.ToString(CultureInfo.InvariantCulture)}-{seed}");
        var marker = Path.Combine(dir, ".complete");
        if (!File.Exists(marker))
        {
            var sw = Stopwatch.StartNew();
            var counts = new SyntheticChannelGenerator(scale, seed).WriteChannel(dir);
            File.WriteAllText(marker, string.Join(",", counts.Select(c => $"{c.Key}={c.Value}")));
            Console.WriteLine($"generated {counts.Values.Sum()} records in {sw.Elapsed.TotalSeconds:F1} s");
        }
        return (dir, new Uri(Path.TrimEndingDirectorySeparator(dir) + Path.DirectorySeparatorChar));
    }

    // The .zst is made once with the zstd CLI (-3, what channels publish); decoding is the built-in codec.
    private static void ZstdRun(string dir, Uri channelUri)
    {
        if (!CliAvailable("zstd"))
        {
            Console.WriteLine("zstd CLI not found: skipping the .zst measurement");
            return;
        }
        foreach (var subdir in SyntheticChannelGenerator.Subdirs)
        {
            var json = Path.Combine(dir, subdir, "repodata.json");
            var zst = json + ".zst";
            if (!File.Exists(zst)) Run("zstd", $"-q -3 -f \"{json}\" -o \"{zst}\"");
            var compressed = File.ReadAllBytes(zst);
            double bestDecode = double.MaxValue, bestIndex = double.MaxValue;
            var records = 0;
            for (var run = 0; run < 3; run++)
            {
                GC.Collect();
                var cpu = CpuTime();
                var decoded = ZstdCodec.Decompress(compressed);
                var afterDecode = CpuTime();
                var repodata = SparseRepodata.Load(zst, decoded, channelUri, subdir);
                var afterIndex = CpuTime();
                bestDecode = Math.Min(bestDecode, (afterDecode - cpu).TotalMilliseconds);
                bestIndex = Math.Min(bestIndex, (afterIndex - afterDecode).TotalMilliseconds);
                records = repodata.RecordCount;
            }
            var sw = Stopwatch.StartNew();
            var wallRepodata = SparseRepodata.LoadZstd(zst, compressed, channelUri, subdir);
            var wall = sw.Elapsed.TotalMilliseconds;
            Console.WriteLine($"{subdir,-9} zst   {compressed.Length / 1e6,8:F1} MB (-3)  best-of-3 cpu: decode {bestDecode,6:F0} ms + index {bestIndex,5:F0} ms " +
                              $"= {bestDecode + bestIndex,6:F0} ms for {records} records; one wall-clock LoadZstd {wall,6:F0} ms ({wallRepodata.JsonLength / 1e6 / (wall / 1000):F0} MB/s of JSON)");
        }
    }

    private static bool CliAvailable(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Any(p => File.Exists(Path.Combine(p, tool)));

    private static void Run(string tool, string arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(tool, arguments) { UseShellExecute = false })!;
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{tool} {arguments} failed with {process.ExitCode}");
    }
}
