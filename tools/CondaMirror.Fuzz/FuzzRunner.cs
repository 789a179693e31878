using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using CondaMirror.Core.Errors;

namespace CondaMirror.Fuzz;

public sealed class FuzzOptions
{
    public int Seed { get; init; } = 1;

    /// <summary>Time budget per target; null means only <see cref="Iterations"/> limits the run.</summary>
    public TimeSpan? Duration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Input budget per target (seeds included); null means only <see cref="Duration"/> limits the run.</summary>
    public long? Iterations { get; init; }

    /// <summary>An input running longer than this is a hang.</summary>
    public TimeSpan InputTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>An input allocating more managed memory than this is a finding.</summary>
    public long MaxInputAllocatedBytes { get; init; } = 256L << 20;

    /// <summary>Where findings are saved (one folder per target); null saves nothing.</summary>
    public string? OutputDirectory { get; init; }

    /// <summary>Real files from the shared test data are added as seeds when this is set.</summary>
    public string? TestDataRoot { get; init; }

    /// <summary>Shrink each new crash input before saving it.</summary>
    public bool Minimize { get; init; } = true;

    /// <summary>Write each input to &lt;out&gt;/&lt;target&gt;/last-input.bin before running it, so a process crash (stack overflow) leaves it behind.</summary>
    public bool RecordLastInput { get; init; }

    public TextWriter? Log { get; init; }
}

public enum FindingKind { Crash, Hang, Memory }

public sealed record Finding(FindingKind Kind, string Target, string Signature, string Details, byte[] Input)
{
    public int Count { get; set; } = 1;
    public string? SavedPath { get; set; }

    public override string ToString() => $"{Kind} in {Target}: {Signature} (x{Count}, {Input.Length} bytes{(SavedPath is null ? "" : ", " + SavedPath)})";
}

public sealed class TargetReport
{
    public required string Target { get; init; }
    public long Inputs { get; set; }
    public int SeedCount { get; set; }
    public long Successes { get; set; }
    public long CodedErrors { get; set; }
    public SortedDictionary<string, long> Codes { get; } = new(StringComparer.Ordinal);
    public long MaxAllocatedBytes { get; set; }
    public int MaxAllocatedInputLength { get; set; }
    public byte[] MaxAllocatedInput { get; set; } = Array.Empty<byte>();
    public TimeSpan Elapsed { get; set; }
    public List<Finding> Findings { get; } = new();

    public bool Clean => Findings.Count == 0;
}

/// <summary>
/// Runs targets: every seed first, then stacked mutations of seeds and of mutants that parsed, until the budget
/// is spent. Inputs run on a worker thread watched by the calling thread, so a hang is reported instead of
/// blocking the run; allocations are counted per input on the worker thread.
/// </summary>
public sealed class FuzzRunner
{
    private const int MaxPool = 512;
    private readonly FuzzOptions _options;

    public FuzzRunner(FuzzOptions options) => _options = options;

