using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using CondaMirror.Core.Archives;
using CondaMirror.Core.Diagnostics;
using CondaMirror.Core.Downloads;
using CondaMirror.TestKit;
using CondaMirror.TestKit.Channels;

namespace CondaMirror.Benchmarks;

public static partial class BenchmarkRegistry
{
    /// <summary>
    /// PackageDownloader as a build runs it (member check on) against the floors of the same run, over loopback:
    /// curl fetching the same URLs (8 parallel transfers, as ours), and zstd/bzip2 decompressing the same payloads in
    /// one process per core. Also the transfer alone (member check off), to show where the time goes.
    /// Realistic packages (<see cref="RealisticPackages"/>). Args: [packages=300] [totalMB=600] [rounds=3].
    /// </summary>
    private static Benchmark RegisterDownload() => new("download", "PackageDownloader (member check on) vs curl and zstd/bzip2 floors: 300 realistic pkgs / 600 MB over loopback", args =>
    {
        var count = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 300;
        var totalMb = args.Length > 1 ? double.Parse(args[1], CultureInfo.InvariantCulture) : 600;
        var rounds = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 3;
        return RunDownloadBenchmark(count, totalMb, rounds).GetAwaiter().GetResult();
    });

    private static async Task<int> RunDownloadBenchmark(int count, double totalMb, int rounds)
    {
        using var work = new TempDirectory("cm-bench-download");
        var channel = Path.Combine(work.Path, "channel");
        var packages = RealisticPackages.Plan(count, (long)(totalMb * 1024 * 1024), zstdLevel: 10);
        var archives = ChannelBuilder.WriteStreaming(channel, packages.Count, packages.Spec, Environment.ProcessorCount);
        var totalBytes = archives.Sum(f => new FileInfo(f).Length);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"generated {count} packages ({archives.Count(f => f.EndsWith(".tar.bz2", StringComparison.Ordinal))} .tar.bz2), {totalBytes / 1048576.0:0.0} MB"));
        var floors = DecompressFloor.Prepare(archives, Path.Combine(work.Path, "floor"));
        var workers = Environment.ProcessorCount;

        await using var server = new LoopbackChannelServer(channel);
        var requests = archives.Select(path =>
        {
            var subdir = Path.GetFileName(Path.GetDirectoryName(path)!);
            var name = Path.GetFileName(path);
            using var stream = File.OpenRead(path);
            return new DownloadRequest(server.UrlFor(subdir + "/" + name), name, subdir,
                Convert.ToHexString(SHA256.HashData(stream)).ToLowerInvariant(), null, stream.Length);
        }).ToList();

        var curlConfig = Path.Combine(work.Path, "curl.cfg");
        var curlOut = Path.Combine(work.Path, "curl-out");
        await File.WriteAllLinesAsync(curlConfig, requests.SelectMany(r => new[] { $"url = \"{r.Url}\"", $"output = \"{Path.Combine(curlOut, r.FileName)}\"" }));

        var checkedRuns = new List<double>();
        var transferRuns = new List<double>();
        var curls = new List<double>();
        var decompress = new List<double>();
        for (var round = 1; round <= rounds; round++)
        {
            // Alternate who goes first: the second runner pays for the first one's disk writeback.
            double checkedTime, curlTime;
            if (round % 2 == 1) { checkedTime = await TimeOurs(new PackageValidationOptions()); curlTime = await TimeCurl(); }
            else { curlTime = await TimeCurl(); checkedTime = await TimeOurs(new PackageValidationOptions()); }
            var transferTime = await TimeOurs(null);
            var (zstd, bzip2) = floors.Time(workers);
            checkedRuns.Add(checkedTime);
            transferRuns.Add(transferTime);
            curls.Add(curlTime);
            decompress.Add(zstd + bzip2);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"round {round}: PackageDownloader {checkedTime:0.00} s (transfer alone {transferTime:0.00} s), curl {curlTime:0.00} s, zstd -d {zstd:0.00} s + bzip2 -d {bzip2:0.00} s in {workers} processes; load average {LoadAverage()}"));
        }

        async Task<double> TimeOurs(PackageValidationOptions? validation)
        {
            var cache = Path.Combine(work.Path, "cache");
            if (Directory.Exists(cache)) Directory.Delete(cache, recursive: true);
            var clock = Stopwatch.StartNew();
            using var downloader = new PackageDownloader(new DownloadOptions { CacheRoot = cache, Validation = validation }, NullMirrorLog.Instance);
            var summary = await downloader.DownloadAsync(requests, CancellationToken.None);
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

        var floor = Math.Max(Median(curls), Median(decompress));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"median: PackageDownloader {Median(checkedRuns):0.00} s (transfer alone {Median(transferRuns):0.00} s), curl {Median(curls):0.00} s, decompress floor {Median(decompress):0.00} s"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"ratio to max(curl, decompress floor) = {floor:0.00} s: {Median(checkedRuns) / floor:0.00}x; transfer alone / curl {Median(transferRuns) / Median(curls):0.00}x"));
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

    /// <summary>Files of random bytes, 0.1–8 MB (skewed towards small, like real channels), scaled to the requested total, streamed to disk (for transfer-only benchmarks).</summary>
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
