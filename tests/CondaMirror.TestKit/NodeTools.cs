using System.Diagnostics;

namespace CondaMirror.TestKit;

/// <summary>
/// The JavaScript cross-checks in <c>tests/npm</c> (rattler, the CycloneDX validator), installed by
/// <c>npm ci --prefix tests/npm</c> (.ci/run does it). Absent, the tests that need them are skipped with that reason,
/// except under CI, where that is a failure.
/// </summary>
public static class NodeTools
{
    public static string Folder => Path.Combine(TestData.RepoRoot, "tests", "npm");

    /// <summary>The tests/npm folder with its packages installed, or skips the calling test.</summary>
    public static string Require(string package)
    {
        var installed = Path.Combine(Folder, "node_modules", package, "package.json");
        if (File.Exists(installed) && FindNode() is not null) return Folder;
        Requirement.Missing($"the npm package {package} is not installed (run `npm ci --prefix tests/npm`; needs node)");
        return null!;
    }

    /// <summary>Runs <c>node tests/npm/&lt;script&gt; args…</c>; returns exit code and output.</summary>
    public static (int ExitCode, string StdOut, string StdErr) RunScript(string script, params string[] args)
    {
        var psi = new ProcessStartInfo(FindNode() ?? "node")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Folder,
        };
        psi.ArgumentList.Add(Path.Combine(Folder, script));
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"node {script} did not finish in 3 minutes");
        }
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    private static string? FindNode() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(d => Path.Combine(d, "node")).FirstOrDefault(File.Exists);
}
