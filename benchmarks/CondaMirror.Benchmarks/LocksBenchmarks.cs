using System.Diagnostics;
using CondaMirror.Core.Locks;
using CondaMirror.TestKit;

namespace CondaMirror.Benchmarks;

public static partial class BenchmarkRegistry
{
    // Usage: locks-read [path ...]; defaults to the largest shared-testdata locks.
    private static Benchmark RegisterLocksRead() => new("locks-read", "parse large lock files (YAML tree, records), best of 5", args =>
    {
        var paths = args.Length > 0 ? args : new[]
        {
            TestData.PathOf("locks", "pixi", "conda-rattler__test-data", "conda-lock", "v4", "turtlesim-lock.yml"),
            TestData.PathOf("locks", "pixi", "conda-rattler__test-data", "conda-lock", "v3", "robostack-turtlesim-conda-lock.yml"),
            TestData.PathOf("locks", "pixi", "v6", "prefix-dev-pixi__examples-ros2-nav2__pixi.lock"),
        };
        foreach (var path in paths)
        {
            var text = File.ReadAllText(path);
            double bestTree = double.MaxValue, bestRead = double.MaxValue;
            var entries = 0;
            for (var i = 0; i < 5; i++)
            {
                var sw = Stopwatch.StartNew();
                YamlTree.Load(text, path);
                bestTree = Math.Min(bestTree, sw.Elapsed.TotalMilliseconds);
                sw.Restart();
                var lockFile = LockFileReader.Read(path);
                bestRead = Math.Min(bestRead, sw.Elapsed.TotalMilliseconds);
                entries = lockFile.PackagesByPlatform.Sum(p => p.Value.Count);
            }
            Console.WriteLine($"{Path.GetFileName(path)}: {text.Length / 1024} KiB, {entries} entries, YAML tree {bestTree:F0} ms, full read {bestRead:F0} ms");
        }
        return 0;
    });
}
