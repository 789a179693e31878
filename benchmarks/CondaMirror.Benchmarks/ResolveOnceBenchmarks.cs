using System.Diagnostics;
using CondaMirror.Core.Channels;
using CondaMirror.Core.Diagnostics;
using CondaMirror.Core.Resolving;
using CondaMirror.TestKit.Synthetic;

namespace CondaMirror.Benchmarks;

public static partial class BenchmarkRegistry
{
    /// <summary>
    /// resolve-once CHANNEL LOCK [cache]: one cold LockResolver.Resolve of the resolve-scale request (linux-64) in this
    /// process, printing the step's timings line; a fresh process per run shows what a build pays for JIT and loading.
    /// </summary>
    private static Benchmark RegisterResolveOnce() => new("resolve-once",
        "(child of `resolve-scale` investigations) one cold in-process resolve of pandas scikit-learn matplotlib, with the step's timings", args =>
    {
        var clock = Stopwatch.StartNew();
        var channel = ChannelResolver.Resolve(args[0], ChannelResolver.AliasOrDefault(null), Environment.CurrentDirectory);
        var log = new RecordingMirrorLog();
        if (File.Exists(args[1])) File.Delete(args[1]);
        var settings = new ResolveSettings
        {
            Packages = SyntheticChannelGenerator.BenchmarkRequest.Select(n => new RequestedPackage(n, n)).ToList(),
            Channels = new[] { channel },
            Platforms = new[] { "linux-64" },
            LockFile = Path.GetFullPath(args[1]),
            Fetch = new CondaMirror.Core.Repodata.RepodataFetchOptions { CacheDirectory = args.Length > 2 ? args[2] : Path.Combine(Path.GetTempPath(), "cm-resolve-once-cache") },
        };
        var outcome = new LockResolver(log).Resolve(settings);
        Console.WriteLine($"{outcome.Changes[0]} in {clock.Elapsed.TotalSeconds:F3} s (process {(DateTime.Now - Process.GetCurrentProcess().StartTime).TotalSeconds:F3} s)");
        foreach (var line in log.Details.Concat(log.Infos).Where(l => l.StartsWith("Resolve timings", StringComparison.Ordinal))) Console.WriteLine(line);
        return 0;
    });
}
