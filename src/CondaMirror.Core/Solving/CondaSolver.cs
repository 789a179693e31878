using System.Diagnostics;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Records;
using CondaMirror.Core.Versions;

namespace CondaMirror.Core.Solving;

/// <summary>
/// Solves conda environments: picks one record per needed name so that every requested spec, every depends
/// and every constrains holds, preferring the newest versions (and the locked ones). Complete and sound: a
/// CDCL search over a lazily built encoding; no heuristic shortcut can lose a solution. Thread-safe: each call
/// is independent. The parts: <see cref="CondaDependencyProvider"/> (conda's
/// candidates, priority and preferences) behind <see cref="IDependencyProvider{TCandidate, TSpec}"/>,
/// <see cref="DependencySolver{TCandidate, TSpec}"/> (the encoding and search, via <see cref="Sat.SatSolver"/>), and
/// <see cref="ConflictRenderer"/> (the words of a <see cref="ConflictGraph"/>).
/// </summary>
public sealed class CondaSolver
{
    public SolveResult Solve(SolveRequest request, IPackageSource source, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(source);
        return new SolveRun(request, source, ct).Run();
    }
}

internal sealed class SolveRun
{
    private readonly SolveRequest _request;
    private readonly IPackageSource _source;
    private readonly CancellationToken _ct;
    private readonly CondaDependencyProvider _provider;
    private readonly DependencySolver<Candidate, SpecMatcher> _solver;

    public SolveRun(SolveRequest request, IPackageSource source, CancellationToken ct)
    {
        _request = request;
        _source = source;
        _ct = ct;
        _provider = new CondaDependencyProvider(request, source, ct);
        _solver = new DependencySolver<Candidate, SpecMatcher>(_provider);
    }

    public SolveResult Run()
    {
        var total = Stopwatch.StartNew();
        ValidateVirtualPackages();
        var roots = new List<(SpecMatcher Spec, int Index)>();
        for (var i = 0; i < _request.Specs.Count; i++)
        {
            var (text, origin) = _request.Specs[i];
            var (spec, error) = _provider.ParseSpec(text);
            if (spec is null)
                throw new CondaMirrorException(ErrorCodes.SolverInvalidSpec,
                    $"{Prefix(origin)}'{text}' is not a valid package spec ({error}). Use conda MatchSpec syntax, e.g. 'numpy >=1.26' or 'python 3.11.*'.",
                    origin) { RequestIndexes = new[] { i } };
            var name = _solver.Load(spec.Name);
            if (name.Candidates.Length == 0)
                throw _provider.IsExcludedByPolicy(spec.Name) ? ExcludedByPolicy(spec, i, origin) : UnknownPackage(spec, i, origin);
            if (_solver.Matching(spec).Length == 0) throw NoMatchingVersion(spec, i, origin);
            roots.Add((spec, i));
        }

        foreach (var (spec, index) in roots)
            _solver.AddRequest(spec, new ConflictRequest(index, spec.Text, spec.Name, _request.Specs[index].Origin));

        // The objectives' auxiliary clauses (features in use) must hold in the first model too, so they come first.
        var requested = roots.GroupBy(r => r.Spec.Name, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Select(r => r.Spec).ToArray(), StringComparer.Ordinal);
        var objectives = new CondaObjectives(_solver, requested, _request.Locked.Count > 0);

        var loadBeforeSearch = _provider.LoadTime;
        var search = Stopwatch.StartNew();
        var satisfiable = _solver.Solve(Array.Empty<int>(), _ct);
        search.Stop();
        if (!satisfiable)
            throw ConflictRenderer.ToException(_solver.BuildConflictGraph());

        // conda's objectives: the first model is valid; make it the one conda would pick.
        var optimize = Stopwatch.StartNew();
        var loadBeforeOptimize = _provider.LoadTime;
        var model = objectives.Optimize(_solver.Sat.Model(), _request.OptimizeBudget, _ct);
        optimize.Stop();

        var packages = _solver.InstalledIn(model).Where(c => !c.IsVirtual).Select(c => c.Record).ToList();
        packages.Sort((a, b) => string.CompareOrdinal(a.Record.Name, b.Record.Name));
        total.Stop();
        var sat = _solver.Sat;
        var stats = new SolveStatistics
        {
            NamesLoaded = _solver.NamesLoaded,
            CandidatesLoaded = _solver.CandidatesLoaded,
            Clauses = sat.ClauseCount - sat.LearnedClauses,
            LearnedClauses = sat.LearnedClauses,
            Decisions = sat.Decisions,
            Conflicts = sat.Conflicts,
            Propagations = sat.Propagations,
            LoadTime = _provider.LoadTime,
            SearchTime = search.Elapsed - (loadBeforeOptimize - loadBeforeSearch),
            OptimizeTime = optimize.Elapsed - (_provider.LoadTime - loadBeforeOptimize),
            OptimizeSteps = objectives.Steps,
            OptimizationComplete = objectives.Complete,
            TotalTime = total.Elapsed,
        };
        return new SolveResult(packages, stats);
    }

