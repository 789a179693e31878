using CondaMirror.Core.Errors;
using CondaMirror.Core.Repodata;
using CondaMirror.Core.Solving;
using CondaMirror.Core.Versions;
using CondaMirror.TestKit;
using Xunit;

namespace CondaMirror.Conformance.Tests.Solving;

/// <summary>Solves against real conda-forge and anaconda repodata and checks the results independently.</summary>
public class RealRepodataSolveTests
{
    private readonly Xunit.Abstractions.ITestOutputHelper _output;

    public RealRepodataSolveTests(Xunit.Abstractions.ITestOutputHelper output) => _output = output;

    private const string Subchannel = "jaimergp-conda-subchannel-demo__conda-forge-python-subchannel-2024-05";
    private static readonly string[] Platforms = { "linux-64", "linux-aarch64", "linux-ppc64le", "osx-64", "osx-arm64", "win-64", "win-arm64" };

    public static IEnumerable<object[]> Cases() =>
        from platform in Platforms
        from spec in new[] { "python", "python 3.9.*", "python <3.9.10", "pip", "pypy3.9" }
        select new object[] { platform, spec };

    private static (RepodataPackageSource Source, string Channel) LoadSubchannel(string platform)
    {
        var root = TestData.PathOf("repodata", Subchannel);
        var channel = new Uri(Path.TrimEndingDirectorySeparator(root) + "/");
        var subdirs = new[] { platform, "noarch" }
            .Select(s => SparseRepodata.LoadFile(Path.Combine(root, s, "repodata.json"), channel, s));
        return (new RepodataPackageSource(subdirs), channel.AbsoluteUri.TrimEnd('/'));
    }

    private static SolveResult Solve(IPackageSource source, string platform, params string[] specs) =>
        new CondaSolver().Solve(new SolveRequest
        {
            Specs = specs.Select(s => (s, (string?)$"CondaPackage '{s}'")).ToList(),
            Platform = platform,
            VirtualPackages = VirtualPackages.DefaultsFor(platform),
        }, source);

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void SolvesToTheNewestSatisfiableVersionAndTheResultIsConsistent(string platform, string spec)
    {
        var (source, _) = LoadSubchannel(platform);
        var name = spec.Split(' ')[0];
        if (!source.HasName(name))
        {
            // Not published for this platform (pypy3.9 on win-arm64, say): the solve must say so, not pick anything.
            var unknown = Assert.Throws<SolveConflictException>(() => Solve(source, platform, spec));
            Assert.Equal(ErrorCodes.SolverUnknownPackage, unknown.Code);
            return;
        }

        // Independent oracle: the highest version (matching the spec) for which pinning it exactly solves.
        var versions = source.GetRecords(name).Select(r => CondaVersion.Parse(r.Record.Version)).Distinct()
            .OrderByDescending(v => v).ToList();
        CondaVersion? expected = null;
        foreach (var version in versions)
        {
            try
            {
                Solve(source, platform, spec, $"{name} =={version}");
                expected = version;
                break;
            }
            catch (SolveConflictException) { }
        }
        if (expected is null)
        {
            // No version is installable with the default virtual packages: the unpinned solve must fail too.
            Assert.Throws<SolveConflictException>(() => Solve(source, platform, spec));
            return;
        }

        var result = Solve(source, platform, spec);
        var virtuals = VirtualPackages.DefaultsFor(platform);
        Assert.Empty(SolutionChecker.Check(result.Packages.Select(p => p.Record).ToList(), virtuals));
        var picked = result.Packages.Single(p => p.Record.Name == name);
        Assert.Equal(expected, CondaVersion.Parse(picked.Record.Version));
        Assert.All(result.Packages, p => Assert.True(p.Subdir == platform || p.Subdir == "noarch", p.ToString()));
    }

    [SkippableFact]
    public void UnknownNameSuggestsTheSimilarOnes()
    {
        var (source, _) = LoadSubchannel("linux-64");
        var ex = Assert.Throws<SolveConflictException>(() => Solve(source, "linux-64", "pypy"));
        _output.WriteLine(ex.Message);
        Assert.Equal(ErrorCodes.SolverUnknownPackage, ex.Code);
        Assert.Contains("No package named 'pypy' in the channels. Similar names: ", ex.Message);
        Assert.Contains("pypy3.9", ex.Message);
    }

    [SkippableFact]
    public void MissingPythonVersionListsWhatTheChannelHas()
    {
        var (source, _) = LoadSubchannel("linux-64");
        var newest = source.GetRecords("python").Select(r => CondaVersion.Parse(r.Record.Version)).Max()!;
        // The snapshot (May 2024 subchannel) has python 3.9 only: a precondition of the data, not a reason to skip.
        Assert.True(newest < CondaVersion.Parse("3.11"), $"the snapshot now has python {newest}; pick a missing version");
        var ex = Assert.Throws<SolveConflictException>(() => Solve(source, "linux-64", "python 3.11.*"));
        _output.WriteLine(ex.Message);
        Assert.Equal(ErrorCodes.SolverNoMatchingVersion, ex.Code);
        Assert.Contains("python 3.11.* cannot be installed: the channels have python ", ex.Message);
        Assert.Contains(newest.ToString(), ex.Message);
    }

    [SkippableFact]
    public void RBaseWithAMissingDependencyNamesTheChain()
    {
        var rRoot = TestData.PathOf("repodata", "conda-conda__anaconda-r-linux-64-2018");
        var mainRoot = TestData.PathOf("repodata", "conda-conda__anaconda-main-noarch-2018");
        var rChannel = new Uri(rRoot + "/");
        var mainChannel = new Uri(mainRoot + "/");
        var source = new RepodataPackageSource(new[]
        {
            SparseRepodata.LoadFile(Path.Combine(rRoot, "linux-64", "repodata.json"), rChannel, "linux-64"),
            SparseRepodata.LoadFile(Path.Combine(mainRoot, "noarch", "repodata.json"), mainChannel, "noarch"),
        });
        var request = new SolveRequest
        {
            Specs = new[] { ("r-base", (string?)"CondaPackage 'r-base'") },
            Platform = "linux-64",
            VirtualPackages = VirtualPackages.DefaultsFor("linux-64"),
            ChannelPriority = new[] { rChannel.AbsoluteUri, mainChannel.AbsoluteUri },
        };
        var ex = Assert.Throws<SolveConflictException>(() => new CondaSolver().Solve(request, source));
        _output.WriteLine(ex.Message);
        Assert.Equal(ErrorCodes.SolverConflict, ex.Code);
        Assert.Contains("r-base (from CondaPackage 'r-base')", ex.Message);
        Assert.Matches(@"r-base [0-9].* requires \S+.*which is not in any channel", ex.Message);
        Assert.True(ex.Explanation.Count < 60, ex.Message); // a summary, not a dump of the proof
    }
}
