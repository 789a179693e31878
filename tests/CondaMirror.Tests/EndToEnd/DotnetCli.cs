using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace CondaMirror.Tests.EndToEnd;

public sealed record CommandResult(int ExitCode, string Output)
{
    public bool Succeeded => ExitCode == 0;
    public override string ToString() => $"exit {ExitCode}\n{Output}";

    /// <summary>The distinct diagnostic lines of one kind ("error", "warning"), without the console logger's node prefix
    /// ("1>"): the logger repeats each diagnostic in its summary.</summary>
    public IReadOnlyList<string> DiagnosticLines(string kind) =>
        Output.Split('\n').Select(l => Regex.Replace(l.Trim(), @"^\d+>", "")).Where(l => Regex.IsMatch(l, $@"\b{kind} [A-Z]+\d+:")).Distinct().ToList();
}

/// <summary>Runs the dotnet CLI as a child process with an isolated NuGet package folder and no build servers.</summary>
public static class DotnetCli
{
    public static CommandResult Run(string workingDirectory, IReadOnlyDictionary<string, string>? environment, params string[] args) =>
        Start("dotnet", args, workingDirectory, environment, terminal: false);

    /// <summary>
    /// Runs dotnet inside a pseudo-terminal, as from an interactive shell, so MSBuild's terminal logger renders what a
    /// user sees. Uses util-linux <c>script</c> (Debian package bsdutils). The output comes back with the terminal's
    /// control sequences removed; lines the logger drew and erased again (the live status) stay in it.
    /// </summary>
    public static CommandResult RunInTerminal(string workingDirectory, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        // A wide terminal so the logger does not wrap the lines tests look for.
        var command = "stty cols 500 rows 50 && exec dotnet " + string.Join(' ', args.Select(ShellQuote));
        var env = new Dictionary<string, string> { ["TERM"] = "xterm-256color" };
        if (environment is not null)
            foreach (var (k, v) in environment) env[k] = v;
        var result = Start("script", new[] { "-q", "-f", "-e", "-c", command, "/dev/null" }, workingDirectory, env, terminal: true);
        return result with { Output = StripTerminalControls(result.Output) };
    }

    public static bool HasTerminalEmulator => OperatingSystem.IsLinux() && File.Exists("/usr/bin/script");

    /// <summary>Removes ANSI CSI sequences (colours, cursor moves), OSC sequences (links, progress) and carriage returns.</summary>
    public static string StripTerminalControls(string text)
    {
        text = Regex.Replace(text, @"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)", "");
        text = Regex.Replace(text, @"\x1b\[[0-9;?]*[ -/]*[@-~]", "");
        text = Regex.Replace(text, @"\x1b[@-_]", "");
        return text.Replace("\r\n", "\n").Replace('\r', '\n');
    }

    private static string ShellQuote(string arg) => "'" + arg.Replace("'", "'\\''") + "'";

    private static CommandResult Start(string fileName, IEnumerable<string> args, string workingDirectory, IReadOnlyDictionary<string, string>? environment, bool terminal)
    {
        var psi = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            // script relays its standard input to the terminal; give it an empty one (CI has none).
            RedirectStandardInput = terminal,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        psi.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        psi.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        // The test host's own MSBuild variables would redirect the child build; drop them.
        foreach (var key in new[] { "MSBuildExtensionsPath", "MSBuildSDKsPath", "MSBUILD_EXE_PATH", "VSTEST_HOST_DEBUG" })
            psi.Environment.Remove(key);
        if (environment is not null)
            foreach (var (k, v) in environment) psi.Environment[k] = v;

        using var process = Process.Start(psi)!;
        if (terminal) process.StandardInput.Close();
        var output = new StringBuilder();
        var lockObj = new object();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (lockObj) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (lockObj) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', args)} did not finish in 5 minutes:\n{output}");
        }
        process.WaitForExit();
        return new CommandResult(process.ExitCode, output.ToString());
    }
}
