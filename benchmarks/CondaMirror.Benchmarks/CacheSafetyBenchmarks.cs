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
    /// What keeping the shared cache safe from edits through a channel costs: args [packages=320] [totalMB=300] [rounds=5].
    /// Placement of every package into a fresh channel as builds do it (hard link or reflink, then the cache file's
    /// identity recorded again), into a channel that already holds the links, by bare hard link, chmod read-only,
    /// reflink (FICLONE, where the file system has it) and copy; then the cache-hit check by sidecar only, sidecar +
    /// identity (what the cache does), a hit check by md5 only (the first learns each md5 from the file, later ones read
    /// it from the sidecar), and a full re-hash of every file.
    /// </summary>
    private static Benchmark RegisterCacheSafety() => new("cache-safety", "Channel placement (as builds do it, again, link, chmod, reflink, copy) and cache-hit checks (sidecar, +identity, md5-only, re-hash): 320 packages", args =>
    {
        var count = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 320;
        var totalMb = args.Length > 1 ? double.Parse(args[1], CultureInfo.InvariantCulture) : 300;
        var rounds = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 5;
        return RunCacheSafety(count, totalMb, rounds).GetAwaiter().GetResult();
    });

    private static async Task<int> RunCacheSafety(int count, double totalMb, int rounds)
    {
        using var work = new TempDirectory("cm-bench-cache-safety");
        var upstream = Path.Combine(work.Path, "upstream");
        var generated = GenerateChannel(upstream, count, (long)(totalMb * 1024 * 1024));
        // With the md5 a lock would give beside the sha256, so the cache's md5 index points at every entry.
        var requests = generated.Select(g => g.Request with { Url = g.Path, Md5 = Convert.ToHexString(MD5.HashData(File.ReadAllBytes(g.Path))).ToLowerInvariant() }).ToList();
        var totalBytes = requests.Sum(r => r.Size!.Value);
        var cacheRoot = Path.Combine(work.Path, "cache");
        DownloadSummary filled;
        using (var downloader = new PackageDownloader(new DownloadOptions { CacheRoot = cacheRoot, Validation = null /* random bytes, not packages */ }, NullMirrorLog.Instance))
            filled = await downloader.DownloadAsync(requests, CancellationToken.None);
        var cached = requests.Select(r => filled.CachePaths[r]).ToList();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"cache of {count} packages, {totalBytes / 1048576.0:0.0} MB, on {FileSystemOf(work.Path)}"));

        string Fresh(string name)
        {
            var dir = Path.Combine(work.Path, name);
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
            Directory.CreateDirectory(dir);
            return dir;
        }

        // Every round's setup runs untimed before it: a fresh channel folder, a settled cache, and so on.
        double Time(Action action, Action? setup = null)
        {
            var samples = new List<double>();
            for (var i = 0; i < rounds; i++)
            {
                setup?.Invoke();
                var clock = Stopwatch.StartNew();
                action();
                samples.Add(clock.Elapsed.TotalMilliseconds);
            }
            return Median(samples);
        }

        void Report(string what, double ms, string extra = "") =>
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{what,-50} {ms,9:0.0} ms  ({ms * 1000 / count,7:0.0} µs/package){extra}"));

        // Links made or removed outside PackageCache change the cached files' change time: the next hit check hashes
        // each once. A settled cache is one where that already happened (as after a build's hit check).
        var rehashed = 0;
        void Settle()
        {
            var settling = new PackageCache(cacheRoot);
            foreach (var r in requests)
                if (!settling.TryGetVerified(r, out _)) throw new InvalidOperationException("miss");
            if (settling.Evicted != 0) throw new InvalidOperationException("an intact file was evicted");
            rehashed += settling.Rehashed;
        }

        // Placement of every package into a fresh channel: temp name beside the target, then rename, as ChannelPlacement does.
        void PlaceAll(string name, Func<string, string, bool> place)
        {
            var channel = Path.Combine(work.Path, name);
            for (var i = 0; i < count; i++)
            {
                var temp = Path.Combine(channel, "." + requests[i].FileName + ".tmp");
                if (!place(cached[i], temp)) throw new InvalidOperationException($"{name}: placement failed");
                File.Move(temp, Path.Combine(channel, requests[i].FileName));
            }
        }
        double Place(string name, Func<string, string, bool> place) => Time(() => PlaceAll(name, place), () => Fresh(name));
        var mb = (totalBytes / 1048576.0).ToString("0", CultureInfo.InvariantCulture);
        var builds = Path.Combine(work.Path, "channel-placement");
        Report("place: LinkOrCopy into a fresh channel (builds)", Time(() =>
        {
            for (var i = 0; i < count; i++) ChannelPlacement.LinkOrCopy(cached[i], Path.Combine(builds, requests[i].FileName), requests[i].Sha256);
        }, () =>
        {
            Fresh("channel-placement"); // removing the last round's links changes the cached files' ctime...
            Settle();                   // ...which a build's hit check re-hashes before placement
        }));
        // A hard link is kept (it is the cache file); a reflink is a file of its own and is cloned again (cheaper than
        // hashing it to prove it unchanged).
        var again = 0;
        Report("place: LinkOrCopy again, channel up to date", Time(() =>
        {
            again = 0;
            for (var i = 0; i < count; i++)
                if (ChannelPlacement.LinkOrCopy(cached[i], Path.Combine(builds, requests[i].FileName), requests[i].Sha256)) again++;
        }), again == 0 ? "  (every file kept)" : $"  ({again} placed again)");
        var cache = new PackageCache(cacheRoot);
        foreach (var r in requests)
            if (!cache.TryGetVerified(r, out _)) throw new InvalidOperationException("miss");
        if (cache.Rehashed != 0) throw new InvalidOperationException($"{cache.Rehashed} hit checks after LinkOrCopy re-hashed");
        Report("place: hard link (bare link + rename)", Place("channel-link", ChannelPlacement.TryCreateHardLink), "  extra disk 0 MB");
        Report("chmod 0444 of every cached file", Time(() =>
        {
            foreach (var file in cached) File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }));
        var probe = Fresh("probe");
        if (ChannelPlacement.TryReflink(cached[0], Path.Combine(probe, "x"), probe))
            Report("place: reflink (FICLONE)", Place("channel-reflink", (from, to) => ChannelPlacement.TryReflink(from, to, "bench")), "  extra disk 0 MB (copy-on-write)");
        else
            Console.WriteLine($"{"place: reflink (FICLONE)",-50} not supported by {FileSystemOf(work.Path)}");
        Report("place: byte copy", Place("channel-copy", (from, to) =>
        {
            using var input = new FileStream(from, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            using var output = new FileStream(to, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
            input.CopyTo(output, 1 << 20);
            return true;
        }), $"  extra disk {mb} MB");

        // Cache-hit checks over every package.
        Report("hit check: sidecar + size (before)", Time(() =>
        {
            foreach (var file in cached)
                if (!PackageCache.TryReadSidecar(file, out var sidecar) || sidecar.Size != new FileInfo(file).Length) throw new InvalidOperationException("miss");
        }));
        Settle();
        cache = new PackageCache(cacheRoot);
        Report("hit check: sidecar + identity (TryGetVerified)", Time(() =>
        {
            foreach (var r in requests)
                if (!cache.TryGetVerified(r, out _)) throw new InvalidOperationException("miss");
        }));
        if (cache.Rehashed != 0) throw new InvalidOperationException($"{cache.Rehashed} hit checks of a settled cache re-hashed");
        var settled = rehashed;
        Report("hit check after a channel of links was deleted", Time(Settle, () =>
        {
            Fresh("channel-link");
            PlaceAll("channel-link", ChannelPlacement.TryCreateHardLink);
            Settle();
            Fresh("channel-link");
        }), " (re-hash each, page cache warm)");
        if (rehashed - settled < count * rounds) throw new InvalidOperationException("deleted links did not cost a re-hash");
        var md5Only = requests.Select(r => r with { Sha256 = null, Size = null }).ToList();
        var learn = Stopwatch.StartNew();
        foreach (var r in md5Only)
            if (!cache.TryGetVerified(r, out _)) throw new InvalidOperationException("md5 miss");
        Report("hit check: md5 only, first (learns each md5)", learn.Elapsed.TotalMilliseconds);
        Report("hit check: md5 only, then", Time(() =>
        {
            foreach (var r in md5Only)
                if (!cache.TryGetVerified(r, out _)) throw new InvalidOperationException("md5 miss");
        }));
        Report("hit check: full sha256 re-hash", Time(() =>
        {
            foreach (var file in cached)
            {
                using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
                SHA256.HashData(stream);
            }
        }), " (page cache warm)");
        if (cache.Evicted != 0) throw new InvalidOperationException("an intact file was evicted");
        return 0;
    }

    private static string FileSystemOf(string path)
    {
        try
        {
            var psi = new ProcessStartInfo("stat", $"-f -c %T \"{path}\"") { RedirectStandardOutput = true, UseShellExecute = false };
            using var p = Process.Start(psi)!;
            var type = p.StandardOutput.ReadToEnd().Trim();
            p.WaitForExit();
            return type.Length > 0 ? type : "an unknown file system";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "an unknown file system";
        }
    }
}
