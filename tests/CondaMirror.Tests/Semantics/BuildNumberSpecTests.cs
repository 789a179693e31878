using CondaMirror.Core.Errors;
using CondaMirror.Core.Specs;
using Xunit;

namespace CondaMirror.Tests.Semantics;

public class BuildNumberSpecTests
{
    [Theory]
    [InlineData("3", 3, true)]
    [InlineData("3", 4, false)]
    [InlineData(" 03 ", 3, true)]
    [InlineData(">=3", 3, true)]
    [InlineData(">=3", 12, true)]
    [InlineData(">=3", 2, false)]
    [InlineData("<3", 2, true)]
    [InlineData("!=0", 0, false)]
    [InlineData("!=0", 1, true)]
    [InlineData("=1", 1, true)]
    [InlineData("=1", 12, false)]     // prefix over version components, and 12 is one component
    [InlineData("*", 99, true)]
    [InlineData("^1[0-9]$", 12, true)]
    [InlineData("^1[0-9]$", 2, false)]
    [InlineData("abc", 0, false)]     // conda keeps it but a string never equals the integer
    public void Matches_like_condas_BuildNumberMatch(string spec, long buildNumber, bool expected) =>
        Assert.Equal(expected, BuildNumberSpec.Parse(spec).Matches(buildNumber));

    [Fact]
    public void Plain_integers_are_normalized()
    {
        var spec = BuildNumberSpec.Parse("007");
        Assert.Equal("7", spec.ToString());
        Assert.Equal(7, spec.Exact);
        Assert.Null(BuildNumberSpec.Parse(">3").Exact);
        Assert.Equal(">3", BuildNumberSpec.Parse(">3").ToString());
    }

    [Theory]
    [InlineData("<>3")]
    [InlineData(">= 3")]
    [InlineData("^3")]
    [InlineData(">=1..2")]
    public void Rejects_invalid_specs_with_CMIR106(string spec)
    {
        var ex = Assert.Throws<CondaMirrorException>(() => BuildNumberSpec.Parse(spec));
        Assert.Equal(ErrorCodes.InvalidBuildNumberSpec, ex.Code);
        Assert.Contains(spec, ex.Message);
    }
}
