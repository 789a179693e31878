using CondaMirror.Core.Solving;
using CondaMirror.Core.Solving.Sat;
using Xunit;

namespace CondaMirror.Tests.Solving;

public class SatSolverTests
{
    /// <summary>Plain CNF driver: decides variables in index order, negative phase first.</summary>
    private sealed class CnfHooks : ISatHooks
    {
        private readonly SatSolver _solver;
        private readonly bool _positiveFirst;
        public CnfHooks(SatSolver solver, bool positiveFirst) { _solver = solver; _positiveFirst = positiveFirst; }
        public void Expand(int variable) { }
        public int Decide()
        {
            for (var v = 1; v <= _solver.VariableCount; v++)
                if (_solver.IsUnassigned(v)) return _positiveFirst ? v : -v;
            return 0;
        }
    }

    private static (bool Sat, SatSolver Solver) Run(int variables, IEnumerable<int[]> clauses, bool positiveFirst = false)
    {
        var s = new SatSolver();
        for (var i = 0; i < variables; i++) s.NewVariable();
        var tag = 0;
        foreach (var c in clauses) s.AddClause(c, tag++);
        return (s.Solve(new CnfHooks(s, positiveFirst), CancellationToken.None), s);
    }

    private static bool BruteForce(int variables, List<int[]> clauses)
    {
        for (var mask = 0; mask < 1 << variables; mask++)
            if (clauses.All(c => c.Any(l => ((mask >> (Math.Abs(l) - 1)) & 1) == (l > 0 ? 1 : 0)))) return true;
        return false;
    }

    [Fact]
    public void Random3SatAgreesWithBruteForceAndModelsSatisfyEveryClause()
    {
        var rng = new Random(1234);
        int sat = 0, unsat = 0;
        for (var round = 0; round < 400; round++)
        {
            var n = rng.Next(3, 11);
            var m = rng.Next(1, n * 5);
            var clauses = new List<int[]>();
            for (var i = 0; i < m; i++)
                clauses.Add(Enumerable.Range(0, rng.Next(1, 4)).Select(_ => rng.Next(1, n + 1) * (rng.Next(2) == 0 ? 1 : -1)).ToArray());
            var (result, s) = Run(n, clauses, positiveFirst: round % 2 == 0);
            Assert.Equal(BruteForce(n, clauses), result);
            if (result)
            {
                sat++;
                foreach (var c in clauses) Assert.Contains(c, l => l > 0 ? s.IsTrue(l) : s.IsFalse(-l));
            }
            else
            {
                unsat++;
                var core = s.UnsatCore().Select(s.TagOf).Where(t => t >= 0).Distinct().Select(t => clauses[t]).ToList();
                Assert.NotEmpty(core);
                Assert.False(BruteForce(n, core)); // the core alone is already contradictory
            }
        }
        Assert.True(sat > 50 && unsat > 50, $"sat={sat} unsat={unsat}");
    }

    [Fact]
    public void PigeonholeSixIntoFiveIsUnsatisfiableWithAtMostOneGroups()
    {
        const int pigeons = 6, holes = 5;
        var s = new SatSolver();
        var x = new int[pigeons, holes];
        for (var p = 0; p < pigeons; p++)
            for (var h = 0; h < holes; h++) x[p, h] = s.NewVariable();
        for (var p = 0; p < pigeons; p++) s.AddClause(Enumerable.Range(0, holes).Select(h => x[p, h]).ToArray(), p);
        for (var h = 0; h < holes; h++) s.AddAtMostOne(Enumerable.Range(0, pigeons).Select(p => x[p, h]).ToArray(), 100 + h);
        Assert.False(s.Solve(new CnfHooks(s, true), CancellationToken.None));
        Assert.True(s.LearnedClauses > 0);
        Assert.Contains(s.UnsatCore(), id => s.TagOf(id) >= 100); // the hole groups take part in the proof
    }

    [Fact]
    public void PigeonholeFiveIntoFiveIsSatisfiable()
    {
        var s = new SatSolver();
        var x = new int[5, 5];
        for (var p = 0; p < 5; p++)
            for (var h = 0; h < 5; h++) x[p, h] = s.NewVariable();
        for (var p = 0; p < 5; p++) s.AddClause(Enumerable.Range(0, 5).Select(h => x[p, h]).ToArray(), p);
        for (var h = 0; h < 5; h++) s.AddAtMostOne(Enumerable.Range(0, 5).Select(p => x[p, h]).ToArray(), 100 + h);
        Assert.True(s.Solve(new CnfHooks(s, true), CancellationToken.None));
        for (var h = 0; h < 5; h++) Assert.Equal(1, Enumerable.Range(0, 5).Count(p => s.IsTrue(x[p, h])));
    }

