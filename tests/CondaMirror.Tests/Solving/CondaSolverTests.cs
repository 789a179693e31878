using CondaMirror.Core.Errors;
using CondaMirror.Core.Records;
using CondaMirror.Core.Solving;
using Xunit;

namespace CondaMirror.Tests.Solving;

public class CondaSolverTests
{
    private static readonly IReadOnlyList<VirtualPackage> Linux = VirtualPackages.DefaultsFor("linux-64");

    private static SolveResult Solve(InMemoryPackageSource source, params string[] specs) =>
        Solve(source, specs, Array.Empty<RepodataRecord>());

    private static SolveResult Solve(InMemoryPackageSource source, string[] specs, IReadOnlyList<RepodataRecord> locked,
        IReadOnlyList<VirtualPackage>? virtuals = null, IReadOnlyList<string>? channels = null, CancellationToken ct = default)
    {
        var request = new SolveRequest
        {
            Specs = specs.Select(s => (s, (string?)$"CondaPackage '{s}'")).ToList(),
            Platform = "linux-64",
            VirtualPackages = virtuals ?? Linux,
            Locked = locked,
            ChannelPriority = channels ?? Array.Empty<string>(),
        };
        var result = new CondaSolver().Solve(request, source, ct);
        Assert.Empty(SolutionChecker.Check(result.Packages.Select(p => p.Record).ToList(), request.VirtualPackages));
        return result;
    }

    private static void Mentions(Exception ex, string text) => Assert.True(ex.Message.Contains(text, StringComparison.Ordinal), $"'{text}' not in:\n{ex.Message}");

    private static string Picked(SolveResult result) =>
        string.Join(" ", result.Packages.Select(p => $"{p.Record.Name}={p.Record.Version}={p.Record.Build}"));

    [Fact]
    public void ChainIsInstalledAtHighestVersions()
    {
        var source = new InMemoryPackageSource()
            .Add("a", "1.0", depends: new[] { "b >=1" }).Add("a", "2.0", depends: new[] { "b >=1" })
            .Add("b", "1.0", depends: new[] { "c" }).Add("b", "1.5", depends: new[] { "c" })
            .Add("c", "0.1").Add("c", "0.2", "1", buildNumber: 1).Add("c", "0.2", "0")
            .Add("unrelated", "1.0");
        var result = Solve(source, "a");
        Assert.Equal("a=2.0=0 b=1.5=0 c=0.2=1", Picked(result));
        Assert.False(source.Fetches.ContainsKey("unrelated")); // lazy: never reached, never fetched
        Assert.All(source.Fetches.Values, n => Assert.Equal(1, n));
    }

    [Fact]
    public void NewestANeedsOldBButCNeedsNewB_BacktracksToOlderA()
    {
        var source = new InMemoryPackageSource()
            .Add("a", "2.0", depends: new[] { "b <2" }).Add("a", "1.0", depends: new[] { "b" })
            .Add("b", "1.0").Add("b", "2.0")
            .Add("c", "1.0", depends: new[] { "b >=2" });
        Assert.Equal("a=1.0=0 b=2.0=0 c=1.0=0", Picked(Solve(source, "a", "c")));
    }

    [Fact]
    public void DeepBacktrackingLearnsInsteadOfEnumerating()
    {
        // x i needs z ==i and w needs helper-i; only z 1 is compatible with y. The search must walk x down to 1.
        var source = new InMemoryPackageSource();
        for (var i = 1; i <= 30; i++)
        {
            source.Add("x", $"{i}.0", depends: new[] { $"z =={i}.0", "w" });
            source.Add("z", $"{i}.0");
        }
        // y reaches z only through a choice (k), so the clash appears after decisions and must be learned.
        source.Add("w", "1.0").Add("y", "1.0", depends: new[] { "k" })
            .Add("k", "1.0", depends: new[] { "z <=1.0" }).Add("k", "2.0", depends: new[] { "z <=1.0" });
        var result = Solve(source, "x", "y");
        Assert.Equal("k=2.0=0 w=1.0=0 x=1.0=0 y=1.0=0 z=1.0=0", Picked(result));
        Assert.True(result.Stats.Conflicts >= 1);
    }

