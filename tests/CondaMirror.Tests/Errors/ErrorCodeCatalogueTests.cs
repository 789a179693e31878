using System.Reflection;
using System.Text.RegularExpressions;
using CondaMirror.Core.Errors;
using CondaMirror.TestKit;
using Xunit;

namespace CondaMirror.Tests.Errors;

public class ErrorCodeCatalogueTests
{
    private static readonly IReadOnlyList<(string Name, string Code)> Codes = typeof(ErrorCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.IsLiteral && f.Name != nameof(ErrorCodes.Prefix))
        .Select(f => (f.Name, (string)f.GetRawConstantValue()!))
        .ToList();

    [Fact]
    public void Every_code_is_well_formed_and_used_once()
    {
        Assert.True(Codes.Count > 50);
        Assert.All(Codes, c => Assert.Matches(@"^CMIR[1-8]\d\d$", c.Code));
        var duplicates = Codes.GroupBy(c => c.Code).Where(g => g.Count() > 1).Select(g => $"{g.Key}: {string.Join(", ", g.Select(x => x.Name))}").ToList();
        Assert.True(duplicates.Count == 0, "codes used twice: " + string.Join("; ", duplicates));
    }

    [Fact]
    public void Every_code_is_documented_in_docs_errors_md_and_nothing_else_is()
    {
        var doc = File.ReadAllText(Path.Combine(TestData.RepoRoot, "docs", "errors.md"));
        var documented = Regex.Matches(doc, @"^\| (CMIR\d{3}) \|", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToHashSet();
        var missing = Codes.Select(c => c.Code).Where(c => !documented.Contains(c)).ToList();
        var stale = documented.Where(d => Codes.All(c => c.Code != d)).ToList();
        Assert.True(missing.Count == 0, "not in docs/errors.md: " + string.Join(", ", missing));
        Assert.True(stale.Count == 0, "in docs/errors.md but not in ErrorCodes: " + string.Join(", ", stale));
    }
}
