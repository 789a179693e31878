using System.Diagnostics.CodeAnalysis;
using Xunit;

namespace CondaMirror.TestKit;

/// <summary>
/// The one rule for what a test needs from the machine (a command-line tool, an npm package, the shared test data):
/// when it is missing, the test is skipped with the reason on a developer's machine, and fails with the same reason
/// under CI (<c>CI=true</c>, or <c>CONDAMIRROR_REQUIRE_TESTDATA=1</c> which <c>.ci/run</c> sets), where nothing may
/// skip. The calling test must be a [SkippableFact] or [SkippableTheory] for the skip to show as one.
/// Only for what the machine lacks: a test whose code under test throws must fail, never skip.
/// </summary>
public static class Requirement
{
    /// <summary>True under CI: a missing requirement is a failure there, not a skip.</summary>
    public static bool IsCi =>
        string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase) ||
        Environment.GetEnvironmentVariable("CONDAMIRROR_REQUIRE_TESTDATA") == "1";

    /// <summary>Skips the calling test with <paramref name="reason"/>, or fails it under CI.</summary>
    [DoesNotReturn]
    public static void Missing(string reason)
    {
        if (IsCi) throw new RequirementMissingException(reason + "; it is required under CI (CI=true)");
        Skip.If(true, reason);
        throw new InvalidOperationException("unreachable: Skip.If(true) throws");
    }

    /// <summary>Calls <see cref="Missing"/> unless <paramref name="available"/>.</summary>
    public static void That([DoesNotReturnIf(false)] bool available, string reason)
    {
        if (!available) Missing(reason);
    }

    /// <summary>
    /// The full path of the command-line tool <paramref name="name"/> found on PATH, or <see cref="Missing"/> with
    /// a reason naming the Debian package that provides it.
    /// </summary>
    public static string Tool(string name, string debianPackage)
    {
        var path = FindOnPath(name);
        if (path is null) Missing($"the {name} command-line tool is not installed (apt-get install {debianPackage})");
        return path;
    }

    /// <summary>The full path of <paramref name="name"/> on PATH, or null.</summary>
    public static string? FindOnPath(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }
}

/// <summary>A test's requirement is missing under CI, where nothing may be skipped.</summary>
public sealed class RequirementMissingException(string message) : Exception(message);
