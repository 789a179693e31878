using System.Diagnostics;
using CondaMirror.Core.PyPI;

namespace CondaMirror.Benchmarks;

public static partial class BenchmarkRegistry
{
    // Usage: pypi-pages [projects] [files-per-project]; the pages of a simple index, as bytes (no I/O), best of 5.
    private static Benchmark RegisterPypiPages() => new("pypi-pages", "PEP 503 HTML + PEP 691 JSON pages of a simple index, best of 5", args =>
    {
        var projectCount = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 5000;
        var filesPer = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 10;
        var projects = Enumerable.Range(0, projectCount).Select(p => new SimpleProject($"project-{p:D5}",
            Enumerable.Range(0, filesPer).Select(f => new SimpleFile($"project_{p:D5}-1.{f}-cp312-cp312-manylinux_2_17_x86_64.whl", $"1.{f}",
                Convert.ToHexString(BitConverter.GetBytes((long)p * 1000 + f)).ToLowerInvariant().PadLeft(64, '0'), ">=3.8", 1_000_000 + f)).ToList())).ToList();
        double best = double.MaxValue;
        long bytes = 0;
        for (var i = 0; i < 5; i++)
        {
            var sw = Stopwatch.StartNew();
            bytes = SimpleIndexWriter.RootHtml(projects).Length + SimpleIndexWriter.RootJson(projects).Length;
            foreach (var project in projects)
                bytes += SimpleIndexWriter.ProjectHtml(project).Length + SimpleIndexWriter.ProjectJson(project).Length;
            best = Math.Min(best, sw.Elapsed.TotalMilliseconds);
        }
        Console.WriteLine($"{projectCount} projects x {filesPer} files: {bytes / 1048576.0:F1} MB of pages in {best:F0} ms");
        return 0;
    });
}
