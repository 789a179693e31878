using CondaMirror.Core.Errors;
using CondaMirror.Core.Locks;
using CondaMirror.Core.Records;
using CondaMirror.Core.Solving;
using System.Text.RegularExpressions;
using CondaMirror.TestKit;
using Xunit;
using YamlDotNet.RepresentationModel;

namespace CondaMirror.Conformance.Tests.Solving;

/// <summary>
/// Real pixi.lock and conda-lock files, produced by rattler's and conda's solvers: SolutionChecker must accept
/// every locked environment that carries depends, and the solver, given only the locked records, must find
/// exactly that environment (a soundness and spec-matching check on real dependency graphs). Locks that must be
/// refused are told apart by what the file itself says (rattler's own parse-failure fixtures, a future version,
/// source packages), never by whether our reader happened to throw: an unexpected throw fails.
/// </summary>
public class LockFileConsistencyTests
{
    public static IEnumerable<object[]> LockFiles()
    {
        var root = TestData.Root;
        if (root is null) { yield return new object[] { "" }; yield break; }
        foreach (var folder in new[] { "pixi", "conda-lock" })
            foreach (var file in Directory.EnumerateFiles(Path.Combine(root, "locks", folder), "*", SearchOption.AllDirectories).OrderBy(f => f, StringComparer.Ordinal))
            {
                // mamba's lock-parsing fixtures are hand-trimmed environments (e.g. libzlib without its vc runtime),
                // not solver output: nothing to check consistency against (LockFileConformanceTests reads them).
                if (file.Contains("mamba-org-mamba__env_lockfile", StringComparison.Ordinal)) continue;
                yield return new object[] { Path.GetRelativePath(Path.Combine(root, "locks"), file) };
            }
    }

    /// <summary>
    /// The code a lock must be refused with, from the file alone: rattler's <c>lock_parse_fails</c> fixtures (any lock
    /// error), a version from the future (CMIR403), source packages, which have no archive to mirror (CMIR405); null
    /// for a lock that must read.
    /// </summary>
    private static string? ExpectedRefusal(string relativePath, string text)
    {
        if (relativePath.Contains("/lock_parse_fails/", StringComparison.Ordinal)) return "";
        var version = Regex.Match(text, @"^version: *(\d+)", RegexOptions.Multiline);
        if (version.Success && int.Parse(version.Groups[1].Value) > 7) return ErrorCodes.LockVersionUnsupported;
        // pixi.lock v7 lists a source package as conda_source:, v6 as a conda: location that is no archive.
        if (Regex.IsMatch(text, @"^\s*-?\s*conda_source:", RegexOptions.Multiline) ||
            Regex.Matches(text, @"^\s*- conda: *(\S+) *$", RegexOptions.Multiline).Any(m => !m.Groups[1].Value.Trim('"').EndsWith(".conda", StringComparison.Ordinal) && !m.Groups[1].Value.Trim('"').EndsWith(".tar.bz2", StringComparison.Ordinal)))
            return ErrorCodes.LockSourcePackages;
        return null;
    }

    /// <summary>The environments a pixi.lock names (YamlDotNet, not our reader); "default" for a conda-lock file.</summary>
    private static IReadOnlyList<string> Environments(string text)
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(text));
        if (yaml.Documents.Count > 0 && yaml.Documents[0].RootNode is YamlMappingNode root &&
            root.Children.TryGetValue(new YamlScalarNode("environments"), out var environments) && environments is YamlMappingNode map && map.Children.Count > 0)
            return map.Children.Keys.Select(k => ((YamlScalarNode)k).Value!).OrderBy(k => k, StringComparer.Ordinal).ToList();
        return new[] { "default" };
    }

    /// <summary>Whether the text lists any dependency (pixi: a depends: list; conda-lock: a dependencies: map), read without our reader.</summary>
    private static bool ListsDependencies(string text) =>
        Regex.IsMatch(text, @"^(\s*)depends:\s*\n\1\s*- ", RegexOptions.Multiline) ||
        Regex.IsMatch(text, @"^(\s*)dependencies:\s*\n\1\s+\S+:", RegexOptions.Multiline);

    [SkippableTheory]
    [MemberData(nameof(LockFiles))]
    public void LockedEnvironmentsAreConsistentAndReproducible(string relativePath)
    {
        var path = TestData.PathOf("locks", relativePath);
        var text = File.ReadAllText(path);
        if (ExpectedRefusal(relativePath, text) is { } code)
        {
            var refused = Assert.Throws<CondaMirrorException>(() => LockFileReader.Read(path));
            if (code.Length > 0) Assert.Equal(code, refused.Code);
            else Assert.StartsWith("CMIR4", refused.Code);
            return;
        }

        var checkedAny = false;
        foreach (var environment in Environments(text))
        {
            var lockFile = LockFileReader.Read(path, environment); // a lock that must read: a throw fails the test
            foreach (var (platform, records) in lockFile.PackagesByPlatform.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                if (records.Count == 0 || !records.Any(r => r.Record.Depends.Count > 0)) continue;
                checkedAny = true;
                CheckEnvironment(platform, records);
            }
        }
        // Nothing to solve (URL-only, PyPI-only or empty environments) only when the file lists no dependency at all.
        if (!checkedAny) Assert.False(ListsDependencies(text), "the lock lists dependencies, yet no environment carried any depends");
    }

    private static void CheckEnvironment(string platform, IReadOnlyList<RepodataRecord> records)
    {
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
