using CondaMirror.Core.Solving.Sat;

namespace CondaMirror.Core.Solving;

/// <summary>
/// Turns names, candidates and dependencies from an <see cref="IDependencyProvider{TCandidate, TSpec}"/> into a
/// growing SAT formula and searches it with <see cref="SatSolver"/>. Lazy: a name's candidates become variables
/// (with an at-most-one group) the first time anything mentions the name, and a candidate's dependency clauses
/// are added the first time it becomes true. Decisions follow the requirements in the order they were reached
/// (see <see cref="IDependencyProvider{TCandidate, TSpec}.ChooseCandidate"/>). Every clause records why it exists,
/// so an unsatisfiable core becomes a <see cref="ConflictGraph"/>. One instance per solve; not thread-safe.
/// </summary>
internal sealed class DependencySolver<TCandidate, TSpec> : ISatHooks where TCandidate : class where TSpec : class
{
    private enum ClauseKind
    {
        Requested,     // one of the candidates of a requested spec
        Depends,       // candidate → one of the candidates of a dependency
        Constrains,    // candidate → not this candidate of a constrained name
        OneVersion,    // at most one candidate per name
        BadDependency, // candidate has a dependency that does not parse
    }

    private sealed record ClauseOrigin(ClauseKind Kind, int Variable, TSpec? Spec, string Text, ConflictRequest? Request = null);

    /// <summary>A name's candidates, best first; they hold the consecutive variables from <see cref="FirstVariable"/>.</summary>
    internal sealed class NameEntry
    {
        public NameEntry(string name, TCandidate[] candidates, int firstVariable)
        {
            Name = name;
            Candidates = candidates;
            FirstVariable = firstVariable;
        }

        public string Name { get; }
        public TCandidate[] Candidates { get; }
        public int FirstVariable { get; }
    }

    /// <summary>The candidates of a spec, best first, as variables (and as objects once the decision hook needs them).</summary>
    private sealed class SpecMatches
    {
        private TCandidate[]? _candidates;

        public SpecMatches(int[] variables) => Variables = variables;

        public int[] Variables { get; }

        public TCandidate[] Candidates(List<TCandidate?> byVariable)
        {
            if (_candidates is not null) return _candidates;
            var list = new TCandidate[Variables.Length];
            for (var i = 0; i < list.Length; i++) list[i] = byVariable[Variables[i]]!;
            return _candidates = list;
        }
    }

    /// <summary>When Trigger is true (or always, for 0), one of the spec's candidates must be.</summary>
    private sealed class Requirement
    {
        public Requirement(int trigger, TSpec? spec, SpecMatches matches)
        {
            Trigger = trigger;
            Spec = spec;
            Matches = matches;
            Variables = matches.Variables;
        }

        public int Trigger { get; }
        public int[] Variables { get; } // copied from Matches: Decide reads it for every requirement, every decision
        public TSpec? Spec { get; }
        public SpecMatches Matches { get; }
        public int SatisfiedBy { get; set; }
    }

    private readonly IDependencyProvider<TCandidate, TSpec> _provider;
    private readonly bool _providerChooses; // read once: Decide runs per decision
    private readonly SatSolver _sat = new();
    private readonly Dictionary<string, NameEntry> _names = new(StringComparer.Ordinal);
    private readonly List<TCandidate?> _byVariable = new() { null };
    private readonly Dictionary<TSpec, SpecMatches> _matching = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<string, List<(int Variable, TSpec Spec)>> _pendingConstrains = new(StringComparer.Ordinal);
    // A plain array: in this shared generic code a List's enumerator would not inline, and Decide walks it per decision.
    private Requirement[] _requirements = new Requirement[16];
    private int _requirementCount;
    private readonly List<ClauseOrigin> _origins = new();
    private readonly List<Dependency<TSpec>> _dependencies = new();
    private int[] _open = new int[16];

    public DependencySolver(IDependencyProvider<TCandidate, TSpec> provider)
    {
        _provider = provider;
        _providerChooses = provider.ChoosesCandidates;
    }

