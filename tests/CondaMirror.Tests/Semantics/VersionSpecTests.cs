using CondaMirror.Core.Errors;
using CondaMirror.Core.Specs;
using CondaMirror.Core.Versions;
using Xunit;

namespace CondaMirror.Tests.Semantics;

public class VersionSpecTests
{
    [Theory]
    [InlineData("1.2", "1.2", true)]
    [InlineData("1.2", "1.2.0", true)]
    [InlineData("1.2", "1.2.1", false)]
    [InlineData("==1.2", "1.2.0", true)]
    [InlineData("!=1.2", "1.2.0", false)]
    [InlineData("!=1.2", "1.3", true)]
    [InlineData("<2", "1.9", true)]
    [InlineData("<2", "2.0a1", true)]          // pre-releases sort before the release
    [InlineData("<2", "2", false)]
    [InlineData("<=2", "2.0", true)]
    [InlineData(">1", "1.0.1", true)]
    [InlineData(">1", "1.0", false)]
    [InlineData(">=1", "1", true)]
    [InlineData(">=1", "1.0rc1", false)]
    public void Relations_compare_with_conda_ordering(string spec, string version, bool expected) =>
        Assert.Equal(expected, VersionSpec.Parse(spec).Matches(version));

    [Theory]
    [InlineData("~=1.4.2", "1.4.2", true)]
    [InlineData("~=1.4.2", "1.4.9", true)]
    [InlineData("~=1.4.2", "1.4.1", false)]
    [InlineData("~=1.4.2", "1.5.0", false)]
    [InlineData("~=1.4", "1.9", true)]
    [InlineData("~=1.4", "2.0", false)]
    public void Compatible_release_is_at_least_and_same_prefix(string spec, string version, bool expected) =>
        Assert.Equal(expected, VersionSpec.Parse(spec).Matches(version));

    [Theory]
    [InlineData("=1.2", "1.2", true)]
    [InlineData("=1.2", "1.2.3", true)]
    [InlineData("=1.2", "1.20", false)]
    [InlineData("1.2.*", "1.2.3", true)]
    [InlineData("1.2.*", "1.3", false)]
    [InlineData("1.2*", "1.2.3", true)]
    [InlineData("1.2*", "1.20", false)]        // 1.2* is 1.2.*, not a string prefix
    [InlineData("=1.2.*", "1.2.3", true)]
    [InlineData(">=1.2.*", "1.2", true)]      // the .* is dropped: >=1.2
    [InlineData(">=1.2.*", "1.1.9", false)]
    [InlineData("!=1.2.*", "1.2.5", false)]   // "does not start with"
    [InlineData("!=1.2.*", "1.3", true)]
    [InlineData("==1.2.*", "1.2.0", true)]    // conda ignores the .* after ==, so this is plain equality
    [InlineData("==1.2.*", "1.2.5", false)]
    [InlineData("<1.2.*", "1.1", true)]
    public void Prefix_and_star_forms_follow_conda(string spec, string version, bool expected) =>
        Assert.Equal(expected, VersionSpec.Parse(spec).Matches(version));

    [Theory]
    [InlineData("*", "anything-at_all", true)]
    [InlineData("1.*.3", "1.2.3", true)]
    [InlineData("1.*.3", "1.22.3", true)]
    [InlineData("1.*.3", "1.2.4", false)]
    [InlineData(@"^1\.2\.[0-9]+$", "1.2.10", true)]
    [InlineData(@"^1\.2\.[0-9]+$", "1.2", false)]
    [InlineData("1.0@abc", "1.0@abc", true)]  // '@' compares the raw string
    public void Globs_and_regexes_look_at_the_raw_string(string spec, string version, bool expected) =>
        Assert.Equal(expected, VersionSpec.Parse(spec).Matches(version));

