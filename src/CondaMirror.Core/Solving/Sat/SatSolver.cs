namespace CondaMirror.Core.Solving.Sat;

/// <summary>
/// What the CDCL engine asks of the problem encoder. The encoder grows the formula while the search runs:
/// <see cref="Expand"/> is called once for every variable the first time it becomes true (the place to add its
/// dependency clauses), and <see cref="Decide"/> picks the next decision literal, or 0 when nothing is left to
/// decide. Returning 0 is a promise that every clause holds when all unassigned variables are false (true of the
/// package encoding: requirements are satisfied and the rest are negative or implications), so the engine stops there.
/// </summary>
internal interface ISatHooks
{
    void Expand(int variable);
    int Decide();
}

/// <summary>
/// A conflict-driven clause-learning SAT engine for growing formulas: two watched literals, native
/// at-most-one groups (one per package name, so thousands of builds never become quadratic clause sets),
/// first-UIP learning with non-chronological backjumping, and clauses that may be added in the middle of the
/// search (they are installed at the decision level where they become unit or conflicting, which keeps the
/// watch invariants intact). Every learned clause remembers the clauses it was resolved from, so an
/// unsatisfiable result yields an unsatisfiable core in terms of the encoder's original clauses.
/// Knows nothing of packages: the encoder talks to it through variables, tagged clauses and <see cref="ISatHooks"/>.
/// Incremental: clauses may be added after a solve, and <see cref="Solve(ISatHooks, IReadOnlyList{int}, CancellationToken)"/>
/// may be called again, under assumptions (literals decided first, one per level, as in MiniSat), keeping every
/// learned clause; <see cref="Model"/> reports the assignment of the last satisfiable run.
/// Literals are DIMACS-style: +v means variable v is true, -v false; variables start at 1.
/// </summary>
internal sealed class SatSolver
{
    public const int NoTag = -1;

    // Per variable (index 0 unused).
    private sbyte[] _value = new sbyte[64];
    private int[] _level = new int[64];
    private int[] _reason = new int[64];      // clause id, or -1 for a decision / unassigned
    private int[] _amoReason = new int[64];   // the true group member that forced this variable false (0 = none)
    private int[] _group = new int[64];       // at-most-one group id + 1 (0 = none)
    private bool[] _expanded = new bool[64];
    private bool[] _seen = new bool[64];
    private int[] _trailPos = new int[64];    // position on the trail while assigned (pseudo-boolean explanations)
    private int[] _pbReason = new int[64];    // pseudo-boolean constraint id + 1 that forced this variable false (0 = none)
    private List<(int Constraint, long Weight)>?[] _pbTerms = new List<(int, long)>?[64]; // constraints a variable is a term of
    private List<int>[] _watches = new List<int>[128]; // by literal index

    private readonly List<int[]> _clauses = new();
    private readonly List<int> _tags = new();
    private readonly List<int[]?> _antecedents = new();
    private readonly List<int[]> _groups = new();
    private readonly List<int> _groupTags = new();

    private readonly List<PseudoBoolean> _pbs = new();
    private readonly List<int> _pbDirty = new();

    private readonly List<int> _trail = new();
    private readonly List<int> _trailLimits = new();
    private readonly Queue<(int[] Literals, int Tag)> _pendingClauses = new();
    private int _propagateHead;
    private int _expandHead;
    private int _finalConflict = -1;
    private int[] _failedAssumptions = Array.Empty<int>();

    public int VariableCount { get; private set; }
    public int ClauseCount => _clauses.Count;
    public long Decisions { get; private set; }
    public long Conflicts { get; private set; }
    public long Propagations { get; private set; }
    public int LearnedClauses { get; private set; }
    private int DecisionLevel => _trailLimits.Count;

    public int NewVariable()
    {
        var v = ++VariableCount;
        if (v >= _value.Length)
        {
            var size = _value.Length * 2;
            Array.Resize(ref _value, size);
            Array.Resize(ref _level, size);
            Array.Resize(ref _reason, size);
            Array.Resize(ref _amoReason, size);
            Array.Resize(ref _group, size);
            Array.Resize(ref _expanded, size);
            Array.Resize(ref _seen, size);
            Array.Resize(ref _trailPos, size);
            Array.Resize(ref _pbReason, size);
            Array.Resize(ref _pbTerms, size);
            Array.Resize(ref _watches, size * 2);
        }
        _reason[v] = -1;
        return v;
    }

