using CondaMirror.Core.Records;
using CondaMirror.Core.Versions;

namespace CondaMirror.Core.Solving;

/// <summary>
/// Independent consistency check of an environment: one record per name, every depends satisfied by a record
/// of the set (or a virtual package), every constrains respected. Used by tests to validate solver output and
/// lock files without trusting the solver.
/// </summary>
public static class SolutionChecker
{
    /// <summary>The violations found, in words; empty when the set is consistent.</summary>
    public static IReadOnlyList<string> Check(IReadOnlyList<PackageRecord> set, IReadOnlyList<VirtualPackage> virtuals)
    {
        var problems = new List<string>();
        var byName = new Dictionary<string, Candidate>(StringComparer.Ordinal);
        foreach (var record in set)
        {
            if (!CondaVersion.TryParse(record.Version, out var version))
            {
                problems.Add($"{record.Stem}: '{record.Version}' is not a valid conda version");
                continue;
            }
            if (byName.TryGetValue(record.Name, out var existing))
            {
                problems.Add($"{record.Name} appears twice: {existing.Package.Stem} and {record.Stem}");
                continue;
            }
            byName[record.Name] = new Candidate(new RepodataRecord(record, "", record.Stem), version!, isVirtual: false);
        }
        foreach (var vp in virtuals)
            if (!byName.ContainsKey(vp.Name) && CondaVersion.TryParse(vp.Version, out var v))
                byName[vp.Name] = new Candidate(new RepodataRecord(new PackageRecord { Name = vp.Name, Version = vp.Version, Build = vp.Build }, "", vp.Name), v!, isVirtual: true);

        foreach (var record in set)
        {
            foreach (var text in record.Depends)
            {
                if (!SpecMatcher.TryParse(text, out var spec, out var error)) { problems.Add($"{record.Stem}: depends '{text}' is invalid ({error})"); continue; }
                if (!byName.TryGetValue(spec!.Name, out var dep)) problems.Add($"{record.Stem} requires {text}, but no {spec.Name} is in the set");
                else if (!spec.Matches(dep)) problems.Add($"{record.Stem} requires {text}, but the set has {dep.Package.Stem}");
            }
            foreach (var text in record.Constrains)
            {
                if (!SpecMatcher.TryParse(text, out var spec, out var error)) { problems.Add($"{record.Stem}: constrains '{text}' is invalid ({error})"); continue; }
                if (byName.TryGetValue(spec!.Name, out var other) && !spec.Matches(other))
                    problems.Add($"{record.Stem} only allows {text}, but the set has {other.Package.Stem}");
            }
        }
        return problems;
    }
}
