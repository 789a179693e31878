using System.Diagnostics;
using System.Globalization;
using CondaMirror.Core.Zstd;
using CondaMirror.TestKit;
using CondaMirror.TestKit.Synthetic;

namespace CondaMirror.Benchmarks;

public static partial class BenchmarkRegistry
{
    /// <summary>
    /// The managed encoder at several levels against `zstd -1/-3/-19 -T1` on the same files, in one run: the biggest
    /// real repodata of the shared test data and the generated linux-64 repodata.json (scale 1 ≈ 284 MB). Levels at
    /// or above 10, ours and the CLI's, run once on the first [sliceMB] of a file to keep the run bounded; lower levels
    /// are the best of [runs]. Args: [scale=1] [levels=1,3,9,19] [sliceMB=50] [runs=3]. Wall and CPU (user+sys, of
    /// the whole process for ours) MB/s are of input; on a shared machine CPU time is the steadier of the two.
    /// </summary>
    private static Benchmark RegisterZstdEncode() => new("zstd-encode", "managed zstd encoder per level vs zstd -1/-3/-19 -T1 (MB/s, ratio)", args =>
    {
        double scale = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 1.0;
        var levels = (args.Length > 1 ? args[1] : "1,3,9,19").Split(',').Select(int.Parse).ToArray();
        int sliceMb = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 50;
        int runs = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 3;
        ZstdSamples.RequireZstd();
        bool haveTime = File.Exists("/usr/bin/time");
        using var dir = new TempDirectory("zstd-encode");

        var files = new List<string>();
        if (TestData.Root is string root)
        {
            files.Add(Directory.EnumerateFiles(Path.Combine(root, "repodata"), "*.json", SearchOption.AllDirectories)
                .OrderByDescending(f => new FileInfo(f).Length).First());
        }
        else
        {
            Console.WriteLine("shared test data not found: only the generated repodata is measured");
        }
        var (channel, _) = GeneratedChannel(new[] { scale.ToString(CultureInfo.InvariantCulture) });
        files.Add(Path.Combine(channel, "linux-64", "repodata.json"));

        Console.WriteLine("| file | encoder | input MB | output bytes | ratio | wall MB/s | CPU MB/s |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        foreach (var file in files)
        {
            var whole = File.ReadAllBytes(file);
            var slicePath = Path.Combine(dir.Path, "slice.json");
            var slice = whole.AsSpan(0, Math.Min(whole.Length, sliceMb << 20)).ToArray();
            File.WriteAllBytes(slicePath, slice);
            string name = Path.GetFileName(Path.GetDirectoryName(Path.GetDirectoryName(file)))! + "/" +
                Path.GetFileName(Path.GetDirectoryName(file)) + "/" + Path.GetFileName(file);

            void Row(string encoder, long inputBytes, long outputBytes, double wall, double cpu)
            {
                double mb = inputBytes / 1e6;
                Console.WriteLine($"| {name} | {encoder} | {mb:F1} | {outputBytes:N0} | {(double)inputBytes / outputBytes:F2} | " +
                    $"{mb / wall:F1} | {(double.IsNaN(cpu) || cpu <= 0 ? "—" : (mb / cpu).ToString("F1", CultureInfo.InvariantCulture))} |");
            }

            foreach (var level in levels)
            {
                var input = level >= 10 ? slice : whole;
                int repeat = Repeats(input.Length, level);
                var output = new MemoryStream(input.Length / 2);
                double bestWall = double.MaxValue, bestCpu = double.MaxValue;
                for (int run = 0; run < (level >= 10 ? 1 : runs); run++)
                {
                    GC.Collect();
                    var cpu = CpuTime();
                    var sw = Stopwatch.StartNew();
                    for (int r = 0; r < repeat; r++)
                    {
                        output.SetLength(0);
                        using var encoder = ZstdCodec.Compress(output, new ZstdEncoderOptions { Level = level, ContentSize = input.Length }, leaveOpen: true);
                        encoder.Write(input);
                    }
                    bestWall = Math.Min(bestWall, sw.Elapsed.TotalSeconds / repeat);
                    bestCpu = Math.Min(bestCpu, (CpuTime() - cpu).TotalSeconds / repeat);
                }
                var frame = output.ToArray();
                if (!ZstdCodec.Decompress(frame).AsSpan().SequenceEqual(input)) throw new InvalidOperationException($"level {level} did not round-trip");
                Row($"managed -{level}" + (level >= 10 && input.Length < whole.Length ? $" (first {sliceMb} MB)" : ""), input.Length, frame.Length, bestWall, bestCpu);
            }

            foreach (var level in new[] { 1, 3, 19 })
            {
                var inputPath = level >= 10 ? slicePath : file;
                long inputBytes = new FileInfo(inputPath).Length;
                var outPath = Path.Combine(dir.Path, $"cli{level}.zst");
                var timePath = Path.Combine(dir.Path, "time.txt");
                int repeat = Repeats(inputBytes, level);
                if (repeat > 1) RunShell($"zstd -q -f -T1 -{level} '{inputPath}' -o '{outPath}'");
                // Small files are compressed several times in one process (one frame each), so that process start and
                // GNU time's 10 ms resolution do not dominate; the size is of one frame.
                string inputs = string.Join(' ', Enumerable.Repeat($"'{inputPath}'", repeat));
                string target = repeat > 1 ? "-c > /dev/null" : $"-o '{outPath}'";
                double bestWall = double.MaxValue, bestCpu = double.MaxValue;
                for (int run = 0; run < (level >= 10 ? 1 : runs); run++)
                {
                    var command = $"zstd -q -f -T1 -{level} {inputs} {target}";
                    if (haveTime) command = $"/usr/bin/time -f '%U %S' -o '{timePath}' sh -c \"{command}\"";
                    var sw = Stopwatch.StartNew();
                    RunShell(command);
                    bestWall = Math.Min(bestWall, sw.Elapsed.TotalSeconds / repeat);
                    if (haveTime)
                    {
                        var parts = File.ReadAllText(timePath).Trim().Split(' ');
                        bestCpu = Math.Min(bestCpu, (double.Parse(parts[0], CultureInfo.InvariantCulture) + double.Parse(parts[1], CultureInfo.InvariantCulture)) / repeat);
                    }
                }
                Row($"zstd -{level} -T1" + (level >= 10 && inputBytes < whole.Length ? $" (first {sliceMb} MB)" : ""), inputBytes,
                    new FileInfo(outPath).Length, bestWall, haveTime ? bestCpu : double.NaN);
            }
        }
        return 0;
    });

    /// <summary>How often a fast level compresses a file per timed run: enough for about 32 MB of input.</summary>
    private static int Repeats(long inputBytes, int level) => level >= 10 ? 1 : (int)Math.Max(1, (32L << 20) / Math.Max(inputBytes, 1));
}
