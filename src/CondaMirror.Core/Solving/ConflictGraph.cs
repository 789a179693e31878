namespace CondaMirror.Core.Solving;

/// <summary>
/// Why a request has no solution, as a graph: built from the unsatisfiable core of the search, so every node and
/// edge is part of the reason. Node 0 is the request; the text of <see cref="SolveConflictException"/> is a
/// rendering of this graph, and callers may render or inspect it themselves. Immutable.
/// </summary>
public sealed class ConflictGraph
{
    private readonly ILookup<int, ConflictEdge> _outgoing;

    public ConflictGraph(IReadOnlyList<ConflictNode> nodes, IReadOnlyList<ConflictEdge> edges)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        ArgumentNullException.ThrowIfNull(edges);
        if (nodes.Count == 0 || nodes[0] is not ConflictRootNode) throw new ArgumentException("node 0 must be the request", nameof(nodes));
        for (var i = 0; i < nodes.Count; i++)
            if (nodes[i].Id != i) throw new ArgumentException($"node {i} has id {nodes[i].Id}", nameof(nodes));
        foreach (var e in edges)
            if (e.From < 0 || e.From >= nodes.Count || e.To < 0 || e.To >= nodes.Count)
                throw new ArgumentException($"edge {e} points outside the graph", nameof(edges));
        Nodes = Array.AsReadOnly(nodes.ToArray());
        Edges = Array.AsReadOnly(edges.ToArray());
        _outgoing = Edges.ToLookup(e => e.From);
    }

    /// <summary>Every node, by id; node 0 is the request.</summary>
    public IReadOnlyList<ConflictNode> Nodes { get; }

    /// <summary>Every edge, in a deterministic order (requests, then by source as the core names them).</summary>
    public IReadOnlyList<ConflictEdge> Edges { get; }

    public ConflictRootNode Root => (ConflictRootNode)Nodes[0];

    /// <summary>The edges leaving a node, in <see cref="Edges"/> order.</summary>
    public IEnumerable<ConflictEdge> Outgoing(ConflictNode node) => _outgoing[node.Id];

    /// <summary>Names on which requirements clash: candidates that exclude each other, or a constrains that applies.</summary>
    public IReadOnlyList<string> ClashingNames() =>
        Edges.Where(e => e.Kind is ConflictEdgeKind.SameName or ConflictEdgeKind.Constrains)
            .Select(e => Nodes[e.To].Name).Distinct().OrderBy(n => n, StringComparer.Ordinal).ToList();

    /// <summary>One line per node and edge, for logs and for tests that compare whole graphs.</summary>
    public override string ToString() =>
        string.Join("\n", Nodes.Select(n => $"[{n.Id}] {n}").Concat(Edges.Select(e => $"[{e.From}] -{Label(e)}-> [{e.To}]")));

    private static string Label(ConflictEdge e) => e.Spec is null ? e.Kind.ToString() : $"{e.Kind} {e.Spec}";
}

/// <summary>A node of a <see cref="ConflictGraph"/>; <see cref="Name"/> is the package name (empty for the request).</summary>
public abstract record ConflictNode(int Id, string Name);

/// <summary>The request; <see cref="Requests"/> are the requested specs that take part in the conflict, in request order.</summary>
public sealed record ConflictRootNode(int Id, IReadOnlyList<ConflictRequest> Requests) : ConflictNode(Id, "")
{
    public IReadOnlyList<ConflictRequest> Requests { get; } = Array.AsReadOnly(Requests.ToArray());

    public override string ToString() => "request: " + string.Join(", ", Requests.Select(r => r.Spec));
}

/// <summary>A requested spec; <see cref="Index"/> is its position in the request, <see cref="Origin"/> where it came from.</summary>
public sealed record ConflictRequest(int Index, string Spec, string Name, string? Origin);

/// <summary>A record the solver could have picked (or a virtual package of the target machine).</summary>
public sealed record ConflictCandidateNode(int Id, string Name, string Version, string Build, string Subdir, string FileName,
    string? Channel, bool IsVirtual) : ConflictNode(Id, Name)
{
    public override string ToString() => $"{Name} {Version} {Build}" + (IsVirtual ? " (virtual)" : "");
}

/// <summary>Why a spec has no candidate.</summary>
public enum ConflictMissingReason
{
    /// <summary>No channel has the name (or strict channel priority and unreadable versions left nothing).</summary>
    NotInChannels,

    /// <summary>A virtual package (<c>__name</c>) the target machine does not provide.</summary>
    VirtualPackageNotProvided,

    /// <summary>The name exists, but no version matches the spec.</summary>
    NoMatchingVersion,

    /// <summary>The dependency string does not parse as a spec.</summary>
    UnreadableSpec,

    /// <summary>The channels have the name, but the package policy (CondaExclude, CondaAllowLicense) removed every record.</summary>
    ExcludedByPolicy,
}

/// <summary>
/// A spec nothing can satisfy. <see cref="AvailableVersions"/>: the versions the channels have (after channel
/// priority; only for <see cref="ConflictMissingReason.NoMatchingVersion"/>); <see cref="IgnoredByChannelPriority"/>:
/// records of the name in lower-priority channels, which strict priority excludes.
/// </summary>
public sealed record ConflictMissingNode(int Id, string Name, string Spec, ConflictMissingReason Reason,
    IReadOnlyList<string> AvailableVersions, int IgnoredByChannelPriority) : ConflictNode(Id, Name)
{
    public IReadOnlyList<string> AvailableVersions { get; } = Array.AsReadOnly(AvailableVersions.ToArray());

    /// <summary>Records of the name the package policy removed, each with the rule ("pkg 1.2 b_0 excluded by CondaExclude 'gpl-*' (license GPL-3.0)").</summary>
    public IReadOnlyList<string> ExcludedByPolicy { get; init; } = [];

    /// <summary>" (2 excluded by the package policy: …)" for error texts, or "".</summary>
    public string PolicyNote() => ExcludedByPolicy.Count == 0 ? ""
        : $" ({ExcludedByPolicy.Count} excluded by the package policy: {string.Join("; ", ExcludedByPolicy.Take(3))}{(ExcludedByPolicy.Count > 3 ? $"; and {ExcludedByPolicy.Count - 3} more" : "")})";

    public override string ToString() => $"missing: {Spec} ({Reason}" + (IgnoredByChannelPriority > 0 ? $", {IgnoredByChannelPriority} ignored by channel priority)" : ")");
}

public enum ConflictEdgeKind
{
    /// <summary>From the request or a candidate to each candidate of a spec it requires (or to the missing spec).</summary>
    Requires,

    /// <summary>From a candidate to a candidate its constrains (spec) excludes.</summary>
    Constrains,

    /// <summary>Between two candidates of one name: only one version of a name can be installed.</summary>
    SameName,

    /// <summary>From a candidate to a depends/constrains string that does not parse (the candidate cannot be installed).</summary>
    Unreadable,
}

/// <summary>An edge; <see cref="Spec"/> is the spec as written (null for <see cref="ConflictEdgeKind.SameName"/>).</summary>
public sealed record ConflictEdge(int From, int To, ConflictEdgeKind Kind, string? Spec);
