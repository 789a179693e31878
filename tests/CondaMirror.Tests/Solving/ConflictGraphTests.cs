using CondaMirror.Core.Errors;
using CondaMirror.Core.Records;
using CondaMirror.Core.Solving;
using Xunit;

namespace CondaMirror.Tests.Solving;

/// <summary>
/// The conflict graph of known failure shapes, node by node and edge by edge, and the property that makes it an
/// explanation: the constraints its edges stand for are, on their own, unsatisfiable (checked by exhaustive search).
/// </summary>
public class ConflictGraphTests
{
    private static SolveConflictException Fails(InMemoryPackageSource source, params string[] specs) => Fails(source, specs, null);

    private static SolveConflictException Fails(InMemoryPackageSource source, string[] specs, IReadOnlyList<string>? channels,
        IReadOnlyList<VirtualPackage>? virtuals = null)
    {
        var request = new SolveRequest
        {
            Specs = specs.Select(s => (s, (string?)$"CondaPackage '{s}'")).ToList(),
            Platform = "linux-64",
            VirtualPackages = virtuals ?? VirtualPackages.DefaultsFor("linux-64"),
            ChannelPriority = channels ?? Array.Empty<string>(),
        };
        var ex = Assert.Throws<SolveConflictException>(() => new CondaSolver().Solve(request, source));
        Assert.NotNull(ex.Graph);
        return ex;
    }

    /// <summary>Nodes as "[id] text" and edges as "from -Kind spec-> to", with node texts instead of ids.</summary>
    private static (string[] Nodes, string[] Edges) Shape(ConflictGraph g) =>
        (g.Nodes.Select(n => n.ToString()).ToArray(),
         g.Edges.Select(e => $"{g.Nodes[e.From]} -{e.Kind}{(e.Spec is null ? "" : " " + e.Spec)}-> {g.Nodes[e.To]}").ToArray());

    private static void SameSet(IEnumerable<string> expected, IEnumerable<string> actual, ConflictGraph g)
    {
        var e = expected.OrderBy(x => x, StringComparer.Ordinal).ToList();
        var a = actual.OrderBy(x => x, StringComparer.Ordinal).ToList();
        Assert.True(e.SequenceEqual(a), $"expected:\n  {string.Join("\n  ", e)}\nactual:\n  {string.Join("\n  ", a)}\ngraph:\n{g}");
    }

    [Fact]
    public void TwoRequestsClashingOnADependency_NodesAndEdgesExactly()
    {
        var source = new InMemoryPackageSource()
            .Add("pandas", "2.2.0", depends: new[] { "numpy >=1.26" }).Add("pandas", "2.2.2", depends: new[] { "numpy >=1.26" })
            .Add("scikit-learn", "1.0", depends: new[] { "numpy <1.25" })
            .Add("numpy", "1.24").Add("numpy", "1.26").Add("numpy", "2.0");
        var ex = Fails(source, "pandas", "scikit-learn");
        Assert.Equal(ErrorCodes.SolverConflict, ex.Code);
        var g = ex.Graph!;

        Assert.Equal(new[]
        {
            new ConflictRequest(0, "pandas", "pandas", "CondaPackage 'pandas'"),
            new ConflictRequest(1, "scikit-learn", "scikit-learn", "CondaPackage 'scikit-learn'"),
        }, g.Root.Requests);
        var (nodes, edges) = Shape(g);
        SameSet(new[]
        {
            "request: pandas, scikit-learn",
            "pandas 2.2.2 0", "pandas 2.2.0 0", "scikit-learn 1.0 0",
            "numpy 2.0 0", "numpy 1.26 0", "numpy 1.24 0",
        }, nodes, g);
        SameSet(new[]
        {
            "request: pandas, scikit-learn -Requires pandas-> pandas 2.2.2 0",
            "request: pandas, scikit-learn -Requires pandas-> pandas 2.2.0 0",
            "request: pandas, scikit-learn -Requires scikit-learn-> scikit-learn 1.0 0",
            "pandas 2.2.2 0 -Requires numpy >=1.26-> numpy 2.0 0",
            "pandas 2.2.2 0 -Requires numpy >=1.26-> numpy 1.26 0",
            "pandas 2.2.0 0 -Requires numpy >=1.26-> numpy 2.0 0",
            "pandas 2.2.0 0 -Requires numpy >=1.26-> numpy 1.26 0",
            "scikit-learn 1.0 0 -Requires numpy <1.25-> numpy 1.24 0",
            "numpy 2.0 0 -SameName-> numpy 1.24 0",
            "numpy 1.26 0 -SameName-> numpy 1.24 0",
        }, edges, g);
        Assert.Equal(new[] { "numpy" }, g.ClashingNames());
        Assert.All(g.Nodes.OfType<ConflictCandidateNode>(), n =>
        {
            Assert.False(n.IsVirtual);
            Assert.Equal("linux-64", n.Subdir);
            Assert.Equal(InMemoryPackageSource.DefaultChannel, n.Channel);
            Assert.Equal($"{n.Name}-{n.Version}-{n.Build}.conda", n.FileName);
        });
        // The root's edges come first, in request order, each spec's candidates best first.
        Assert.Equal(new[] { "pandas 2.2.2 0", "pandas 2.2.0 0", "scikit-learn 1.0 0" },
            g.Outgoing(g.Root).Select(e => g.Nodes[e.To].ToString()));
        Assert.Equal(edges.Take(3), Shape(g).Edges.Take(3));
        AssertUnsatisfiable(g);
    }

