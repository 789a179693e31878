using System.Diagnostics;
using System.Globalization;
using CondaMirror.Core.Channels;
using CondaMirror.Core.Diagnostics;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Repodata;

// Usage: CondaMirror.HostileProbe <channel-url> <subdir> <cache-dir> [<package-name>]
// With a package name the subdir is read as the resolver reads it (the CEP-16 shard index first) and that name's
// records are asked for, so a hostile shard index or shard is fetched and decoded.
// Fetches with RepodataFetchOptions' defaults (only the cache folder is set) and prints one line of key=value pairs:
// outcome (ok or the error code), records, elapsed_ms, vmhwm_kb (peak resident set, from /proc/self/status),
// then the error message on a line of its own. Exit code 0 whatever the outcome; 2 for bad arguments.
if (args.Length is not (3 or 4))
{
    Console.Error.WriteLine("usage: CondaMirror.HostileProbe <channel-url> <subdir> <cache-dir> [<package-name>]");
    return 2;
}

var channel = ChannelResolver.Resolve(args[0]);
var options = new RepodataFetchOptions { CacheDirectory = args[2] };
var stopwatch = Stopwatch.StartNew();
string outcome;
var records = 0;
string? message = null;
using (var fetcher = new RepodataFetcher(options, NullMirrorLog.Instance))
{
    try
    {
        if (args.Length == 4)
        {
            var subdir = await fetcher.FetchSubdirAsync(channel, args[1]);
            records = subdir.Records(args[3]).Count;
        }
        else
        {
            var repodata = await fetcher.FetchAsync(channel, args[1]);
            records = repodata.RecordCount;
            GC.KeepAlive(repodata);
        }
        outcome = "ok";
    }
    catch (CondaMirrorException e)
    {
        outcome = e.Code;
        // As MSBuild shows it: the file or URL the error is about, then the text.
        message = e.File is null || e.Message.Contains(e.File, StringComparison.Ordinal) ? e.Message : $"{e.File}: {e.Message}";
    }
}
stopwatch.Stop();
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"outcome={outcome} records={records} elapsed_ms={stopwatch.ElapsedMilliseconds} vmhwm_kb={PeakRssKb()}"));
if (message is not null) Console.WriteLine(message);
return 0;

static long PeakRssKb()
{
    // Linux only; elsewhere the peak working set is the closest equivalent.
    const string status = "/proc/self/status";
    if (File.Exists(status))
        foreach (var line in File.ReadLines(status))
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                return long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
    return Process.GetCurrentProcess().PeakWorkingSet64 / 1024;
}
