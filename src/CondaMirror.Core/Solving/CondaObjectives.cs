using CondaMirror.Core.Versions;

namespace CondaMirror.Core.Solving;

/// <summary>
/// conda's classic solver picks, among all valid environments, the best by a lexicographic list of objectives
/// (conda/resolve.py, Resolve.solve): each objective is a weighted sum over installed records, minimised and then
/// fixed before the next. This does the same on top of the CDCL search: every objective becomes a native
/// pseudo-boolean constraint of <see cref="Sat.SatSolver"/>; a selector-guarded bound is lowered below each model
/// found until the search fails under it, and then the optimum is added for good. Lazy like the search: a name's
/// terms are computed when it loads, and a name loaded in a later step joins every objective already fixed.
/// Objectives, in conda's order (weights are distances from the best record of the name, counted in distinct
/// versions, build numbers, arch/noarch and timestamps the way conda's generate_version_metrics counts them):
/// locked records kept (ours: a re-solve keeps the lock, as conda keeps an installed environment);
/// requested names' versions; distinct track_features in use; "misfeatured" records (a record without a feature
/// some other build of its name has, while that feature is tracked); requested builds; requested arch over noarch;
/// dependencies' versions, builds, arch over noarch; the number of dependency names installed; timestamps.
/// Channel priority needs no objective: strict priority already left one channel per name.
/// </summary>
internal sealed class CondaObjectives
{
    private enum Kind { Locked, RequestedVersion, FeatureCount, FeatureMetric, RequestedBuild, RequestedArch, Version, Build, Arch, PackageCount, Timestamp }

    private sealed class Objective
    {
        public Objective(Kind kind) => Kind = kind;
        public Kind Kind { get; }
        public List<(int Variable, long Weight)> Terms { get; } = new();
        public List<Live> Constraints { get; } = new(); // the constraints that must see new terms (of at least MinWeight)
    }

    /// <summary>A constraint of an objective that new terms must join when their weight is at least <see cref="MinWeight"/>.</summary>
    private readonly record struct Live(int Id, long MinWeight);

    private readonly DependencySolver<Candidate, SpecMatcher> _solver;
    private readonly IReadOnlyDictionary<string, SpecMatcher[]> _requested;
    private readonly Objective[] _objectives;
    private readonly Dictionary<string, int> _featureVariables = new(StringComparer.Ordinal);

    public CondaObjectives(DependencySolver<Candidate, SpecMatcher> solver, IReadOnlyDictionary<string, SpecMatcher[]> requested, bool hasLock)
    {
        _solver = solver;
        _requested = requested;
        var kinds = Enum.GetValues<Kind>().Where(k => hasLock || k != Kind.Locked);
        _objectives = kinds.Select(k => new Objective(k)).ToArray();
        foreach (var name in solver.LoadedNames) OnNameLoaded(name);
        solver.NameLoaded += OnNameLoaded;
    }

    /// <summary>Searches made while optimising (each one improved an objective or proved it optimal).</summary>
    public int Steps { get; private set; }

    /// <summary>False when the budget ran out before every objective was proven optimal.</summary>
    public bool Complete { get; private set; }

    /// <summary>
    /// Improves the model found by the first search, objective by objective, until every one is optimal or the
    /// time limit passes (the model is then the best found so far: valid, not proven optimal). Returns the model.
    /// </summary>
    public bool[] Optimize(bool[] model, TimeSpan limit, CancellationToken ct)
    {
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(ct);
        if (limit <= TimeSpan.Zero) return model;
        // CancelAfter takes at most int.MaxValue ms (24.8 days): anything longer is no limit in practice.
        if (limit.TotalMilliseconds < int.MaxValue) budget.CancelAfter(limit);
        try
        {
            foreach (var objective in _objectives)
            {
                // conda's minimize: with weights above 1, first the largest weight in use (the peak), then the sum.
                if (objective.Terms.Any(t => t.Weight > 1)) model = MinimizePeak(objective, model, budget.Token);
                model = MinimizeSum(objective, model, budget.Token);
            }
            Complete = true;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // The budget ran out: the last model is valid, just not proven optimal.
            Complete = false;
        }
        return model;
    }

