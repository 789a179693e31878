using System.Diagnostics;
using System.Globalization;
using CondaMirror.Core.Repodata;
using CondaMirror.Core.Solving;
using CondaMirror.TestKit.Synthetic;

namespace CondaMirror.Benchmarks;

public static partial class BenchmarkRegistry
{
    /// <summary>
    /// solve [scale=1] [seed=20240501]: solves "pandas scikit-learn matplotlib" (and again with "python 3.11.*")
    /// for linux-64 on the generated conda-forge-scale channel. Reports repodata indexing separately from the
    /// solve; the solve time includes lazy record materialisation, split into loading and SAT search.
    /// </summary>
    private static Benchmark RegisterSolve() => new("solve",
        "solver on a generated conda-forge-scale channel: pandas scikit-learn matplotlib (+ python 3.11.*), linux-64",
        args =>
        {
            var (dir, channelUri) = GeneratedChannel(args);

            var requests = new[]
            {
                SyntheticChannelGenerator.BenchmarkRequest.ToArray(),
                SyntheticChannelGenerator.BenchmarkRequest.Append("python 3.11.*").ToArray(),
            };
            foreach (var specs in requests)
            {
                for (var run = 0; run < 3; run++)
                {
                    // Fresh indexes each run so that lazy materialisation is part of the measured solve.
                    var index = Stopwatch.StartNew();
                    var subdirs = new[] { "linux-64", "noarch" }
                        .Select(s => SparseRepodata.LoadFile(Path.Combine(dir, s, "repodata.json"), channelUri, s)).ToList();
                    var indexMs = index.Elapsed.TotalMilliseconds;
                    GC.Collect();
                    var before = GC.GetTotalAllocatedBytes(precise: true);
                    var request = new SolveRequest
                    {
                        Specs = specs.Select(s => (s, (string?)null)).ToList(),
                        Platform = "linux-64",
                        VirtualPackages = VirtualPackages.DefaultsFor("linux-64"),
                    };
                    var sw = Stopwatch.StartNew();
                    var result = new CondaSolver().Solve(request, new RepodataPackageSource(subdirs));
                    var solveMs = sw.Elapsed.TotalMilliseconds;
                    var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
                    var problems = SolutionChecker.Check(result.Packages.Select(p => p.Record).ToList(), request.VirtualPackages);
                    Console.WriteLine($"[{string.Join(" ", specs)}] run {run + 1}: index {indexMs:F0} ms (not part of the solve); " +
                                      $"solve {solveMs:F0} ms: {result.Stats}; allocated {allocated / 1e6:F1} MB; " +
                                      $"{result.Packages.Count} packages, checker {(problems.Count == 0 ? "ok" : problems.Count + " problems")}");
                    if (run == 0)
                        Console.WriteLine("  " + string.Join(" ", result.Packages.Where(p => specs.Any(s => s.Split(' ')[0] == p.Record.Name) || p.Record.Name is "python" or "numpy")
                            .Select(p => $"{p.Record.Name}={p.Record.Version}")));
                }
            }
            Console.WriteLine($"peak working set: {Process.GetCurrentProcess().PeakWorkingSet64 / 1e6:F0} MB");
            return 0;
        });
}
