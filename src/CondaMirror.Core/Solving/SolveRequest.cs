using CondaMirror.Core.Policies;
using CondaMirror.Core.Records;

namespace CondaMirror.Core.Solving;

/// <summary>Where the solver gets candidates from. Implementations may be lazy: the solver asks per name.</summary>
public interface IPackageSource
{
    /// <summary>
    /// Every record of <paramref name="name"/> for the target platform and noarch, across channels, in channel
    /// priority order. The solver calls this at most once per name, only for names the search reaches.
    /// </summary>
    IReadOnlyList<RepodataRecord> GetRecords(string name);

    /// <summary>Whether any channel has the name (cheap; used to report unknown packages).</summary>
    bool HasName(string name);

    /// <summary>All names, for "did you mean" suggestions in error messages.</summary>
    IEnumerable<string> AllNames { get; }
}

/// <summary>What to solve for one platform.</summary>
public sealed class SolveRequest
{
    /// <summary>Requested MatchSpecs, each with where it came from (e.g. "CondaPackage 'pandas'") for error messages.</summary>
    public IReadOnlyList<(string Spec, string? Origin)> Specs { get; init; } = Array.Empty<(string, string?)>();

    /// <summary>Target subdir, e.g. linux-64.</summary>
    public string Platform { get; init; } = "";

    /// <summary>The virtual packages (__glibc, __cuda, ...) the target machine provides; usually <see cref="VirtualPackages.DefaultsFor"/>.</summary>
    public IReadOnlyList<VirtualPackage> VirtualPackages { get; init; } = Array.Empty<VirtualPackage>();

    /// <summary>Records of a previous solve: tried first for their names, so adding a package does not upgrade the rest.</summary>
    public IReadOnlyList<RepodataRecord> Locked { get; init; } = Array.Empty<RepodataRecord>();

    /// <summary>Channel base URLs, highest priority first. Strict: a name is taken only from the first channel that has it.</summary>
    public IReadOnlyList<string> ChannelPriority { get; init; } = Array.Empty<string>();

    /// <summary>CondaExclude / CondaAllowLicense: records it excludes are never candidates, and conflicts name the rule.</summary>
    public PackagePolicy Policy { get; init; } = PackagePolicy.None;

    /// <summary>
    /// How long the search for conda's best solution may run after the first valid one is found. When it runs
    /// out, the best solution found so far is returned (valid, not proven optimal) and
    /// <see cref="SolveStatistics.OptimizationComplete"/> is false.
    /// </summary>
    public TimeSpan OptimizeBudget { get; init; } = DefaultOptimizeBudget;

    public static readonly TimeSpan DefaultOptimizeBudget = TimeSpan.FromSeconds(5);
}

/// <summary>Counters and timings of one solve.</summary>
public sealed class SolveStatistics
{
    public int NamesLoaded { get; init; }
    public int CandidatesLoaded { get; init; }
    public int Clauses { get; init; }
    public int LearnedClauses { get; init; }
    public long Decisions { get; init; }
    public long Conflicts { get; init; }
    public long Propagations { get; init; }
    public TimeSpan LoadTime { get; init; }
    public TimeSpan SearchTime { get; init; }

    /// <summary>Time spent improving the first solution to conda's optimum (loading excluded).</summary>
    public TimeSpan OptimizeTime { get; init; }

    /// <summary>Searches made while optimising.</summary>
    public int OptimizeSteps { get; init; }

    /// <summary>False when the optimisation budget cut the search short (the solution is valid, not proven optimal).</summary>
    public bool OptimizationComplete { get; init; } = true;

    public TimeSpan TotalTime { get; init; }

    public override string ToString() =>
        $"{NamesLoaded} names, {CandidatesLoaded} candidates, {Clauses} clauses ({LearnedClauses} learned), " +
        $"{Decisions} decisions, {Conflicts} conflicts; total {TotalTime.TotalMilliseconds:F0} ms " +
        $"(loading {LoadTime.TotalMilliseconds:F0} ms, search {SearchTime.TotalMilliseconds:F0} ms, " +
        $"optimisation {OptimizeTime.TotalMilliseconds:F0} ms in {OptimizeSteps} searches{(OptimizationComplete ? "" : ", cut short by its budget")})";
}

/// <summary>The solution: one record per installed name (virtual packages excluded), sorted by name.</summary>
public sealed class SolveResult
{
    public SolveResult(IReadOnlyList<RepodataRecord> packages, SolveStatistics stats)
    {
        Packages = packages;
        Stats = stats;
    }

    public IReadOnlyList<RepodataRecord> Packages { get; }
    public SolveStatistics Stats { get; }
}
