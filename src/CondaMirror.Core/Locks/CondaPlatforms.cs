namespace CondaMirror.Core.Locks;

/// <summary>
/// The conda subdirs (platforms) rattler and conda know, and the arch/platform fields they imply.
/// pixi.lock v6+ omits <c>arch</c>/<c>platform</c> and derives them from the subdir the same way.
/// </summary>
public static class CondaPlatforms
{
    private static readonly Dictionary<string, (string? Arch, string? Os)> Known = new(StringComparer.Ordinal)
    {
        ["noarch"] = (null, null),
        ["linux-32"] = ("x86", "linux"),
        ["linux-64"] = ("x86_64", "linux"),
        ["linux-aarch64"] = ("aarch64", "linux"),
        ["linux-armv6l"] = ("armv6l", "linux"),
        ["linux-armv7l"] = ("armv7l", "linux"),
        ["linux-ppc64le"] = ("ppc64le", "linux"),
        ["linux-ppc64"] = ("ppc64", "linux"),
        ["linux-s390x"] = ("s390x", "linux"),
        ["linux-riscv32"] = ("riscv32", "linux"),
        ["linux-riscv64"] = ("riscv64", "linux"),
        ["osx-64"] = ("x86_64", "osx"),
        ["osx-arm64"] = ("arm64", "osx"),
        ["win-32"] = ("x86", "win"),
        ["win-64"] = ("x86_64", "win"),
        ["win-arm64"] = ("arm64", "win"),
        ["emscripten-wasm32"] = ("wasm32", "emscripten"),
        ["wasi-wasm32"] = ("wasm32", "wasi"),
        ["zos-z"] = ("z", "zos"),
    };

    public static IEnumerable<string> All => Known.Keys;

    public static bool IsKnown(string subdir) => Known.ContainsKey(subdir);

    /// <summary>The record's <c>arch</c> and <c>platform</c> for a subdir; both null for noarch and unknown subdirs.</summary>
    public static (string? Arch, string? Platform) ArchAndPlatform(string? subdir) =>
        subdir is not null && Known.TryGetValue(subdir, out var v) ? v : (null, null);
}