    private void ValidateVirtualPackages()
    {
        foreach (var vp in _request.VirtualPackages)
        {
            if (!vp.Name.StartsWith("__", StringComparison.Ordinal) || !CondaVersion.TryParse(vp.Version, out _))
                throw new CondaMirrorException(ErrorCodes.SolverInvalidVirtualPackage,
                    $"Virtual package '{vp.Name}={vp.Version}' is invalid: names start with '__' and the version must be a conda version (e.g. __glibc=2.28).");
        }
    }

    /// <summary>The graph of a requested spec nothing satisfies: the request, one edge, the missing spec.</summary>
    private ConflictGraph MissingGraph(SpecMatcher spec, int index, string? origin) => new(
        new ConflictNode[] { new ConflictRootNode(0, new[] { new ConflictRequest(index, spec.Text, spec.Name, origin) }), _provider.DescribeMissing(1, spec) },
        new[] { new ConflictEdge(0, 1, ConflictEdgeKind.Requires, spec.Text) });

    private CondaMirrorException UnknownPackage(SpecMatcher spec, int index, string? origin)
    {
        var similar = SimilarNames.Find(spec.Name, spec.Name.StartsWith("__", StringComparison.Ordinal)
            ? _request.VirtualPackages.Select(v => v.Name)
            : _source.AllNames);
        var message = spec.Name.StartsWith("__", StringComparison.Ordinal)
            ? $"The virtual package '{spec.Name}' is not provided for {_request.Platform}. Declare it as a virtual package override if the target machines have it."
            : $"No package named '{spec.Name}' in the channels.";
        if (similar.Count > 0) message += " Similar names: " + string.Join(", ", similar) + ".";
        else message += " Check the spelling and the channel list.";
        var lines = new[] { message };
        return new SolveConflictException(ErrorCodes.SolverUnknownPackage, Prefix(origin) + message, lines, origin, MissingGraph(spec, index, origin)) { RequestIndexes = new[] { index } };
    }

    private CondaMirrorException NoMatchingVersion(SpecMatcher spec, int index, string? origin)
    {
        // Rendered from the graph's missing node: the versions the channels have and what priority left out.
        var graph = MissingGraph(spec, index, origin);
        var missing = (ConflictMissingNode)graph.Nodes[1];
        var message = $"{spec.Text} cannot be installed: the channels have {spec.Name} {VersionSummary.Describe(missing.AvailableVersions.Select(CondaVersion.Parse))}";
        if (missing.IgnoredByChannelPriority > 0)
            message += $" ({missing.IgnoredByChannelPriority} more records of {spec.Name} are in lower-priority channels, which strict channel priority ignores)";
        message += missing.PolicyNote() + ".";
        return new SolveConflictException(ErrorCodes.SolverNoMatchingVersion, Prefix(origin) + message + " Relax the version constraint.",
            new[] { message }, origin, graph) { RequestIndexes = new[] { index } };
    }

    private CondaMirrorException ExcludedByPolicy(SpecMatcher spec, int index, string? origin)
    {
        var graph = MissingGraph(spec, index, origin);
        var missing = (ConflictMissingNode)graph.Nodes[1];
        var message = $"{spec.Text} cannot be installed: every {spec.Name} in the channels is excluded by the package policy{missing.PolicyNote()}.";
        return new SolveConflictException(ErrorCodes.SolverExcludedByPolicy,
            Prefix(origin) + message + " Change the CondaExclude / CondaAllowLicense items, or remove the request.", new[] { message }, origin, graph) { RequestIndexes = new[] { index } };
    }

    private static string Prefix(string? origin) => origin is null ? "" : $"{origin}: ";
}