    public TargetReport Run(FuzzTarget target)
    {
        var report = new TargetReport { Target = target.Name };
        var scratch = Path.Combine(Path.GetTempPath(), $"condamirror-fuzz-{Environment.ProcessId}-{target.Name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(scratch);
        try
        {
            return RunIn(target, scratch, report);
        }
        finally
        {
            try { Directory.Delete(scratch, recursive: true); }
            catch (IOException) { } // a hung worker may still hold a file; the folder is in temp
            catch (UnauthorizedAccessException) { }
        }
    }

    private TargetReport RunIn(FuzzTarget target, string scratch, TargetReport report)
    {
        var seeds = target.Seeds(scratch).ToList();
        if (_options.TestDataRoot is { } root && Directory.Exists(root)) seeds.AddRange(target.TestDataSeeds(root));
        seeds = seeds.Where(s => s.Length <= target.MaxInputBytes).ToList();
        if (seeds.Count == 0) seeds.Add(Array.Empty<byte>());
        report.SeedCount = seeds.Count;
        target.Prepare(scratch);

        var outDir = _options.OutputDirectory is null ? null : Path.Combine(_options.OutputDirectory, target.Name);
        if (outDir is not null) Directory.CreateDirectory(outDir);
        using var last = _options.RecordLastInput && outDir is not null
            ? new FileStream(Path.Combine(outDir, "last-input.bin"), FileMode.Create, FileAccess.Write, FileShare.Read, 1)
            : null;

        var stopwatch = Stopwatch.StartNew();
        var mutator = new Mutator(new Random(_options.Seed ^ StableHash(target.Name)), target.MaxInputBytes);
        var pick = new Random(_options.Seed * 31 + 7);
        var pool = new List<byte[]>(seeds);
        var bySignature = new Dictionary<string, Finding>(StringComparer.Ordinal);
        long runningSince = 0; // Stopwatch timestamp of the input in flight, 0 when idle
        byte[] current = Array.Empty<byte>();
        var stop = false;

        bool BudgetLeft() =>
            !Volatile.Read(ref stop) &&
            (_options.Duration is null || stopwatch.Elapsed < _options.Duration) &&
            (_options.Iterations is null || report.Inputs < _options.Iterations);

        void Work()
        {
            for (var i = 0; BudgetLeft(); i++)
            {
                var input = i < seeds.Count
                    ? seeds[i]
                    : mutator.Mutate(pool[pick.Next(pool.Count)], pool[pick.Next(pool.Count)], target.IsText);
                if (last is not null)
                {
                    last.Position = 0;
                    last.Write(input);
                    last.SetLength(input.Length);
                    last.Flush();
                }
                Volatile.Write(ref current, input);
                var before = GC.GetAllocatedBytesForCurrentThread();
                Volatile.Write(ref runningSince, Stopwatch.GetTimestamp());
                var error = Execute(target, input);
                var elapsed = Stopwatch.GetElapsedTime(Volatile.Read(ref runningSince));
                Volatile.Write(ref runningSince, 0);
                var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                report.Inputs++;

                if (elapsed > _options.InputTimeout)
                {
                    // Slow but finished: the outcome tells slow paths apart (a slow success, a slow coded error, a slow crash).
                    var outcome = error is null ? "succeeds" : target.IsExpected(error) ? (error is CondaMirrorException c0 ? c0.Code : error.GetType().Name) : Signature(error);
                    Record(FindingKind.Hang, $"runs longer than {_options.InputTimeout.TotalSeconds:0.#} s, then {outcome}",
                        $"took {elapsed.TotalSeconds:0.0} s for a {input.Length}-byte input", input);
                }

                if (allocated > report.MaxAllocatedBytes)
                {
                    report.MaxAllocatedBytes = allocated;
                    report.MaxAllocatedInputLength = input.Length;
                    report.MaxAllocatedInput = input;
                }
                if (allocated > _options.MaxInputAllocatedBytes)
                    Record(FindingKind.Memory, "allocates more than " + (_options.MaxInputAllocatedBytes >> 20) + " MB",
                        $"allocated {allocated:N0} bytes for a {input.Length}-byte input", input);

                if (error is null)
                {
                    report.Successes++;
                    // Mutants that still parse lead deeper than seeds alone; keep a bounded, rotating pool of them.
                    if (i >= seeds.Count && pick.Next(8) == 0)
                    {
                        var capacity = seeds.Count + MaxPool;
                        if (pool.Count < capacity) pool.Add(input);
                        else pool[seeds.Count + pick.Next(MaxPool)] = input;
                    }
                }
                else if (target.IsExpected(error))
                {
                    report.CodedErrors++;
                    var code = error is CondaMirrorException c ? c.Code : error.GetType().Name;
                    report.Codes[code] = report.Codes.GetValueOrDefault(code) + 1;
                }
                else
                {
                    var signature = Signature(error);
                    if (bySignature.TryGetValue(signature, out var known)) known.Count++;
                    else
                    {
                        var minimal = _options.Minimize ? Minimizer.Shrink(target, input, signature, target.IsText) : input;
                        Record(FindingKind.Crash, signature, error.ToString(), minimal);
                    }
                }
            }
        }

        void Record(FindingKind kind, string signature, string details, byte[] input)
        {
            lock (bySignature)
            {
                var key = kind + ":" + signature;
                if (bySignature.TryGetValue(key, out var known)) { known.Count++; return; }
                var finding = new Finding(kind, target.Name, signature, details, input);
                bySignature[key] = finding;
                bySignature[signature] = finding;
                report.Findings.Add(finding);
                if (outDir is not null) finding.SavedPath = Save(outDir, finding);
                _options.Log?.WriteLine($"  finding: {finding}");
            }
        }

        var worker = new Thread(Work) { IsBackground = true, Name = "fuzz " + target.Name };
        worker.Start();
        // An input slower than the timeout is recorded when it finishes; one still running after the grace period
        // is recorded here, and the run of this target ends (.NET cannot abort the thread, so it is left behind).
        var grace = TimeSpan.FromTicks(Math.Max(_options.InputTimeout.Ticks * 10, TimeSpan.FromSeconds(30).Ticks));
        while (!worker.Join(50))
        {
            var since = Volatile.Read(ref runningSince);
            if (since != 0 && Stopwatch.GetElapsedTime(since) > grace)
            {
                Volatile.Write(ref stop, true);
                Record(FindingKind.Hang, $"does not finish within {grace.TotalSeconds:0} s",
                    "the worker's stack is not available; rerun the saved input with --replay", Volatile.Read(ref current));
                break;
            }
        }
        report.Elapsed = stopwatch.Elapsed;
        // The costliest input is worth keeping even below the limit: it shows where memory goes.
        if (outDir is not null) File.WriteAllBytes(Path.Combine(outDir, "max-alloc-input.bin"), report.MaxAllocatedInput);
        return report;
    }

    internal static Exception? Execute(FuzzTarget target, byte[] input)
    {
        try
        {
            target.Run(input);
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }

    /// <summary>Exception type plus the frame that threw: one signature per distinct bug, not per input.</summary>
    public static string Signature(Exception e)
    {
        var methods = new StackTrace(e, fNeedFileInfo: false).GetFrames().Select(f => f.GetMethod()).Where(m => m is not null).ToList();
        static string Name(System.Reflection.MethodBase m) => $"{m.DeclaringType?.FullName}.{m.Name}";
        // The top frame of Core, not of the whole stack: whether a library frame (Path.GetFullPath, a JSON helper)
        // shows up depends on JIT inlining, so it would split one bug into several signatures. The first frame of
        // ours is also the call site that lets the exception escape, which is where the fix goes.
        var top = methods.FirstOrDefault(m => m!.DeclaringType?.FullName?.StartsWith("CondaMirror.Core", StringComparison.Ordinal) == true)
                  ?? methods.FirstOrDefault();
        return $"{e.GetType().FullName} at {(top is null ? "?" : Name(top))}";
    }

    private static string Save(string outDir, Finding finding)
    {
        var id = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(finding.Kind + finding.Signature)))[..12].ToLowerInvariant();
        var bin = Path.Combine(outDir, $"{finding.Kind.ToString().ToLowerInvariant()}-{id}.bin");
        File.WriteAllBytes(bin, finding.Input);
        var preview = finding.Input.Length <= 4096 ? Convert.ToBase64String(finding.Input) : "(longer than 4096 bytes: see the .bin file)";
        File.WriteAllText(Path.ChangeExtension(bin, ".txt"),
            $"target: {finding.Target}\nkind: {finding.Kind}\nsignature: {finding.Signature}\nlength: {finding.Input.Length}\nbase64: {preview}\n\n{finding.Details}\n");
        return bin;
    }

