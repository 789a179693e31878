using System.Diagnostics;
using System.Globalization;
using CondaMirror.Core.Indexing;
using CondaMirror.Core.Records;
using CondaMirror.TestKit;
using CondaMirror.TestKit.Channels;

namespace CondaMirror.Benchmarks;

public static partial class BenchmarkRegistry
{
    /// <summary>
    /// Indexes a folder of real packages the way local CondaPackageFile items are indexed: read info/index.json,
    /// hash the file, place it, write repodata.json per subdir. Args: [packages=1000] [rounds=5].
    /// The archives are generated once and stay in the page cache, so this measures CPU work, not the disk.
    /// </summary>
    private static Benchmark RegisterIndex() => new("index", "ChannelIndexer.Write over 1,000 local packages (.conda + .tar.bz2, 4 subdirs)", args =>
    {
        var count = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1000;
        var rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5;

        using var work = new TempDirectory("cm-bench-index");
        var clock = Stopwatch.StartNew();
        var files = GenerateIndexInputs(work.Combine("packages"), count);
        var totalBytes = files.Sum(f => new FileInfo(f).Length);
        var totalMb = totalBytes / 1048576.0;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"generated {files.Count} packages ({files.Count(f => f.EndsWith(".conda", StringComparison.Ordinal))} .conda, {files.Count(f => f.EndsWith(".tar.bz2", StringComparison.Ordinal))} .tar.bz2), {totalMb:0.0} MB in {clock.Elapsed.TotalSeconds:0.0} s"));

        // One untimed pass so the JIT and the page cache are warm for every round.
        ChannelIndexer.Write(work.Combine("warmup"), files.Select(f => ArchiveEntries.FromArchive(f)));

        var whole = new List<double>();
        var extract = new List<double>();
        var place = new List<double>();
        var repodataOnly = new List<double>();
        var extractByFormat = new Dictionary<string, List<double>> { [".conda"] = new(), [".tar.bz2"] = new() };
        for (var round = 1; round <= rounds; round++)
        {
            // The call as the IndexCondaChannel task makes it: records are read lazily while validating.
            var output = work.Combine($"round{round}");
            clock.Restart();
            var result = ChannelIndexer.Write(output, files.Select(f => ArchiveEntries.FromArchive(f)));
            whole.Add(clock.Elapsed.TotalSeconds);
            if (result.PackagesPerSubdir.Values.Sum() != files.Count) throw new InvalidOperationException("not every package was indexed");
            Directory.Delete(output, recursive: true);

            // The same work split in steps: record extraction (index.json + md5/sha256), then placing the archives
            // with the repodata write, then the repodata write alone (archives already in place, nothing copied).
            var entries = new List<ChannelEntry>(files.Count);
            var extractClock = Stopwatch.StartNew();
            foreach (var format in new[] { ".conda", ".tar.bz2" })
            {
                var subset = files.Where(f => f.EndsWith(format, StringComparison.Ordinal)).ToList();
                clock.Restart();
                entries.AddRange(subset.Select(f => ArchiveEntries.FromArchive(f)));
                extractByFormat[format].Add(clock.Elapsed.TotalSeconds * 1000 / subset.Count);
            }
            extract.Add(extractClock.Elapsed.TotalSeconds);
            clock.Restart();
            ChannelIndexer.Write(output, entries);
            place.Add(clock.Elapsed.TotalSeconds);
            var inPlace = entries.Select(e => e with { SourceFile = null }).ToList();
            clock.Restart();
            ChannelIndexer.Write(output, inPlace);
            repodataOnly.Add(clock.Elapsed.TotalSeconds);
            Directory.Delete(output, recursive: true);

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"round {round}: whole {whole[^1]:0.000} s; split: extract {extract[^1]:0.000} s, place+repodata {place[^1]:0.000} s, repodata only {repodataOnly[^1]:0.000} s"));
        }

        void Report(string what, List<double> seconds) => Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{what,-22} best {seconds.Min():0.000} s, median {Median(seconds):0.000} s  ({files.Count / Median(seconds):0} packages/s, {totalMb / Median(seconds):0} MB/s at the median)"));
        Report("whole Write", whole);
        Report("record extraction", extract);
        foreach (var (format, perPackage) in extractByFormat)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  extraction {format,-9} median {Median(perPackage):0.00} ms/package"));
        Report("place + repodata", place);
        Report("repodata only", repodataOnly);
        var repodataBytes = Directory.GetFiles(work.Combine("warmup"), "repodata.json", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"repodata.json written: {repodataBytes / 1024.0:0} KiB over {Directory.GetDirectories(work.Combine("warmup")).Length} subdirs"));
        using var self = Process.GetCurrentProcess();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"peak working set of this process: {self.PeakWorkingSet64 / 1048576.0:0} MB"));
        return 0;
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