    /// <summary>
    /// The SAT engine, for callers that add clauses of their own (objectives) or solve under assumptions. Their
    /// clauses carry <see cref="SatSolver.NoTag"/>: tags are this class's record of why a clause exists, and the
    /// conflict graph leaves untagged clauses out.
    /// </summary>
    public SatSolver Sat => _sat;

    public int NamesLoaded => _names.Count;

    /// <summary>Raised once per name when its candidates became variables (objectives add their terms here).</summary>
    public event Action<NameEntry>? NameLoaded;

    /// <summary>The names loaded so far, in load order.</summary>
    public IEnumerable<NameEntry> LoadedNames => _names.Values;
    public int CandidatesLoaded => _byVariable.Count(c => c is not null);

    /// <summary>The candidate a variable stands for, or null (variables a caller made for its own clauses).</summary>
    public TCandidate? CandidateOf(int variable) => variable < _byVariable.Count ? _byVariable[variable] : null;

    /// <summary>A name's candidates and their variables, loading them the first time.</summary>
    public NameEntry Load(string name)
    {
        if (_names.TryGetValue(name, out var loaded)) return loaded;
        var provided = _provider.GetCandidates(name);
        var candidates = provided as TCandidate[] ?? provided.ToArray();
        var vars = new int[candidates.Length];
        for (var i = 0; i < candidates.Length; i++)
        {
            vars[i] = _sat.NewVariable();
            while (_byVariable.Count < vars[i]) _byVariable.Add(null);
            _byVariable.Add(candidates[i]);
        }
        var entry = new NameEntry(name, candidates, vars.Length == 0 ? 0 : vars[0]);
        _names[name] = entry;
        _sat.AddAtMostOne(vars, Tag(new ClauseOrigin(ClauseKind.OneVersion, 0, null, name)));
        if (_pendingConstrains.Remove(name, out var waiting))
            foreach (var (variable, spec) in waiting) AddConstrains(variable, spec);
        NameLoaded?.Invoke(entry);
        return entry;
    }

    /// <summary>The variables of the candidates that match a spec, best first (cached per spec).</summary>
    public int[] Matching(TSpec spec) => Matches(spec).Variables;

    private SpecMatches Matches(TSpec spec)
    {
        if (_matching.TryGetValue(spec, out var known)) return known;
        var name = Load(_provider.NameOf(spec));
        var vars = new List<int>();
        for (var i = 0; i < name.Candidates.Length; i++)
            if (_provider.Matches(spec, name.Candidates[i])) vars.Add(name.FirstVariable + i);
        known = new SpecMatches(vars.ToArray());
        _matching[spec] = known;
        return known;
    }

    /// <summary>Requires one candidate of the spec in every solution (the spec must have candidates).</summary>
    public void AddRequest(TSpec spec, ConflictRequest request)
    {
        var matches = Matches(spec);
        AddRequirement(new Requirement(0, spec, matches));
        _sat.AddClause(matches.Variables, Tag(new ClauseOrigin(ClauseKind.Requested, 0, spec, request.Spec, request)));
    }

    /// <summary>Searches (again, after clauses were added, under these assumptions). True: read <see cref="Installed"/>.</summary>
    public bool Solve(IReadOnlyList<int> assumptions, CancellationToken ct) => _sat.Solve(this, assumptions, ct);

    /// <summary>The candidates of the model, in variable order.</summary>
    public IEnumerable<TCandidate> Installed()
    {
        for (var v = 1; v < _byVariable.Count; v++)
            if (_byVariable[v] is { } c && _sat.IsTrue(v)) yield return c;
    }

    /// <summary>The candidates true in a model kept from an earlier search, in variable order.</summary>
    public IEnumerable<TCandidate> InstalledIn(bool[] model)
    {
        for (var v = 1; v < _byVariable.Count && v < model.Length; v++)
            if (_byVariable[v] is { } c && model[v]) yield return c;
    }

    private void AddRequirement(Requirement requirement)
    {
        if (_requirementCount == _requirements.Length) Array.Resize(ref _requirements, _requirements.Length * 2);
        _requirements[_requirementCount++] = requirement;
    }

