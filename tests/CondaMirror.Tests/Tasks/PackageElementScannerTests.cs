using CondaMirror.MSBuild.ProjectChecks;
using Xunit;

namespace CondaMirror.Tests.Tasks;

public sealed class PackageElementScannerTests
{
    [Theory]
    [InlineData("numpy", "numpy")]
    [InlineData("$(Spec)", "")]
    [InlineData("python $(Py).%2A;@(Extra)%(Name)x", "python .%2A;x")]
    [InlineData("$(a(b))", "$(a(b))")]
    [InlineData("x$(a)$(b)y", "xy")]
    [InlineData("$(unclosed", "$(unclosed")]
    public void Literal_text_drops_references(string include, string expected) =>
        Assert.Equal(expected, PackageElementScanner.LiteralText(include));

    [Fact]
    public void Literal_text_of_a_long_include_does_not_backtrack()
    {
        // The expression runs on the linear engine: no timeout to hit, whatever the project holds. Backtracking on
        // these 5 MB would take hours; the limit catches that without timing anything.
        var include = string.Concat(Enumerable.Repeat("$(a", 1_000_000)) + string.Concat(Enumerable.Repeat("@(", 1_000_000));
        Assert.Equal(include, CondaMirror.TestKit.HangGuard.Run(() => PackageElementScanner.LiteralText(include)));
    }
}
