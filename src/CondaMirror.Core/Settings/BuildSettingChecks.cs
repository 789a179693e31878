using System.Text.RegularExpressions;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Platforms;

namespace CondaMirror.Core.Settings;

/// <summary>
/// The checks of what a build is configured with, each mistake with one code (CMIR803) and one message wherever the
/// setting is read: the resolve, download, PyPI and index steps all take platforms, the environment and the network
/// limits, and must not disagree about what is wrong with them.
/// </summary>
public static partial class BuildSettingChecks
{
    /// <summary>
    /// CondaPlatforms: conda platform names (noarch is always mirrored and may be named; with CondaAllowCustomSubdirs,
    /// also single safe folder names); empty means "decide elsewhere".
    /// </summary>
    public static IReadOnlyList<string> Platforms(IEnumerable<string> platforms, SubdirNaming naming = SubdirNaming.KnownOnly)
    {
        var result = new List<string>();
        foreach (var p in platforms)
        {
            if (!Subdirs.IsAllowed(p, naming))
                throw new CondaMirrorException(ErrorCodes.InvalidBuildSetting,
                    $"CondaPlatforms contains '{p}', which is not a conda platform. Use subdir names such as linux-64, linux-aarch64, osx-64, osx-arm64, win-64" +
                    (naming == SubdirNaming.AllowCustom ? ", or (with CondaAllowCustomSubdirs) a single lower-case folder name." : "."));
            if (!result.Contains(p)) result.Add(p);
        }
        return result;
    }

    /// <summary>CondaLockEnvironment: lowercase letters, digits and '-', as pixi names environments.</summary>
    public static string Environment(string? environment)
    {
        var name = string.IsNullOrWhiteSpace(environment) ? "default" : environment.Trim();
        if (!EnvironmentName().IsMatch(name))
            throw new CondaMirrorException(ErrorCodes.InvalidBuildSetting,
                $"CondaLockEnvironment '{name}' is not a usable environment name: use lowercase letters, digits and '-' (as pixi does), e.g. default or ci.");
        return name;
    }

    /// <summary>CondaMaxParallelDownloads, CondaRetryCount and the HTTP limits; null for a limit a step does not take.</summary>
    public static void NetworkLimits(int? maxParallelDownloads, int retryCount, int httpTimeoutSeconds, int httpRequestDeadlineSeconds, int maxRetryAfterSeconds,
        int networkDeadlineSeconds)
    {
        var bad = new List<string>();
        if (maxParallelDownloads is < 1) bad.Add($"CondaMaxParallelDownloads must be ≥ 1 (got {maxParallelDownloads})");
        if (retryCount < 0) bad.Add($"CondaRetryCount must be ≥ 0 (got {retryCount})");
        if (httpTimeoutSeconds < 1) bad.Add($"CondaHttpTimeoutSeconds must be ≥ 1 (got {httpTimeoutSeconds})");
        if (httpRequestDeadlineSeconds < 0) bad.Add($"CondaHttpRequestDeadlineSeconds must be ≥ 0, 0 for none (got {httpRequestDeadlineSeconds})");
        if (networkDeadlineSeconds < 0) bad.Add($"CondaNetworkDeadlineSeconds must be ≥ 0, 0 for none (got {networkDeadlineSeconds})");
        if (maxRetryAfterSeconds < 0) bad.Add($"CondaMaxRetryAfterSeconds must be ≥ 0 (got {maxRetryAfterSeconds})");
        if (bad.Count > 0) throw new CondaMirrorException(ErrorCodes.InvalidBuildSetting, string.Join("; ", bad) + ".");
    }

    // pixi's rule for environment names; a lock with another name would not be usable by pixi.
    [GeneratedRegex("^[a-z0-9-]+$", RegexOptions.CultureInvariant)]
    private static partial Regex EnvironmentName();
}
