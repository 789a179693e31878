namespace CondaMirror.MSBuild.NetFramework;

/// <summary>Finds the <c>dotnet</c> executable that runs the .NET task runner, and explains why one could not run it.</summary>
internal static class DotnetHost
{
    private static bool IsWindows => Environment.OSVersion.Platform == PlatformID.Win32NT;
    private static string ExecutableName => IsWindows ? "dotnet.exe" : "dotnet";

    /// <summary>
    /// In order: CondaMirrorDotnetHostPath (when set, it alone), DOTNET_HOST_PATH (set by the dotnet CLI), the SDK's
    /// NetCoreRoot (Visual Studio resolves the project's SDK there), DOTNET_ROOT, PATH, then the default install folders.
    /// </summary>
    public static (string? Path, string? Problem) Find(string? configured, string? netCoreRoot)
    {
        if (!string.IsNullOrWhiteSpace(configured))
            return File.Exists(configured)
                ? (Path.GetFullPath(configured), null)
                : (null, $"CondaMirrorDotnetHostPath is '{configured}', which does not exist");

        foreach (var candidate in Candidates(netCoreRoot))
        {
            try
            {
                if (!string.IsNullOrWhiteSpace(candidate) && File.Exists(candidate)) return (Path.GetFullPath(candidate), null);
            }
            catch (ArgumentException) { } // a malformed PATH entry
        }
        return (null, "no dotnet executable was found (looked at DOTNET_HOST_PATH, the SDK's NetCoreRoot, DOTNET_ROOT, PATH and the default install folder)");
    }

    private static IEnumerable<string?> Candidates(string? netCoreRoot)
    {
        yield return Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrWhiteSpace(netCoreRoot)) yield return Combine(netCoreRoot!, ExecutableName);
        if (Environment.GetEnvironmentVariable("DOTNET_ROOT") is { Length: > 0 } root) yield return Combine(root, ExecutableName);
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
            if (directory.Trim().Trim('"') is { Length: > 0 } dir) yield return Combine(dir, ExecutableName);
        if (IsWindows)
        {
            // ProgramW6432: the 64-bit Program Files, also from a 32-bit MSBuild.
            if (Environment.GetEnvironmentVariable("ProgramW6432") is { Length: > 0 } programFiles64) yield return Combine(programFiles64, "dotnet", ExecutableName);
            yield return Combine(Environment.GetFolderPath(Environment.SpecialFolder.ProgramFiles), "dotnet", ExecutableName);
        }
        else
        {
            yield return "/usr/share/dotnet/dotnet";
            yield return "/usr/lib/dotnet/dotnet";
            yield return "/usr/local/share/dotnet/dotnet";
        }
    }

    private static string? Combine(params string[] parts)
    {
        try { return Path.Combine(parts); }
        catch (ArgumentException) { return null; }
    }

    /// <summary>Why a started runner never answered: usually no .NET 8 or newer runtime (the host says so on standard error).</summary>
    public static string Explain(string dotnet, int exitCode, string diagnostics)
    {
        var lines = diagnostics.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).Take(6).ToList();
        var said = lines.Count == 0 ? "" : ": " + string.Join(" ", lines);
        var missingRuntime = diagnostics.IndexOf("install or update .NET", StringComparison.OrdinalIgnoreCase) >= 0
            || diagnostics.IndexOf("framework", StringComparison.OrdinalIgnoreCase) >= 0 && diagnostics.IndexOf("was not found", StringComparison.OrdinalIgnoreCase) >= 0;
        return missingRuntime
            ? $"'{dotnet}' has no .NET 8 or newer runtime (exit code {exitCode}){said}"
            : $"'{dotnet}' could not run its .NET task runner (exit code {exitCode}){said}";
    }
}
