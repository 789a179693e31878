using CondaMirror.Core.Records;
using CondaMirror.Core.Solving;
using Xunit;

namespace CondaMirror.Tests.Solving;

/// <summary>
/// Random small channels checked against exhaustive search: the solver must find a solution exactly when one
/// exists (complete), every solution must pass SolutionChecker (sound), and a failure must be a conflict error.
/// </summary>
public class SolverFuzzTests
{
    private static readonly string[] Names = { "a", "b", "c", "d", "e" };

    [Fact]
    public void AgreesWithExhaustiveSearchOnRandomChannels()
    {
        var rng = new Random(4242);
        int solvable = 0, unsolvable = 0;
        for (var round = 0; round < 200; round++)
        {
            var source = new InMemoryPackageSource();
            var records = new List<PackageRecord>();
            foreach (var name in Names)
            {
                var versions = rng.Next(1, 4);
                for (var v = 1; v <= versions; v++)
                {
                    var depends = new List<string>();
                    var constrains = new List<string>();
                    foreach (var other in Names.Where(n => n != name))
                    {
                        var roll = rng.Next(10);
                        if (roll == 0) depends.Add(other);
                        else if (roll == 1) depends.Add($"{other} >={rng.Next(1, 4)}");
                        else if (roll == 2) depends.Add($"{other} <{rng.Next(2, 4)}");
                        else if (roll == 3) constrains.Add($"{other} <{rng.Next(2, 4)}");
                    }
                    source.Add(name, $"{v}", depends: depends.ToArray(), constrains: constrains.ToArray());
                    records.Add(new PackageRecord { Name = name, Version = $"{v}", Build = "0", Depends = depends, Constrains = constrains });
                }
            }
            var requested = Names.Where(_ => rng.Next(3) == 0).DefaultIfEmpty("a").ToArray();
            var exists = ExhaustiveSearch(records, requested);
            var request = new SolveRequest { Specs = requested.Select(r => (r, (string?)null)).ToList(), Platform = "linux-64" };
            try
            {
                var result = new CondaSolver().Solve(request, source);
                Assert.True(exists, $"round {round}: solver found a solution exhaustive search did not");
                var set = result.Packages.Select(p => p.Record).ToList();
                Assert.Empty(SolutionChecker.Check(set, Array.Empty<VirtualPackage>()));
                Assert.All(requested, r => Assert.Contains(set, p => p.Name == r));
                solvable++;
            }
            catch (SolveConflictException e)
            {
                Assert.False(exists, $"round {round}: solver said '{e.Message}' but a solution exists");
                unsolvable++;
            }
        }
        Assert.True(solvable > 30 && unsolvable > 30, $"solvable={solvable} unsolvable={unsolvable}");
    }

    /// <summary>Tries every choice of (absent or one version) per name.</summary>
    private static bool ExhaustiveSearch(List<PackageRecord> records, string[] requested)
    {
        var options = Names.Select(n => records.Where(r => r.Name == n).Cast<PackageRecord?>().Prepend(null).ToList()).ToList();
        var choice = new PackageRecord?[Names.Length];
        bool Walk(int i)
        {
            if (i == Names.Length)
            {
                var set = choice.Where(c => c is not null).Select(c => c!).ToList();
                return requested.All(r => set.Any(p => p.Name == r)) && SolutionChecker.Check(set, Array.Empty<VirtualPackage>()).Count == 0;
            }
            foreach (var option in options[i])
            {
                choice[i] = option;
                if (Walk(i + 1)) return true;
            }
            return false;
        }
        return Walk(0);
    }
}