    [Theory]
    [InlineData(">=1,<2|>3", "1.5", true)]
    [InlineData(">=1,<2|>3", "4", true)]
    [InlineData(">=1,<2|>3", "2.5", false)]   // ',' binds tighter than '|'
    [InlineData(">=1,(<2|>3)", "4", true)]
    [InlineData(">=1,(<2|>3)", "0.5", false)]
    [InlineData(">=1,(<2|>3)", "2.5", false)]
    [InlineData("1.2|1.4", "1.4.0", true)]
    [InlineData("1.2|1.4", "1.3", false)]
    [InlineData("((1.5|((1.6|1.7), 1.8), 1.9 |2.0))|2.1", "1.8", false)]
    [InlineData("((1.5|((1.6|1.7), 1.8), 1.9 |2.0))|2.1", "2.1", true)]
    public void And_binds_tighter_than_or_and_parentheses_group(string spec, string version, bool expected) =>
        Assert.Equal(expected, VersionSpec.Parse(spec).Matches(version));

    [Theory]
    [InlineData("1.2*", "1.2.*")]
    [InlineData(" >=1.0 ", ">=1.0")]
    [InlineData(">=1.2.*", ">=1.2.*")]
    [InlineData(">=1 , <2", ">=1,<2")]
    [InlineData("(1.2|1.3)|1.4", "1.2|1.3|1.4")]         // same-operator groups are fused
    [InlineData(">=1,(<2|>3)", ">=1,(<2|>3)")]            // parentheses kept where they matter
    [InlineData("(>=1,<2)|>3", "(>=1,<2)|>3")]
    [InlineData("((1.5|((1.6|1.7), 1.8), 1.9 |2.0))|2.1", "1.5|((1.6|1.7),1.8,1.9)|2.0|2.1")]
    public void ToString_gives_condas_spec_string(string spec, string expected)
    {
        var parsed = VersionSpec.Parse(spec);
        Assert.Equal(expected, parsed.ToString());
        // The printed form parses back to the same spec.
        Assert.Equal(expected, VersionSpec.Parse(parsed.ToString()).ToString());
    }

    [Fact]
    public void Exactness_matches_conda()
    {
        Assert.True(VersionSpec.Parse("1.2").IsExact);
        Assert.True(VersionSpec.Parse("==1.2").IsExact);
        Assert.False(VersionSpec.Parse("=1.2").IsExact);
        Assert.False(VersionSpec.Parse(">=1.2").IsExact);
        Assert.False(VersionSpec.Parse("1.2|1.3").IsExact);
        Assert.True(VersionSpec.Any.Matches(CondaVersion.Parse("0")));
    }

    [Theory]
    [InlineData("")]
    [InlineData(">= 1.2")]       // no space after an operator
    [InlineData("<>1.2")]
    [InlineData("=<1.2")]
    [InlineData(">=")]
    [InlineData("1.2,")]
    [InlineData("(1.2")]
    [InlineData("1.2)")]
    [InlineData("^1.2")]         // a regex must end with '$'
    [InlineData("1..2")]
    [InlineData(">=1.0-1_2")]
    [InlineData("~=1.2.*")]
    [InlineData("~=1")]          // conda would fail on every comparison; rejected up front
    public void Rejects_invalid_specs_with_CMIR102(string spec)
    {
        var ex = Assert.Throws<CondaMirrorException>(() => VersionSpec.Parse(spec));
        Assert.Equal(ErrorCodes.InvalidVersionSpec, ex.Code);
        Assert.Contains($"'{spec.Trim()}'", ex.Message);
        Assert.False(VersionSpec.TryParse(spec, out var parsed, out var error));
        Assert.Null(parsed);
        Assert.NotNull(error);
    }

    [Fact]
    public void A_string_that_is_not_a_version_matches_no_comparison()
    {
        Assert.False(VersionSpec.Parse(">=1").Matches("not a version"));
        Assert.True(VersionSpec.Parse("*").Matches("not a version"));
    }
}
