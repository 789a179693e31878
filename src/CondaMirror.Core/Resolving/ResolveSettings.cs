using CondaMirror.Core.Policies;
using CondaMirror.Core.Channels;
using CondaMirror.Core.Repodata;
using CondaMirror.Core.Solving;

namespace CondaMirror.Core.Resolving;

/// <summary>One requested MatchSpec and where it came from (shown in errors: "CondaPackage 'pandas'").</summary>
public sealed record RequestedPackage(string Spec, string Origin);

/// <summary>Everything that decides a solve. Two equal settings give the same lock.</summary>
public sealed record ResolveSettings
{
    public const string DefaultEnvironment = "default";

    public required IReadOnlyList<RequestedPackage> Packages { get; init; }

    /// <summary>Channels in priority order (strict priority).</summary>
    public required IReadOnlyList<ChannelSource> Channels { get; init; }

    /// <summary>
    /// Target platforms (subdirs such as linux-64); noarch is always searched too. Empty: the platforms the existing
    /// lock was solved for, or the building machine's platform when there is no lock yet.
    /// </summary>
    public required IReadOnlyList<string> Platforms { get; init; }

    /// <summary>The lock environment the solution is written to (pixi environment names: a-z, 0-9, '-').</summary>
    public string Environment { get; init; } = DefaultEnvironment;

    /// <summary>Overrides of the default virtual packages; <see cref="VirtualPackageOverride.Platform"/> null = every platform.</summary>
    public IReadOnlyList<VirtualPackageOverride> VirtualPackages { get; init; } = Array.Empty<VirtualPackageOverride>();

    /// <summary>The lock file to write (pixi.lock v6 schema with a CondaMirror header comment).</summary>
    public required string LockFile { get; init; }

    /// <summary>Never write the lock: fail with a diff when the inputs no longer match it (CI mode).</summary>
    public bool LockedMode { get; init; }

    /// <summary>
    /// Time per platform for finding conda's best solution after the first valid one (CondaSolveOptimizeSeconds).
    /// Not an input of the lock's hash: it decides only how hard a solve tries, and a cut-short solve says so.
    /// </summary>
    public TimeSpan OptimizeBudget { get; init; } = SolveRequest.DefaultOptimizeBudget;

    public RepodataFetchOptions Fetch { get; init; } = new();

    /// <summary>Package policy applied in every platform's solve (and recorded in the lock's inputs).</summary>
    public PackagePolicy Policy { get; init; } = PackagePolicy.None;
}

public sealed record VirtualPackageOverride(string Name, string Version, string? Build, string? Platform);