    [Fact]
    public void MissingTransitiveDependencyEndsInANotInChannelsNode()
    {
        var source = new InMemoryPackageSource()
            .Add("r-base", "3.5.1", depends: new[] { "r-graphics" })
            .Add("r-graphics", "1.0", depends: new[] { "cairo >=1.14" })
            .Add("other", "1.0");
        var g = Fails(source, "r-base").Graph!;
        var (nodes, edges) = Shape(g);
        SameSet(new[] { "request: r-base", "r-base 3.5.1 0", "r-graphics 1.0 0", "missing: cairo >=1.14 (NotInChannels)" }, nodes, g);
        SameSet(new[]
        {
            "request: r-base -Requires r-base-> r-base 3.5.1 0",
            "r-base 3.5.1 0 -Requires r-graphics-> r-graphics 1.0 0",
            "r-graphics 1.0 0 -Requires cairo >=1.14-> missing: cairo >=1.14 (NotInChannels)",
        }, edges, g);
        var missing = Assert.Single(g.Nodes.OfType<ConflictMissingNode>());
        Assert.Equal(("cairo", ConflictMissingReason.NotInChannels), (missing.Name, missing.Reason));
        Assert.Empty(g.ClashingNames());
        AssertUnsatisfiable(g);
    }

    [Fact]
    public void VirtualPackageTheMachineLacksIsItsOwnReason()
    {
        var source = new InMemoryPackageSource()
            .Add("tool", "2.0", depends: new[] { "__glibc >=2.34" })
            .Add("tool", "1.5", depends: new[] { "__cuda >=11" });
        var g = Fails(source, "tool").Graph!;
        var (nodes, edges) = Shape(g);
        SameSet(new[]
        {
            "request: tool", "tool 2.0 0", "tool 1.5 0",
            "missing: __glibc >=2.34 (NoMatchingVersion)", "missing: __cuda >=11 (VirtualPackageNotProvided)",
        }, nodes, g);
        SameSet(new[]
        {
            "request: tool -Requires tool-> tool 2.0 0",
            "request: tool -Requires tool-> tool 1.5 0",
            "tool 2.0 0 -Requires __glibc >=2.34-> missing: __glibc >=2.34 (NoMatchingVersion)",
            "tool 1.5 0 -Requires __cuda >=11-> missing: __cuda >=11 (VirtualPackageNotProvided)",
        }, edges, g);
        var glibc = g.Nodes.OfType<ConflictMissingNode>().Single(n => n.Name == "__glibc");
        Assert.Equal(new[] { "2.28" }, glibc.AvailableVersions);
        AssertUnsatisfiable(g);
    }

    [Fact]
    public void ConstrainsEdgePointsAtTheExcludedCandidate()
    {
        var source = new InMemoryPackageSource()
            .Add("a", "1.0", constrains: new[] { "b <2" })
            .Add("b", "2.0").Add("b", "3.0");
        var ex = Fails(source, "a", "b >=2");
        var g = ex.Graph!;
        var (nodes, edges) = Shape(g);
        SameSet(new[] { "request: a, b >=2", "a 1.0 0", "b 3.0 0", "b 2.0 0" }, nodes, g);
        SameSet(new[]
        {
            "request: a, b >=2 -Requires a-> a 1.0 0",
            "request: a, b >=2 -Requires b >=2-> b 3.0 0",
            "request: a, b >=2 -Requires b >=2-> b 2.0 0",
            "a 1.0 0 -Constrains b <2-> b 3.0 0",
            "a 1.0 0 -Constrains b <2-> b 2.0 0",
        }, edges, g);
        Assert.Equal(new[] { "b" }, g.ClashingNames());
        Assert.Contains("a 1.0 only allows b <2", ex.Message);
        Assert.Contains("Conflict on b: only one b can be installed, but", ex.Message);
        AssertUnsatisfiable(g);
    }