    /// <summary>Lowers the largest weight in use: forbids every term at or above the current peak until that fails.</summary>
    private bool[] MinimizePeak(Objective objective, bool[] model, CancellationToken budget)
    {
        var sat = _solver.Sat;
        var peak = Peak(objective, model);
        if (peak == 0) return model;
        var selector = sat.NewVariable();
        var trial = new Live(sat.AddPseudoBoolean(0, selector), peak); // bound 0: none of its terms may be true
        objective.Constraints.Add(trial);
        foreach (var (v, w) in objective.Terms) if (w >= peak) sat.AddPbTerm(trial.Id, v, w);
        while (true)
        {
            if (!Search(selector, budget)) break;
            model = sat.Model();
            var lower = Peak(objective, model);
            // A bound-0 constraint only gets stronger with more terms, so what was learned under it stays valid.
            foreach (var (v, w) in objective.Terms) if (w >= lower && w < peak) sat.AddPbTerm(trial.Id, v, w);
            objective.Constraints.Remove(trial);
            trial = trial with { MinWeight = lower };
            objective.Constraints.Add(trial);
            peak = lower;
            if (peak == 0) break;
        }
        sat.RetirePseudoBoolean(trial.Id);
        objective.Constraints.Remove(trial);
        // For good: nothing above the optimal peak.
        var fixedAt = new Live(sat.AddPseudoBoolean(0, 0), peak + 1);
        foreach (var (v, w) in objective.Terms) if (w > peak) sat.AddPbTerm(fixedAt.Id, v, w);
        objective.Constraints.Add(fixedAt);
        return model;
    }

    /// <summary>Lowers the weighted sum below each model found until that fails, then keeps the optimum for good.</summary>
    private bool[] MinimizeSum(Objective objective, bool[] model, CancellationToken budget)
    {
        var sat = _solver.Sat;
        var cost = Cost(objective, model);
        if (cost > 0)
        {
            var selector = sat.NewVariable();
            var trial = new Live(sat.AddPseudoBoolean(cost - 1, selector), 1);
            objective.Constraints.Add(trial);
            foreach (var (v, w) in objective.Terms) sat.AddPbTerm(trial.Id, v, w);
            while (Search(selector, budget))
            {
                model = sat.Model();
                cost = Cost(objective, model);
                if (cost == 0) break;
                sat.TightenPseudoBoolean(trial.Id, cost - 1);
            }
            sat.RetirePseudoBoolean(trial.Id);
            objective.Constraints.Remove(trial);
        }
        var fixedAt = new Live(sat.AddPseudoBoolean(cost, 0), 1);
        foreach (var (v, w) in objective.Terms) sat.AddPbTerm(fixedAt.Id, v, w);
        objective.Constraints.Add(fixedAt);
        return model;
    }

    /// <summary>One search under a trial's selector. False: nothing satisfies the trial (the optimum is known).</summary>
    private bool Search(int selector, CancellationToken budget)
    {
        Steps++;
        if (_solver.Solve(new[] { selector }, budget)) return true;
        // Only the trial can fail: the model found before it satisfies everything else.
        if (!_solver.Sat.FailedAssumptions.Contains(selector))
            throw new InvalidOperationException("the problem became unsatisfiable while optimising");
        return false;
    }

    private static long Peak(Objective objective, bool[] model)
    {
        long peak = 0;
        foreach (var (v, w) in objective.Terms)
            if (v < model.Length && model[v] && w > peak) peak = w;
        return peak;
    }

    private static long Cost(Objective objective, bool[] model)
    {
        long cost = 0;
        foreach (var (v, w) in objective.Terms)
            if (v < model.Length && model[v]) cost += w;
        return cost;
    }

    private Objective? Find(Kind kind)
    {
        foreach (var o in _objectives) if (o.Kind == kind) return o;
        return null;
    }

    private void AddTerm(Kind kind, int variable, long weight)
    {
        if (weight <= 0 || Find(kind) is not { } objective) return;
        objective.Terms.Add((variable, weight));
        foreach (var c in objective.Constraints)
            if (weight >= c.MinWeight) _solver.Sat.AddPbTerm(c.Id, variable, weight);
    }

    private int FeatureVariable(string feature)
    {
        if (_featureVariables.TryGetValue(feature, out var v)) return v;
        v = _solver.Sat.NewVariable();
        _featureVariables[feature] = v;
        AddTerm(Kind.FeatureCount, v, 1);
        return v;
    }