    private int Tag(ClauseOrigin origin)
    {
        _origins.Add(origin);
        return _origins.Count - 1;
    }

    /// <summary>Adds the clauses of a candidate that just became true for the first time.</summary>
    void ISatHooks.Expand(int variable)
    {
        if (CandidateOf(variable) is not { } candidate) return;
        _dependencies.Clear();
        _provider.GetDependencies(candidate, _dependencies);
        // Loading a name (through Matches) never calls back into Expand, so the shared buffer stays intact.
        for (var d = 0; d < _dependencies.Count; d++)
        {
            var dependency = _dependencies[d];
            switch (dependency.Kind)
            {
                case DependencyKind.Unreadable:
                    _sat.AddClause(new[] { -variable }, Tag(new ClauseOrigin(ClauseKind.BadDependency, variable, null, dependency.Text)));
                    break;
                case DependencyKind.Requires:
                {
                    var spec = dependency.Spec!;
                    var matches = Matches(spec);
                    AddRequirement(new Requirement(variable, spec, matches));
                    var clause = new int[matches.Variables.Length + 1];
                    clause[0] = -variable;
                    matches.Variables.CopyTo(clause, 1);
                    _sat.AddClause(clause, Tag(new ClauseOrigin(ClauseKind.Depends, variable, spec, dependency.Text)));
                    break;
                }
                case DependencyKind.Constrains:
                {
                    var spec = dependency.Spec!;
                    var name = _provider.NameOf(spec);
                    if (_names.ContainsKey(name)) AddConstrains(variable, spec);
                    else
                    {
                        // Nothing of that name can be installed until something loads it; then the clauses are added.
                        if (!_pendingConstrains.TryGetValue(name, out var list)) _pendingConstrains[name] = list = new();
                        list.Add((variable, spec));
                    }
                    break;
                }
            }
        }
    }

    private void AddConstrains(int variable, TSpec spec)
    {
        var allowed = new HashSet<int>(Matching(spec));
        var entry = _names[_provider.NameOf(spec)];
        var tag = -1;
        for (var i = 0; i < entry.Candidates.Length; i++)
        {
            var other = entry.FirstVariable + i;
            if (allowed.Contains(other) || other == variable) continue;
            if (tag < 0) tag = Tag(new ClauseOrigin(ClauseKind.Constrains, variable, spec, _provider.TextOf(spec)));
            _sat.AddClause(new[] { -variable, -other }, tag);
        }
    }

    /// <summary>
    /// The first active requirement no true candidate satisfies; the provider picks among its open candidates.
    /// 0 when every active requirement is satisfied: all unassigned candidates can then be false.
    /// </summary>
    int ISatHooks.Decide()
    {
        var requirements = _requirements;
        for (var r = 0; r < _requirementCount; r++)
        {
            var req = requirements[r];
            if (req.Trigger != 0 && !_sat.IsTrue(req.Trigger)) continue;
            if (req.SatisfiedBy != 0 && _sat.IsTrue(req.SatisfiedBy)) continue;
            var vars = req.Variables;
            var first = -1;
            var satisfied = false;
            for (var i = 0; i < vars.Length; i++)
            {
                var v = vars[i];
                if (_sat.IsTrue(v)) { req.SatisfiedBy = v; satisfied = true; break; }
                if (first < 0 && _sat.IsUnassigned(v)) first = i;
            }
            if (satisfied || first < 0) continue;
            if (!_providerChooses) return vars[first];
            // Only a provider with an order of its own pays for listing the open candidates.
            if (_open.Length < vars.Length) _open = new int[Math.Max(vars.Length, _open.Length * 2)];
            var open = 0;
            for (var i = first; i < vars.Length; i++)
                if (_sat.IsUnassigned(vars[i])) _open[open++] = i;
            var pick = _provider.ChooseCandidate(req.Spec, req.Matches.Candidates(_byVariable), _open.AsSpan(0, open));
            if ((uint)pick >= (uint)vars.Length || !_sat.IsUnassigned(vars[pick]))
                throw new InvalidOperationException($"the decision hook chose candidate {pick}, which is not open");
            return vars[pick];
        }
        return 0;
    }

