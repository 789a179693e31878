using System.Diagnostics;
using CondaMirror.Core.Networking;
using CondaMirror.Core.Specs;
using CondaMirror.TestKit;

namespace CondaMirror.Benchmarks;

public static partial class BenchmarkRegistry
{
    /// <summary>
    /// How the hostile-input scanners scale: URL redaction over every long-input shape at 1 MB and 10 MB (linear work
    /// gives a ratio near 10, quadratic near 100), and MatchSpec/VersionSpec parsing of the worst shapes at the
    /// length limit. The tests only check that these finish (under a generous limit); the numbers live here.
    /// </summary>
    private static Benchmark RegisterScaling() => new("scaling", "URL redaction at 1 MB vs 10 MB per input shape (ratio), worst-case spec parsing at the length limit", args =>
    {
        Console.WriteLine($"{"shape",-28} {"1 MB ms",8} {"10 MB ms",9} {"ratio",6}");
        var worst = 0.0;
        foreach (var prefix in LongInputs.UrlPrefixes)
            foreach (var shape in LongInputs.UrlShapes(prefix))
            {
                var small = BestOfThree(shape(1024 * 1024));
                var large = BestOfThree(shape(10 * 1024 * 1024));
                var ratio = large / Math.Max(small, 0.01);
                worst = Math.Max(worst, ratio);
                Console.WriteLine($"{Escape(shape(12)),-28} {small,8:F1} {large,9:F1} {ratio,6:F1}");
            }
        Console.WriteLine($"worst ratio {worst:F1} (linear ~10, quadratic ~100)");

        var max = SpecRegex.MaxSpecChars;
        foreach (var (head, unit, tail) in new[] { ("a", "[", ""), ("a", "(", ""), ("a[", "b=", "]"), ("a ", " =", ""), ("a ", "1,", ""), ("a ", "^x|", ""), ("a ", "(", "1"), ("a =", "=1", "") })
        {
            var spec = head + string.Concat(Enumerable.Repeat(unit, (max - head.Length - tail.Length) / unit.Length)) + tail;
            var sw = Stopwatch.StartNew();
            MatchSpec.TryParse(spec, out _, out _);
            VersionSpec.TryParse(spec[2..], out _, out _);
            Console.WriteLine($"spec '{head}{unit}{unit}...{tail}' ({spec.Length} chars): {sw.Elapsed.TotalMilliseconds:F1} ms");
        }
        return 0;

        static double BestOfThree(string text)
        {
            var best = double.MaxValue;
            for (var i = 0; i < 3; i++)
            {
                var sw = Stopwatch.StartNew();
                UrlRedaction.Redact(text);
                UrlRedaction.StripCredentials(text);
                UrlRedaction.HasCredentials(text);
                best = Math.Min(best, sw.Elapsed.TotalMilliseconds);
            }
            return best;
        }

        static string Escape(string s) => s.Replace("\n", "\\n");
    });
}