    private static int StableHash(string s)
    {
        var h = 17;
        foreach (var c in s) h = unchecked(h * 31 + c);
        return h;
    }
}

/// <summary>Greedy shrinking: drop lines (text), then byte ranges of halving size, while the crash keeps its signature.</summary>
public static class Minimizer
{
    public static byte[] Shrink(FuzzTarget target, byte[] input, string signature, bool text, TimeSpan? budget = null) =>
        Shrink(input, text, budget ?? TimeSpan.FromSeconds(10),
            candidate => FuzzRunner.Execute(target, candidate) is { } e && !target.IsExpected(e) && FuzzRunner.Signature(e) == signature);

    /// <summary>Shrinks an input while <paramref name="stillFails"/> holds for it (a crash signature, a slow run).</summary>
    public static byte[] Shrink(byte[] input, bool text, TimeSpan limit, Func<byte[], bool> stillFails)
    {
        var deadline = Stopwatch.StartNew();
        bool Same(byte[] candidate) => deadline.Elapsed < limit && stillFails(candidate);

        var best = input;
        if (text)
        {
            var lines = Encoding.UTF8.GetString(best).Split('\n').ToList();
            for (var i = lines.Count - 1; i >= 0 && lines.Count > 1 && deadline.Elapsed < limit; i--)
            {
                var without = lines.Where((_, k) => k != i).ToList();
                var candidate = Encoding.UTF8.GetBytes(string.Join('\n', without));
                if (Same(candidate)) { lines = without; best = candidate; }
            }
        }
        for (var chunk = Math.Max(1, best.Length / 2); chunk >= 1 && deadline.Elapsed < limit; chunk /= 2)
        {
            for (var start = 0; start < best.Length && deadline.Elapsed < limit;)
            {
                var candidate = best[..start].Concat(best[Math.Min(best.Length, start + chunk)..]).ToArray();
                if (candidate.Length < best.Length && Same(candidate)) best = candidate;
                else start += chunk;
            }
            if (chunk == 1) break;
        }
        return best;
    }
}