    /// <summary>Declares that at most one of these (fresh, unassigned) variables may be true.</summary>
    public void AddAtMostOne(int[] variables, int tag)
    {
        if (variables.Length < 2) return;
        _groups.Add(variables);
        _groupTags.Add(tag);
        foreach (var v in variables)
        {
            if (_group[v] != 0) throw new InvalidOperationException($"variable {v} is already in an at-most-one group");
            _group[v] = _groups.Count;
        }
    }

    /// <summary>
    /// Adds the pseudo-boolean constraint "the weights of the true terms sum to at most <paramref name="bound"/>",
    /// enforced only while <paramref name="selector"/> is true (0: always). Terms are positive variables, added with
    /// <see cref="AddPbTerm"/>, also during a search. Propagation is native (a term whose weight exceeds the slack is
    /// set false) and explanations are clauses built on demand, so learning and cores work as for clauses. Used for
    /// optimisation: a selector lets a search try a bound under an assumption and drop it when that fails.
    /// </summary>
    public int AddPseudoBoolean(long bound, int selector)
    {
        var id = _pbs.Count;
        _pbs.Add(new PseudoBoolean(bound, selector));
        if (selector != 0) AddPbOccurrence(selector, id, 0); // becoming true triggers a check
        MarkPbDirty(id);
        return id;
    }

    /// <summary>Adds a term (a variable not yet in this constraint) with a positive weight.</summary>
    public void AddPbTerm(int constraint, int variable, long weight)
    {
        if (variable <= 0 || weight <= 0) throw new ArgumentOutOfRangeException(nameof(weight), "terms are variables with positive weights");
        var pb = _pbs[constraint];
        if (pb.Retired) return;
        pb.Add(variable, weight);
        AddPbOccurrence(variable, constraint, weight);
        if (_value[variable] > 0) pb.TrueSum += weight;
        MarkPbDirty(constraint);
    }

    /// <summary>Lowers a constraint's bound (never raises it: what was learned under the old bound stays valid).</summary>
    public void TightenPseudoBoolean(int constraint, long bound)
    {
        var pb = _pbs[constraint];
        if (bound > pb.Bound) throw new ArgumentOutOfRangeException(nameof(bound), "a bound can only be lowered");
        pb.Bound = bound;
        MarkPbDirty(constraint);
    }

    /// <summary>Switches a selector-guarded constraint off for good (its selector becomes false).</summary>
    public void RetirePseudoBoolean(int constraint)
    {
        var pb = _pbs[constraint];
        if (pb.Selector == 0) throw new InvalidOperationException("only a constraint with a selector can be retired");
        pb.Retired = true;
        AddClause(new[] { -pb.Selector }, NoTag);
    }

    public int PseudoBooleanCount => _pbs.Count;

    private void AddPbOccurrence(int variable, int constraint, long weight) =>
        (_pbTerms[variable] ??= new List<(int, long)>(2)).Add((constraint, weight));

    private void MarkPbDirty(int constraint)
    {
        var pb = _pbs[constraint];
        if (pb.Dirty) return;
        pb.Dirty = true;
        _pbDirty.Add(constraint);
    }

    /// <summary>Conflict (a clause id) when the true terms exceed the bound, else sets false every open term that would.</summary>
    private int CheckPb(int constraint)
    {
        var pb = _pbs[constraint];
        if (pb.Retired || (pb.Selector != 0 && _value[pb.Selector] <= 0)) return -1;
        var slack = pb.Bound - pb.TrueSum;
        if (slack < 0) return Store(pb.Explain(this, 0, int.MaxValue), NoTag, null);
        pb.Sort();
        var vars = pb.Variables;
        var weights = pb.Weights;
        for (var i = 0; i < pb.Count && weights[i] > slack; i++)
        {
            var v = vars[i];
            if (_value[v] != 0) continue;
            Assign(-v, -1);
            _pbReason[v] = constraint + 1;
        }
        return -1;
    }

    /// <summary>A pseudo-boolean at-most constraint; terms kept heaviest first so a check stops at the slack.</summary>
    private sealed class PseudoBoolean
    {
        public PseudoBoolean(long bound, int selector)
        {
            Bound = bound;
            Selector = selector;
        }

        public long Bound { get; set; }
        public int Selector { get; }
        public long TrueSum { get; set; }
        public bool Dirty { get; set; }
        public bool Retired { get; set; }
        public int Count { get; private set; }
        public int[] Variables { get; private set; } = new int[8];
        public long[] Weights { get; private set; } = new long[8];
        private bool _sorted = true;

