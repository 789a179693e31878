using CondaMirror.Core.Versions;

namespace CondaMirror.Core.Solving;

/// <summary>Short human summaries of version sets for error messages.</summary>
internal static class VersionSummary
{
    /// <summary>"versions 1.0, 1.1" or "versions 2.7.18 … 3.10.14 (27 in all; newest: 3.10.12, 3.10.13, 3.10.14)".</summary>
    public static string Describe(IEnumerable<CondaVersion> versions)
    {
        var sorted = Distinct(versions);
        if (sorted.Count == 0) return "no versions";
        if (sorted.Count == 1) return "only version " + sorted[0];
        if (sorted.Count <= 6) return "versions " + string.Join(", ", sorted);
        return $"versions {sorted[0]} … {sorted[^1]} ({sorted.Count} in all; newest: {string.Join(", ", sorted.Skip(sorted.Count - 3))})";
    }

    /// <summary>"2.2.2", "2.2.0, 2.2.1" or "2.0.0 … 2.2.2 (7 versions)".</summary>
    public static string Range(IEnumerable<CondaVersion> versions)
    {
        var sorted = Distinct(versions);
        if (sorted.Count <= 3) return string.Join(", ", sorted);
        return $"{sorted[0]} … {sorted[^1]} ({sorted.Count} versions)";
    }

    private static List<CondaVersion> Distinct(IEnumerable<CondaVersion> versions)
    {
        var list = versions.Distinct().ToList();
        list.Sort();
        return list;
    }
}
