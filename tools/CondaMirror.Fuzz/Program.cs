using System.Diagnostics;
using System.Globalization;
using CondaMirror.Fuzz;

const string Usage = """
    CondaMirror.Fuzz: mutation fuzzing of CondaMirror.Core's parsers.

      dotnet run -c Release --project tools/CondaMirror.Fuzz -- [options]

      --target, -t NAMES   comma-separated target names, or 'all' (default)
      --list               list the targets and exit
      --seed N             random seed (default 1); the same seed, budget and build repeat a run exactly
      --seconds N          time budget per target (default 10)
      --iterations N       input budget per target (seeds included); with --seconds, whichever ends first
      --timeout-ms N       an input running longer is a hang (default 2000)
      --max-alloc-mb N     an input allocating more managed memory is a finding (default 256)
      --out DIR            where findings go, one folder per target (default artifacts/fuzz)
      --no-minimize        save crash inputs as found instead of shrinking them
      --replay FILE        run one saved input against the (single) --target and print the outcome;
                           a crash is shrunk and the shrunk input written to FILE.min
      --shrink-slow MS     with --replay: shrink the input while it still runs longer than MS milliseconds

    Real files are added as seeds when CONDAMIRROR_TESTDATA names the shared test-data folder.
    Exit code: 0 no findings, 1 findings, 2 bad arguments.
    """;

string targetsArg = "all", outDir = Path.Combine("artifacts", "fuzz");
string? replay = null;
double? shrinkSlowMs = null;
int seed = 1;
double seconds = 10, timeoutMs = 2000, maxAllocMb = 256;
long? iterations = null;
var minimize = true;
var secondsGiven = false;

try
{
    for (var i = 0; i < args.Length; i++)
    {
        string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
        double Number() => double.Parse(Next(), NumberStyles.Float, CultureInfo.InvariantCulture);
        switch (args[i])
        {
            case "--target" or "-t": targetsArg = Next(); break;
            case "--list":
                foreach (var t in Targets.All()) Console.WriteLine($"{t.Name,-12} {t.Description}");
                return 0;
            case "--seed": seed = int.Parse(Next(), CultureInfo.InvariantCulture); break;
            case "--seconds": seconds = Number(); secondsGiven = true; break;
            case "--iterations": iterations = long.Parse(Next(), CultureInfo.InvariantCulture); break;
            case "--timeout-ms": timeoutMs = Number(); break;
            case "--max-alloc-mb": maxAllocMb = Number(); break;
            case "--out": outDir = Next(); break;
            case "--no-minimize": minimize = false; break;
            case "--replay": replay = Next(); break;
            case "--shrink-slow": shrinkSlowMs = Number(); break;
            case "--help" or "-h": Console.WriteLine(Usage); return 0;
            default: throw new ArgumentException($"unknown option '{args[i]}'");
        }
    }
}
catch (Exception e) when (e is ArgumentException or FormatException or OverflowException)
{
    Console.Error.WriteLine(e.Message);
    Console.Error.WriteLine(Usage);
    return 2;
}