    /// <summary>Clauses added while the search runs (the lazy encoding) must be installed at the right level.</summary>
    [Fact]
    public void ClausesAddedDuringSearchAreRespected()
    {
        var rng = new Random(99);
        for (var round = 0; round < 200; round++)
        {
            var n = rng.Next(4, 10);
            var clauses = new List<int[]>();
            for (var i = 0; i < n * 4; i++)
                clauses.Add(Enumerable.Range(0, rng.Next(1, 4)).Select(_ => rng.Next(1, n + 1) * (rng.Next(2) == 0 ? 1 : -1)).ToArray());
            var s = new SatSolver();
            for (var i = 0; i < n; i++) s.NewVariable();
            var hooks = new DripHooks(s, clauses);
            var result = s.Solve(hooks, CancellationToken.None);
            Assert.Equal(BruteForce(n, clauses), result);
            if (result) foreach (var c in clauses) Assert.Contains(c, l => l > 0 ? s.IsTrue(l) : s.IsFalse(-l));
        }
    }

    /// <summary>Feeds one clause per decision, so most clauses arrive when many variables are already assigned.</summary>
    private sealed class DripHooks : ISatHooks
    {
        private readonly SatSolver _s;
        private readonly List<int[]> _clauses;
        private int _next;
        public DripHooks(SatSolver s, List<int[]> clauses) { _s = s; _clauses = clauses; }
        public void Expand(int variable) { }
        public int Decide()
        {
            if (_next < _clauses.Count) { _s.AddClause(_clauses[_next], _next); _next++; }
            for (var v = 1; v <= _s.VariableCount; v++)
                if (_s.IsUnassigned(v)) return v;
            return 0;
        }
    }

    [Fact]
    public void CancellationStopsTheSearch()
    {
        var s = new SatSolver();
        for (var i = 0; i < 10; i++) s.NewVariable();
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.Throws<OperationCanceledException>(() => s.Solve(new CnfHooks(s, true), cts.Token));
    }

    private static bool Satisfies(bool[] model, IEnumerable<int[]> clauses) =>
        clauses.All(c => c.Any(l => l > 0 ? model[l] : !model[-l]));

    private static List<int[]> RandomClauses(Random rng, int n, int m) =>
        Enumerable.Range(0, m).Select(_ => Enumerable.Range(0, rng.Next(1, 4)).Select(_ => rng.Next(1, n + 1) * (rng.Next(2) == 0 ? 1 : -1)).ToArray()).ToList();

    /// <summary>What an optimiser on top needs: add clauses after a solve and solve again, keeping what was learned.</summary>
    [Fact]
    public void ClausesAddedAfterASolveAreRespectedByTheNextSolve()
    {
        var rng = new Random(2024);
        int sat = 0, unsat = 0;
        for (var round = 0; round < 300; round++)
        {
            var n = rng.Next(3, 10);
            var clauses = RandomClauses(rng, n, rng.Next(2, n * 5));
            var s = new SatSolver();
            for (var i = 0; i < n; i++) s.NewVariable();
            var hooks = new CnfHooks(s, positiveFirst: round % 2 == 0);
            var half = clauses.Count / 2;
            for (var i = 0; i < half; i++) s.AddClause(clauses[i], i);
            var first = s.Solve(hooks, CancellationToken.None);
            Assert.Equal(BruteForce(n, clauses.Take(half).ToList()), first);
            if (first) Assert.True(Satisfies(s.Model(), clauses.Take(half)));
            for (var i = half; i < clauses.Count; i++) s.AddClause(clauses[i], i);
            var second = s.Solve(hooks, CancellationToken.None);
            Assert.Equal(BruteForce(n, clauses), second);
            if (second) { sat++; Assert.True(Satisfies(s.Model(), clauses)); }
            else unsat++;
        }
        Assert.True(sat > 50 && unsat > 50, $"sat={sat} unsat={unsat}");
    }

    [Fact]
    public void AssumptionsAreHonouredAndFailuresNameTheAssumptionsToBlame()
    {
        var rng = new Random(77);
        int sat = 0, failed = 0;
        for (var round = 0; round < 400; round++)
        {
            var n = rng.Next(3, 10);
            var clauses = RandomClauses(rng, n, rng.Next(1, n * 3));
            var s = new SatSolver();
            for (var i = 0; i < n; i++) s.NewVariable();
            for (var i = 0; i < clauses.Count; i++) s.AddClause(clauses[i], i);
            var hooks = new CnfHooks(s, positiveFirst: round % 2 == 0);
            var formulaSat = BruteForce(n, clauses);
            // Several rounds of assumptions on one solver: each answer must be as if solved from scratch.
            for (var k = 0; k < 4; k++)
            {
                var assumptions = Enumerable.Range(0, rng.Next(1, 4)).Select(_ => rng.Next(1, n + 1) * (rng.Next(2) == 0 ? 1 : -1)).Distinct().ToArray();
                var withUnits = clauses.Concat(assumptions.Select(a => new[] { a })).ToList();
                var result = s.Solve(hooks, assumptions, CancellationToken.None);
                Assert.Equal(BruteForce(n, withUnits), result);
                if (result)
                {
                    sat++;
                    Assert.True(Satisfies(s.Model(), withUnits));
                }
                else if (formulaSat)
                {
                    failed++;
                    Assert.Empty(s.UnsatCore());
                    Assert.NotEmpty(s.FailedAssumptions);
                    Assert.All(s.FailedAssumptions, a => Assert.Contains(a, assumptions));
                    Assert.False(BruteForce(n, clauses.Concat(s.FailedAssumptions.Select(a => new[] { a })).ToList()));
                }
                else Assert.NotEmpty(s.UnsatCore());
            }
            Assert.Equal(formulaSat, s.Solve(hooks, CancellationToken.None)); // assumptions leave nothing behind
        }
        Assert.True(sat > 100 && failed > 50, $"sat={sat} failed={failed}");
    }

