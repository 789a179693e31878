using System.Runtime.InteropServices;
using OsArchitecture = System.Runtime.InteropServices.Architecture;
using CondaMirror.Core.Errors;

namespace CondaMirror.Core.Platforms;

/// <summary>
/// conda's platform subdirectories (conda 25.11 <c>KNOWN_SUBDIRS</c>): <c>noarch</c> plus
/// <c>&lt;os&gt;-&lt;arch&gt;</c> names such as <c>linux-64</c> or <c>osx-arm64</c>.
/// </summary>
public static class Platforms
{
    public const string NoArch = "noarch";

    // Every subdir conda and rattler know, with the arch/platform a repodata record of that subdir carries
    // (pixi.lock v6+ omits those two fields and derives them from the subdir the same way).
    private static readonly (string Subdir, string? Arch, string? Os)[] Table =
    {
        ("noarch", null, null),
        ("emscripten-wasm32", "wasm32", "emscripten"),
        ("wasi-wasm32", "wasm32", "wasi"),
        ("freebsd-64", "x86_64", "freebsd"),
        ("linux-32", "x86", "linux"),
        ("linux-64", "x86_64", "linux"),
        ("linux-aarch64", "aarch64", "linux"),
        ("linux-armv6l", "armv6l", "linux"),
        ("linux-armv7l", "armv7l", "linux"),
        ("linux-ppc64", "ppc64", "linux"),
        ("linux-ppc64le", "ppc64le", "linux"),
        ("linux-riscv32", "riscv32", "linux"),
        ("linux-riscv64", "riscv64", "linux"),
        ("linux-s390x", "s390x", "linux"),
        ("osx-64", "x86_64", "osx"),
        ("osx-arm64", "arm64", "osx"),
        ("win-32", "x86", "win"),
        ("win-64", "x86_64", "win"),
        ("win-arm64", "arm64", "win"),
        ("zos-z", "z", "zos"),
    };

    private static readonly string[] KnownList = Table.Select(t => t.Subdir).ToArray();

    private static readonly HashSet<string> KnownSet = new(KnownList, StringComparer.Ordinal);

    /// <summary>Every subdir conda knows, <c>noarch</c> first.</summary>
    public static IReadOnlyList<string> Known => KnownList;

    /// <summary>True for a subdir conda knows. Case-sensitive, like conda and channel URLs.</summary>
    public static bool IsKnown(string? subdir) => subdir is not null && KnownSet.Contains(subdir);

    /// <summary>The record's <c>arch</c> and <c>platform</c> fields for a subdir; both null for noarch and unknown subdirs.</summary>
    public static (string? Arch, string? Platform) RecordArchAndPlatform(string? subdir)
    {
        foreach (var t in Table)
            if (t.Subdir == subdir) return (t.Arch, t.Os);
        return (null, null);
    }

    /// <summary>The subdir of the machine this process runs on (e.g. <c>linux-64</c>, <c>osx-arm64</c>, <c>win-64</c>).</summary>
    public static string Current { get; } = DetectCurrent();

    /// <summary>
    /// The operating-system part: <c>linux</c>, <c>osx</c>, <c>win</c>, <c>freebsd</c>, <c>emscripten</c>, <c>wasi</c>,
    /// <c>zos</c>, or <c>noarch</c> for <c>noarch</c>. Throws CMIR105 for an unknown subdir.
    /// </summary>
    public static string OperatingSystem(string subdir)
    {
        Validate(subdir);
        var dash = subdir.IndexOf('-');
        return dash < 0 ? subdir : subdir[..dash];
    }

    /// <summary>
    /// The architecture part as conda names it in the subdir (<c>64</c>, <c>aarch64</c>, <c>arm64</c>, <c>wasm32</c>,
    /// ...); null for <c>noarch</c>. Throws CMIR105 for an unknown subdir.
    /// </summary>
    public static string? Architecture(string subdir)
    {
        Validate(subdir);
        var dash = subdir.IndexOf('-');
        return dash < 0 ? null : subdir[(dash + 1)..];
    }

    /// <summary>
    /// Returns the subdir unchanged when conda knows it, else throws <see cref="CondaMirrorException"/> (CMIR105)
    /// naming the bad value, the likely intended one, and the valid list. <paramref name="origin"/> (a project
    /// file or item) is attached to the error.
    /// </summary>
    public static string Validate(string? subdir, string? origin = null)
    {
        if (IsKnown(subdir)) return subdir!;
        var shown = subdir is null ? "(none)" : $"'{subdir}'";
        var suggestion = Suggest(subdir);
        var hint = suggestion is null ? "" : $" Did you mean '{suggestion}'?";
        throw new CondaMirrorException(ErrorCodes.UnknownPlatform,
            $"unknown conda platform {shown}.{hint} Valid platforms: {string.Join(", ", KnownList)}.", origin);
    }

    /// <summary>Validates a list of subdirs (e.g. a semicolon-separated MSBuild property), trimming blanks.</summary>
    public static IReadOnlyList<string> ValidateAll(IEnumerable<string> subdirs, string? origin = null) =>
        subdirs.Select(s => s.Trim()).Where(s => s.Length > 0).Distinct(StringComparer.Ordinal)
            .Select(s => Validate(s, origin)).ToArray();

    // Common slips: case, '_' for '-', and the OS/architecture names other tools use (x64, amd64, macos, ...).
    private static string? Suggest(string? subdir)
    {
        if (string.IsNullOrWhiteSpace(subdir)) return null;
        var s = subdir.Trim().ToLowerInvariant().Replace("x86_64", "x64").Replace('_', '-');
        var dash = s.IndexOf('-');
        if (dash <= 0) return KnownSet.Contains(s) ? s : null;
        var os = s[..dash] switch
        {
            "macos" or "darwin" or "mac" => "osx",
            "windows" or "win32" => "win",
            var other => other,
        };
        var arch = s[(dash + 1)..] switch
        {
            "x64" or "amd64" or "x86-64" => "64",
            "x86" or "i386" or "i686" => "32",
            "arm64" when os == "linux" => "aarch64",
            "aarch64" when os is "osx" or "win" => "arm64",
            var other => other,
        };
        var candidate = os + "-" + arch;
        return KnownSet.Contains(candidate) ? candidate : null;
    }

    private static string DetectCurrent()
    {
        var arch = RuntimeInformation.OSArchitecture;
        if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
            return arch switch { OsArchitecture.X86 => "win-32", OsArchitecture.Arm64 => "win-arm64", _ => "win-64" };
        if (RuntimeInformation.IsOSPlatform(OSPlatform.OSX))
            return arch == OsArchitecture.Arm64 ? "osx-arm64" : "osx-64";
        if (RuntimeInformation.IsOSPlatform(OSPlatform.FreeBSD)) return "freebsd-64";
        if (System.OperatingSystem.IsBrowser()) return "emscripten-wasm32";
        if (System.OperatingSystem.IsWasi()) return "wasi-wasm32";
        return arch switch
        {
            OsArchitecture.Arm64 => "linux-aarch64",
            OsArchitecture.Arm => "linux-armv7l",
            OsArchitecture.Armv6 => "linux-armv6l",
            OsArchitecture.X86 => "linux-32",
            OsArchitecture.Ppc64le => "linux-ppc64le",
            OsArchitecture.S390x => "linux-s390x",
            _ when arch.ToString() == "RiscV64" => "linux-riscv64", // named only from .NET 9 on
            _ => "linux-64",
        };
    }
}
