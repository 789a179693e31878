using System.Diagnostics;
using System.Globalization;
using CondaMirror.Core.Zstd;
using CondaMirror.TestKit;

namespace CondaMirror.Benchmarks;

public static partial class BenchmarkRegistry
{
    /// <summary>
    /// Encoders side by side at each level, content size declared and checksum on: <see cref="ZstdCodec.Compress(Stream, ZstdEncoderOptions?, bool)"/>,
    /// ZstdSharp's span API (<c>Compressor.Wrap</c>) and stream (<c>CompressionStream</c>, pledged size), and
    /// `zstd -N -T1` as a process, on the files of zstd-decode (real repodata, generated repodata at [scale], package
    /// tar of [payloadMB]). Levels at or above 10 run once on the first [sliceMB] of a file to keep the run bounded;
    /// lower levels are the best of [runs], small files compressed several times per run (about 32 MB of input). Wall
    /// and CPU (user+sys, of the whole process for the managed ones) MB/s are of input.
    /// Args: [scale=0.25] [levels=3,19] [sliceMB=16] [runs=3] [payloadMB=48].
    /// </summary>
    private static Benchmark RegisterZstdEncode() => new("zstd-encode", "zstd encode: ZstdCodec vs ZstdSharp span/stream vs zstd -N -T1 (MB/s, size)", args =>
    {
        double scale = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 0.25;
        var levels = (args.Length > 1 ? args[1] : "3,19").Split(',').Select(int.Parse).ToArray();
        int sliceMb = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 16;
        int runs = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 3;
        int payloadMb = args.Length > 4 ? int.Parse(args[4], CultureInfo.InvariantCulture) : 48;
        ZstdSamples.RequireZstd();
        bool haveTime = File.Exists("/usr/bin/time");
        using var dir = new TempDirectory("zstd-encode");
        Console.WriteLine($"load average {File.ReadAllText("/proc/loadavg").Trim()}");
        var files = ZstdBenchmarkFiles(dir.Path, scale, payloadMb);

        Console.WriteLine("| file | encoder | input MB | output bytes | size / CLI | wall MB/s | CPU MB/s |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        foreach (var (name, file) in files)
        {
            var whole = File.ReadAllBytes(file);
            var slicePath = Path.Combine(dir.Path, "slice");
            var slice = whole.AsSpan(0, Math.Min(whole.Length, sliceMb << 20)).ToArray();
            File.WriteAllBytes(slicePath, slice);

            foreach (var level in levels)
            {
                var input = level >= 10 ? slice : whole;
                var inputPath = level >= 10 ? slicePath : file;
                string sliced = level >= 10 && input.Length < whole.Length ? $" (first {sliceMb} MB)" : "";
                int repeat = Repeats(input.Length, level);
                int timedRuns = level >= 10 ? 1 : runs;

                // The CLI first: its size is what the managed rows are compared with.
                var outPath = Path.Combine(dir.Path, $"cli{level}.zst");
                var timePath = Path.Combine(dir.Path, "time.txt");
                if (repeat > 1) RunShell($"zstd -q -f -T1 -{level} '{inputPath}' -o '{outPath}'");
                // Small files are compressed several times in one process (one frame each), so that process start and
                // GNU time's 10 ms resolution do not dominate; the size is of one frame.
                string inputs = string.Join(' ', Enumerable.Repeat($"'{inputPath}'", repeat));
                string target = repeat > 1 ? "-c > /dev/null" : $"-o '{outPath}'";
                double cliWall = double.MaxValue, cliCpu = double.MaxValue;
                for (int run = 0; run < timedRuns; run++)
                {
                    var command = $"zstd -q -f -T1 -{level} {inputs} {target}";
                    if (haveTime) command = $"/usr/bin/time -f '%U %S' -o '{timePath}' sh -c \"{command}\"";
                    var sw = Stopwatch.StartNew();
                    RunShell(command);
                    cliWall = Math.Min(cliWall, sw.Elapsed.TotalSeconds / repeat);
                    if (haveTime)
                    {
                        var parts = File.ReadAllText(timePath).Trim().Split(' ');
                        cliCpu = Math.Min(cliCpu, (double.Parse(parts[0], CultureInfo.InvariantCulture) + double.Parse(parts[1], CultureInfo.InvariantCulture)) / repeat);
                    }
                }
                long cliSize = new FileInfo(outPath).Length;

                void Row(string encoder, long outputBytes, double wall, double cpu)
                {
                    double mb = input.Length / 1e6;
                    Console.WriteLine($"| {name} | {encoder}{sliced} | {mb:F1} | {outputBytes:N0} | {(double)outputBytes / cliSize:F3} | " +
                        $"{mb / wall:F1} | {(double.IsNaN(cpu) || cpu <= 0 ? "—" : (mb / cpu).ToString("F1", CultureInfo.InvariantCulture))} |");
                }

                void Managed(string encoder, Func<byte[], byte[]> compress)
                {
                    byte[] frame = Array.Empty<byte>();
                    double bestWall = double.MaxValue, bestCpu = double.MaxValue;
                    for (int run = 0; run < timedRuns; run++)
                    {
                        GC.Collect();
                        var cpu = CpuTime();
                        var sw = Stopwatch.StartNew();
                        for (int r = 0; r < repeat; r++) frame = compress(input);
                        bestWall = Math.Min(bestWall, sw.Elapsed.TotalSeconds / repeat);
                        bestCpu = Math.Min(bestCpu, (CpuTime() - cpu).TotalSeconds / repeat);
                    }
                    // The CLI is the oracle for every frame: it must decode to the input.
                    var framePath = Path.Combine(dir.Path, "managed.zst");
                    var backPath = Path.Combine(dir.Path, "managed.out");
                    File.WriteAllBytes(framePath, frame);
                    RunShell($"zstd -q -d -f '{framePath}' -o '{backPath}'");
                    if (!File.ReadAllBytes(backPath).AsSpan().SequenceEqual(input)) throw new InvalidOperationException($"{encoder} -{level} did not round-trip");
                    Row(encoder, frame.Length, bestWall, bestCpu);
                }

                Managed($"ZstdCodec -{level}", data =>
                {
                    using var output = new MemoryStream(data.Length / 2);
                    using (var encoder = ZstdCodec.Compress(output, new ZstdEncoderOptions { Level = level, ContentSize = data.Length }, leaveOpen: true))
                        encoder.Write(data);
                    return output.ToArray();
                });
                // What the product writes for repodata.json.zst: the one-shot path with the indexer's own options.
                if (level == 3 && name.Contains(".json", StringComparison.Ordinal))
                    Managed("ZstdCodec as repodata.json.zst (-3, MinMatch 6)", data => ZstdCodec.Compress(data, CondaMirror.Core.Indexing.ChannelIndexer.RepodataZstd));
                Managed($"ZstdSharp span -{level}", data =>
                {
                    using var compressor = new ZstdSharp.Compressor(level);
                    compressor.SetParameter(ZstdSharp.Unsafe.ZSTD_cParameter.ZSTD_c_checksumFlag, 1);
                    return compressor.Wrap(data).ToArray();
                });
                Managed($"ZstdSharp stream -{level}", data =>
                {
                    using var output = new MemoryStream(data.Length / 2);
                    using (var encoder = new ZstdSharp.CompressionStream(output, level, leaveOpen: true))
                    {
                        encoder.SetParameter(ZstdSharp.Unsafe.ZSTD_cParameter.ZSTD_c_checksumFlag, 1);
                        encoder.SetPledgedSrcSize((ulong)data.Length);
                        encoder.Write(data);
                    }
                    return output.ToArray();
                });
                Row($"zstd -{level} -T1", cliSize, cliWall, haveTime ? cliCpu : double.NaN);
            }
        }
        Console.WriteLine($"load average {File.ReadAllText("/proc/loadavg").Trim()}");
        return 0;
    });

    /// <summary>How often a fast level compresses a file per timed run: enough for about 32 MB of input.</summary>
    private static int Repeats(long inputBytes, int level) => level >= 10 ? 1 : (int)Math.Max(1, (32L << 20) / Math.Max(inputBytes, 1));
}