    [Fact]
    public void UnreadableDependencyAndUnmatchedVersionAreMissingNodes()
    {
        var source = new InMemoryPackageSource()
            .Add("a", "2.0", depends: new[] { "b >=>1" })
            .Add("a", "1.0", depends: new[] { "b >=5" })
            .Add("b", "1.0").Add("b", "2.0");
        var ex = Fails(source, "a");
        var g = ex.Graph!;
        var (nodes, edges) = Shape(g);
        SameSet(new[] { "request: a", "a 2.0 0", "a 1.0 0", "missing: b >=>1 (UnreadableSpec)", "missing: b >=5 (NoMatchingVersion)" }, nodes, g);
        SameSet(new[]
        {
            "request: a -Requires a-> a 2.0 0",
            "request: a -Requires a-> a 1.0 0",
            "a 2.0 0 -Unreadable b >=>1-> missing: b >=>1 (UnreadableSpec)",
            "a 1.0 0 -Requires b >=5-> missing: b >=5 (NoMatchingVersion)",
        }, edges, g);
        Assert.Equal(new[] { "2.0", "1.0" }, g.Nodes.OfType<ConflictMissingNode>().Single(n => n.Spec == "b >=5").AvailableVersions);
        Assert.Contains("a 2.0 has a dependency conda cannot read: 'b >=>1'", ex.Message);
        Assert.Contains("a 1.0 requires b >=5, but the channels have b versions 1.0, 2.0", ex.Message);
        AssertUnsatisfiable(g);
    }

    [Fact]
    public void RequestWithoutAMatchingVersionHasAOneEdgeGraphThatCountsWhatPriorityIgnored()
    {
        const string high = "https://repo.example/high", low = "https://repo.example/low";
        var source = new InMemoryPackageSource()
            .Add("numpy", "1.0", channel: high).Add("numpy", "1.1", channel: high).Add("numpy", "2.0", channel: low);
        var ex = Fails(source, new[] { "numpy >=2" }, new[] { high, low });
        Assert.Equal(ErrorCodes.SolverNoMatchingVersion, ex.Code);
        var g = ex.Graph!;
        var missing = Assert.IsType<ConflictMissingNode>(g.Nodes[1]);
        Assert.Equal(2, g.Nodes.Count);
        Assert.Equal(new ConflictEdge(0, 1, ConflictEdgeKind.Requires, "numpy >=2"), Assert.Single(g.Edges));
        Assert.Equal((ConflictMissingReason.NoMatchingVersion, 1), (missing.Reason, missing.IgnoredByChannelPriority));
        Assert.Equal(new[] { "1.1", "1.0" }, missing.AvailableVersions);
        Assert.Contains("1 more records of numpy are in lower-priority channels", ex.Message);

        var unknown = Fails(new InMemoryPackageSource().Add("python", "3.10"), "pypy");
        Assert.Equal(ErrorCodes.SolverUnknownPackage, unknown.Code);
        Assert.Equal(ConflictMissingReason.NotInChannels, Assert.IsType<ConflictMissingNode>(unknown.Graph!.Nodes[1]).Reason);
    }

    [Fact]
    public void NestedClashKeepsBothChains()
    {
        var source = new InMemoryPackageSource()
            .Add("app", "1.0", depends: new[] { "lib-a", "lib-b" })
            .Add("lib-a", "1.0", depends: new[] { "numpy >=2" }).Add("lib-a", "1.1", depends: new[] { "numpy >=2.1" })
            .Add("lib-b", "3.0", depends: new[] { "numpy <2" })
            .Add("numpy", "1.26").Add("numpy", "2.0").Add("numpy", "2.1");
        var g = Fails(source, "app").Graph!;
        var (_, edges) = Shape(g);
        Assert.Contains("request: app -Requires app-> app 1.0 0", edges);
        Assert.Contains("app 1.0 0 -Requires lib-a-> lib-a 1.1 0", edges);
        Assert.Contains("app 1.0 0 -Requires lib-a-> lib-a 1.0 0", edges);
        Assert.Contains("app 1.0 0 -Requires lib-b-> lib-b 3.0 0", edges);
        Assert.Contains("lib-b 3.0 0 -Requires numpy <2-> numpy 1.26 0", edges);
        Assert.Contains("lib-a 1.1 0 -Requires numpy >=2.1-> numpy 2.1 0", edges);
        Assert.Equal(new[] { "numpy" }, g.ClashingNames());
        Assert.All(g.Edges.Where(e => e.Kind == ConflictEdgeKind.SameName), e => Assert.Equal("numpy", g.Nodes[e.From].Name));
        AssertUnsatisfiable(g);
    }

