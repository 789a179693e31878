using System.Diagnostics;
using System.Globalization;
using CondaMirror.Core.Indexing;
using CondaMirror.TestKit;

namespace CondaMirror.Benchmarks;

public static partial class BenchmarkRegistry
{
    /// <summary>
    /// What the channel outputs besides repodata.json cost (repodata.json.zst, run_exports.json, channeldata.json,
    /// index.html): the same 1,000 packages as `index`, indexed with every output on and with repodata.json alone.
    /// Two shapes of input: local files (about.json and run_exports.json come in the same info/ pass as index.json)
    /// and archives already in the channel as downloads leave them (the outputs need one extra info/ read per
    /// archive, or none once the archive metadata cache has them). Plus a rerun with nothing changed (every file compared, none written). Args: [packages=1000] [rounds=5].
    /// </summary>
    private static Benchmark RegisterIndexOutputs() => new("index-outputs", "ChannelIndexer.Write with every channel output vs repodata.json alone (1,000 packages)", args =>
    {
        var count = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1000;
        var rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5;
        using var work = new TempDirectory("cm-bench-index-outputs");
        var files = GenerateIndexInputs(work.Combine("packages"), count);
        var all = new IndexOptions();
        var repodataOnly = new IndexOptions { WriteZst = false, WriteRunExports = false, WriteChannelData = false, WriteIndexHtml = false };
        // What the build does: info/ of in-place archives remembered by sha256 in obj/ (ArchiveMetadataCache).
        var allCached = new IndexOptions { ArchiveMetadataCacheFile = work.Combine("index.metadata.json") };

        // Local entries read once (their extraction is the same whatever the outputs); in-place entries carry no metadata.
        var local = files.Select(f => ArchiveEntries.FromArchive(f)).ToList();
        var placed = work.Combine("placed");
        ChannelIndexer.Write(placed, local, repodataOnly);
        var inPlace = local.Select(e => new ChannelEntry(e.Record, e.FileName)).ToList();
        ChannelIndexer.Write(work.Combine("warmup"), local, all);
        ChannelIndexer.Write(placed, inPlace, all);
        ChannelIndexer.Write(placed, inPlace, repodataOnly);
        ChannelIndexer.Write(placed, inPlace, allCached);

        var times = new Dictionary<string, List<double>>();
        void Time(string what, Action action)
        {
            var clock = Stopwatch.StartNew();
            action();
            (times.TryGetValue(what, out var list) ? list : times[what] = new()).Add(clock.Elapsed.TotalSeconds);
        }
        for (var round = 1; round <= rounds; round++)
        {
            foreach (var (name, options) in new[] { ("repodata.json only", repodataOnly), ("all outputs", all) })
            {
                var output = work.Combine($"r{round}-{name.Replace(' ', '-')}");
                Time($"local files, {name}", () => ChannelIndexer.Write(output, local, options));
                Directory.Delete(output, recursive: true);
                // Fresh in-place channel each time: the archives are already there, the index files are not.
                foreach (var f in Directory.EnumerateFiles(placed, "*", SearchOption.AllDirectories).Where(f => !f.EndsWith(".conda", StringComparison.Ordinal) && !f.EndsWith(".tar.bz2", StringComparison.Ordinal)))
                    File.Delete(f);
                Time($"in place, {name}", () => ChannelIndexer.Write(placed, inPlace, options));
                Time($"in place rerun, {name}", () =>
                {
                    var result = ChannelIndexer.Write(placed, inPlace, options);
                    if (result.ChangedFiles.Count != 0) throw new InvalidOperationException("a rerun with the same inputs changed files");
                });
            }
            foreach (var f in Directory.EnumerateFiles(placed, "*", SearchOption.AllDirectories).Where(f => !f.EndsWith(".conda", StringComparison.Ordinal) && !f.EndsWith(".tar.bz2", StringComparison.Ordinal)))
                File.Delete(f);
            Time("in place, all outputs, info/ cached", () => ChannelIndexer.Write(placed, inPlace, allCached));
            Console.WriteLine($"round {round}: " + string.Join("; ", times.Select(kv => kv.Key + " " + kv.Value[^1].ToString("0.000", CultureInfo.InvariantCulture) + " s")));
        }
        // Where the in-place cost goes: one info/ read per archive (about.json, run_exports.json), by format, serially.
        foreach (var format in new[] { ".conda", ".tar.bz2" })
        {
            var subset = inPlace.Where(e => e.FileName.EndsWith(format, StringComparison.Ordinal)).ToList();
            var perPackage = new List<double>();
            for (var round = 0; round < rounds; round++)
            {
                var clock = Stopwatch.StartNew();
                foreach (var e in subset)
                    Core.Archives.PackageArchive.ReadInfo(Path.Combine(placed, e.Subdir, e.FileName),
                        Core.Archives.InfoMembers.IndexJson | Core.Archives.InfoMembers.About | Core.Archives.InfoMembers.RunExports | Core.Archives.InfoMembers.StopAtPayload);
                perPackage.Add(clock.Elapsed.TotalMilliseconds / subset.Count);
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"info/ read {format,-9} median {Median(perPackage):0.00} ms/package ({subset.Count} packages)"));
        }
        foreach (var (what, seconds) in times)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{what,-36} best {seconds.Min():0.000} s, median {Median(seconds):0.000} s"));
        foreach (var name in new[] { "repodata.json", "repodata.json.zst", "run_exports.json", "index.html" })
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name,-18} {Directory.GetFiles(work.Combine("warmup"), name, SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length) / 1024.0,8:0.0} KiB over 4 subdirs"));
        foreach (var name in new[] { "channeldata.json", "index.html" })
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"root {name,-13} {new FileInfo(Path.Combine(work.Combine("warmup"), name)).Length / 1024.0,8:0.0} KiB"));
        return 0;
    });
}
