using CondaMirror.Core.Errors;
using CondaMirror.Core.Policies;
using CondaMirror.Core.Records;
using CondaMirror.Core.Solving;
using CondaMirror.Tests.Solving;
using Xunit;

namespace CondaMirror.Tests.Policies;

public sealed class PackagePolicyTests
{
    private static InMemoryPackageSource Source()
    {
        var source = new InMemoryPackageSource()
            .Add("app", "1.0", depends: ["codec"])
            .Add("codec", "3.0").Add("codec", "2.0").Add("codec", "1.0");
        foreach (var r in source.GetRecords("codec"))
            r.Record.License = r.Record.Version switch { "3.0" => "GPL-3.0-only", "2.0" => "LGPL-2.1", _ => "BSD-3-Clause" };
        foreach (var r in source.GetRecords("app")) r.Record.License = "MIT";
        return source;
    }

    private static SolveResult Solve(PackagePolicy policy, params string[] specs) => new CondaSolver().Solve(new SolveRequest
    {
        Specs = specs.Select(s => (s, (string?)$"CondaPackage '{s}'")).ToList(),
        Platform = "linux-64",
        VirtualPackages = VirtualPackages.DefaultsFor("linux-64"),
        Policy = policy,
    }, Source());

    private static string Version(SolveResult result, string name) => result.Packages.Single(p => p.Record.Name == name).Record.Version;

    [Fact]
    public void An_exclusion_makes_the_solve_take_the_next_allowed_candidate()
    {
        Assert.Equal("3.0", Version(Solve(PackagePolicy.None, "app"), "codec"));
        Assert.Equal("2.0", Version(Solve(new PackagePolicy([new ExcludeRule("codec", License: "gpl*")], []), "app"), "codec"));
        Assert.Equal("1.0", Version(Solve(new PackagePolicy([new ExcludeRule("codec", License: "*GPL*")], []), "app"), "codec"));
        Assert.Equal("1.0", Version(Solve(new PackagePolicy([], ["MIT", "BSD-*"]), "app"), "codec"));
        // A rule for another channel, or another build, removes nothing here.
        Assert.Equal("3.0", Version(Solve(new PackagePolicy([new ExcludeRule("codec", Channel: "bioconda")], []), "app"), "codec"));
        Assert.Equal("3.0", Version(Solve(new PackagePolicy([new ExcludeRule("codec", Build: "cuda*")], []), "app"), "codec"));
    }

    [Fact]
    public void A_dependency_the_policy_empties_is_a_missing_node_naming_each_rule()
    {
        var ex = Assert.Throws<SolveConflictException>(() => Solve(new PackagePolicy([], ["MIT"]), "app"));
        Assert.Equal(ErrorCodes.SolverConflict, ex.Code);
        var missing = Assert.Single(ex.Graph!.Nodes.OfType<ConflictMissingNode>());
        Assert.Equal(ConflictMissingReason.ExcludedByPolicy, missing.Reason);
        Assert.Equal("codec", missing.Name);
        Assert.Equal(3, missing.ExcludedByPolicy.Count);
        Assert.Contains("codec 3.0 0 excluded by CondaAllowLicense 'MIT' (license GPL-3.0-only)", missing.ExcludedByPolicy);
        Assert.Contains(ex.Graph.Edges, e => e.Kind == ConflictEdgeKind.Requires && e.Spec == "codec" && e.To == missing.Id);
        Assert.Contains("every codec is excluded by the package policy", ex.Message);
    }

    [Fact]
    public void A_request_the_policy_empties_is_CMIR710()
    {
        var ex = Assert.Throws<SolveConflictException>(() => Solve(new PackagePolicy([new ExcludeRule("a*")], []), "app"));
        Assert.Equal(ErrorCodes.SolverExcludedByPolicy, ex.Code);
        Assert.Contains("app 1.0 0 excluded by CondaExclude 'a*'", ex.Message);
    }

    [Theory]
    [InlineData("gpl*", "GPL-3.0-only", true)]
    [InlineData("BSD-?-Clause", "BSD-3-Clause", true)]
    [InlineData("BSD-?-Clause", "BSD-3-Clause-Clear", false)]
    [InlineData("*", "", true)]
    [InlineData("a*b*c", "aXXbYYc", true)]
    [InlineData("a*b*c", "aXXbYY", false)]
    [InlineData("MIT", "mit", true)]
    public void Globs_match_whole_strings_case_insensitively(string pattern, string license, bool excluded)
    {
        var policy = new PackagePolicy([new ExcludeRule("*", License: pattern)], []);
        var record = new RepodataRecord(new PackageRecord { Name = "x", Version = "1", Build = "0", License = license }, "https://h/c/noarch/x-1-0.conda", "x-1-0.conda", "https://h/c");
        Assert.Equal(excluded, policy.ExclusionOf(record) is not null);
    }

    [Fact]
    public void A_pathological_glob_does_not_backtrack()
    {
        var policy = new PackagePolicy([new ExcludeRule(string.Concat(Enumerable.Repeat("a*", 200)) + "b")], []);
        var record = new RepodataRecord(new PackageRecord { Name = new string('a', 5000), Version = "1", Build = "0" }, "u", "f");
        // A backtracking matcher needs about 5000^200 steps here: the limit cannot be reached by a merely slow machine.
        Assert.Null(CondaMirror.TestKit.HangGuard.Run(() => policy.ExclusionOf(record)));
    }

    [Fact]
    public void The_inputs_do_not_depend_on_item_order()
    {
        var a = new PackagePolicy([new ExcludeRule("x"), new ExcludeRule("y", License: "GPL*")], ["MIT", "BSD-*"]);
        var b = new PackagePolicy([new ExcludeRule("y", License: "GPL*"), new ExcludeRule("x")], ["BSD-*", "MIT"]);
        Assert.Equal(a.DescribeInputs(), b.DescribeInputs());
        Assert.Empty(PackagePolicy.None.DescribeInputs());
    }
}