    /// <summary>On random channels, every conflict graph alone is unsatisfiable and renders to the exception's text.</summary>
    [Fact]
    public void EveryRandomConflictGraphIsAnUnsatisfiableExplanation()
    {
        var names = new[] { "a", "b", "c", "d", "e" };
        var rng = new Random(31337);
        var conflicts = 0;
        for (var round = 0; round < 300; round++)
        {
            var source = new InMemoryPackageSource();
            foreach (var name in names)
                for (var v = 1; v <= rng.Next(1, 4); v++)
                {
                    var depends = new List<string>();
                    var constrains = new List<string>();
                    foreach (var other in names.Where(n => n != name))
                    {
                        var roll = rng.Next(10);
                        if (roll == 0) depends.Add(other);
                        else if (roll == 1) depends.Add($"{other} >={rng.Next(1, 4)}");
                        else if (roll == 2) depends.Add($"{other} <{rng.Next(2, 4)}");
                        else if (roll == 3) constrains.Add($"{other} <{rng.Next(2, 4)}");
                    }
                    source.Add(name, $"{v}", depends: depends.ToArray(), constrains: constrains.ToArray());
                }
            var requested = names.Where(_ => rng.Next(3) == 0).DefaultIfEmpty("a").ToArray();
            var request = new SolveRequest { Specs = requested.Select(r => (r, (string?)null)).ToList(), Platform = "linux-64" };
            try { new CondaSolver().Solve(request, source); }
            catch (SolveConflictException e) when (e.Code == ErrorCodes.SolverConflict)
            {
                conflicts++;
                AssertUnsatisfiable(e.Graph!);
                Assert.Equal(e.Graph!.Root.Requests.Select(r => r.Spec), requested.Where(r => e.Graph.Root.Requests.Any(q => q.Spec == r)));
                Assert.All(e.Graph.Root.Requests, r => Assert.Contains($"  {r.Spec}", e.Explanation));
            }
        }
        Assert.True(conflicts > 30, $"conflicts={conflicts}");
    }

    /// <summary>
    /// Reads the graph back as constraints — a requested spec or a candidate's requirement needs one of its edge
    /// targets (none, when the target is missing), a constrains or same-name edge forbids both ends, an unreadable
    /// dependency forbids its candidate — and checks by trying every assignment that none satisfies them all.
    /// </summary>
    private static void AssertUnsatisfiable(ConflictGraph g)
    {
        var candidates = g.Nodes.OfType<ConflictCandidateNode>().Select(n => n.Id).ToList();
        Assert.True(candidates.Count <= 20, $"too many candidates for exhaustive search:\n{g}");
        var bit = candidates.Select((id, i) => (id, i)).ToDictionary(x => x.id, x => x.i);
        var needs = g.Edges.Where(e => e.Kind == ConflictEdgeKind.Requires)
            .GroupBy(e => (e.From, e.Spec))
            .Select(grp => (From: grp.Key.From, Options: grp.Where(e => bit.ContainsKey(e.To)).Select(e => bit[e.To]).ToArray()))
            .ToList();
        var forbidden = g.Edges.Where(e => e.Kind is ConflictEdgeKind.Constrains or ConflictEdgeKind.SameName)
            .Select(e => (bit[e.From], bit[e.To])).ToList();
        var unreadable = g.Edges.Where(e => e.Kind == ConflictEdgeKind.Unreadable).Select(e => bit[e.From]).ToList();
        for (var mask = 0L; mask < 1L << candidates.Count; mask++)
        {
            bool On(int i) => ((mask >> i) & 1) == 1;
            var ok = needs.All(n => (n.From != 0 && !On(bit[n.From])) || n.Options.Any(On))
                     && forbidden.All(f => !(On(f.Item1) && On(f.Item2)))
                     && unreadable.All(u => !On(u));
            Assert.False(ok, $"the graph allows an assignment ({Convert.ToString(mask, 2)}), so it explains nothing:\n{g}");
        }
    }
}
