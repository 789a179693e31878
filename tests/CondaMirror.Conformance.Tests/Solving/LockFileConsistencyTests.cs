using CondaMirror.Core.Errors;
using CondaMirror.Core.Locks;
using CondaMirror.Core.Records;
using CondaMirror.Core.Solving;
using CondaMirror.TestKit;
using Xunit;

namespace CondaMirror.Conformance.Tests.Solving;

/// <summary>
/// Real pixi.lock and conda-lock files, produced by rattler's and conda's solvers: SolutionChecker must accept
/// every locked environment that carries depends, and the solver, given only the locked records, must find
/// exactly that environment (a soundness and spec-matching check on real dependency graphs).
/// </summary>
public class LockFileConsistencyTests
{
    public static IEnumerable<object[]> LockFiles()
    {
        var root = TestData.Root;
        if (root is null) { yield return new object[] { "" }; yield break; }
        foreach (var folder in new[] { "pixi", "conda-lock" })
            foreach (var file in Directory.EnumerateFiles(Path.Combine(root, "locks", folder), "*", SearchOption.AllDirectories).OrderBy(f => f, StringComparer.Ordinal))
                yield return new object[] { Path.GetRelativePath(Path.Combine(root, "locks"), file) };
    }

    [SkippableTheory]
    [MemberData(nameof(LockFiles))]
    public void LockedEnvironmentsAreConsistentAndReproducible(string relativePath)
    {
        var path = TestData.PathOf("locks", relativePath);
        // mamba's lock-parsing fixtures are hand-trimmed environments (e.g. libzlib without its vc runtime).
        Skip.If(relativePath.Contains("mamba-org-mamba__env_lockfile", StringComparison.Ordinal), "hand-trimmed parser fixture, not a solved environment");
        LockFile lockFile;
        try { lockFile = LockFileReader.Read(path); }
        catch (CondaMirrorException e) { Skip.If(true, $"not a readable conda lock ({e.Code}): {e.Message}"); return; }

        var checkedAny = false;
        foreach (var (platform, records) in lockFile.PackagesByPlatform.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (records.Count == 0 || !records.Any(r => r.Record.Depends.Count > 0)) continue;
            checkedAny = true;
            // Virtual packages are the target machine's business: old conda-lock files list the ones seen at lock
            // time (those become the virtual packages); other depends on virtual packages are dropped.
            var virtuals = records.Where(r => r.Record.Name.StartsWith("__", StringComparison.Ordinal))
                .Select(r => new VirtualPackage(r.Record.Name, r.Record.Version, r.Record.Build)).ToList();
            var withoutVirtual = records.Where(r => !r.Record.Name.StartsWith("__", StringComparison.Ordinal))
                .Select(r => WithoutVirtualDepends(r, virtuals)).ToList();
            var problems = SolutionChecker.Check(withoutVirtual.Select(r => r.Record).ToList(), virtuals);
            Assert.True(problems.Count == 0, $"{platform}: {string.Join("; ", problems.Take(5))}");

            var request = new SolveRequest
            {
                Specs = withoutVirtual.Select(r => (r.Record.Name, (string?)null)).Distinct().ToList(),
                Platform = platform,
                VirtualPackages = virtuals,
            };
            var result = new CondaSolver().Solve(request, new ListSource(withoutVirtual));
            Assert.Equal(withoutVirtual.Select(r => r.FileName).OrderBy(f => f, StringComparer.Ordinal),
                result.Packages.Select(r => r.FileName).OrderBy(f => f, StringComparer.Ordinal));
        }
        Skip.IfNot(checkedAny, "the lock carries no depends (only URLs)");
    }

    private static RepodataRecord WithoutVirtualDepends(RepodataRecord r, List<VirtualPackage> listed)
    {
        var record = r.Record.Clone();
        record.Depends = record.Depends.Where(d => !d.TrimStart().StartsWith("__", StringComparison.Ordinal) ||
                                                   listed.Any(v => d.TrimStart().Split(' ', '<', '>', '=')[0] == v.Name)).ToList();
        return r with { Record = record };
    }

    private sealed class ListSource : IPackageSource
    {
        private readonly ILookup<string, RepodataRecord> _byName;
        public ListSource(IEnumerable<RepodataRecord> records) => _byName = records.ToLookup(r => r.Record.Name, StringComparer.Ordinal);
        public IReadOnlyList<RepodataRecord> GetRecords(string name) => _byName[name].ToList();
        public bool HasName(string name) => _byName.Contains(name);
        public IEnumerable<string> AllNames => _byName.Select(g => g.Key);
    }
}