    private void OnNameLoaded(DependencySolver<Candidate, SpecMatcher>.NameEntry entry)
    {
        var candidates = entry.Candidates;
        if (candidates.Length == 0 || candidates[0].IsVirtual) return;
        var sat = _solver.Sat;

        // Track features: a feature is in use when any record tracking it is installed.
        for (var i = 0; i < candidates.Length; i++)
            foreach (var feature in candidates[i].Package.TrackFeatureNames)
                sat.AddClause(new[] { -(entry.FirstVariable + i), FeatureVariable(feature) }, Sat.SatSolver.NoTag);

        // Misfeatured: a record lacking a feature another build of its name has, while that feature is in use.
        var features = candidates.SelectMany(c => FeaturesOf(c)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        foreach (var feature in features)
        {
            var inUse = FeatureVariable(feature);
            for (var i = 0; i < candidates.Length; i++)
            {
                if (FeaturesOf(candidates[i]).Contains(feature)) continue;
                var metric = sat.NewVariable();
                sat.AddClause(new[] { -(entry.FirstVariable + i), -inUse, metric }, Sat.SatSolver.NoTag);
                AddTerm(Kind.FeatureMetric, metric, 1);
            }
        }

        var requested = _requested.TryGetValue(entry.Name, out var specs);
        // conda weighs a requested name among the records its specs allow (its reduced index), others among all.
        var ranked = new List<int>();
        for (var i = 0; i < candidates.Length; i++)
            if (!requested || specs!.All(s => s.Matches(candidates[i]))) ranked.Add(i);
        ranked.Sort((a, b) => CompareKey(candidates[a], candidates[b]));

        Candidate? previous = null;
        long iv = 0, ib = 0, ia = 0, it = 0;
        foreach (var i in ranked)
        {
            var c = candidates[i];
            if (previous is null) { }
            else if (c.Version.CompareTo(previous.Version) != 0) { iv++; ib = ia = it = 0; }
            else if (c.Package.BuildNumber != previous.Package.BuildNumber) { ib++; ia = it = 0; }
            else if (IsNoarch(c) != IsNoarch(previous)) { ia++; it = 0; }
            else if ((c.Package.Timestamp ?? 0) != (previous.Package.Timestamp ?? 0)) it++;
            previous = c;
            var v = entry.FirstVariable + i;
            AddTerm(requested ? Kind.RequestedVersion : Kind.Version, v, iv);
            AddTerm(requested ? Kind.RequestedBuild : Kind.Build, v, ib);
            AddTerm(requested ? Kind.RequestedArch : Kind.Arch, v, ia);
            AddTerm(Kind.Timestamp, v, it);
        }

        // The package count counts names: one variable per name, true when any of its candidates is. Learned
        // clauses about "some x is installed" then hold for every build of x, which is what makes the optimum
        // provable without trying the builds one by one.
        var installed = requested ? 0 : sat.NewVariable();
        var hasLocked = candidates.Any(c => c.IsLocked);
        for (var i = 0; i < candidates.Length; i++)
        {
            var v = entry.FirstVariable + i;
            if (installed != 0) sat.AddClause(new[] { -v, installed }, Sat.SatSolver.NoTag);
            if (hasLocked && !candidates[i].IsLocked) AddTerm(Kind.Locked, v, 1);
        }
        if (installed != 0) AddTerm(Kind.PackageCount, installed, 1);
    }

    private static bool IsNoarch(Candidate c) => c.Record.Subdir == "noarch";

    private static IEnumerable<string> FeaturesOf(Candidate c) =>
        string.IsNullOrWhiteSpace(c.Package.Features)
            ? Array.Empty<string>()
            : c.Package.Features.Split(new[] { ' ', ',' }, StringSplitOptions.RemoveEmptyEntries);

    /// <summary>conda's version_key, best first: version, build number, arch before noarch, timestamp.</summary>
    private static int CompareKey(Candidate a, Candidate b)
    {
        int c;
        if ((c = b.Version.CompareTo(a.Version)) != 0) return c;
        if ((c = b.Package.BuildNumber.CompareTo(a.Package.BuildNumber)) != 0) return c;
        if ((c = IsNoarch(a).CompareTo(IsNoarch(b))) != 0) return c;
        return (b.Package.Timestamp ?? 0).CompareTo(a.Package.Timestamp ?? 0);
    }
}