    [Fact]
    public void PigeonholeStyleConflictIsReportedNotLooped()
    {
        // three packages each need one "slot" build and every pair of them forbids sharing one: unsatisfiable.
        var source = new InMemoryPackageSource();
        foreach (var p in new[] { "p1", "p2", "p3" })
            source.Add(p, "1.0", depends: new[] { "slot 1.*|2.*" }, constrains: new[] { $"slot-owner-{p}" });
        source.Add("slot", "1.0").Add("slot", "2.0");
        source.Add("q", "1.0", depends: new[] { "slot >=3" });
        var ex = Assert.Throws<SolveConflictException>(() => Solve(source, "p1", "q"));
        Assert.Equal(ErrorCodes.SolverConflict, ex.Code);
        Assert.Contains("slot", ex.Message);
    }

    [Fact]
    public void ConstrainsLimitsButDoesNotPullIn()
    {
        var source = new InMemoryPackageSource()
            .Add("a", "1.0", constrains: new[] { "b <2" })
            .Add("b", "1.0").Add("b", "2.0");
        Assert.Equal("a=1.0=0", Picked(Solve(source, "a")));
        Assert.Equal("a=1.0=0 b=1.0=0", Picked(Solve(source, "a", "b")));
    }

    [Fact]
    public void ConstrainsOnANameLoadedLaterStillApplies()
    {
        // a is decided before anything mentions b; b's candidates arrive afterwards through c.
        var source = new InMemoryPackageSource()
            .Add("a", "1.0", constrains: new[] { "b <2" })
            .Add("c", "1.0", depends: new[] { "b" })
            .Add("b", "1.0").Add("b", "2.0");
        Assert.Equal("a=1.0=0 b=1.0=0 c=1.0=0", Picked(Solve(source, "a", "c")));
    }

    [Fact]
    public void TrackFeaturesAreMinimisedBeforeDependencyVersionsButAfterRequestedVersions()
    {
        // conda 25.11.1 (classic) on exactly these records: `foo` → foo-2.0-debug_0 (requested versions come
        // before the track-feature count), `bar` → foo-1.0-0 (a dependency's version comes after it).
        var source = new InMemoryPackageSource()
            .Add("foo", "2.0", "debug_0", trackFeatures: "debug")
            .Add("foo", "1.0", "0")
            .Add("bar", "1.0", depends: new[] { "foo" });
        Assert.Equal("foo=2.0=debug_0", Picked(Solve(source, "foo")));
        Assert.Equal("foo=2.0=debug_0", Picked(Solve(source, "foo >=2")));
        Assert.Equal("bar=1.0=0 foo=1.0=0", Picked(Solve(source, "bar")));
    }

    [Fact]
    public void CondaFormatIsPreferredOverTarBz2OfTheSameBuild()
    {
        var source = new InMemoryPackageSource()
            .Add("foo", "1.0", ext: ".tar.bz2").Add("foo", "1.0", ext: ".conda");
        Assert.EndsWith(".conda", Solve(source, "foo").Packages.Single().FileName);
    }

    [Fact]
    public void NewerTimestampWinsWhenVersionAndBuildNumberTie()
    {
        var source = new InMemoryPackageSource()
            .Add("foo", "1.0", "old", timestamp: 1000).Add("foo", "1.0", "new", timestamp: 2000);
        Assert.Equal("foo=1.0=new", Picked(Solve(source, "foo")));
    }

    [Fact]
    public void RequestedBuildNumbersComeBeforeDependencyVersionsButNotForDependencies()
    {
        // conda 25.11.1 (classic, pip not added to python) on exactly these records: requested `pandas` keeps its
        // highest build number (py39_1) because requested builds are an objective before dependency versions;
        // pandas reached through `app` takes the py312 build, whose python is newer (dependency versions before builds).
        var source = new InMemoryPackageSource()
            .Add("pandas", "2.2.2", "py39_1", buildNumber: 1, timestamp: 2000, depends: new[] { "numpy", "python >=3.9,<3.10.0a0" })
            .Add("pandas", "2.2.2", "py312_0", buildNumber: 0, timestamp: 1000, depends: new[] { "numpy", "python >=3.12,<3.13.0a0" })
            .Add("python", "3.9.19").Add("python", "3.12.4").Add("numpy", "1.26")
            .Add("app", "1.0", depends: new[] { "pandas" });
        Assert.Equal("numpy=1.26=0 pandas=2.2.2=py39_1 python=3.9.19=0", Picked(Solve(source, "pandas")));
        Assert.Equal("numpy=1.26=0 pandas=2.2.2=py39_1 python=3.9.19=0", Picked(Solve(source, "pandas", "python 3.9.*")));
        Assert.Equal("app=1.0=0 numpy=1.26=0 pandas=2.2.2=py312_0 python=3.12.4=0", Picked(Solve(source, "app")));
    }