    /// <summary>
    /// After an unsatisfiable <see cref="Solve"/>: the clauses of the unsatisfiable core as a graph — the requested
    /// specs involved, the candidates they reach through requirements, what excludes them (constrains, one version
    /// per name, unreadable dependencies) and the specs nothing satisfies.
    /// </summary>
    public ConflictGraph BuildConflictGraph()
    {
        var core = _sat.UnsatCore();
        var nodes = new List<ConflictNode> { null! };
        var nodeOfVariable = new Dictionary<int, int>();
        var missingNodes = new Dictionary<string, int>(StringComparer.Ordinal);
        var edges = new List<ConflictEdge>();
        var seen = new HashSet<ConflictEdge>();

        int CandidateNode(int variable)
        {
            if (nodeOfVariable.TryGetValue(variable, out var id)) return id;
            id = nodes.Count;
            nodes.Add(_provider.DescribeCandidate(id, _byVariable[variable]!));
            nodeOfVariable[variable] = id;
            return id;
        }

        int MissingNode(string key, Func<int, ConflictMissingNode> create)
        {
            if (missingNodes.TryGetValue(key, out var id)) return id;
            id = nodes.Count;
            nodes.Add(create(id));
            missingNodes[key] = id;
            return id;
        }

        void Edge(int from, int to, ConflictEdgeKind kind, string? spec)
        {
            var edge = new ConflictEdge(from, to, kind, spec);
            if (seen.Add(edge)) edges.Add(edge);
        }

        void Requires(int from, TSpec spec, string text)
        {
            var vars = Matching(spec);
            if (vars.Length == 0) Edge(from, MissingNode("spec:" + text, id => _provider.DescribeMissing(id, spec)), ConflictEdgeKind.Requires, text);
            foreach (var v in vars) Edge(from, CandidateNode(v), ConflictEdgeKind.Requires, text);
        }

        // The request first, in request order, so the root's edges lead the list.
        var requested = new SortedDictionary<int, (ConflictRequest Request, TSpec Spec)>();
        foreach (var id in core)
        {
            var tag = _sat.TagOf(id);
            if (tag >= 0 && tag < _origins.Count && _origins[tag] is { Kind: ClauseKind.Requested } origin) requested[origin.Request!.Index] = (origin.Request, origin.Spec!);
        }
        foreach (var (request, spec) in requested.Values) Requires(0, spec, request.Spec);

        foreach (var id in core)
        {
            var tag = _sat.TagOf(id);
            if (tag < 0 || tag >= _origins.Count) continue; // a caller's own clause: not part of the package problem
            var origin = _origins[tag];
            var literals = _sat.LiteralsOf(id);
            switch (origin.Kind)
            {
                case ClauseKind.Depends:
                    Requires(CandidateNode(origin.Variable), origin.Spec!, origin.Text);
                    break;
                case ClauseKind.Constrains:
                {
                    var excluded = literals.Select(Math.Abs).First(v => v != origin.Variable);
                    Edge(CandidateNode(origin.Variable), CandidateNode(excluded), ConflictEdgeKind.Constrains, origin.Text);
                    break;
                }
                case ClauseKind.OneVersion:
                {
                    var a = Math.Min(Math.Abs(literals[0]), Math.Abs(literals[1]));
                    var b = Math.Max(Math.Abs(literals[0]), Math.Abs(literals[1]));
                    Edge(CandidateNode(a), CandidateNode(b), ConflictEdgeKind.SameName, null);
                    break;
                }
                case ClauseKind.BadDependency:
                    Edge(CandidateNode(origin.Variable),
                        MissingNode("text:" + origin.Text, nid => new ConflictMissingNode(nid, "", origin.Text, ConflictMissingReason.UnreadableSpec, Array.Empty<string>(), 0)),
                        ConflictEdgeKind.Unreadable, origin.Text);
                    break;
            }
        }
        nodes[0] = new ConflictRootNode(0, requested.Values.Select(r => r.Request).ToList());
        return new ConflictGraph(nodes, edges);
    }
}
