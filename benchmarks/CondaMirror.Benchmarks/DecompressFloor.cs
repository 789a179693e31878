using System.Diagnostics;
using System.IO.Compression;

namespace CondaMirror.Benchmarks;

/// <summary>
/// The decompression floor of a set of package archives: the time Debian's own <c>zstd -d -T1</c> and
/// <c>bzip2 -d</c> take to decompress their payloads (a .conda's two tar.zst members, a .tar.bz2 whole) to /dev/null,
/// split over N processes balanced by size. The member check has to decompress exactly these bytes, so nothing that
/// checks every member can be faster on N cores; process start-up (one per worker and tool) is included.
/// </summary>
internal sealed class DecompressFloor
{
    private readonly List<string> _zstd;
    private readonly List<string> _bzip2;

    private DecompressFloor(List<string> zstd, List<string> bzip2)
    {
        _zstd = zstd;
        _bzip2 = bzip2;
    }

    /// <summary>Copies each .conda's tar.zst members out of its zip (System.IO.Compression) into <paramref name="directory"/>.</summary>
    public static DecompressFloor Prepare(IEnumerable<string> archives, string directory)
    {
        Directory.CreateDirectory(directory);
        var zstd = new List<string>();
        var bzip2 = new List<string>();
        foreach (var archive in archives)
        {
            if (archive.EndsWith(".tar.bz2", StringComparison.Ordinal))
            {
                bzip2.Add(archive);
                continue;
            }
            using var zip = ZipFile.OpenRead(archive);
            foreach (var entry in zip.Entries.Where(e => e.FullName.EndsWith(".tar.zst", StringComparison.Ordinal)))
            {
                var target = Path.Combine(directory, entry.FullName);
                entry.ExtractToFile(target, overwrite: true);
                zstd.Add(target);
            }
        }
        return new DecompressFloor(zstd, bzip2);
    }

    /// <summary>Seconds for all zstd payloads, then for all bzip2 archives, each in <paramref name="processes"/> parallel processes.</summary>
    public (double Zstd, double Bzip2) Time(int processes) =>
        (Run("zstd -d -q -T1 -c \"$@\" > /dev/null", _zstd, processes), Run("bzip2 -d -c \"$@\" > /dev/null", _bzip2, processes));

    private static double Run(string script, List<string> files, int processes)
    {
        if (files.Count == 0) return 0;
        // Largest first onto the least loaded worker: the groups end close together.
        var groups = Enumerable.Range(0, Math.Max(1, processes)).Select(_ => (Bytes: 0L, Files: new List<string>())).ToArray();
        foreach (var file in files.OrderByDescending(f => new FileInfo(f).Length))
        {
            var i = Array.FindIndex(groups, g => g.Bytes == groups.Min(x => x.Bytes));
            groups[i].Files.Add(file);
            groups[i].Bytes += new FileInfo(file).Length;
        }
        var clock = Stopwatch.StartNew();
        var running = groups.Where(g => g.Files.Count > 0).Select(g =>
        {
            var psi = new ProcessStartInfo("sh") { UseShellExecute = false, RedirectStandardError = true };
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add(script);
            psi.ArgumentList.Add("sh");
            foreach (var f in g.Files) psi.ArgumentList.Add(f);
            var process = Process.Start(psi)!;
            return (Process: process, Errors: process.StandardError.ReadToEndAsync());
        }).ToList();
        foreach (var (process, errors) in running)
        {
            process.WaitForExit();
            if (process.ExitCode != 0) throw new InvalidOperationException($"{script} failed ({process.ExitCode}): {errors.Result}");
            process.Dispose();
        }
        return clock.Elapsed.TotalSeconds;
    }
}
