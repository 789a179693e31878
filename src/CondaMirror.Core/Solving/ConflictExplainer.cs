using System.Text;
using CondaMirror.Core.Errors;

namespace CondaMirror.Core.Solving;

/// <summary>
/// Turns the unsatisfiable core of a failed search into a small tree a user can read: from each requested spec
/// involved, through the dependencies that matter, down to what cannot be had (a name no channel has, a spec no
/// version matches) or to the names where requirements clash ("numpy: pandas 2.2.2 requires numpy >=1.26, but
/// scikit-learn 1.0.2 requires numpy <1.25"). Only clauses of the core appear, so every line is part of the reason.
/// </summary>
internal sealed class ConflictExplainer
{
    private const int MaxDepth = 8;
    private const int MaxGroupsPerNode = 4;

    private readonly SolveRun _run;
    private readonly HashSet<int> _coreVariables = new();
    private readonly List<int> _requested = new();
    private readonly Dictionary<int, List<SpecMatcher>> _depends = new();
    private readonly Dictionary<int, List<SpecMatcher>> _constrains = new();
    private readonly Dictionary<int, List<string>> _badDependencies = new();
    private readonly SortedSet<string> _clashingNames = new(StringComparer.Ordinal);
    private readonly HashSet<string> _expandedSpecs = new(StringComparer.Ordinal);
    private readonly List<string> _lines = new();

    public ConflictExplainer(SolveRun run, SatSolver sat)
    {
        _run = run;
        foreach (var id in sat.UnsatCore())
        {
            var tag = sat.TagOf(id);
            if (tag < 0) continue;
            foreach (var lit in sat.LiteralsOf(id)) _coreVariables.Add(Math.Abs(lit));
            var origin = run.Origins[tag];
            switch (origin.Kind)
            {
                case ClauseKind.Requested: if (!_requested.Contains(origin.RequestIndex)) _requested.Add(origin.RequestIndex); break;
                case ClauseKind.Depends: Add(_depends, origin.Record, origin.Spec!); break;
                case ClauseKind.Constrains: Add(_constrains, origin.Record, origin.Spec!); _clashingNames.Add(origin.Name); break;
                case ClauseKind.OneVersion: _clashingNames.Add(origin.Name); break;
                case ClauseKind.BadDependency:
                    if (!_badDependencies.TryGetValue(origin.Record, out var bad)) _badDependencies[origin.Record] = bad = new();
                    if (!bad.Contains(origin.Name)) bad.Add(origin.Name);
                    break;
            }
        }
        _requested.Sort();
    }

    private static void Add(Dictionary<int, List<SpecMatcher>> map, int record, SpecMatcher spec)
    {
        if (!map.TryGetValue(record, out var list)) map[record] = list = new();
        if (!list.Exists(s => s.Text == spec.Text)) list.Add(spec);
    }

    public SolveConflictException Explain()
    {
        var origins = new List<string>();
        _lines.Add("The requested packages cannot be installed together:");
        foreach (var index in _requested)
        {
            var (text, origin) = _run.Request.Specs[index];
            if (origin is not null) origins.Add(origin);
            var (spec, _) = _run.ParseSpec(text);
            _lines.Add($"  {text}" + (origin is null ? "" : $" (from {origin})"));
            RenderCandidates(spec!, 2);
        }
        foreach (var name in _clashingNames) RenderClash(name);

        var message = new StringBuilder();
        foreach (var line in _lines) message.AppendLine(line);
        message.Append("Relax or remove one of the requested specs above, or add a channel that has the missing packages.");
        return new SolveConflictException(ErrorCodes.SolverConflict, message.ToString(), _lines.ToArray(),
            origins.Count == 0 ? null : string.Join(", ", origins.Distinct()));
    }

