using System.Text;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Versions;

namespace CondaMirror.Core.Solving;

/// <summary>
/// Renders a <see cref="ConflictGraph"/> as the small tree users read: from each requested spec, through the
/// requirements that matter, down to what cannot be had (a name no channel has, a spec no version matches) or to
/// the names where requirements clash ("numpy: pandas 2.2.2 requires numpy >=1.26, but scikit-learn 1.0.2
/// requires numpy &lt;1.25"). Candidates of one spec that fail for the same reason collapse into one line.
/// </summary>
internal sealed class ConflictRenderer
{
    private const int MaxDepth = 8;
    private const int MaxGroupsPerNode = 4;

    private readonly ConflictGraph _graph;
    private readonly HashSet<string> _clashingNames;
    private readonly Dictionary<string, List<ConflictNode>> _targetsOfSpec = new(StringComparer.Ordinal);
    private readonly HashSet<string> _expandedSpecs = new(StringComparer.Ordinal);
    private readonly List<string> _lines = new();

    private ConflictRenderer(ConflictGraph graph)
    {
        _graph = graph;
        _clashingNames = new HashSet<string>(graph.ClashingNames(), StringComparer.Ordinal);
        // Every source of a spec reaches the same candidates (they depend on the spec only), so the first source's
        // edges, in order, are the spec's candidates best first.
        var firstSource = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var e in graph.Edges)
        {
            if (e.Kind != ConflictEdgeKind.Requires) continue;
            if (!firstSource.TryGetValue(e.Spec!, out var from)) firstSource[e.Spec!] = from = e.From;
            if (from != e.From) continue;
            if (!_targetsOfSpec.TryGetValue(e.Spec!, out var targets)) _targetsOfSpec[e.Spec!] = targets = new();
            targets.Add(graph.Nodes[e.To]);
        }
    }

    /// <summary>The conflict error (CMIR703) whose message and explanation are this graph's rendering.</summary>
    public static SolveConflictException ToException(ConflictGraph graph)
    {
        var renderer = new ConflictRenderer(graph);
        var lines = renderer.Render();
        var message = new StringBuilder();
        foreach (var line in lines) message.AppendLine(line);
        message.Append("Relax or remove one of the requested specs above, or add a channel that has the missing packages.");
        var origins = graph.Root.Requests.Select(r => r.Origin).OfType<string>().Distinct().ToList();
        return new SolveConflictException(ErrorCodes.SolverConflict, message.ToString(), lines,
            origins.Count == 0 ? null : string.Join(", ", origins), graph) { RequestIndexes = graph.Root.Requests.Select(r => r.Index).ToList() };
    }

    private IReadOnlyList<string> Render()
    {
        _lines.Add("The requested packages cannot be installed together:");
        foreach (var request in _graph.Root.Requests)
        {
            _lines.Add($"  {request.Spec}" + (request.Origin is null ? "" : $" (from {request.Origin})"));
            RenderCandidates(request.Spec, 2);
        }
        foreach (var name in _clashingNames.OrderBy(n => n, StringComparer.Ordinal)) RenderClash(name);
        return _lines.ToArray();
    }

    /// <summary>Lists the candidates of a requirement, grouped by why they fail.</summary>
    private void RenderCandidates(string spec, int depth)
    {
        var indent = new string(' ', depth * 2);
        if (!_expandedSpecs.Add(spec)) { _lines.Add($"{indent}└─ (explained above)"); return; }
        var candidates = _targetsOfSpec.GetValueOrDefault(spec)?.OfType<ConflictCandidateNode>().ToList() ?? new();
        var groups = new List<(string Reason, List<ConflictCandidateNode> Members, List<string> Children)>();
        foreach (var c in candidates)
        {
            var (reason, children) = Reasons(c);
            var g = groups.FindIndex(x => x.Reason == reason);
            if (g >= 0) groups[g].Members.Add(c);
            else groups.Add((reason, new List<ConflictCandidateNode> { c }, children));
        }
        foreach (var (reason, members, children) in groups.Take(MaxGroupsPerNode))
        {
            var who = $"{members[0].Name} {VersionSummary.Range(members.Select(Version))}";
            _lines.Add($"{indent}└─ {who} {reason}");
            if (depth >= MaxDepth) continue;
            foreach (var child in children) RenderCandidates(child, depth + 1);
        }
        if (groups.Count > MaxGroupsPerNode)
            _lines.Add($"{indent}└─ … and {groups.Sum(g => g.Members.Count) - groups.Take(MaxGroupsPerNode).Sum(g => g.Members.Count)} more {candidates[0].Name} builds, for similar reasons");
    }

    private static CondaVersion Version(ConflictCandidateNode c) => CondaVersion.Parse(c.Version);

    /// <summary>Why one candidate cannot be part of a solution, in words, plus the requirements to explain further.</summary>
    private (string Reason, List<string> Children) Reasons(ConflictCandidateNode c)
    {
        var parts = new List<string>();
        var children = new List<string>();
        var outgoing = _graph.Outgoing(c).ToList();
        var unreadable = outgoing.Where(e => e.Kind == ConflictEdgeKind.Unreadable).Select(e => e.Spec!).Distinct().ToList();
        if (unreadable.Count > 0)
            parts.Add("has a dependency conda cannot read: " + string.Join(", ", unreadable.Select(b => $"'{b}'")));
        var requires = outgoing.Where(e => e.Kind == ConflictEdgeKind.Requires).Select(e => e.Spec!).Distinct().OrderBy(s => s, StringComparer.Ordinal);
        foreach (var spec in requires)
        {
            var target = _targetsOfSpec[spec][0];
            if (target is ConflictMissingNode missing)
                parts.Add(missing.Reason switch
                {
                    ConflictMissingReason.VirtualPackageNotProvided => $"requires {spec}, a virtual package the target machine does not provide",
                    ConflictMissingReason.NoMatchingVersion =>
                        $"requires {spec}, but the channels have {missing.Name} {VersionSummary.Describe(missing.AvailableVersions.Select(CondaVersion.Parse))}{missing.PolicyNote()}",
                    ConflictMissingReason.ExcludedByPolicy => $"requires {spec}, but every {missing.Name} is excluded by the package policy{missing.PolicyNote()}",
                    _ => $"requires {spec}, which is not in any channel",
                });
            else
            {
                parts.Add($"requires {spec}");
                children.Add(spec);
            }
        }
        foreach (var spec in outgoing.Where(e => e.Kind == ConflictEdgeKind.Constrains).Select(e => e.Spec!).Distinct().OrderBy(s => s, StringComparer.Ordinal))
            parts.Add($"only allows {spec}");
        if (parts.Count == 0)
            parts.Add(_clashingNames.Contains(c.Name) ? $"clashes with another requirement on {c.Name} (see below)" : "cannot be installed");
        return (string.Join("; ", parts), children);
    }

    /// <summary>Where requirements on one name cannot all hold: who asks for what.</summary>
    private void RenderClash(string name)
    {
        var asks = new List<string>();
        foreach (var request in _graph.Root.Requests)
            if (request.Name == name) asks.Add($"the request asks for {request.Spec}" + (request.Origin is null ? "" : $" ({request.Origin})"));
        Collect(asks, ConflictEdgeKind.Requires, name, "requires");
        Collect(asks, ConflictEdgeKind.Constrains, name, "only allows");
        var distinct = asks.Distinct().ToList();
        if (distinct.Count < 2) return;
        _lines.Add($"  Conflict on {name}: only one {name} can be installed, but");
        foreach (var ask in distinct.Take(6)) _lines.Add($"    - {ask}");
        if (distinct.Count > 6) _lines.Add($"    - … and {distinct.Count - 6} more requirements on {name}");
    }

    /// <summary>"pandas 2.0.0 … 2.2.2 requires numpy >=1.26": candidates grouped by (name, spec) so builds collapse.</summary>
    private void Collect(List<string> asks, ConflictEdgeKind kind, string name, string verb)
    {
        var groups = new SortedDictionary<(string, string), List<ConflictCandidateNode>>(Comparer<(string, string)>.Create((a, b) =>
        {
            var c = string.CompareOrdinal(a.Item1, b.Item1);
            return c != 0 ? c : string.CompareOrdinal(a.Item2, b.Item2);
        }));
        foreach (var e in _graph.Edges)
        {
            if (e.Kind != kind || _graph.Nodes[e.From] is not ConflictCandidateNode source || _graph.Nodes[e.To].Name != name) continue;
            var key = (source.Name, e.Spec!);
            if (!groups.TryGetValue(key, out var list)) groups[key] = list = new();
            if (!list.Contains(source)) list.Add(source);
        }
        foreach (var ((recordName, specText), members) in groups)
            asks.Add($"{recordName} {VersionSummary.Range(members.Select(Version))} {verb} {specText}");
    }
}
