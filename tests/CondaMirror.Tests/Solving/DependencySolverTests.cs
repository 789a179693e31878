using CondaMirror.Core.Solving;
using CondaMirror.Core.Solving.Sat;
using Xunit;

namespace CondaMirror.Tests.Solving;

/// <summary>
/// The engine below CondaSolver, driven directly: the provider seam (decision hook) and the incremental use an
/// optimiser needs (clauses added after a solve, solving again under assumptions, reading the model).
/// </summary>
public class DependencySolverTests
{
    private static (DependencySolver<Candidate, SpecMatcher> Solver, CondaDependencyProvider Provider) Start(InMemoryPackageSource source, params string[] specs)
    {
        var request = new SolveRequest { Specs = specs.Select(s => (s, (string?)null)).ToList(), Platform = "linux-64" };
        var provider = new CondaDependencyProvider(request, source, CancellationToken.None);
        var solver = new DependencySolver<Candidate, SpecMatcher>(provider);
        for (var i = 0; i < specs.Length; i++)
        {
            var spec = provider.ParseSpec(specs[i]).Spec!;
            solver.AddRequest(spec, new ConflictRequest(i, spec.Text, spec.Name, null));
        }
        return (solver, provider);
    }

    private static string Installed(DependencySolver<Candidate, SpecMatcher> solver) =>
        string.Join(" ", solver.Installed().Select(c => $"{c.Name}={c.Version}").OrderBy(s => s, StringComparer.Ordinal));

    private static int VariableOf(DependencySolver<Candidate, SpecMatcher> solver, string name, string version)
    {
        var entry = solver.Load(name);
        var i = Array.FindIndex(entry.Candidates, c => c.Version.ToString() == version);
        Assert.True(i >= 0, $"{name} {version} is not a candidate");
        return entry.FirstVariable + i;
    }

    [Fact]
    public void ExcludingTheChosenCandidateAfterASolveGivesTheNextBest()
    {
        var source = new InMemoryPackageSource()
            .Add("app", "1.0", depends: new[] { "lib" })
            .Add("lib", "1.0").Add("lib", "2.0").Add("lib", "3.0");
        var (solver, _) = Start(source, "app");
        Assert.True(solver.Solve(Array.Empty<int>(), CancellationToken.None));
        Assert.Equal("app=1.0 lib=3.0", Installed(solver));

        // An objective step as an optimiser would take it: forbid what was picked, solve again, read the model.
        solver.Sat.AddClause(new[] { -VariableOf(solver, "lib", "3.0") }, SatSolver.NoTag);
        Assert.True(solver.Solve(Array.Empty<int>(), CancellationToken.None));
        Assert.Equal("app=1.0 lib=2.0", Installed(solver));
        var model = solver.Sat.Model();
        Assert.True(model[VariableOf(solver, "lib", "2.0")]);
        Assert.False(model[VariableOf(solver, "lib", "3.0")]);
    }

    [Fact]
    public void AssumptionsSteerOneSolveAndAFailureNamesThem()
    {
        var source = new InMemoryPackageSource()
            .Add("app", "1.0", depends: new[] { "lib <3" })
            .Add("lib", "1.0").Add("lib", "2.0").Add("lib", "3.0");
        var (solver, _) = Start(source, "app");
        var lib1 = VariableOf(solver, "lib", "1.0");
        var lib3 = VariableOf(solver, "lib", "3.0");

        Assert.True(solver.Solve(new[] { lib1 }, CancellationToken.None));
        Assert.Equal("app=1.0 lib=1.0", Installed(solver));

        Assert.False(solver.Solve(new[] { lib3 }, CancellationToken.None));
        Assert.Contains(lib3, solver.Sat.FailedAssumptions);
        Assert.Empty(solver.Sat.UnsatCore()); // not unsatisfiable as such

        Assert.True(solver.Solve(Array.Empty<int>(), CancellationToken.None));
        Assert.Equal("app=1.0 lib=2.0", Installed(solver));
    }

    /// <summary>A provider whose decision hook takes the worst open candidate: the order is the provider's to choose.</summary>
    private sealed class WorstFirst : IDependencyProvider<Candidate, SpecMatcher>
    {
        private readonly CondaDependencyProvider _inner;
        public WorstFirst(CondaDependencyProvider inner) => _inner = inner;
        public string NameOf(SpecMatcher spec) => _inner.NameOf(spec);
        public string TextOf(SpecMatcher spec) => _inner.TextOf(spec);
        public IReadOnlyList<Candidate> GetCandidates(string name) => _inner.GetCandidates(name);
        public bool Matches(SpecMatcher spec, Candidate candidate) => _inner.Matches(spec, candidate);
        public void GetDependencies(Candidate candidate, List<Dependency<SpecMatcher>> into) => _inner.GetDependencies(candidate, into);
        public bool ChoosesCandidates => true;
        public int ChooseCandidate(SpecMatcher? requirement, IReadOnlyList<Candidate> candidates, ReadOnlySpan<int> open) => open[^1];
        public ConflictCandidateNode DescribeCandidate(int id, Candidate candidate) => _inner.DescribeCandidate(id, candidate);
        public ConflictMissingNode DescribeMissing(int id, SpecMatcher spec) => _inner.DescribeMissing(id, spec);
    }

    [Fact]
    public void TheDecisionHookChoosesAmongOpenCandidates()
    {
        var source = new InMemoryPackageSource()
            .Add("app", "1.0", depends: new[] { "lib >=2" }).Add("app", "2.0", depends: new[] { "lib >=2" })
            .Add("lib", "1.0").Add("lib", "2.0").Add("lib", "3.0");
        var request = new SolveRequest { Specs = new[] { ("app", (string?)null) }, Platform = "linux-64" };
        var conda = new CondaDependencyProvider(request, source, CancellationToken.None);
        var solver = new DependencySolver<Candidate, SpecMatcher>(new WorstFirst(conda));
        var app = conda.ParseSpec("app").Spec!;
        solver.AddRequest(app, new ConflictRequest(0, "app", "app", null));
        Assert.True(solver.Solve(Array.Empty<int>(), CancellationToken.None));
        Assert.Equal("app=1.0 lib=2.0", Installed(solver)); // the worst of each, but still only what lib >=2 allows
    }
}