    /// <summary>Lists the candidates of a requirement that the core involves, grouped by why they fail.</summary>
    private void RenderCandidates(SpecMatcher spec, int depth)
    {
        var indent = new string(' ', depth * 2);
        if (!_expandedSpecs.Add(spec.Text)) { _lines.Add($"{indent}└─ (explained above)"); return; }
        var candidates = _run.Matching(spec).Where(_coreVariables.Contains).Select(v => _run.Variables[v]!).ToList();
        var groups = new List<(string Reason, List<Candidate> Members, List<SpecMatcher> Children)>();
        foreach (var c in candidates)
        {
            var (reason, children) = Reasons(c);
            var g = groups.FindIndex(x => x.Reason == reason);
            if (g >= 0) groups[g].Members.Add(c);
            else groups.Add((reason, new List<Candidate> { c }, children));
        }
        foreach (var (reason, members, children) in groups.Take(MaxGroupsPerNode))
        {
            var who = $"{members[0].Name} {VersionSummary.Range(members.Select(m => m.Version))}";
            _lines.Add($"{indent}└─ {who} {reason}");
            if (depth >= MaxDepth) continue;
            foreach (var child in children) RenderCandidates(child, depth + 1);
        }
        if (groups.Count > MaxGroupsPerNode)
            _lines.Add($"{indent}└─ … and {groups.Sum(g => g.Members.Count) - groups.Take(MaxGroupsPerNode).Sum(g => g.Members.Count)} more {spec.Name} builds, for similar reasons");
    }

    /// <summary>Why one candidate cannot be part of a solution, in words, plus the dependencies to explain further.</summary>
    private (string Reason, List<SpecMatcher> Children) Reasons(Candidate c)
    {
        var parts = new List<string>();
        var children = new List<SpecMatcher>();
        if (_badDependencies.TryGetValue(c.Variable, out var bad))
            parts.Add("has a dependency conda cannot read: " + string.Join(", ", bad.Select(b => $"'{b}'")));
        if (_depends.TryGetValue(c.Variable, out var deps))
        {
            foreach (var spec in deps.OrderBy(s => s.Text, StringComparer.Ordinal))
            {
                var name = _run.Load(spec.Name);
                if (!name.Exists)
                    parts.Add(spec.Name.StartsWith("__", StringComparison.Ordinal)
                        ? $"requires {spec.Text}, a virtual package the target machine does not provide"
                        : $"requires {spec.Text}, which is not in any channel");
                else if (_run.Matching(spec).Length == 0)
                    parts.Add($"requires {spec.Text}, but the channels have {spec.Name} {VersionSummary.Describe(name.Candidates.Select(x => x.Version))}");
                else
                {
                    parts.Add($"requires {spec.Text}");
                    children.Add(spec);
                }
            }
        }
        if (_constrains.TryGetValue(c.Variable, out var cons))
            foreach (var spec in cons.OrderBy(s => s.Text, StringComparer.Ordinal))
                parts.Add($"only allows {spec.Text}");
        if (parts.Count == 0)
            parts.Add(_clashingNames.Contains(c.Name) ? $"clashes with another requirement on {c.Name} (see below)" : "cannot be installed");
        return (string.Join("; ", parts), children);
    }

    /// <summary>"pandas 2.0.0 … 2.2.2 requires numpy >=1.26": records grouped by (name, spec) so builds collapse.</summary>
    private void Collect(List<string> asks, Dictionary<int, List<SpecMatcher>> map, string name, string verb)
    {
        var groups = new SortedDictionary<(string, string), List<Candidate>>(Comparer<(string, string)>.Create((a, b) =>
        {
            var c = string.CompareOrdinal(a.Item1, b.Item1);
            return c != 0 ? c : string.CompareOrdinal(a.Item2, b.Item2);
        }));
        foreach (var (record, specs) in map)
            foreach (var spec in specs.Where(s => s.Name == name))
            {
                var c = _run.Variables[record]!;
                var key = (c.Name, spec.Text);
                if (!groups.TryGetValue(key, out var list)) groups[key] = list = new();
                list.Add(c);
            }
        foreach (var ((recordName, specText), members) in groups)
            asks.Add($"{recordName} {VersionSummary.Range(members.Select(m => m.Version))} {verb} {specText}");
    }

    /// <summary>Where requirements on one name cannot all hold: who asks for what.</summary>
    private void RenderClash(string name)
    {
        var asks = new List<string>();
        foreach (var index in _requested)
        {
            var (text, origin) = _run.Request.Specs[index];
            var (spec, _) = _run.ParseSpec(text);
            if (spec!.Name == name) asks.Add($"the request asks for {text}" + (origin is null ? "" : $" ({origin})"));
        }
        Collect(asks, _depends, name, "requires");
        Collect(asks, _constrains, name, "only allows");
        var distinct = asks.Distinct().ToList();
        if (distinct.Count < 2) return;
        _lines.Add($"  Conflict on {name}: only one {name} can be installed, but");
        foreach (var ask in distinct.Take(6)) _lines.Add($"    - {ask}");
        if (distinct.Count > 6) _lines.Add($"    - … and {distinct.Count - 6} more requirements on {name}");
    }
}
