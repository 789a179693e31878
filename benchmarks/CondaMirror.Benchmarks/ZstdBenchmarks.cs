using System.Diagnostics;
using System.Formats.Tar;
using System.Globalization;
using CondaMirror.Core.Zstd;
using CondaMirror.TestKit;

namespace CondaMirror.Benchmarks;

public static partial class BenchmarkRegistry
{
    /// <summary>
    /// Decoding speed, MB/s of output, in one run: <see cref="ZstdCodec"/> (the stream the callers use), ZstdSharp's
    /// span API (<c>Decompressor.Unwrap</c> into a presized array, one reused decompressor) and stream
    /// (<c>DecompressionStream</c>), and `zstd -d -T1`, each reading the same .zst file. Files: the biggest real
    /// repodata of the shared test data, the generated linux-64 repodata.json (scale [scale]) and a package-like tar of
    /// [payloadMB] of shared libraries and .pyc files of this machine, each compressed by `zstd -T1` at levels 3 and 19.
    /// Small files are decoded several times per timed run (about 64 MB of output). Speeds are wall and CPU time (on a
    /// shared machine CPU time is the steadier). Args: [scale=0.25] [payloadMB=48] [runs=5].
    /// </summary>
    private static Benchmark RegisterZstdDecode() => new("zstd-decode", "zstd decode: ZstdCodec vs ZstdSharp span/stream vs zstd -d -T1 (MB/s of output)", args =>
    {
        double scale = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 0.25;
        int payloadMb = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 48;
        int runs = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 5;
        ZstdSamples.RequireZstd();
        using var dir = new TempDirectory("zstd-decode");
        Console.WriteLine($"load average {File.ReadAllText("/proc/loadavg").Trim()}");
        var files = ZstdBenchmarkFiles(dir.Path, scale, payloadMb);

        Console.WriteLine("MB/s of output, wall / CPU (user+sys; for the managed decoders, of the whole process)");
        Console.WriteLine("| file | level | output MB | .zst bytes | ZstdCodec | ZstdSharp span | ZstdSharp stream | zstd -d -T1 | ZstdCodec / CLI |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        var buffer = new byte[1 << 17];
        using var decompressor = new ZstdSharp.Decompressor();
        foreach (var (name, path) in files)
        {
            foreach (var level in new[] { 3, 19 })
            {
                var zst = Path.Combine(dir.Path, $"{Path.GetFileName(path)}.{level}.zst");
                RunShell($"zstd -q -f -T1 -{level} '{path}' -o '{zst}'");
                long outputBytes = new FileInfo(path).Length;
                int repeat = (int)Math.Max(1, (64L << 20) / outputBytes);
                byte[] presized = new byte[outputBytes];

                void Check(long decoded)
                {
                    if (decoded != outputBytes) throw new InvalidOperationException($"{name}: decoded {decoded} bytes, expected {outputBytes}");
                }
                var codec = BestOfWithCpu(runs, () =>
                {
                    for (int r = 0; r < repeat; r++)
                    {
                        using var file = File.OpenRead(zst);
                        using var decoder = ZstdCodec.Decompress(file);
                        long total = 0;
                        int n;
                        while ((n = decoder.Read(buffer)) > 0) total += n;
                        Check(total);
                    }
                });
                var span = BestOfWithCpu(runs, () =>
                {
                    for (int r = 0; r < repeat; r++)
                    {
                        var compressed = File.ReadAllBytes(zst);
                        Check(decompressor.Unwrap(compressed, presized));
                    }
                });
                var stream = BestOfWithCpu(runs, () =>
                {
                    for (int r = 0; r < repeat; r++)
                    {
                        using var file = File.OpenRead(zst);
                        using var decoder = new ZstdSharp.DecompressionStream(file, 1 << 17);
                        long total = 0;
                        int n;
                        while ((n = decoder.Read(buffer)) > 0) total += n;
                        Check(total);
                    }
                });
                string inputs = string.Join(' ', Enumerable.Repeat($"'{zst}'", repeat));
                var cli = BestOfShellWithCpu(runs, $"zstd -d -T1 -q -c {inputs} > /dev/null", Path.Combine(dir.Path, "time.txt"));
                double mb = outputBytes / 1e6 * repeat;
                string Speed((double Wall, double Cpu) t) => $"{mb / t.Wall:F0} / {mb / t.Cpu:F0}";
                Console.WriteLine($"| {name} | {level} | {outputBytes / 1e6:F1} | {new FileInfo(zst).Length:N0} | {Speed(codec)} | {Speed(span)} | {Speed(stream)} | {Speed(cli)} | " +
                    $"{cli.Wall / codec.Wall:F2} / {cli.Cpu / codec.Cpu:F2} |");
            }
        }
        Console.WriteLine($"load average {File.ReadAllText("/proc/loadavg").Trim()}");
        return 0;
    });

    /// <summary>
    /// The inputs of the zstd benchmarks: the biggest real repodata of the shared test data (when present), the
    /// generated linux-64 repodata.json at <paramref name="scale"/>, and a tar of this machine's shared libraries and
    /// .pyc files (half each, sorted by path) of about <paramref name="payloadMb"/> MB, like a conda package's payload.
    /// </summary>
    private static List<(string Name, string Path)> ZstdBenchmarkFiles(string workDir, double scale, int payloadMb)
    {
        var files = new List<(string, string)>();
        if (TestData.Root is string root)
        {
            var real = Directory.EnumerateFiles(Path.Combine(root, "repodata"), "*.json", SearchOption.AllDirectories)
                .OrderByDescending(f => new FileInfo(f).Length).First();
            files.Add(($"{Path.GetFileName(Path.GetDirectoryName(real))}/{Path.GetFileName(real)} (real)", real));
        }
        else
        {
            Console.WriteLine("shared test data not found: the real repodata is not measured");
        }
        var (channel, _) = GeneratedChannel(new[] { scale.ToString(CultureInfo.InvariantCulture) });
        files.Add(($"linux-64/repodata.json (generated, scale {scale.ToString(CultureInfo.InvariantCulture)})", Path.Combine(channel, "linux-64", "repodata.json")));

        if (payloadMb > 0) files.Add(($"payload.tar (.so + .pyc)", PayloadTar(workDir, payloadMb)));
        return files;
    }

    /// <summary>A tar of this machine's shared libraries and .pyc files (half each, sorted by path) of about
    /// <paramref name="payloadMb"/> MB, like a conda package's payload.</summary>
    private static string PayloadTar(string workDir, int payloadMb)
    {
        var tarPath = Path.Combine(workDir, "payload.tar");
        long budget = (long)payloadMb << 20;
        using (var tar = new TarWriter(File.Create(tarPath), TarEntryFormat.Pax, leaveOpen: false))
        {
            long written = 0;
            IEnumerable<string> Regular(IEnumerable<string> paths) => paths
                .Where(p => (File.GetAttributes(p) & FileAttributes.ReparsePoint) == 0)
                .OrderBy(p => p, StringComparer.Ordinal);
            var libraries = Regular(Directory.EnumerateFiles("/usr/lib/x86_64-linux-gnu", "*.so*"));
            var bytecode = Regular(Directory.EnumerateDirectories("/usr/lib", "python3*")
                .SelectMany(d => Directory.EnumerateFiles(d, "*.pyc", SearchOption.AllDirectories)));
            foreach (var (source, share) in new[] { (libraries, budget / 2), (bytecode, budget) })
            {
                foreach (var file in source)
                {
                    long size = new FileInfo(file).Length;
                    if (written + size > share) continue; // a few libraries alone are bigger than the budget
                    tar.WriteEntry(file, file.TrimStart('/'));
                    written += size;
                }
            }
        }
        return tarPath;
    }

    /// <summary>Best wall and CPU seconds (user+sys of this whole process) of <paramref name="runs"/> runs.</summary>
    private static (double Wall, double Cpu) BestOfWithCpu(int runs, Action action)
    {
        double wall = double.MaxValue, cpu = double.MaxValue;
        // Untimed runs for a second first: the managed decoders are otherwise timed while the JIT is still compiling
        // them (tiering waits for calls and time; the first file measured ran at 0.6-0.8x the CLI, the same decoder at
        // 2x on the next file), a cost the CLI, compiled ahead of time, never pays. The first-use cost is in benchmarks.md.
        var warmUp = Stopwatch.StartNew();
        do action(); while (warmUp.Elapsed < TimeSpan.FromSeconds(1));
        for (int i = 0; i < runs; i++)
        {
            GC.Collect();
            var cpuBefore = CpuTime();
            var sw = Stopwatch.StartNew();
            action();
            wall = Math.Min(wall, sw.Elapsed.TotalSeconds);
            cpu = Math.Min(cpu, (CpuTime() - cpuBefore).TotalSeconds);
        }
        return (wall, cpu);
    }

    /// <summary>Best wall and CPU seconds (user+sys from GNU time) of <paramref name="runs"/> runs of a shell command.</summary>
    private static (double Wall, double Cpu) BestOfShellWithCpu(int runs, string command, string timePath)
    {
        double wall = double.MaxValue, cpu = double.MaxValue;
        for (int i = 0; i < runs; i++)
        {
            var sw = Stopwatch.StartNew();
            RunShell($"/usr/bin/time -f '%U %S' -o '{timePath}' sh -c \"{command}\"");
            wall = Math.Min(wall, sw.Elapsed.TotalSeconds);
            var parts = File.ReadAllText(timePath).Trim().Split(' ');
            cpu = Math.Min(cpu, double.Parse(parts[0], CultureInfo.InvariantCulture) + double.Parse(parts[1], CultureInfo.InvariantCulture));
        }
        return (wall, cpu);
    }

    private static void RunShell(string command)
    {
        using var p = Process.Start(new ProcessStartInfo("/bin/sh") { ArgumentList = { "-c", command } })!;
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"'{command}' failed with exit code {p.ExitCode}");
    }
}
