using System.Diagnostics;
using System.Text.Json;
using CondaMirror.Core.Specs;
using CondaMirror.Core.Versions;

namespace CondaMirror.Benchmarks;

public static partial class BenchmarkRegistry
{
    /// <summary>
    /// Version parsing and comparison over the 28,530 real-world versions of conda-semantics/rattler__versions.txt,
    /// and MatchSpec parsing over conda-semantics/conda-25.11.1/matchspec-parse.jsonl.
    /// Data root: CONDAMIRROR_TESTDATA, else /work/shared/testdata. Optional argument: rounds (default 5).
    /// </summary>
    private static Benchmark RegisterSemantics() => new("semantics",
        "conda versions parsed/s, comparisons/s (sort), MatchSpec parses/s and matches/s",
        args =>
        {
            var root = Environment.GetEnvironmentVariable("CONDAMIRROR_TESTDATA");
            if (string.IsNullOrEmpty(root)) root = "/work/shared/testdata";
            var versionsFile = Path.Combine(root, "conda-semantics", "rattler__versions.txt");
            var specsFile = Path.Combine(root, "conda-semantics", "conda-25.11.1", "matchspec-parse.jsonl");
            if (!File.Exists(versionsFile) || !File.Exists(specsFile))
            {
                Console.Error.WriteLine($"semantics: test data not found under {root} (set CONDAMIRROR_TESTDATA)");
                return 1;
            }
            var rounds = args.Length > 0 ? int.Parse(args[0]) : 5;

            var texts = File.ReadAllLines(versionsFile).Where(l => l.Length > 0).ToArray();
            var specTexts = File.ReadLines(specsFile)
                .Select(l => JsonDocument.Parse(l).RootElement)
                .Where(r => !r.TryGetProperty("error", out _))
                .Select(r => r.GetProperty("spec").GetString()!)
                .ToArray();

            // Warm-up so the JIT is out of the numbers.
            var versions = texts.Select(CondaVersion.Parse).ToArray();
            foreach (var s in specTexts) MatchSpec.Parse(s);

            var sw = Stopwatch.StartNew();
            for (var r = 0; r < rounds; r++)
                for (var i = 0; i < texts.Length; i++) versions[i] = CondaVersion.Parse(texts[i]);
            Report("version parse", rounds * (long)texts.Length, sw.Elapsed);

            var counter = new CountingComparer();
            sw.Restart();
            for (var r = 0; r < rounds; r++)
            {
                var copy = (CondaVersion[])versions.Clone();
                Random.Shared.Shuffle(copy);
                Array.Sort(copy, counter);
            }
            Report("version compare (sort)", counter.Count, sw.Elapsed);

            sw.Restart();
            long pairs = 0, less = 0;
            for (var r = 0; r < rounds; r++)
                for (var i = 1; i < versions.Length; i++, pairs++)
                    if (versions[i - 1] < versions[i]) less++;
            Report($"version compare (neighbours, {less} less)", pairs, sw.Elapsed);

            var specs = new MatchSpec[specTexts.Length];
            sw.Restart();
            for (var r = 0; r < rounds; r++)
                for (var i = 0; i < specTexts.Length; i++) specs[i] = MatchSpec.Parse(specTexts[i]);
            Report("MatchSpec parse", rounds * (long)specTexts.Length, sw.Elapsed);

            var probe = versions.Take(2000).ToArray();
            sw.Restart();
            long matches = 0, hits = 0;
            foreach (var spec in specs.Where(s => s.Version is not null).Take(1000))
                foreach (var v in probe)
                {
                    matches++;
                    if (spec.Version!.Matches(v)) hits++;
                }
            Report($"VersionSpec match ({hits} hits)", matches, sw.Elapsed);
            return 0;
        });

    private static void Report(string what, long count, TimeSpan elapsed) =>
        Console.WriteLine($"  {what,-40} {count,12:N0} in {elapsed.TotalMilliseconds,8:F0} ms = {count / elapsed.TotalSeconds,14:N0} /s");

    private sealed class CountingComparer : IComparer<CondaVersion>
    {
        public long Count;

        public int Compare(CondaVersion? x, CondaVersion? y)
        {
            Count++;
            return x!.CompareTo(y);
        }
    }
}
