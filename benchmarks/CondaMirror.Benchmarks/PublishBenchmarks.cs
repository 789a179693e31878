using System.Diagnostics;
using System.Globalization;
using Amazon.Runtime;
using CondaMirror.Core.Diagnostics;
using CondaMirror.Core.Networking;
using CondaMirror.Core.Publishing;
using CondaMirror.TestKit;
using CondaMirror.TestKit.Channels;

namespace CondaMirror.Benchmarks;

public static partial class BenchmarkRegistry
{
    /// <summary>
    /// Publishing a channel of N packages to a real S3-compatible server on loopback (tests/npm/s3-server.cjs, s3rver):
    /// the first publish, a no-change publish with our manifest (one listing + one GET), the same without it (a HEAD
    /// per object: what the manifest saves), with the local hash cache (no file hashed), and one added package. Requests per kind and wall time.
    /// Args: [packages=300] [payloadKB=32]. Needs node and `npm ci --prefix tests/npm`.
    /// </summary>
    private static Benchmark RegisterPublish() => new("publish", "ChannelPublisher against s3rver on loopback: first, no-change (with/without manifest), one added package", args =>
    {
        var count = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 300;
        var payload = (args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 32) * 1024;
        using var server = new S3Server();
        using var work = new TempDirectory("cm-bench-publish");
        var channel = work.Combine("channel");
        CoreChannelBuilder Packages(int n)
        {
            var builder = new CoreChannelBuilder();
            for (var i = 0; i < n; i++)
                builder.Add(new PackageSpec($"pkg{i:D4}", "1.0", "h_0", i % 3 == 0 ? "noarch" : "linux-64") { PayloadBytes = payload });
            return builder;
        }
        Packages(count).WriteTo(channel);
        using var store = LoopbackStore(server);
        var target = PublishTarget.Parse($"s3://{server.Bucket}/bench", new Dictionary<string, string>());
        void Run(string what, string? hashCache = null) => PublishAndReport(what, channel, target, store, new PublishOptions { HashCacheFile = hashCache });
        // The publisher's own footprint: working set sampled while publishing, after the generator's garbage is gone.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var baseline = System.Diagnostics.Process.GetCurrentProcess().WorkingSet64;
        long sampledPeak = 0;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                using var self = System.Diagnostics.Process.GetCurrentProcess();
                sampledPeak = Math.Max(sampledPeak, self.WorkingSet64);
                try { await Task.Delay(20, sampling.Token); } catch (OperationCanceledException) { }
            }
        });
        var files = Directory.EnumerateFiles(channel, "*", SearchOption.AllDirectories).Count();
        Console.WriteLine($"channel: {count} packages, {files} files, {Directory.EnumerateFiles(channel, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length) / 1048576.0:0.0} MB");
        Run("first publish");
        Run("no change (manifest)");
        store.DeleteAsync("bench/" + PublishManifest.RelativeKey, CancellationToken.None).GetAwaiter().GetResult();
        Run("no change (no manifest: HEAD each)");
        Run("no change (manifest rewritten)");
        var hashes = work.Combine("obj", "publish.hashes");
        Run("no change, hash cache written", hashes);
        Run("no change, hashes from the cache", hashes);
        Packages(count + 1).WriteTo(channel);
        Run("one package added");
        sampling.Cancel();
        sampler.GetAwaiter().GetResult();
        Console.WriteLine($"working set before publishing {baseline / 1048576.0:0} MB, highest while publishing {sampledPeak / 1048576.0:0} MB " +
                          $"(process peak, generator included: {System.Diagnostics.Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0:0} MB)");
        return 0;
    });

    /// <summary>A store on the loopback server with its own key pair (the process environment stays untouched).</summary>
    private static S3ObjectStore LoopbackStore(S3Server server) => new(new S3StoreOptions
    {
        Bucket = server.Bucket, Endpoint = server.Endpoint, ForcePathStyle = true,
        TestCredentials = new BasicAWSCredentials(server.AccessKeyId, server.SecretAccessKey),
    });

    /// <summary>One publish, timed, with its counts and requests per kind on one line.</summary>
    private static void PublishAndReport(string what, string tree, PublishTarget target, S3ObjectStore store, PublishOptions options)
    {
        var clock = Stopwatch.StartNew();
        var r = ChannelPublisher.PublishAsync(tree, target, store, options, NullMirrorLog.Instance, CancellationToken.None).GetAwaiter().GetResult();
        var q = r.Requests;
        Console.WriteLine($"{what,-34} {clock.Elapsed.TotalSeconds,7:0.000} s  uploaded {r.Uploaded,5} ({r.UploadedBytes / 1048576.0:0.0} MB), unchanged {r.Unchanged,5};" +
                          $" requests: list {q.Lists}, get {q.Gets}, head {q.Heads}, put {q.Puts}, delete {q.Deletes}");
    }
}
