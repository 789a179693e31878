using System.Diagnostics;
using System.Reflection;
using System.Text;

namespace CondaMirror.Tests.Locks;

/// <summary>What tools/CondaMirror.LockProbe reported about one case, run in its own process.</summary>
public sealed record ProbeResult(int ExitCode, IReadOnlyDictionary<string, string> Values, string Output)
{
    public string Outcome => Values.GetValueOrDefault("outcome", "");
    public string Code => Values.GetValueOrDefault("code", "");

    /// <summary>Time the case took inside the child, without process start-up and JIT of the host.</summary>
    public long ElapsedMs => long.Parse(Values["elapsed_ms"]);

    /// <summary>CPU time of the case (all threads of the child): unlike wall time, not stretched by a busy machine.</summary>
    public long CpuMs => long.Parse(Values["cpu_ms"]);

    /// <summary>Peak resident set size of the child (VmHWM), in MB.</summary>
    public double PeakRssMb => long.Parse(Values["vmhwm_kb"]) / 1024.0;

    public override string ToString() => $"exit {ExitCode}\n{Output}";
}

/// <summary>
/// Runs the probe tool as a child process: a case that blows up takes only the child down, and the child's
/// peak memory is its own, not the test host's.
/// </summary>
public static class LockProbe
{
    private static readonly string ProbePath = typeof(LockProbe).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "LockProbePath").Value!;

    public static ProbeResult Run(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        if (!File.Exists(ProbePath)) throw new FileNotFoundException("the probe tool is not built", ProbePath);
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(ProbePath);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment.Remove("CONDAMIRROR_MAX_LOCK_BYTES");
        if (environment is not null)
            foreach (var (k, v) in environment) psi.Environment[k] = v;

        using var process = Process.Start(psi)!;
        var output = new StringBuilder();
        var gate = new object();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (gate) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (gate) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        // Generous: a case that regresses to unbounded work is killed here rather than hanging the run.
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            throw new TimeoutException($"probe {string.Join(' ', args)} did not finish in 60 s:\n{output}");
        }
        process.WaitForExit();
        var text = output.ToString();
        var values = text.Split('\n')
            .Select(l => l.TrimEnd('\r'))
            .Where(l => l.Contains('='))
            .Select(l => (Key: l[..l.IndexOf('=')], Value: l[(l.IndexOf('=') + 1)..]))
            .GroupBy(p => p.Key)
            .ToDictionary(g => g.Key, g => g.Last().Value);
        return new ProbeResult(process.ExitCode, values, text);
    }
}
