using System.Diagnostics;
using CondaMirror.Core.Zstd;
using CondaMirror.TestKit;

namespace CondaMirror.Benchmarks;

public static partial class BenchmarkRegistry
{
    /// <summary>
    /// Decoding speed of the managed zstd decoder against `zstd -d -T1` on generated data:
    /// a ~200 MB text/binary mix at level 3 and a 50 MB slice at level 19. Args: [sizeMB] (default 200).
    /// </summary>
    private static Benchmark RegisterZstdDecode() => new("zstd-decode", "managed zstd decode vs zstd -d -T1 (MB/s of output)", args =>
    {
        int sizeMb = args.Length > 0 ? int.Parse(args[0]) : 200;
        ZstdSamples.RequireZstd();
        using var dir = new TempDirectory();
        var data = new byte[sizeMb << 20];
        for (int pos = 0, seed = 1; pos < data.Length; seed++)
        {
            int len = Math.Min(data.Length - pos, 4 << 20);
            var piece = seed % 2 == 0 ? ZstdSamples.Text(len, seed) : ZstdSamples.Binary(len, seed);
            piece.CopyTo(data.AsSpan(pos));
            pos += len;
        }
        var raw = Path.Combine(dir.Path, "mix.bin");
        File.WriteAllBytes(raw, data);
        var small = Path.Combine(dir.Path, "mix50.bin");
        File.WriteAllBytes(small, data.AsSpan(0, Math.Min(data.Length, 50 << 20)).ToArray());

        foreach (var (name, input, level) in new[] { ("level 3", raw, 3), ("level 19", small, 19) })
        {
            var compressed = input + $".{level}.zst";
            ZstdSamples.RunZstd("-q", "-f", "-T1", $"-{level}", input, "-o", compressed);
            long outputBytes = new FileInfo(input).Length;
            double ours = BestOf(3, () =>
            {
                using var file = File.OpenRead(compressed);
                using var decoder = ZstdCodec.Decompress(file);
                var buffer = new byte[1 << 17];
                long total = 0;
                int n;
                while ((n = decoder.Read(buffer)) > 0) total += n;
                if (total != outputBytes) throw new InvalidOperationException("decoded size mismatch");
            });
            double cli = BestOf(3, () => RunShell($"zstd -d -T1 -q -c '{compressed}' > /dev/null"));
            double mb = outputBytes / 1e6;
            Console.WriteLine($"{name}: {mb:F0} MB from {new FileInfo(compressed).Length / 1e6:F1} MB compressed; " +
                $"managed {mb / ours:F0} MB/s, zstd CLI {mb / cli:F0} MB/s, ratio {cli / ours:P0}");
        }
        return 0;
    });

    private static double BestOf(int runs, Action action)
    {
        double best = double.MaxValue;
        for (int i = 0; i < runs; i++)
        {
            var sw = Stopwatch.StartNew();
            action();
            best = Math.Min(best, sw.Elapsed.TotalSeconds);
        }
        return best;
    }

    private static void RunShell(string command)
    {
        using var p = Process.Start(new ProcessStartInfo("/bin/sh") { ArgumentList = { "-c", command } })!;
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"'{command}' failed with exit code {p.ExitCode}");
    }
}
