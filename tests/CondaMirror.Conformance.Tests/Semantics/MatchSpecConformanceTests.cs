using System.Text;
using System.Text.Json;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Records;
using CondaMirror.Core.Specs;
using CondaMirror.Core.Versions;
using CondaMirror.TestKit;
using Xunit;

namespace CondaMirror.Conformance.Tests.Semantics;

/// <summary>
/// MatchSpec parsing and matching against conda 25.11.1's answers for every depends/constrains string of the
/// shared repodata plus generated version specs (conda-semantics/README.md).
/// </summary>
public class MatchSpecConformanceTests
{
    private static IEnumerable<JsonElement> ReadRows(string file)
    {
        foreach (var line in File.ReadLines(TestData.PathOf("conda-semantics", "conda-25.11.1", file)))
            if (line.Length > 0) yield return JsonDocument.Parse(line).RootElement;
    }

    private static string? Str(JsonElement row, string key) =>
        row.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    [SkippableFact]
    public void Every_match_case_agrees_with_conda()
    {
        var specs = new Dictionary<string, MatchSpec>(StringComparer.Ordinal);
        var report = new StringBuilder();
        var failures = 0;
        var rows = 0;
        var trueRows = 0;
        foreach (var row in ReadRows("matchspec-cases.jsonl"))
        {
            rows++;
            var specText = Str(row, "spec")!;
            var record = row.GetProperty("record");
            var expected = row.GetProperty("match").GetBoolean();
            if (expected) trueRows++;
            if (!specs.TryGetValue(specText, out var spec)) specs[specText] = spec = MatchSpec.Parse(specText);

            var packageRecord = new PackageRecord
            {
                Name = Str(record, "name")!,
                Version = Str(record, "version")!,
                Build = Str(record, "build")!,
                BuildNumber = record.GetProperty("build_number").GetInt64(),
            };
            var viaRecord = spec.Matches(packageRecord);
            var viaFastPath = spec.Matches(packageRecord.Name, CondaVersion.Parse(packageRecord.Version), packageRecord.Build, packageRecord.BuildNumber);
            if (viaRecord == expected && viaFastPath == expected) continue;
            if (failures++ < 15)
                report.AppendLine($"  '{specText}' vs {packageRecord.Stem} #{packageRecord.BuildNumber}: conda {expected}, " +
                                  $"ours {viaRecord} (fast path {viaFastPath}); parsed as {spec}");
        }
        Assert.True(rows > 50000 && trueRows > 15000, $"only {rows} rows ({trueRows} matching) read");
        Assert.True(failures == 0, $"{failures} of {rows} rows disagree with conda; first ones:\n{report}");
    }

    /// <summary>
    /// Name, version spec, build and canonical string per parsed row. conda's "version" is str(VersionSpec), the
    /// spec string after MatchSpec's own rewriting (==1.2 without build becomes 1.2, =1.2 becomes 1.2*, 1.2* is
    /// printed as 1.2.*); our <see cref="VersionSpec.ToString"/> produces that same string, so the fields are
    /// compared verbatim, with no extra normalisation.
    /// </summary>
    [SkippableFact]
    public void Every_parse_row_agrees_with_conda()
    {
        var report = new StringBuilder();
        var failures = 0;
        var rows = 0;
        var rejected = 0;
        foreach (var row in ReadRows("matchspec-parse.jsonl"))
        {
            rows++;
            var specText = Str(row, "spec")!;
            var ok = MatchSpec.TryParse(specText, out var spec, out var error);
            string? problem;
            if (Str(row, "error") is { } condaError)
            {
                rejected++;
                problem = ok ? $"conda rejects it ({condaError}) but we parse it as {spec}" : null;
                if (!ok)
                {
                    var ex = Assert.Throws<CondaMirrorException>(() => MatchSpec.Parse(specText));
                    Assert.StartsWith("CMIR1", ex.Code);
                }
            }
            else if (!ok)
            {
                problem = $"we reject it: {error}";
            }
            else
            {
                var (name, version, build, str) = (Str(row, "name"), Str(row, "version"), Str(row, "build"), Str(row, "str"));
                problem = null;
                if (spec!.Name != name) problem += $" name '{spec.Name}' vs conda '{name}';";
                if (spec.Version?.ToString() != version) problem += $" version '{spec.Version}' vs conda '{version}';";
                if (spec.Build != build) problem += $" build '{spec.Build}' vs conda '{build}';";
                if (spec.ToString() != str) problem += $" str '{spec}' vs conda '{str}';";
            }
            if (problem is not null && failures++ < 15) report.AppendLine($"  '{specText}':{problem}");
        }
        Assert.True(rows > 3000 && rejected >= 4, $"only {rows} rows ({rejected} rejected by conda) read");
        Assert.True(failures == 0, $"{failures} of {rows} rows disagree with conda; first ones:\n{report}");
    }
}
