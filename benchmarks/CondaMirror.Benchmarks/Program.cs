using System.Diagnostics;

namespace CondaMirror.Benchmarks;

/// <summary>
/// A small console harness: each benchmark is a named entry that prints its own numbers.
/// Run: dotnet run -c Release --project benchmarks/CondaMirror.Benchmarks -- NAME [args]
/// Without a name it lists them. Benchmarks are deliberately not tests: timings belong in notes, not asserts.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        var benchmarks = BenchmarkRegistry.All.ToDictionary(b => b.Name, StringComparer.OrdinalIgnoreCase);
        if (args.Length == 0 || !benchmarks.TryGetValue(args[0], out var bench))
        {
            Console.WriteLine("benchmarks:");
            foreach (var b in BenchmarkRegistry.All) Console.WriteLine($"  {b.Name,-24} {b.Description}");
            return args.Length == 0 ? 0 : 2;
        }
        var sw = Stopwatch.StartNew();
        var rc = bench.Run(args.Skip(1).ToArray());
        Console.WriteLine($"[{bench.Name}] finished in {sw.Elapsed.TotalSeconds:F1} s");
        return rc;
    }
}

public sealed record Benchmark(string Name, string Description, Func<string[], int> Run);

/// <summary>Each area adds its benchmarks here (one line each) from its own file in this folder.</summary>
public static partial class BenchmarkRegistry
{
    public static IEnumerable<Benchmark> All => Entries().OrderBy(b => b.Name, StringComparer.Ordinal);

    private static IEnumerable<Benchmark> Entries()
    {
        foreach (var m in typeof(BenchmarkRegistry).GetMethods(System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.NonPublic))
            if (m.Name.StartsWith("Register", StringComparison.Ordinal) && m.ReturnType == typeof(Benchmark) && m.GetParameters().Length == 0)
                yield return (Benchmark)m.Invoke(null, null)!;
    }
}
