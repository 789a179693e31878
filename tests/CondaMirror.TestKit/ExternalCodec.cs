using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace CondaMirror.TestKit;

/// <summary>
/// Compression by Debian's command-line tools (<c>zstd</c>, <c>bzip2</c>), never by the project's own codecs: what
/// fixtures compress with these is an independent upstream. Starting a process costs tens of milliseconds, so every
/// result is cached by the SHA-256 of the tool, its arguments and the input: in memory for the process, and in
/// <c>$TMPDIR/condamirror-fixture-cache/</c> across test processes and runs (files written atomically; any entry
/// is what the same tool made of the same bytes, so a stale one cannot exist). The memory tier holds at most
/// <see cref="MemoryLimitBytes"/> (benchmarks generate gigabytes); past that, results come from the folder.
/// <c>CONDAMIRROR_FIXTURE_CACHE=off</c>
/// turns both off (every call starts a process). A missing tool goes through <see cref="Requirement"/>: skipped locally, a failure under CI.
/// What fixtures cost a run is reported by <see cref="FixtureStats"/>.
/// </summary>
public static class ExternalCodec
{
    private static readonly ConcurrentDictionary<string, byte[]> Memory = new(StringComparer.Ordinal);
    private static readonly Lazy<string?> CacheFolder = new(OpenCache);
    private static readonly bool Off = string.Equals(Environment.GetEnvironmentVariable("CONDAMIRROR_FIXTURE_CACHE"), "off", StringComparison.OrdinalIgnoreCase);
    private static long _processes, _hits, _ticks, _memoryBytes;

    /// <summary>The most bytes of results kept in memory.</summary>
    public const long MemoryLimitBytes = 256L << 20;

    /// <summary>Time spent in this class (cache look-ups included) since this process began.</summary>
    public static TimeSpan TimeSpent => TimeSpan.FromTicks(Interlocked.Read(ref _ticks));

    /// <summary>Processes started since this process began (for measuring the cache).</summary>
    public static long ProcessesStarted => Interlocked.Read(ref _processes);

    /// <summary>Results served from the cache since this process began.</summary>
    public static long CacheHits => Interlocked.Read(ref _hits);

    /// <summary>
    /// A zstd frame made by <c>zstd -&lt;level&gt; --stream-size=N</c> (the size lets the CLI pick small tables and
    /// puts the content size into the frame header; without it level 19 spends a third of a second on a tiny input).
    /// </summary>
    public static byte[] Zstd(byte[] input, int level = 19) =>
        Run("zstd", "zstd", input, $"-{level}", "-q", "-c", $"--stream-size={input.Length}");

    /// <summary>Decompresses with <c>zstd -d</c> (for tests that need an independent decoding).</summary>
    public static byte[] Unzstd(byte[] compressed) => Run("zstd", "zstd", compressed, "-d", "-q", "-c");

    /// <summary>A bzip2 stream made by <c>bzip2 -&lt;blockSize&gt;</c> (100 kB units; 9, the default, is what conda-build uses).</summary>
    public static byte[] Bzip2(byte[] input, int blockSize = 9) => Run("bzip2", "bzip2", input, $"-{blockSize}", "-c");

    /// <summary>Decompresses with <c>bzip2 -d</c> (for tests that need an independent decoding).</summary>
    public static byte[] Bunzip2(byte[] compressed) => Run("bzip2", "bzip2", compressed, "-d", "-c");

    private static byte[] Run(string tool, string debianPackage, byte[] input, params string[] args)
    {
        var start = Stopwatch.GetTimestamp();
        // A copy every time: callers may damage what they get (corruption tests do), and the cache must not change.
        try { return (byte[])Cached(tool, debianPackage, input, args).Clone(); }
        finally { Interlocked.Add(ref _ticks, Stopwatch.GetElapsedTime(start).Ticks); }
    }

    private static byte[] Cached(string tool, string debianPackage, byte[] input, string[] args)
    {
        var path = Requirement.Tool(tool, debianPackage);
        if (Off) return Execute(path, args, input);
        var key = Key(path, args, input);
        if (Memory.TryGetValue(key, out var known))
        {
            Interlocked.Increment(ref _hits);
            return known;
        }
        var cached = CacheFolder.Value is { } folder ? Path.Combine(folder, key) : null;
        if (cached is not null && File.Exists(cached))
        {
            Interlocked.Increment(ref _hits);
            return Remember(key, File.ReadAllBytes(cached));
        }

        var output = Execute(path, args, input);
        Remember(key, output);
        if (cached is not null) Store(cached, output);
        return output;
    }

    private static byte[] Remember(string key, byte[] output)
    {
        if (Interlocked.Add(ref _memoryBytes, output.Length) <= MemoryLimitBytes && Memory.TryAdd(key, output)) return output;
        Interlocked.Add(ref _memoryBytes, -output.Length);
        return output;
    }

    private static byte[] Execute(string path, string[] args, byte[] input)
    {
        Interlocked.Increment(ref _processes);
        var psi = new ProcessStartInfo(path)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        var stdin = Task.Run(() =>
        {
            using var s = process.StandardInput.BaseStream;
            s.Write(input);
        });
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = new MemoryStream();
        process.StandardOutput.BaseStream.CopyTo(stdout);
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{path} {string.Join(' ', args)} did not finish in 2 minutes");
        }
        stdin.Wait();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{path} {string.Join(' ', args)} failed ({process.ExitCode}): {stderr.Result}");
        return stdout.ToArray();
    }

    private static string Key(string toolPath, string[] args, byte[] input)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        // The tool's identity: its path, size and modification time (an upgraded tool gets new entries).
        var tool = new FileInfo(toolPath);
        hash.AppendData(Encoding.UTF8.GetBytes($"{toolPath}\n{tool.Length}\n{tool.LastWriteTimeUtc.Ticks}\n{string.Join('\u0001', args)}\n"));
        hash.AppendData(input);
        return Convert.ToHexString(hash.GetHashAndReset()).ToLowerInvariant();
    }

    private static string? OpenCache()
    {
        try
        {
            var folder = Path.Combine(Path.GetTempPath(), "condamirror-fixture-cache");
            Directory.CreateDirectory(folder);
            // Entries nobody wrote for two weeks are dropped; they are made again when needed.
            var stale = DateTime.UtcNow - TimeSpan.FromDays(14);
            foreach (var file in Directory.EnumerateFiles(folder))
                if (File.GetLastWriteTimeUtc(file) < stale) File.Delete(file);
            return folder;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static void Store(string path, byte[] bytes)
    {
        var temporary = $"{path}.{Guid.NewGuid():N}.partial";
        try
        {
            File.WriteAllBytes(temporary, bytes);
            File.Move(temporary, path, overwrite: true); // another process may have stored the same bytes meanwhile
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A cache that cannot be written only costs time.
        }
        finally
        {
            try { File.Delete(temporary); } catch (IOException) { }
        }
    }
}
