using CondaMirror.Core.Records;

namespace CondaMirror.Core.Policies;

/// <summary>
/// One CondaExclude item: records whose name matches <see cref="Name"/> (a glob) and, when given, whose license,
/// build and channel match too, may not be chosen.
/// </summary>
/// <param name="Channel">A channel URL or name; matches a record from that channel (its URL, or a URL ending in /name).</param>
public sealed record ExcludeRule(string Name, string? License = null, string? Build = null, string? Channel = null)
{
    public string Describe() =>
        $"CondaExclude '{Name}'" + (License is null ? "" : $" License='{License}'") + (Build is null ? "" : $" Build='{Build}'") + (Channel is null ? "" : $" Channel='{Channel}'");
}

/// <summary>
/// Package policy applied inside the solve (not after it, which would leave a channel that no longer installs):
/// CondaExclude rules, and a CondaAllowLicense list that, when present, admits only records whose license matches
/// one of its globs. Globs: <c>*</c> and <c>?</c>, case-insensitive, over the whole string.
/// </summary>
public sealed class PackagePolicy
{
    public static PackagePolicy None { get; } = new([], []);

    public PackagePolicy(IEnumerable<ExcludeRule> excludes, IEnumerable<string> allowedLicenses)
    {
        Excludes = excludes.ToArray();
        AllowedLicenses = allowedLicenses.Select(l => l.Trim()).Where(l => l.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
    }

    public IReadOnlyList<ExcludeRule> Excludes { get; }

    public IReadOnlyList<string> AllowedLicenses { get; }

    public bool IsEmpty => Excludes.Count == 0 && AllowedLicenses.Count == 0;

    /// <summary>Why the policy removes <paramref name="record"/> ("excluded by CondaExclude 'gpl-*' (license GPL-3.0-only)"), or null.</summary>
    public string? ExclusionOf(RepodataRecord record)
    {
        var r = record.Record;
        foreach (var rule in Excludes)
            if (Glob.Matches(rule.Name, r.Name)
                && (rule.License is null || (r.License is { } license && Glob.Matches(rule.License, license)))
                && (rule.Build is null || Glob.Matches(rule.Build, r.Build))
                && (rule.Channel is null || ChannelMatches(rule.Channel, record.Channel)))
                return $"excluded by {rule.Describe()}" + (rule.License is null ? "" : $" (license {r.License})");
        if (AllowedLicenses.Count > 0 && !AllowedLicenses.Any(a => r.License is { } license && Glob.Matches(a, license.Trim())))
            return $"excluded by CondaAllowLicense '{string.Join(";", AllowedLicenses)}' (license {(string.IsNullOrWhiteSpace(r.License) ? "not given" : r.License)})";
        return null;
    }

    /// <summary>The policy as lines for the lock's recorded inputs: order-insensitive, so reordering items re-solves nothing.</summary>
    public IEnumerable<string> DescribeInputs() =>
        Excludes.Select(e => "exclude " + e.Describe()).Concat(AllowedLicenses.Select(l => "allow-license " + l))
            .Distinct().OrderBy(l => l, StringComparer.Ordinal);

    private static bool ChannelMatches(string wanted, string? channel)
    {
        if (channel is null) return false;
        var w = wanted.Trim().TrimEnd('/');
        var c = channel.TrimEnd('/');
        return string.Equals(c, w, StringComparison.OrdinalIgnoreCase) || c.EndsWith("/" + w, StringComparison.OrdinalIgnoreCase);
    }
}

/// <summary>Whole-string glob match (<c>*</c>, <c>?</c>), case-insensitive; at most pattern × text steps, never exponential.</summary>
internal static class Glob
{
    public static bool Matches(string pattern, string text)
    {
        int p = 0, t = 0, star = -1, mark = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || char.ToLowerInvariant(pattern[p]) == char.ToLowerInvariant(text[t])))
            {
                p++; t++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++; mark = t;
            }
            else if (star >= 0)
            {
                p = star + 1; t = ++mark;
            }
            else return false;
        }
        while (p < pattern.Length && pattern[p] == '*') p++;
        return p == pattern.Length;
    }
}