    [Fact]
    public void StrictChannelPriorityIgnoresLowerChannelsForAName()
    {
        const string high = "https://repo.example/high", low = "https://repo.example/low";
        var source = new InMemoryPackageSource()
            .Add("numpy", "1.0", channel: high).Add("numpy", "2.0", channel: low).Add("only-low", "3.0", channel: low);
        var channels = new[] { high, low };
        Assert.Equal("numpy=1.0=0", Picked(Solve(source, new[] { "numpy" }, Array.Empty<RepodataRecord>(), channels: channels)));
        Assert.Equal("only-low=3.0=0", Picked(Solve(source, new[] { "only-low" }, Array.Empty<RepodataRecord>(), channels: channels)));
        var ex = Assert.Throws<SolveConflictException>(() => Solve(source, new[] { "numpy >=2" }, Array.Empty<RepodataRecord>(), channels: channels));
        Assert.Equal(ErrorCodes.SolverNoMatchingVersion, ex.Code);
        Assert.Contains("1 more records of numpy are in lower-priority channels", ex.Message);
    }

    [Fact]
    public void GlibcTooOldForTheNewestBuildSelectsAnOlderOne()
    {
        var source = new InMemoryPackageSource()
            .Add("tool", "2.0", depends: new[] { "__glibc >=2.34" })
            .Add("tool", "1.5", depends: new[] { "__cuda >=11" })
            .Add("tool", "1.0", depends: new[] { "__glibc >=2.17" });
        Assert.Equal("tool=1.0=0", Picked(Solve(source, "tool")));
        var newer = VirtualPackages.Merge(Linux, new[] { new VirtualPackage("__glibc", "2.35") });
        Assert.Equal("tool=2.0=0", Picked(Solve(source, new[] { "tool" }, Array.Empty<RepodataRecord>(), newer)));
        var ex = Assert.Throws<SolveConflictException>(() => Solve(source, "tool 1.5"));
        Assert.Contains("__cuda >=11, a virtual package the target machine does not provide", ex.Message);
    }

    [Fact]
    public void LockedVersionsAreKeptWhenAddingAPackage()
    {
        var source = new InMemoryPackageSource()
            .Add("a", "1.0", depends: new[] { "b" })
            .Add("b", "1.0").Add("b", "2.0")
            .Add("new", "1.0", depends: new[] { "b" })
            .Add("picky", "1.0", depends: new[] { "b >=2" });
        var first = Solve(source, "a");
        Assert.Equal("a=1.0=0 b=2.0=0", Picked(first));
        var oldLock = Solve(source, "a", "b <2").Packages; // pretend an older lock had b 1.0
        var second = Solve(source, new[] { "a", "new" }, oldLock);
        Assert.Equal("a=1.0=0 b=1.0=0 new=1.0=0", Picked(second));
        // A locked record that no longer fits is replaced rather than failing the solve.
        Assert.Equal("a=1.0=0 b=2.0=0 picky=1.0=0", Picked(Solve(source, new[] { "a", "picky" }, oldLock)));
    }

    [Fact]
    public void SameInputInAnyOrderGivesTheSameResult()
    {
        string Run(int seed)
        {
            var source = new InMemoryPackageSource();
            for (var i = 0; i < 6; i++)
            {
                source.Add("lib", $"1.{i}", $"h{i}_0", depends: new[] { $"dep >=0.{i}" });
                source.Add("lib", $"1.{i}", $"h{i}_1", depends: new[] { $"dep >=0.{i}" }, ext: ".tar.bz2");
                source.Add("dep", $"0.{i}", "a").Add("dep", $"0.{i}", "b");
            }
            source.Add("app", "1.0", depends: new[] { "lib", "dep <0.4" });
            if (seed > 0) source.Shuffle(seed);
            return Picked(Solve(source, "app"));
        }
        var expected = Run(0);
        Assert.Equal("app=1.0=0 dep=0.3=a lib=1.3=h3_0", expected);
        for (var seed = 1; seed <= 5; seed++) Assert.Equal(expected, Run(seed));
    }

