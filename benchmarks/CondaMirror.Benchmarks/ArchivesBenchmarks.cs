using System.Diagnostics;
using CondaMirror.Core.Archives;
using CondaMirror.Core.Records;

namespace CondaMirror.Benchmarks;

public static partial class BenchmarkRegistry
{
    /// <summary>
    /// Reads info/ from every package under a folder (default: the shared test data) several times and reports
    /// per-format throughput. Args: [folder] [rounds] [members: index|all].
    /// </summary>
    private static Benchmark RegisterArchivesReadInfo() => new("archives-read-info", "PackageArchive.ReadInfo over a folder of packages", args =>
    {
        var folder = args.Length > 0 ? args[0] : Path.Combine(CondaMirror.TestKit.TestData.Root ?? ".", "packages");
        var rounds = args.Length > 1 ? int.Parse(args[1]) : 5;
        var wanted = args.Length > 2 && args[2] == "all" ? InfoMembers.All : InfoMembers.IndexJson;
        var files = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Where(f => ArchiveFileName.TryGetFormat(f, out _) && new FileInfo(f).Length > 1000)
            .ToList();
        foreach (var format in new[] { ArchiveFormat.Conda, ArchiveFormat.TarBz2 })
        {
            var subset = files.Where(f => PackageArchive.DetectFormat(f) == format).ToList();
            var bytes = subset.Sum(f => new FileInfo(f).Length);
            var ok = subset.Count(f => TryRead(f, wanted)); // also warms up the JIT
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            for (var r = 0; r < rounds; r++)
                foreach (var f in subset)
                {
                    TryRead(f, wanted);
                }
            // CPU time next to wall time: on a shared build machine the wall clock mostly measures the neighbours.
            var cpuPerPackage = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds / Math.Max(1, subset.Count * rounds);
            var perPackage = sw.Elapsed.TotalMilliseconds / Math.Max(1, subset.Count * rounds);
            Console.WriteLine($"{format,-7} {subset.Count,4} packages ({ok} valid, {bytes / 1e6:F1} MB) x{rounds}: {perPackage:F2} ms/package wall, {cpuPerPackage:F2} ms/package CPU");
        }
        return 0;
    });

    // The test-data folder includes deliberately broken fixtures; rejecting them is part of the work measured.
    private static bool TryRead(string file, InfoMembers wanted)
    {
        try
        {
            PackageArchive.ReadInfo(file, wanted);
            return true;
        }
        catch (Core.Errors.CondaMirrorException)
        {
            return false;
        }
    }

    /// <summary>Writes a package with N files of M bytes in both formats. Args: [files] [bytesPerFile].</summary>
    private static Benchmark RegisterArchivesWrite() => new("archives-write", "PackageArchiveWriter.Write, both formats", args =>
    {
        var count = args.Length > 0 ? int.Parse(args[0]) : 200;
        var size = args.Length > 1 ? int.Parse(args[1]) : 20_000;
        var random = new Random(1);
        var files = Enumerable.Range(0, count).Select(i =>
        {
            var data = new byte[size];
            for (var j = 0; j < data.Length; j++) data[j] = (byte)"abcdefgh \n"[random.Next(10)];
            return new PackageFileEntry($"lib/data/file{i:D5}.txt", data);
        }).ToList();
        var record = new PackageRecord { Name = "bench", Version = "1.0", Build = "0", Subdir = "noarch" };
        var dir = Directory.CreateTempSubdirectory("archives-bench");
        try
        {
            foreach (var ext in new[] { ".conda", ".tar.bz2" })
            {
                var path = Path.Combine(dir.FullName, "bench-1.0-0" + ext);
                var cpu = Process.GetCurrentProcess().TotalProcessorTime;
                PackageArchiveWriter.Write(path, record, files);
                var write = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds;
                cpu = Process.GetCurrentProcess().TotalProcessorTime;
                PackageArchive.ReadInfo(path); // index.json only: stops at the front of the archive
                var readIndex = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds;
                cpu = Process.GetCurrentProcess().TotalProcessorTime;
                PackageArchive.ReadInfo(path, InfoMembers.All); // no run_exports.json here: a .tar.bz2 is read to the end
                var readAll = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds;
                Console.WriteLine($"{ext,-9} {count} x {size} B, archive {new FileInfo(path).Length / 1e6:F2} MB (CPU ms): write {write:F0}, read index.json {readIndex:F1}, read all info {readAll:F1}");
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }
        return 0;
    });
}

public static partial class BenchmarkRegistry
{
    /// <summary>
    /// The full member pass (every member of both parts, links, unpacked-bytes limit) over every package under a
    /// folder: archive MB/s and unpacked MB/s per format. Args: [folder] [rounds].
    /// </summary>
    private static Benchmark RegisterArchivesValidateMembers() => new("archives-validate", "PackageArchive.ValidateMembers over a folder of packages", args =>
    {
        var folder = args.Length > 0 ? args[0] : Path.Combine(CondaMirror.TestKit.TestData.Root ?? ".", "packages");
        var rounds = args.Length > 1 ? int.Parse(args[1]) : 5;
        var files = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Where(f => ArchiveFileName.TryGetFormat(f, out _) && new FileInfo(f).Length > 1000)
            .ToList();
        foreach (var format in new[] { ArchiveFormat.Conda, ArchiveFormat.TarBz2 })
        {
            var subset = files.Where(f => PackageArchive.DetectFormat(f) == format).ToList();
            long archiveBytes = 0, unpacked = 0;
            var valid = new List<string>();
            foreach (var f in subset) // warm-up, and only packages that pass count (refusals are listed)
            {
                try { unpacked += PackageArchive.ValidateMembers(f).UnpackedBytes; archiveBytes += new FileInfo(f).Length; valid.Add(f); }
                catch (CondaMirror.Core.Errors.CondaMirrorException e) { Console.WriteLine($"refused {Path.GetFileName(f)}: {e.Code} {e.Message}"); }
            }
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            for (var r = 0; r < rounds; r++)
                foreach (var f in valid) PackageArchive.ValidateMembers(f);
            var seconds = sw.Elapsed.TotalSeconds / rounds;
            var cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds / rounds;
            Console.WriteLine($"{format,-7} {valid.Count,4} packages ({archiveBytes / 1e6:F1} MB archive, {unpacked / 1e6:F1} MB unpacked) x{rounds}: " +
                $"{seconds * 1000:F0} ms/round wall, {archiveBytes / 1e6 / seconds:F0} MB/s archive, {unpacked / 1e6 / seconds:F0} MB/s unpacked; CPU {archiveBytes / 1e6 / Math.Max(cpuSeconds, 1e-9):F0} MB/s archive");
        }
        return 0;
    });
}