        public void Add(int variable, long weight)
        {
            if (Count == Variables.Length)
            {
                var variables = Variables;
                var weights = Weights;
                Array.Resize(ref variables, Count * 2);
                Array.Resize(ref weights, Count * 2);
                Variables = variables;
                Weights = weights;
            }
            if (Count > 0 && Weights[Count - 1] < weight) _sorted = false;
            Variables[Count] = variable;
            Weights[Count] = weight;
            Count++;
        }

        public void Sort()
        {
            if (_sorted) return;
            // Heaviest first; ties by variable so the order never depends on when a term arrived.
            var keys = new (long W, int V)[Count];
            for (var i = 0; i < Count; i++) keys[i] = (-Weights[i], Variables[i]);
            Array.Sort(keys);
            for (var i = 0; i < Count; i++) { Weights[i] = -keys[i].W; Variables[i] = keys[i].V; }
            _sorted = true;
        }

        /// <summary>
        /// The clause behind a propagation (of <paramref name="propagated"/>, a negative literal) or a conflict (0):
        /// not the selector, or not one of the terms true before <paramref name="before"/>. Only the heaviest true
        /// terms that already exceed the bound are named: shorter reasons make the learned clauses stronger, which
        /// is what proving an optimum costs.
        /// </summary>
        public int[] Explain(SatSolver sat, int propagated, int before)
        {
            var lits = new List<int>();
            long needed = Bound + 1; // the named terms must sum to more than the bound
            if (propagated != 0)
            {
                lits.Add(propagated);
                for (var i = 0; i < Count; i++)
                    if (Variables[i] == -propagated) { needed -= Weights[i]; break; }
            }
            if (Selector != 0) lits.Add(-Selector);
            Sort();
            long sum = 0;
            for (var i = 0; i < Count && sum < needed; i++)
            {
                var v = Variables[i];
                if (sat._value[v] > 0 && sat._trailPos[v] < before)
                {
                    lits.Add(-v);
                    sum += Weights[i];
                }
            }
            return lits.ToArray();
        }
    }


    /// <summary>Queues a clause; it is installed at the next safe point of the search.</summary>
    public void AddClause(int[] literals, int tag) => _pendingClauses.Enqueue((literals, tag));

    public bool IsTrue(int variable) => _value[variable] > 0;
    public bool IsFalse(int variable) => _value[variable] < 0;
    public bool IsUnassigned(int variable) => _value[variable] == 0;

    public int TagOf(int clauseId) => _tags[clauseId];
    public IReadOnlyList<int> LiteralsOf(int clauseId) => _clauses[clauseId];

    /// <summary>Runs the search. True: a model is in place (read it with <see cref="IsTrue"/>). False: unsatisfiable.</summary>
    public bool Solve(ISatHooks hooks, CancellationToken ct) => Solve(hooks, Array.Empty<int>(), ct);

    /// <summary>
    /// Runs the search with the assumption literals taken as decisions before any the hooks make. True: a model
    /// that satisfies them is in place. False: either the formula is unsatisfiable (<see cref="UnsatCore"/> is
    /// non-empty) or it is under these assumptions (<see cref="FailedAssumptions"/> names the ones to blame).
    /// Starts again from level 0, so it may follow an earlier solve and clauses added since.
    /// </summary>
    public bool Solve(ISatHooks hooks, IReadOnlyList<int> assumptions, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        _failedAssumptions = Array.Empty<int>();
        Backtrack(0);
        var assumptionCount = assumptions.Count; // read once: the loop below runs once per step of the search
        var iterations = 0;
        while (true)
        {
            if ((++iterations & 255) == 0) ct.ThrowIfCancellationRequested();
            if (_finalConflict >= 0) return false;

            var conflict = -1;
            while (conflict < 0 && _pendingClauses.Count > 0)
            {
                var (lits, tag) = _pendingClauses.Dequeue();
                conflict = Install(lits, tag);
            }
            if (conflict < 0) conflict = Propagate();
            if (conflict >= 0)
            {
                Conflicts++;
                if (DecisionLevel == 0) { _finalConflict = conflict; return false; }
                Learn(conflict);
                continue;
            }

            if (_expandHead < _trail.Count)
            {
                while (_expandHead < _trail.Count && _pendingClauses.Count == 0)
                {
                    var lit = _trail[_expandHead++];
                    if (lit > 0 && !_expanded[lit])
                    {
                        _expanded[lit] = true;
                        hooks.Expand(lit);
                    }
                }
                continue;
            }
            if (_pendingClauses.Count > 0) continue;

            if (DecisionLevel < assumptionCount)
            {
                var assumption = assumptions[DecisionLevel];
                var value = ValueOf(assumption);
                if (value < 0)
                {
                    _failedAssumptions = AnalyzeFinal(assumption);
                    return false;
                }
                // One level per assumption, even when it already holds, so level k+1 always means assumption k.
                _trailLimits.Add(_trail.Count);
                if (value == 0) Assign(assumption, -1);
                continue;
            }

            var decision = hooks.Decide();
            if (decision == 0)
            {
                if (_pendingClauses.Count > 0) continue; // the hook added clauses instead of deciding
                return true;
            }
            if (_value[Math.Abs(decision)] != 0) throw new InvalidOperationException("decision on an assigned variable");
            Decisions++;
            _trailLimits.Add(_trail.Count);
            Assign(decision, -1);
        }
    }

