using System.Text;
using CondaMirror.Core.Versions;
using CondaMirror.TestKit;
using Xunit;

namespace CondaMirror.Conformance.Tests.Semantics;

/// <summary>
/// Version ordering against conda 25.11.1's own VersionOrder output over the 28,530 distinct versions found in
/// real repodata (conda-semantics/README.md).
/// </summary>
public class VersionOrderConformanceTests
{
    private static string[] ReadLines(params string[] parts) =>
        File.ReadAllLines(TestData.PathOf(parts)).Where(l => l.Length > 0).ToArray();

    [SkippableFact]
    public void Sorting_the_rattler_versions_gives_condas_order()
    {
        var input = ReadLines("conda-semantics", "rattler__versions.txt");
        var expected = ReadLines("conda-semantics", "conda-25.11.1", "versions.sorted.txt");

        var parsed = input.Select(CondaVersion.Parse).ToArray();
        // Stable sort: versions that compare equal keep their input order, as in conda's sorted().
        var actual = parsed.Select((v, i) => (v, i)).OrderBy(x => x.v).ThenBy(x => x.i).Select(x => x.v.Original).ToArray();

        Assert.Equal(expected.Length, actual.Length);
        var report = new StringBuilder();
        var mismatches = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            if (expected[i] == actual[i]) continue;
            if (mismatches++ < 10) report.AppendLine($"  #{i}: conda '{expected[i]}', ours '{actual[i]}'");
        }
        Assert.True(mismatches == 0, $"{mismatches} positions differ from conda's order; first ones:\n{report}");
    }

    [SkippableFact]
    public void Every_equal_group_compares_equal_with_equal_hashes()
    {
        var groups = ReadLines("conda-semantics", "conda-25.11.1", "versions.equal-groups.txt");
        var report = new StringBuilder();
        var failures = 0;
        foreach (var line in groups)
        {
            var members = line.Split('\t').Select(CondaVersion.Parse).ToArray();
            var first = members[0];
            foreach (var other in members.Skip(1))
            {
                if (first == other && first.CompareTo(other) == 0 && first.GetHashCode() == other.GetHashCode()) continue;
                if (failures++ < 10)
                    report.AppendLine($"  '{first.Original}' vs '{other.Original}': equal={first == other}, " +
                                      $"compare={first.CompareTo(other)}, hashes {first.GetHashCode()}/{other.GetHashCode()}");
            }
        }
        Assert.True(groups.Length > 2000, "expected the full equal-groups file");
        Assert.True(failures == 0, $"{failures} pairs conda calls equal are not equal here; first ones:\n{report}");
    }

    [SkippableFact]
    public void Neighbours_in_condas_order_that_are_not_in_one_group_are_strictly_ordered()
    {
        // Guards against an implementation that calls too much equal: the sort test alone would accept
        // "everything equal" if the input were already in conda's order.
        var sorted = ReadLines("conda-semantics", "conda-25.11.1", "versions.sorted.txt").Select(CondaVersion.Parse).ToArray();
        var equalPairs = new HashSet<(string, string)>();
        foreach (var line in ReadLines("conda-semantics", "conda-25.11.1", "versions.equal-groups.txt"))
        {
            var members = line.Split('\t');
            for (var i = 0; i + 1 < members.Length; i++) equalPairs.Add((members[i], members[i + 1]));
        }
        var report = new StringBuilder();
        var failures = 0;
        for (var i = 0; i + 1 < sorted.Length; i++)
        {
            var (a, b) = (sorted[i], sorted[i + 1]);
            var expectEqual = equalPairs.Contains((a.Original, b.Original));
            var ok = expectEqual ? a == b : a < b && b > a && a != b;
            if (!ok && failures++ < 10) report.AppendLine($"  '{a.Original}' vs '{b.Original}' (conda equal: {expectEqual})");
        }
        Assert.True(failures == 0, $"{failures} neighbour pairs disagree with conda; first ones:\n{report}");
    }

    [SkippableFact]
    public void Parsed_components_match_condas_VersionOrder_version()
    {
        var report = new StringBuilder();
        var failures = 0;
        var rows = 0;
        foreach (var line in File.ReadLines(TestData.PathOf("conda-semantics", "rattler__parsed_versions.txt")))
        {
            if (line.Length == 0 || line[0] == '#') continue;
            // The version itself never contains '=', so the first one separates it from conda's parsed form.
            var eq = line.IndexOf('=');
            var (text, expected) = (line[..eq], line[(eq + 1)..]);
            rows++;
            var actual = CondaVersion.Parse(text).ToComponentString();
            if (actual != expected && failures++ < 10) report.AppendLine($"  '{text}': conda {expected}, ours {actual}");
        }
        Assert.True(rows > 28000, $"only {rows} rows read");
        Assert.True(failures == 0, $"{failures} versions parse differently from conda; first ones:\n{report}");
    }
}
