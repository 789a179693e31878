using System.Diagnostics;
using Xunit;

namespace CondaMirror.TestKit;

/// <summary>Runs an independent command-line tool (tar, sha256sum, ...) as a test oracle; a failure fails the test with its output.</summary>
public static class CliTool
{
    /// <summary>Runs <paramref name="tool"/> in <paramref name="workingDirectory"/> and returns its standard output.</summary>
    public static string Run(string tool, string workingDirectory, params string[] args)
    {
        var psi = new ProcessStartInfo(tool) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{tool} {string.Join(' ', args)} failed ({p.ExitCode}): {stderr}{stdout.Result}");
        return stdout.Result;
    }

    /// <summary>Skips the calling test when <paramref name="tool"/> is not on PATH (a failure under CI; see <see cref="Requirement"/>).</summary>
    public static void Require(string tool, string? debianPackage = null) => Requirement.Tool(tool, debianPackage ?? tool);
}
