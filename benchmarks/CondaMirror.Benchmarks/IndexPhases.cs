using System.Diagnostics;
using System.Globalization;
using CondaMirror.Core.Archives;
using CondaMirror.Core.Indexing;
using CondaMirror.Core.IO;
using CondaMirror.TestKit;

namespace CondaMirror.Benchmarks;

public static partial class BenchmarkRegistry
{
    /// <summary>Writes the <c>index</c> benchmark's packages into a folder that stays, so phases can be timed on them. Args: dir [packages=1000].</summary>
    private static Benchmark RegisterIndexPackages() => new("index-packages", "write the `index` benchmark's realistic packages into a folder (kept)", args =>
    {
        var count = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1000;
        var files = IndexBenchmarkPackages.Write(args[0], count);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"wrote {files.Count} packages, {files.Sum(f => new FileInfo(f).Length) / 1048576.0:0.0} MB, into {args[0]}"));
        return 0;
    });

    /// <summary>
    /// Where index-run's time goes, one phase at a time on the same folder (in one process, after a warm-up pass, so
    /// JIT is not in the phases): hashing alone, the member pass by format, the whole extraction, then the channel
    /// writing with all outputs and with each output alone off. Args: packagesDir [threads=0].
    /// </summary>
    private static Benchmark RegisterIndexPhases() => new("index-phases", "(diagnosis) where index-run's time goes on a folder of packages", args =>
    {
        var files = Directory.EnumerateFiles(args[0], "*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".conda", StringComparison.Ordinal) || f.EndsWith(".tar.bz2", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal).ToList();
        var threads = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 0;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount };
        var conda = files.Where(f => f.EndsWith(".conda", StringComparison.Ordinal)).ToList();
        var bz2 = files.Where(f => f.EndsWith(".tar.bz2", StringComparison.Ordinal)).ToList();
        Console.WriteLine($"load average: {File.ReadAllText("/proc/loadavg").Trim()}");
        void Time(string what, Action action)
        {
            var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            action();
            var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu0;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {what,-44} {clock.Elapsed.TotalMilliseconds,8:0} ms wall {cpu.TotalMilliseconds,8:0} ms cpu"));
        }
        var entries = ArchiveEntries.FromArchives(files, maxParallelism: threads);
        using var work = new TempDirectory("cm-bench-phases");
        ChannelIndexer.Write(work.Combine("warm"), entries, new IndexOptions());
        for (var round = 1; round <= 2; round++)
        {
            Console.WriteLine($"round {round}:");
            Time("md5+sha256 of every file", () => Parallel.ForEach(files, parallel, f => FileHashes.Compute(f)));
            Time($"member pass, {conda.Count} .conda", () => Parallel.ForEach(conda, parallel, f => PackageArchive.ValidateMembers(f)));
            Time($"member pass, {bz2.Count} .tar.bz2", () => Parallel.ForEach(bz2, parallel, f => PackageArchive.ValidateMembers(f)));
            Time("FromArchives (everything)", () => entries = ArchiveEntries.FromArchives(files, maxParallelism: threads));
            Time("Write, every output", () => ChannelIndexer.Write(work.Combine($"all-{round}"), entries, new IndexOptions()));
            Time("Write, repodata.json alone", () => ChannelIndexer.Write(work.Combine($"bare-{round}"), entries, new IndexOptions
            { WriteZst = false, WriteRunExports = false, WriteChannelData = false, WriteShards = false, WriteSbom = false, WriteIndexHtml = false }));
            Time("Write, all but shards", () => ChannelIndexer.Write(work.Combine($"noshards-{round}"), entries, new IndexOptions { WriteShards = false }));
            Time("Write, all but .zst", () => ChannelIndexer.Write(work.Combine($"nozst-{round}"), entries, new IndexOptions { WriteZst = false }));
            Time("Write, all but sbom", () => ChannelIndexer.Write(work.Combine($"nosbom-{round}"), entries, new IndexOptions { WriteSbom = false }));
            Time("Write, all but index.html", () => ChannelIndexer.Write(work.Combine($"nohtml-{round}"), entries, new IndexOptions { WriteIndexHtml = false }));
        }
        return 0;
    });
}
