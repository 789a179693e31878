using System.Globalization;
using CondaMirror.Core.Archives;
using CondaMirror.TestKit;

namespace CondaMirror.Benchmarks;

public static partial class BenchmarkRegistry
{
    /// <summary>
    /// bzip2 decoding speed, MB/s of output, in one run: <see cref="Bzip2DecoderStream"/> on libbz2 (P/Invoke), the
    /// same stream forced onto SharpZipLib (the decoder before libbz2), and `bzip2 -d -c`, each reading the same
    /// files: a package-like tar of [payloadMB] of this machine's shared libraries and .pyc files compressed by
    /// `bzip2 -9`, and every intact real .tar.bz2 package of the shared test data (all of them per pass, repeated to
    /// about 32 MB of output). Speeds are wall and CPU time (CPU time is the steadier on a shared machine).
    /// Args: [payloadMB=32] [runs=3].
    /// </summary>
    private static Benchmark RegisterBzip2Decode() => new("bzip2-decode", "bzip2 decode: libbz2 stream vs SharpZipLib vs bzip2 -d (MB/s of output)", args =>
    {
        int payloadMb = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 32;
        int runs = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 3;
        if (!Bzip2DecoderStream.UsesNative) throw new InvalidOperationException("libbz2 did not load on this machine: nothing to compare");
        using var dir = new TempDirectory("bzip2-decode");
        Console.WriteLine($"load average {File.ReadAllText("/proc/loadavg").Trim()}");

        var sets = new List<(string Name, string[] Files, long OutputBytes)>();
        var payload = PayloadTar(dir.Path, payloadMb);
        long payloadBytes = new FileInfo(payload).Length;
        RunShell($"bzip2 -9 -k -f '{payload}'");
        sets.Add(("payload.tar.bz2 (.so + .pyc, -9)", [payload + ".bz2"], payloadBytes));
        if (TestData.Root is string root)
        {
            var real = new List<string>();
            long realBytes = 0;
            foreach (var file in Directory.EnumerateFiles(Path.Combine(root, "packages"), "*.tar.bz2", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                // Some test packages are damaged on purpose; only the ones the CLI decodes are measured.
                try { RunShell($"bzip2 -t -q '{file}' 2>/dev/null"); }
                catch (InvalidOperationException) { continue; }
                realBytes += Decode(file, native: false);
                real.Add(file);
            }
            int repeat = (int)Math.Max(1, (32L << 20) / Math.Max(1, realBytes));
            var files = Enumerable.Repeat(real, repeat).SelectMany(f => f).ToArray();
            sets.Add(($"{real.Count} real .tar.bz2 packages x{repeat}", files, realBytes * repeat));
        }
        else
        {
            Console.WriteLine("shared test data not found: the real packages are not measured");
        }

        Console.WriteLine("MB/s of output, wall / CPU (user+sys; for the in-process decoders, of the whole process)");
        Console.WriteLine("| input | output MB | libbz2 stream | SharpZipLib | bzip2 -d -c | SharpZipLib time / libbz2 time | libbz2 time / CLI time |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        foreach (var (name, files, outputBytes) in sets)
        {
            void Check(long decoded)
            {
                if (decoded != outputBytes) throw new InvalidOperationException($"{name}: decoded {decoded} bytes, expected {outputBytes}");
            }
            var native = BestOfWithCpu(runs, () => Check(files.Sum(f => Decode(f, native: true))));
            var managed = BestOfWithCpu(runs, () => Check(files.Sum(f => Decode(f, native: false))));
            var listPath = Path.Combine(dir.Path, "inputs.txt");
            File.WriteAllLines(listPath, files);
            var cli = BestOfShellWithCpu(runs, $"xargs -d '\\n' -a '{listPath}' -n 1000 bzip2 -d -c > /dev/null", Path.Combine(dir.Path, "time.txt"));
            double mb = outputBytes / 1e6;
            string Speed((double Wall, double Cpu) t) => $"{mb / t.Wall:F1} / {mb / t.Cpu:F1}";
            Console.WriteLine($"| {name} | {mb:F1} | {Speed(native)} | {Speed(managed)} | {Speed(cli)} | " +
                $"{managed.Wall / native.Wall:F2} / {managed.Cpu / native.Cpu:F2} | {native.Wall / cli.Wall:F2} / {native.Cpu / cli.Cpu:F2} |");
        }
        Console.WriteLine($"load average {File.ReadAllText("/proc/loadavg").Trim()}");
        return 0;
    });

    private static readonly byte[] DecodeBuffer = new byte[1 << 17];

    private static long Decode(string file, bool native)
    {
        using var managedOnly = native ? null : Bzip2DecoderStream.ForceManaged();
        using var input = File.OpenRead(file);
        using var decoder = new Bzip2DecoderStream(input);
        long total = 0;
        int n;
        while ((n = decoder.Read(DecodeBuffer)) > 0) total += n;
        return total;
    }
}