    [Fact]
    public void UnknownPackageSuggestsSimilarNames()
    {
        var source = new InMemoryPackageSource().Add("pypy3.9", "7.3").Add("pypy3.10", "7.3").Add("python", "3.10");
        var ex = Assert.Throws<SolveConflictException>(() => Solve(source, "pypy"));
        Assert.Equal(ErrorCodes.SolverUnknownPackage, ex.Code);
        Assert.Contains("No package named 'pypy' in the channels. Similar names: pypy3.9, pypy3.10", ex.Message);
        Assert.Equal("CondaPackage 'pypy'", ex.File);
    }

    [Fact]
    public void Errors_name_the_requests_they_are_about_by_index_not_only_in_their_text()
    {
        var source = new InMemoryPackageSource().Add("python", "3.10").Add("lib", "1.0", depends: new[] { "python >=3.11" });
        Assert.Equal(new[] { 1 }, Assert.Throws<SolveConflictException>(() => Solve(source, "python", "pypy")).RequestIndexes);
        Assert.Equal(new[] { 0 }, Assert.Throws<SolveConflictException>(() => Solve(source, "python 3.11.*")).RequestIndexes);
        Assert.Equal(new[] { 1 }, Assert.ThrowsAny<CondaMirrorException>(() => Solve(source, "python", "lib >=1.0,,<")).RequestIndexes);
        var conflict = Assert.Throws<SolveConflictException>(() => Solve(source, "python 3.10", "lib"));
        Assert.Equal(ErrorCodes.SolverConflict, conflict.Code);
        Assert.Equal(new[] { 1 }, conflict.RequestIndexes); // lib alone cannot be installed: no python >=3.11 exists
    }

    [Fact]
    public void UnsatisfiableVersionListsAvailableVersions()
    {
        var source = new InMemoryPackageSource().Add("python", "2.7.18").Add("python", "3.9.1").Add("python", "3.10.14");
        var ex = Assert.Throws<SolveConflictException>(() => Solve(source, "python 3.11.*"));
        Assert.Equal(ErrorCodes.SolverNoMatchingVersion, ex.Code);
        Assert.Contains("python 3.11.* cannot be installed: the channels have python versions 2.7.18, 3.9.1, 3.10.14", ex.Message);
        for (var i = 0; i < 10; i++) source.Add("python", $"3.10.{i}");
        ex = Assert.Throws<SolveConflictException>(() => Solve(source, "python 3.11.*"));
        Assert.Contains("the channels have python versions 2.7.18 … 3.10.14 (13 in all; newest: 3.10.8, 3.10.9, 3.10.14)", ex.Message);
    }

    [Fact]
    public void ConflictNamesBothSides()
    {
        var source = new InMemoryPackageSource()
            .Add("pandas", "2.2.0", depends: new[] { "numpy >=1.26" }).Add("pandas", "2.2.2", depends: new[] { "numpy >=1.26" })
            .Add("scikit-learn", "1.0", depends: new[] { "numpy <1.25" })
            .Add("numpy", "1.24").Add("numpy", "1.26").Add("numpy", "2.0");
        var ex = Assert.Throws<SolveConflictException>(() => Solve(source, "pandas", "scikit-learn"));
        Assert.Equal(ErrorCodes.SolverConflict, ex.Code);
        Assert.Contains("pandas (from CondaPackage 'pandas')", ex.Message);
        Assert.Contains("scikit-learn (from CondaPackage 'scikit-learn')", ex.Message);
        Assert.Contains("pandas 2.2.0, 2.2.2 requires numpy >=1.26", ex.Message);
        Assert.Contains("scikit-learn 1.0 requires numpy <1.25", ex.Message);
        Assert.Contains("Conflict on numpy", ex.Message);
    }

    [Fact]
    public void NestedClashShowsBothChainsAndTheContestedName()
    {
        var source = new InMemoryPackageSource()
            .Add("app", "1.0", depends: new[] { "lib-a", "lib-b" })
            .Add("lib-a", "1.0", depends: new[] { "numpy >=2" }).Add("lib-a", "1.1", depends: new[] { "numpy >=2.1" })
            .Add("lib-b", "3.0", depends: new[] { "numpy <2" })
            .Add("numpy", "1.26").Add("numpy", "2.0").Add("numpy", "2.1");
        var ex = Assert.Throws<SolveConflictException>(() => Solve(source, "app"));
        Mentions(ex, "app 1.0 requires lib-a; requires lib-b");
        Mentions(ex, "lib-a 1.1 requires numpy >=2.1");
        Mentions(ex, "lib-a 1.0 requires numpy >=2");
        Mentions(ex, "lib-b 3.0 requires numpy <2");
        Mentions(ex, "Conflict on numpy: only one numpy can be installed, but");
        Mentions(ex, "- lib-b 3.0 requires numpy <2");
    }