    private static long? BruteForceMinimum(int variables, List<int[]> clauses, (int Var, long W)[] terms)
    {
        long? best = null;
        for (var mask = 0; mask < 1 << variables; mask++)
        {
            if (!clauses.All(c => c.Any(l => ((mask >> (Math.Abs(l) - 1)) & 1) == (l > 0 ? 1 : 0)))) continue;
            var cost = terms.Where(t => ((mask >> (t.Var - 1)) & 1) == 1).Sum(t => t.W);
            if (best is null || cost < best) best = cost;
        }
        return best;
    }

    [Fact]
    public void Pseudo_boolean_minimisation_under_a_selector_reaches_the_brute_force_minimum()
    {
        // Random CNF plus a weighted sum; the optimisation loop the conda objectives use: bound below each model
        // under a selector, retire it when the search fails, then fix the optimum as a permanent constraint.
        var rng = new Random(77);
        var checkedRounds = 0;
        for (var round = 0; round < 300; round++)
        {
            var n = rng.Next(3, 11);
            var clauses = new List<int[]>();
            for (var i = rng.Next(1, n * 3); i > 0; i--)
                clauses.Add(Enumerable.Range(0, rng.Next(2, 4)).Select(_ => rng.Next(1, n + 1) * (rng.Next(2) == 0 ? 1 : -1)).ToArray());
            var terms = Enumerable.Range(1, n).Where(_ => rng.Next(3) > 0).Select(v => (Var: v, W: (long)rng.Next(1, 6))).ToArray();
            var expected = BruteForceMinimum(n, clauses, terms);
            var (sat, s) = Run(n, clauses, positiveFirst: true);
            Assert.Equal(expected is not null, sat);
            if (!sat) continue;
            var hooks = new CnfHooks(s, positiveFirst: true);
            long Cost() => terms.Where(t => s.IsTrue(t.Var)).Sum(t => t.W);
            var cost = Cost();
            var selector = s.NewVariable();
            var pb = s.AddPseudoBoolean(cost - 1, selector);
            // Half the terms before the first search, half during the loop: terms may arrive late.
            foreach (var (v, w) in terms.Take(terms.Length / 2)) s.AddPbTerm(pb, v, w);
            var late = terms.Skip(terms.Length / 2).ToList();
            while (cost > 0)
            {
                foreach (var (v, w) in late) s.AddPbTerm(pb, v, w);
                late.Clear();
                if (!s.Solve(hooks, new[] { selector }, CancellationToken.None))
                {
                    Assert.Contains(selector, s.FailedAssumptions);
                    break;
                }
                var next = Cost();
                Assert.True(next < cost, $"round {round}: a model under the bound costs {next}, not below {cost}");
                cost = next;
                if (cost > 0) s.TightenPseudoBoolean(pb, cost - 1);
            }
            Assert.Equal(expected, cost);
            s.RetirePseudoBoolean(pb);
            var fixedAt = s.AddPseudoBoolean(cost, 0);
            foreach (var (v, w) in terms) s.AddPbTerm(fixedAt, v, w);
            Assert.True(s.Solve(hooks, Array.Empty<int>(), CancellationToken.None));
            Assert.Equal(expected, Cost());
            foreach (var c in clauses) Assert.Contains(c, l => l > 0 ? s.IsTrue(l) : s.IsFalse(-l));
            checkedRounds++;
        }
        Assert.True(checkedRounds > 100, $"only {checkedRounds} satisfiable rounds");
    }

    [Fact]
    public void Pseudo_boolean_bound_propagates_heavy_terms_false_and_explains_conflicts_in_the_core()
    {
        var s = new SatSolver();
        for (var i = 0; i < 3; i++) s.NewVariable();
        var pb = s.AddPseudoBoolean(3, 0);
        s.AddPbTerm(pb, 1, 2);
        s.AddPbTerm(pb, 2, 2);
        s.AddPbTerm(pb, 3, 5);
        s.AddClause(new[] { 1 }, 0);
        var hooks = new CnfHooks(s, positiveFirst: true);
        Assert.True(s.Solve(hooks, CancellationToken.None));
        Assert.True(s.IsTrue(1));
        Assert.True(s.IsFalse(2)); // 2 + 2 > 3
        Assert.True(s.IsFalse(3)); // 5 > 3 on its own
        s.AddClause(new[] { 2, 3 }, 1);
        Assert.False(s.Solve(hooks, CancellationToken.None));
        Assert.NotEmpty(s.UnsatCore());
        Assert.Throws<ArgumentOutOfRangeException>(() => s.TightenPseudoBoolean(pb, 4));
    }
}