    /// <summary>After a false result under assumptions: the assumptions that together force the failure.</summary>
    public IReadOnlyList<int> FailedAssumptions => _failedAssumptions;

    /// <summary>The assignment of the last satisfiable run: index v holds whether variable v is true (index 0 unused).</summary>
    public bool[] Model()
    {
        var model = new bool[VariableCount + 1];
        for (var v = 1; v <= VariableCount; v++) model[v] = _value[v] > 0;
        return model;
    }

    /// <summary>
    /// After an unsatisfiable result: the ids of original (not learned) clauses that together are contradictory,
    /// including at-most-one pairs (tagged with their group's tag). Sorted, for deterministic explanations.
    /// </summary>
    public IReadOnlyList<int> UnsatCore()
    {
        if (_finalConflict < 0) return Array.Empty<int>();
        var inCore = new HashSet<int>();
        var core = new List<int>();
        var work = new Stack<int>();
        work.Push(_finalConflict);
        while (work.Count > 0)
        {
            var id = work.Pop();
            if (!inCore.Add(id)) continue;
            var antecedents = _antecedents[id];
            if (antecedents is null) core.Add(id);
            else foreach (var a in antecedents) work.Push(a);
            // Literals false at level 0 were resolved away using their reasons, which belong to the proof too.
            foreach (var lit in _clauses[id])
            {
                var v = Math.Abs(lit);
                if (_value[v] != 0 && _level[v] == 0 && ValueOf(lit) < 0 && (_reason[v] >= 0 || _amoReason[v] != 0 || _pbReason[v] != 0))
                    work.Push(ReasonClause(v));
            }
        }
        core.Sort();
        return core;
    }

    private int ValueOf(int lit) => lit > 0 ? _value[lit] : -_value[-lit];

    private static int Index(int lit) => lit > 0 ? lit * 2 : -lit * 2 + 1;

    private List<int> Watches(int lit) => _watches[Index(lit)] ??= new List<int>(4);

    private void Assign(int lit, int reason, int amoReason = 0)
    {
        var v = Math.Abs(lit);
        _value[v] = (sbyte)(lit > 0 ? 1 : -1);
        _level[v] = DecisionLevel;
        _reason[v] = reason;
        _amoReason[v] = amoReason;
        _trailPos[v] = _trail.Count;
        _trail.Add(lit);
        if (lit > 0 && _pbTerms[v] is { } terms)
            foreach (var (c, w) in terms) _pbs[c].TrueSum += w;
    }

    private void Backtrack(int level)
    {
        if (DecisionLevel <= level) return;
        var start = _trailLimits[level];
        for (var i = _trail.Count - 1; i >= start; i--)
        {
            var v = Math.Abs(_trail[i]);
            if (_value[v] > 0 && _pbTerms[v] is { } terms)
                foreach (var (c, w) in terms) _pbs[c].TrueSum -= w;
            _value[v] = 0;
            _reason[v] = -1;
            _amoReason[v] = 0;
            _pbReason[v] = 0;
        }
        _trail.RemoveRange(start, _trail.Count - start);
        _trailLimits.RemoveRange(level, _trailLimits.Count - level);
        _propagateHead = Math.Min(_propagateHead, _trail.Count);
        _expandHead = Math.Min(_expandHead, _trail.Count);
    }

    private int Store(int[] lits, int tag, int[]? antecedents)
    {
        _clauses.Add(lits);
        _tags.Add(tag);
        _antecedents.Add(antecedents);
        return _clauses.Count - 1;
    }