var targets = targetsArg == "all"
    ? Targets.All().ToList()
    : targetsArg.Split(",", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(n => Targets.ByName(n)!).ToList();
if (targets.Any(t => t is null) || targets.Count == 0)
{
    Console.Error.WriteLine($"unknown target in '{targetsArg}'; known: {string.Join(", ", Targets.All().Select(t => t.Name))}");
    return 2;
}

if (replay is not null)
{
    if (targets.Count != 1)
    {
        Console.Error.WriteLine("--replay needs exactly one --target");
        return 2;
    }
    var target = targets[0]!;
    var scratch = Directory.CreateTempSubdirectory("condamirror-fuzz-replay-").FullName;
    target.Seeds(scratch).ToList(); // some targets build fixtures there
    target.Prepare(scratch);
    var input = File.ReadAllBytes(replay);
    var sw = Stopwatch.StartNew();
    var before = GC.GetTotalAllocatedBytes(precise: true);
    Exception? error = null;
    // On a worker thread like the fuzzer's, so stack depth behaves the same.
    var thread = new Thread(() => error = FuzzRunner.Execute(target, input));
    thread.Start();
    thread.Join();
    Console.WriteLine($"{target.Name}: {input.Length} bytes, {sw.Elapsed.TotalMilliseconds:0.#} ms, {(GC.GetTotalAllocatedBytes(precise: true) - before) / 1024.0 / 1024:0.#} MB allocated");
    Console.WriteLine(error is null ? "ok" : (target.IsExpected(error) ? "expected: " : "CRASH: ") + error);
    if (error is not null && !target.IsExpected(error))
    {
        var shrunk = Minimizer.Shrink(target, input, FuzzRunner.Signature(error), target.IsText, TimeSpan.FromSeconds(60));
        File.WriteAllBytes(replay + ".min", shrunk);
        Console.WriteLine($"shrunk to {shrunk.Length} bytes: {replay}.min\nbase64: {Convert.ToBase64String(shrunk)}");
    }
    if (shrinkSlowMs is { } slowMs)
    {
        var shrunk = Minimizer.Shrink(input, target.IsText, TimeSpan.FromMinutes(10), candidate =>
        {
            var watch = Stopwatch.StartNew();
            var worker = new Thread(() => FuzzRunner.Execute(target, candidate));
            worker.Start();
            worker.Join();
            return watch.Elapsed.TotalMilliseconds > slowMs;
        });
        File.WriteAllBytes(replay + ".slow", shrunk);
        Console.WriteLine($"shrunk to {shrunk.Length} bytes still slower than {slowMs} ms: {replay}.slow");
    }
    Directory.Delete(scratch, recursive: true);
    return error is null || target.IsExpected(error) ? 0 : 1;
}

var testData = Environment.GetEnvironmentVariable("CONDAMIRROR_TESTDATA");
var options = new FuzzOptions
{
    Seed = seed,
    Duration = iterations is not null && !secondsGiven ? null : TimeSpan.FromSeconds(seconds),
    Iterations = iterations,
    InputTimeout = TimeSpan.FromMilliseconds(timeoutMs),
    MaxInputAllocatedBytes = (long)(maxAllocMb * 1024 * 1024),
    OutputDirectory = Path.GetFullPath(outDir),
    TestDataRoot = string.IsNullOrEmpty(testData) ? null : Path.GetFullPath(testData),
    Minimize = minimize,
    RecordLastInput = true,
    Log = Console.Out,
};

Console.WriteLine($"seed {seed}; budget per target: {(options.Duration is null ? "" : $"{options.Duration.Value.TotalSeconds:0.#} s ")}{(iterations is null ? "" : $"{iterations} inputs")}; " +
                  $"timeout {timeoutMs:0} ms; alloc limit {maxAllocMb:0} MB; test data: {options.TestDataRoot ?? "none"}; out: {options.OutputDirectory}");
var runner = new FuzzRunner(options);
var reports = new List<TargetReport>();
foreach (var target in targets)
{
    Console.WriteLine($"{target!.Name}: {target.Description}");
    var report = runner.Run(target);
    reports.Add(report);
    var codes = string.Join(" ", report.Codes.OrderByDescending(c => c.Value).Take(6).Select(c => $"{c.Key}:{c.Value}"));
    Console.WriteLine($"  {report.Inputs:N0} inputs ({report.SeedCount} seeds) in {report.Elapsed.TotalSeconds:0.0} s; ok {report.Successes:N0}, coded errors {report.CodedErrors:N0} [{codes}]; " +
                      $"max alloc/input {report.MaxAllocatedBytes / 1024.0 / 1024:0.0} MB ({report.MaxAllocatedInputLength} bytes in); findings {report.Findings.Count}");
}

Console.WriteLine();
Console.WriteLine($"{"target",-12} {"inputs",12} {"ok",10} {"coded",10} {"max MB/input",13} {"findings",9}");
foreach (var r in reports)
    Console.WriteLine($"{r.Target,-12} {r.Inputs,12:N0} {r.Successes,10:N0} {r.CodedErrors,10:N0} {r.MaxAllocatedBytes / 1024.0 / 1024,13:0.0} {r.Findings.Count,9}");
Console.WriteLine($"peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / 1024.0 / 1024:0} MB");
foreach (var f in reports.SelectMany(r => r.Findings)) Console.WriteLine(f);
return reports.All(r => r.Clean) ? 0 : 1;
