using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using CondaMirror.Core.Diagnostics;
using CondaMirror.Core.Downloads;
using CondaMirror.TestKit;

namespace CondaMirror.Benchmarks;

public static partial class BenchmarkRegistry
{
    /// <summary>
    /// PackageDownloader against curl on the same loopback server: args [packages=300] [totalMB=600] [rounds=4].
    /// Each round downloads everything into a fresh cache (ours) and a fresh folder (curl, 8 parallel transfers).
    /// </summary>
    private static Benchmark RegisterDownload() => new("download", "PackageDownloader vs curl --parallel-max 8: 300 files / 600 MB over loopback", args =>
    {
        var count = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 300;
        var totalMb = args.Length > 1 ? double.Parse(args[1], CultureInfo.InvariantCulture) : 600;
        var rounds = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 4;
        return RunDownloadBenchmark(count, totalMb, rounds).GetAwaiter().GetResult();
    });

    private static async Task<int> RunDownloadBenchmark(int count, double totalMb, int rounds)
    {
        using var work = new TempDirectory("cm-bench-download");
        var channel = Path.Combine(work.Path, "channel");
        var requests = GenerateChannel(channel, count, (long)(totalMb * 1024 * 1024));
        var totalBytes = requests.Sum(r => r.Request.Size!.Value);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"generated {count} files, {totalBytes / 1048576.0:0.0} MB"));

        await using var server = new LoopbackChannelServer(channel);
        var withUrls = requests.Select(r => r.Request with { Url = server.UrlFor("noarch/" + r.Request.FileName) }).ToList();

        var curlConfig = Path.Combine(work.Path, "curl.cfg");
        var curlOut = Path.Combine(work.Path, "curl-out");
        await File.WriteAllLinesAsync(curlConfig, withUrls.SelectMany(r => new[] { $"url = \"{r.Url}\"", $"output = \"{Path.Combine(curlOut, r.FileName)}\"" }));

        var ours = new List<double>();
        var curls = new List<double>();
        for (var round = 1; round <= rounds; round++)
        {
            // Alternate who goes first: the second runner pays for the first one's disk writeback.
            double oursTime, curlTime;
            if (round % 2 == 1) { oursTime = await TimeOurs(); curlTime = await TimeCurl(); }
            else { curlTime = await TimeCurl(); oursTime = await TimeOurs(); }
            ours.Add(oursTime);
            curls.Add(curlTime);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"round {round}: PackageDownloader {oursTime:0.00} s ({totalBytes / 1048576.0 / oursTime:0} MB/s), curl {curlTime:0.00} s ({totalBytes / 1048576.0 / curlTime:0} MB/s)"));
        }

        async Task<double> TimeOurs()
        {
            var cache = Path.Combine(work.Path, "cache");
            if (Directory.Exists(cache)) Directory.Delete(cache, recursive: true);
            var clock = Stopwatch.StartNew();
            using var downloader = new PackageDownloader(new DownloadOptions { CacheRoot = cache, Validation = null /* random bytes, not packages */ }, NullMirrorLog.Instance);
            var summary = await downloader.DownloadAsync(withUrls, CancellationToken.None);
            if (summary.Downloaded != count) throw new InvalidOperationException("not everything was downloaded");
            return clock.Elapsed.TotalSeconds;
        }

        async Task<double> TimeCurl()
        {
            if (Directory.Exists(curlOut)) Directory.Delete(curlOut, recursive: true);
            Directory.CreateDirectory(curlOut);
            var clock = Stopwatch.StartNew();
            using var curl = Process.Start(new ProcessStartInfo("curl", $"--parallel --parallel-max 8 -s -S -f -K \"{curlConfig}\"")
            {
                UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true,
            })!;
            var stderr = curl.StandardError.ReadToEndAsync();
            await curl.StandardOutput.ReadToEndAsync();
            await curl.WaitForExitAsync();
            if (curl.ExitCode != 0) throw new InvalidOperationException($"curl failed with exit code {curl.ExitCode}: {await stderr}");
            return clock.Elapsed.TotalSeconds;
        }

        var oursMedian = Median(ours);
        var curlMedian = Median(curls);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"median: PackageDownloader {oursMedian:0.00} s, curl {curlMedian:0.00} s, ratio {oursMedian / curlMedian:0.00}x"));
        using var self = Process.GetCurrentProcess();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"peak working set of this process (downloader + in-process server + generator): {self.PeakWorkingSet64 / 1048576.0:0} MB"));
        return 0;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.OrderBy(v => v).ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    /// <summary>Files of 0.1–8 MB (skewed towards small, like real channels), scaled to the requested total, streamed to disk.</summary>
    private static List<(DownloadRequest Request, string Path)> GenerateChannel(string channel, int count, long totalBytes)
    {
        var dir = Path.Combine(channel, "noarch");
        Directory.CreateDirectory(dir);
        var random = new Random(42);
        var weights = Enumerable.Range(0, count).Select(_ => Math.Pow(random.NextDouble(), 2)).ToArray();
        const double Min = 0.1 * 1048576, Max = 8 * 1048576;
        // Choose the scale so that sizes Min + w * span sum to the total, with span capped at Max - Min.
        var span = Math.Clamp((totalBytes - count * Min) / weights.Sum(), 0, Max - Min);
        var buffer = new byte[1 << 20];
        var result = new List<(DownloadRequest, string)>();
        for (var i = 0; i < count; i++)
        {
            var size = (long)(Min + weights[i] * span);
            var name = $"pkg{i:D3}-1.0-0.conda";
            var path = Path.Combine(dir, name);
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            using (var output = File.Create(path))
            {
                for (long left = size; left > 0;)
                {
                    var n = (int)Math.Min(buffer.Length, left);
                    random.NextBytes(buffer.AsSpan(0, n));
                    sha.AppendData(buffer, 0, n);
                    output.Write(buffer, 0, n);
                    left -= n;
                }
            }
            result.Add((new DownloadRequest("", name, "noarch", Convert.ToHexString(sha.GetHashAndReset()).ToLowerInvariant(), null, size), path));
        }
        return result;
    }
}