    /// <summary>
    /// Adds a clause under the current partial assignment. Returns a conflicting clause id, or -1.
    /// A clause that is unit or false under the assignment is installed at the level where that became true
    /// (backjumping there), exactly as if it had been present from the start.
    /// </summary>
    private int Install(int[] input, int tag)
    {
        var lits = Normalize(input);
        if (lits is null) return -1; // tautology
        var id = Store(lits, tag, null);
        if (lits.Length == 0) { Backtrack(0); return id; }
        if (lits.Length == 1)
        {
            var l = lits[0];
            var val = ValueOf(l);
            if (val > 0 && _level[Math.Abs(l)] == 0) return -1;
            if (val < 0 && _level[Math.Abs(l)] == 0) { Backtrack(0); return id; }
            Backtrack(0);
            Assign(l, id);
            return -1;
        }

        // Non-false literals first (true before unassigned), then false ones by decreasing level.
        Array.Sort(lits, (a, b) => Rank(a).CompareTo(Rank(b)));
        Watches(lits[0]).Add(id);
        Watches(lits[1]).Add(id);
        var v0 = ValueOf(lits[0]);
        if (ValueOf(lits[1]) >= 0) return -1;
        var maxFalseLevel = _level[Math.Abs(lits[1])];
        if (v0 > 0)
        {
            if (_level[Math.Abs(lits[0])] <= maxFalseLevel) return -1;
            Backtrack(maxFalseLevel);
            Assign(lits[0], id);
            return -1;
        }
        if (v0 == 0)
        {
            Backtrack(maxFalseLevel);
            Assign(lits[0], id);
            return -1;
        }
        var topLevel = _level[Math.Abs(lits[0])];
        if (topLevel > maxFalseLevel)
        {
            Backtrack(maxFalseLevel);
            Assign(lits[0], id);
            return -1;
        }
        Backtrack(topLevel);
        return id;
    }

    private long Rank(int lit)
    {
        var val = ValueOf(lit);
        var level = _level[Math.Abs(lit)];
        return val > 0 ? level : val == 0 ? int.MaxValue : 2L * int.MaxValue + (int.MaxValue - level);
    }

    private static int[]? Normalize(int[] input)
    {
        if (input.Length <= 8)
        {
            // Short clauses (most of them: dependencies of one candidate, objective links) without a set.
            var n = 0;
            var lits = new int[input.Length];
            foreach (var l in input)
            {
                if (l == 0) throw new ArgumentException("0 is not a literal");
                var duplicate = false;
                for (var k = 0; k < n; k++)
                {
                    if (lits[k] == -l) return null;
                    if (lits[k] == l) duplicate = true;
                }
                if (!duplicate) lits[n++] = l;
            }
            return n == lits.Length ? lits : lits.AsSpan(0, n).ToArray();
        }
        var set = new HashSet<int>();
        var list = new List<int>(input.Length);
        foreach (var l in input)
        {
            if (l == 0) throw new ArgumentException("0 is not a literal");
            if (set.Contains(-l)) return null;
            if (set.Add(l)) list.Add(l);
        }
        return list.ToArray();
    }

    /// <summary>Unit propagation over watched clauses and at-most-one groups. Returns a conflicting clause id or -1.</summary>
    private int Propagate()
    {
        while (_pbDirty.Count > 0)
        {
            var c = _pbDirty[^1];
            _pbDirty.RemoveAt(_pbDirty.Count - 1);
            _pbs[c].Dirty = false;
            var pbConflict = CheckPb(c);
            if (pbConflict >= 0) return pbConflict;
        }
        while (_propagateHead < _trail.Count)
        {
            var p = _trail[_propagateHead++];
            Propagations++;
            if (p > 0 && _pbTerms[p] is { } pbTerms)
            {
                foreach (var (c, _) in pbTerms)
                {
                    var pbConflict = CheckPb(c);
                    if (pbConflict >= 0) return pbConflict;
                }
            }
            if (p > 0 && _group[p] != 0)
            {
                foreach (var other in _groups[_group[p] - 1])
                {
                    if (other == p) continue;
                    var val = _value[other];
                    if (val > 0)
                        return Store(new[] { -p, -other }, _groupTags[_group[p] - 1], null);
                    if (val == 0) Assign(-other, -1, p);
                }
            }

            var falseLit = -p;
            var ws = _watches[Index(falseLit)];
            if (ws is null) continue;
            int i = 0, j = 0;
            while (i < ws.Count)
            {
                var cid = ws[i++];
                var c = _clauses[cid];
                if (c[0] == falseLit) { c[0] = c[1]; c[1] = falseLit; }
                if (ValueOf(c[0]) > 0) { ws[j++] = cid; continue; }
                var moved = false;
                for (var k = 2; k < c.Length; k++)
                {
                    if (ValueOf(c[k]) >= 0)
                    {
                        c[1] = c[k];
                        c[k] = falseLit;
                        Watches(c[1]).Add(cid);
                        moved = true;
                        break;
                    }
                }
                if (moved) continue;
                ws[j++] = cid;
                if (ValueOf(c[0]) < 0)
                {
                    while (i < ws.Count) ws[j++] = ws[i++];
                    ws.RemoveRange(j, ws.Count - j);
                    return cid;
                }
                Assign(c[0], cid);
            }
            ws.RemoveRange(j, ws.Count - j);
        }
        return -1;
    }