    [Fact]
    public void MissingTransitiveDependencyShowsTheChain()
    {
        var source = new InMemoryPackageSource()
            .Add("r-base", "3.5.1", depends: new[] { "r-graphics" })
            .Add("r-graphics", "1.0", depends: new[] { "cairo >=1.14" })
            .Add("other", "1.0");
        var ex = Assert.Throws<SolveConflictException>(() => Solve(source, "r-base"));
        Assert.Equal(ErrorCodes.SolverConflict, ex.Code);
        var lines = ex.Explanation;
        var root = lines.ToList().FindIndex(l => l.Contains("r-base (from CondaPackage 'r-base')"));
        var hop = lines.ToList().FindIndex(l => l.Contains("r-base 3.5.1 requires r-graphics"));
        var leaf = lines.ToList().FindIndex(l => l.Contains("r-graphics 1.0 requires cairo >=1.14, which is not in any channel"));
        Assert.True(root >= 0 && hop > root && leaf > hop, ex.Message);
    }

    [Fact]
    public void InvalidSpecIsAUserError()
    {
        var source = new InMemoryPackageSource().Add("a", "1.0");
        var ex = Assert.Throws<CondaMirrorException>(() => Solve(source, "a >=>1"));
        Assert.Equal(ErrorCodes.SolverInvalidSpec, ex.Code);
    }

