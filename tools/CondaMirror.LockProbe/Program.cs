using System.Diagnostics;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Networking;
using CondaMirror.Core.Locks;

// One hostile-input case per process, so a caller can bound this process's peak memory (VmHWM) and time.
//   read <lock> [environment]   read a lock file
//   redact <chars>              redact a generated URL of that many characters
//   time <lock> <runs>          read a lock <runs> times, print the fastest and median times
// Prints key=value lines: outcome (ok|error), code, elapsed_ms (wall), cpu_ms (all threads: a busy shared machine
// stretches wall time, not CPU time), vmhwm_kb. Exit code 0 ok, 2 coded error.
var cpuAtStart = Process.GetCurrentProcess().TotalProcessorTime;
var sw = Stopwatch.StartNew();
string outcome = "ok", code = "";
try
{
    switch (args[0])
    {
        case "read":
            var lockFile = LockFileReader.Read(args[1], args.Length > 2 ? args[2] : "default");
            Console.WriteLine($"packages={lockFile.PackagesByPlatform.Sum(p => p.Value.Count)}");
            break;
        case "redact":
            var url = "https://" + new string('a', int.Parse(args[1]));
            Console.WriteLine($"redacted_length={UrlRedaction.Redact(url).Length}");
            Console.WriteLine($"has_credentials={UrlRedaction.HasCredentials(url)}");
            break;
        case "time":
            var times = new List<double>();
            for (var i = 0; i < int.Parse(args[2]); i++)
            {
                var run = Stopwatch.StartNew();
                LockFileReader.Read(args[1]);
                times.Add(run.Elapsed.TotalMilliseconds);
            }
            times.Sort();
            Console.WriteLine($"fastest_ms={times[0]:F1}");
            Console.WriteLine($"median_ms={times[times.Count / 2]:F1}");
            break;
        default:
            throw new ArgumentException($"unknown mode '{args[0]}'");
    }
}
catch (CondaMirrorException ex)
{
    outcome = "error";
    code = ex.Code;
    Console.WriteLine($"message={ex.Message.ReplaceLineEndings(" ")}");
}
Console.WriteLine($"outcome={outcome}");
Console.WriteLine($"code={code}");
Console.WriteLine($"elapsed_ms={sw.ElapsedMilliseconds}");
Console.WriteLine($"cpu_ms={(long)(Process.GetCurrentProcess().TotalProcessorTime - cpuAtStart).TotalMilliseconds}");
Console.WriteLine($"vmhwm_kb={PeakRssKb()}");
return outcome == "ok" ? 0 : 2;

// Peak resident set size of this process; -1 where /proc is not available.
static long PeakRssKb()
{
    const string status = "/proc/self/status";
    if (!File.Exists(status)) return -1;
    foreach (var line in File.ReadLines(status))
        if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            return long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0]);
    return -1;
}