    /// <summary>The clause that forced variable v (at-most-one reasons are turned into binary clauses on demand).</summary>
    private int ReasonClause(int v)
    {
        if (_reason[v] >= 0) return _reason[v];
        if (_pbReason[v] != 0)
        {
            var pbId = Store(_pbs[_pbReason[v] - 1].Explain(this, -v, _trailPos[v]), NoTag, null);
            _reason[v] = pbId;
            return pbId;
        }
        var forcer = _amoReason[v];
        var id = Store(new[] { -v, -forcer }, _groupTags[_group[v] - 1], null);
        _reason[v] = id;
        return id;
    }

    /// <summary>
    /// The assumptions (decisions, all on levels below the current one) whose consequences make the given
    /// assumption false: walks the implication graph back from its negation. Includes the assumption itself.
    /// </summary>
    private int[] AnalyzeFinal(int failed)
    {
        var result = new List<int> { failed };
        var v0 = Math.Abs(failed);
        if (_level[v0] == 0) return result.ToArray(); // false without any assumption
        _seen[v0] = true;
        for (var i = _trail.Count - 1; i >= _trailLimits[0]; i--)
        {
            var v = Math.Abs(_trail[i]);
            if (!_seen[v]) continue;
            _seen[v] = false;
            if (_reason[v] < 0 && _amoReason[v] == 0 && _pbReason[v] == 0) { result.Add(_trail[i]); continue; }
            foreach (var q in _clauses[ReasonClause(v)])
            {
                var u = Math.Abs(q);
                if (u != v && _level[u] > 0) _seen[u] = true;
            }
        }
        return result.ToArray();
    }

    /// <summary>First-UIP conflict analysis, then backjump to the asserting level and assert the learned clause.</summary>
    private void Learn(int conflict)
    {
        var learned = new List<int> { 0 };
        var antecedents = new List<int>();
        var pending = 0;
        var resolvedOn = 0;
        var index = _trail.Count - 1;
        var clause = conflict;
        while (true)
        {
            antecedents.Add(clause);
            foreach (var q in _clauses[clause])
            {
                if (q == resolvedOn) continue;
                var v = Math.Abs(q);
                if (_seen[v] || _level[v] == 0) continue;
                _seen[v] = true;
                if (_level[v] == DecisionLevel) pending++;
                else learned.Add(q);
            }
            while (!_seen[Math.Abs(_trail[index])]) index--;
            resolvedOn = _trail[index--];
            _seen[Math.Abs(resolvedOn)] = false;
            if (--pending == 0) break;
            clause = ReasonClause(Math.Abs(resolvedOn));
        }
        learned[0] = -resolvedOn;
        for (var k = 1; k < learned.Count; k++) _seen[Math.Abs(learned[k])] = false;

        var backjumpLevel = 0;
        for (var k = 1; k < learned.Count; k++)
        {
            var level = _level[Math.Abs(learned[k])];
            if (level > backjumpLevel)
            {
                backjumpLevel = level;
                (learned[1], learned[k]) = (learned[k], learned[1]);
            }
        }
        Backtrack(backjumpLevel);
        var lits = learned.ToArray();
        var id = Store(lits, NoTag, antecedents.ToArray());
        LearnedClauses++;
        if (lits.Length > 1)
        {
            Watches(lits[0]).Add(id);
            Watches(lits[1]).Add(id);
        }
        Assign(lits[0], id);
    }
}
