using System.Diagnostics;

namespace CondaMirror.TestKit;

/// <summary>
/// The real conda client (conda 25.11.1, classic solver) that <c>../shared/tools/conda-client/setup.sh</c> sets up:
/// tests install from the channels we build with it, as a user on an offline machine would. Set up once per process
/// into a folder under the temp directory. Absent (no shared tools), tests skip; under CI that is a failure.
/// </summary>
public static class CondaClient
{
    private static readonly Lazy<string?> Executable = new(SetUp);
    private static string? _setupError;

    /// <summary>The setup script: CONDAMIRROR_CONDA_CLIENT_SETUP, else tools/conda-client beside the shared test data.</summary>
    public static string SetupScript =>
        Environment.GetEnvironmentVariable("CONDAMIRROR_CONDA_CLIENT_SETUP") is { Length: > 0 } configured
            ? configured
            : Path.GetFullPath(Path.Combine(TestData.Root ?? Path.Combine(TestData.RepoRoot, "..", "shared", "testdata"), "..", "tools", "conda-client", "setup.sh"));

    /// <summary>The conda executable, or skips the calling test.</summary>
    public static string Require()
    {
        if (Executable.Value is { } conda) return conda;
        Requirement.Missing(_setupError ?? $"the conda client setup script is not at {SetupScript}");
        return null!;
    }

    /// <summary>name → version of every record in an environment's conda-meta: what conda installed there.</summary>
    public static Dictionary<string, string> InstalledVersions(string prefix) =>
        Directory.GetFiles(Path.Combine(prefix, "conda-meta"), "*.json")
            .Select(f => System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(f)).RootElement)
            .ToDictionary(r => r.GetProperty("name").GetString()!, r => r.GetProperty("version").GetString()!, StringComparer.Ordinal);

    /// <summary>Runs conda with its own package cache (so tests do not share or race on one); returns exit code and output.</summary>
    public static (int ExitCode, string Output) Run(string packageCache, params string[] args) =>
        Run(packageCache, new Dictionary<string, string>(), args);

    /// <summary>
    /// Runs conda with its own package cache and further settings as conda's own environment variables
    /// (<c>CONDA_CHANNEL_ALIAS</c>, ...), which conda reads like condarc keys; the client's condarc stays untouched.
    /// </summary>
    public static (int ExitCode, string Output) Run(string packageCache, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var psi = new ProcessStartInfo(Require()) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (name, value) in environment) psi.Environment[name] = value;
        psi.Environment["CONDA_PKGS_DIRS"] = packageCache;
        psi.Environment["NO_PROXY"] = "127.0.0.1,localhost";
        psi.Environment["no_proxy"] = "127.0.0.1,localhost";
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("conda " + string.Join(' ', args) + " did not finish in 5 minutes");
        }
        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    private static string? SetUp()
    {
        var script = SetupScript;
        if (!File.Exists(script)) return null;
        var dir = Path.Combine(Path.GetTempPath(), "condamirror-conda-client");
        // Test assemblies run in parallel processes: one sets the client up at a time (the script is idempotent).
        using var gate = Lock(dir + ".lock");
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(script);
        psi.ArgumentList.Add(dir);
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        var conda = stdout.Result.Trim().Split('\n').LastOrDefault()?.Trim();
        if (process.ExitCode != 0 || conda is null || !File.Exists(conda))
        {
            _setupError = $"{script} failed ({process.ExitCode}): {stderr.Result}";
            return null;
        }
        return conda;
    }

    private static FileStream Lock(string path)
    {
        var deadline = DateTime.UtcNow.AddMinutes(10);
        while (true)
        {
            try { return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
            catch (IOException) when (DateTime.UtcNow < deadline) { Thread.Sleep(200); }
        }
    }
}
