namespace CondaMirror.Core.Solving;

/// <summary>A virtual package the target machine provides (e.g. <c>__glibc 2.28</c>); conda reads these from the host.</summary>
public sealed record VirtualPackage(string Name, string Version, string Build = "0");

/// <summary>
/// Default virtual packages per platform. A build machine is rarely the target machine, so these are documented
/// conservative values instead of host detection: linux gets __unix, __linux 5.10, __glibc 2.28 and __archspec;
/// macOS gets __unix, __osx (11.0 on arm64, 10.15 on x86_64) and __archspec; Windows gets __win and __archspec.
/// __cuda is never assumed: a GPU machine must say so through an override.
/// </summary>
public static class VirtualPackages
{
    public const string DefaultGlibc = "2.28";
    public const string DefaultLinuxKernel = "5.10";

    public static IReadOnlyList<VirtualPackage> DefaultsFor(string platform)
    {
        var dash = platform.IndexOf('-');
        var os = dash < 0 ? platform : platform[..dash];
        var arch = dash < 0 ? "" : platform[(dash + 1)..];
        var archspec = arch switch
        {
            "64" => "x86_64",
            "32" => "x86",
            "aarch64" or "arm64" => os == "osx" || os == "win" ? "arm64" : "aarch64",
            _ => arch,
        };
        var list = new List<VirtualPackage>();
        switch (os)
        {
            case "linux":
                list.Add(new("__unix", "0"));
                list.Add(new("__linux", DefaultLinuxKernel));
                list.Add(new("__glibc", DefaultGlibc));
                break;
            case "osx":
                list.Add(new("__unix", "0"));
                list.Add(new("__osx", arch == "arm64" ? "11.0" : "10.15"));
                break;
            case "win":
                list.Add(new("__win", "0"));
                break;
            default:
                return list; // noarch and unknown subdirs have no machine
        }
        if (archspec.Length > 0) list.Add(new("__archspec", "1", archspec));
        return list;
    }

    /// <summary>Defaults with overrides applied by name (an override replaces the default of the same name, others are added).</summary>
    public static IReadOnlyList<VirtualPackage> Merge(IReadOnlyList<VirtualPackage> defaults, IReadOnlyList<VirtualPackage> overrides)
    {
        var result = new List<VirtualPackage>(defaults);
        foreach (var o in overrides)
        {
            var i = result.FindIndex(v => string.Equals(v.Name, o.Name, StringComparison.OrdinalIgnoreCase));
            if (i >= 0) result[i] = o;
            else result.Add(o);
        }
        return result;
    }
}