    [Fact]
    public void CancellationIsHonoured()
    {
        var source = new InMemoryPackageSource().Add("a", "1.0");
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => Solve(source, new[] { "a" }, Array.Empty<RepodataRecord>(), ct: cts.Token));
    }

    [Fact]
    public void SolutionCheckerReportsViolations()
    {
        var a = new PackageRecord { Name = "a", Version = "1.0", Build = "0", Depends = { "b >=2", "__glibc >=2.17" }, Constrains = { "c <1" } };
        var b = new PackageRecord { Name = "b", Version = "1.0", Build = "0" };
        var c = new PackageRecord { Name = "c", Version = "1.5", Build = "0" };
        var problems = SolutionChecker.Check(new[] { a, b, c }, Array.Empty<VirtualPackage>());
        Assert.Equal(3, problems.Count);
        Assert.Contains(problems, p => p.Contains("requires b >=2, but the set has b-1.0-0"));
        Assert.Contains(problems, p => p.Contains("__glibc"));
        Assert.Contains(problems, p => p.Contains("only allows c <1"));
        Assert.Empty(SolutionChecker.Check(new[] { b }, Linux));
    }

    [Fact]
    public void DefaultVirtualPackagesFollowThePlatform()
    {
        Assert.Equal(new[] { "__unix=0", "__linux=5.10", "__glibc=2.28", "__archspec=1=x86_64" },
            VirtualPackages.DefaultsFor("linux-64").Select(Show));
        Assert.Equal(new[] { "__unix=0", "__osx=11.0", "__archspec=1=arm64" }, VirtualPackages.DefaultsFor("osx-arm64").Select(Show));
        Assert.Equal(new[] { "__unix=0", "__osx=10.15", "__archspec=1=x86_64" }, VirtualPackages.DefaultsFor("osx-64").Select(Show));
        Assert.Equal(new[] { "__win=0", "__archspec=1=x86_64" }, VirtualPackages.DefaultsFor("win-64").Select(Show));
        Assert.Empty(VirtualPackages.DefaultsFor("noarch"));
        var merged = VirtualPackages.Merge(VirtualPackages.DefaultsFor("linux-aarch64"), new[] { new VirtualPackage("__glibc", "2.17"), new VirtualPackage("__cuda", "12.2") });
        Assert.Equal(new[] { "__unix=0", "__linux=5.10", "__glibc=2.17", "__archspec=1=aarch64", "__cuda=12.2" }, merged.Select(Show));
        static string Show(VirtualPackage v) => v.Build == "0" ? $"{v.Name}={v.Version}" : $"{v.Name}={v.Version}={v.Build}";
    }

    private static InMemoryPackageSource SummedVersions() => new InMemoryPackageSource()
        .Add("a", "1.0", depends: new[] { "x", "w" })
        .Add("x", "3.0", depends: new[] { "z 1.*" }).Add("x", "2.0", depends: new[] { "z 2.*" }).Add("x", "1.0", depends: new[] { "z 2.*" })
        .Add("w", "3.0", depends: new[] { "z 2.*" }).Add("w", "2.0", depends: new[] { "z 1.*" }).Add("w", "1.0", depends: new[] { "z 1.*" })
        .Add("z", "2.0").Add("z", "1.0");

    [Fact]
    public void DependencyVersionsAreSummedOverAllNamesNotTakenGreedily()
    {
        // Greedy (x first, newest first) ends at x 3.0, w 2.0, z 1.0: two versions behind in total. conda 25.11.1
        // (classic) on exactly these records picks x 2.0, w 3.0, z 2.0: one version behind.
        var result = Solve(SummedVersions(), "a");
        Assert.Equal("a=1.0=0 w=3.0=0 x=2.0=0 z=2.0=0", Picked(result));
        Assert.True(result.Stats.OptimizationComplete);
        Assert.True(result.Stats.OptimizeSteps >= 1);
    }

    [Fact]
    public void AnOptimisationBudgetOfZeroKeepsTheFirstValidSolutionAndSaysSo()
    {
        var request = new SolveRequest
        {
            Specs = new[] { ("a", (string?)null) },
            Platform = "linux-64",
            VirtualPackages = Linux,
            OptimizeBudget = TimeSpan.Zero,
        };
        var result = new CondaSolver().Solve(request, SummedVersions());
        Assert.Empty(SolutionChecker.Check(result.Packages.Select(p => p.Record).ToList(), request.VirtualPackages));
        Assert.Equal("a=1.0=0 w=2.0=0 x=3.0=0 z=1.0=0", Picked(result));
        Assert.False(result.Stats.OptimizationComplete);
        Assert.Contains("cut short by its budget", result.Stats.ToString());
    }

    [Fact]
    public void FewestTrackFeaturesWinAmongDependenciesEvenAgainstANewerBuild()
    {
        // conda 25.11.1 (classic) on exactly these records picks the mkl build. blas tracks a feature in its openblas
        // build; the mkl build pulls one more package yet wins: the feature
        // count comes before dependency versions and the package count.
        var source = new InMemoryPackageSource()
            .Add("app", "1.0", depends: new[] { "blas" })
            .Add("blas", "1.0", "openblas", buildNumber: 1, trackFeatures: "openblas")
            .Add("blas", "1.0", "mkl", depends: new[] { "mkl" })
            .Add("mkl", "2018");
        Assert.Equal("app=1.0=0 blas=1.0=mkl mkl=2018=0", Picked(Solve(source, "app")));
    }

    [Fact]
    public void FewerPackagesWinWhenVersionsTie()
    {
        // Two ways to satisfy "b": b 1.0 alone, or b 1.0 (other build, same version and build number) needing c;
        // the package count comes before timestamps (conda 25.11.1, classic, on exactly these records: b-1.0-alone).
        var source = new InMemoryPackageSource()
            .Add("a", "1.0", depends: new[] { "b" })
            .Add("b", "1.0", "withc", timestamp: 2000, depends: new[] { "c" })
            .Add("b", "1.0", "alone", timestamp: 1000)
            .Add("c", "1.0");
        Assert.Equal("a=1.0=0 b=1.0=alone", Picked(Solve(source, "a")));
    }

    [Fact]
    public void OptimisingKeepsTheSearchLazyAndFetchesEachNameOnce()
    {
        // The optimum needs names the first solution never reached (z 2.0 through w 3.0); a name nothing depends
        // on is never fetched, and none is fetched twice.
        var source = SummedVersions().Add("unrelated", "1.0").Add("w", "0.5", depends: new[] { "unrelated" });
        var result = Solve(source, "a");
        Assert.Equal("a=1.0=0 w=3.0=0 x=2.0=0 z=2.0=0", Picked(result));
        Assert.DoesNotContain("unrelated", source.Fetches.Keys);
        Assert.All(source.Fetches.Values, count => Assert.Equal(1, count));
    }

    [Fact]
    public void AnUnboundedOptimisationBudgetIsAccepted()
    {
        var request = new SolveRequest
        {
            Specs = new[] { ("a", (string?)null) },
            Platform = "linux-64",
            VirtualPackages = Linux,
            OptimizeBudget = TimeSpan.MaxValue,
        };
        var result = new CondaSolver().Solve(request, SummedVersions());
        Assert.Equal("a=1.0=0 w=3.0=0 x=2.0=0 z=2.0=0", Picked(result));
        Assert.True(result.Stats.OptimizationComplete);
    }
}
