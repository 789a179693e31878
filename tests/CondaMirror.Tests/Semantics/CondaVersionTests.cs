using CondaMirror.Core.Errors;
using CondaMirror.Core.Versions;
using Xunit;

namespace CondaMirror.Tests.Semantics;

public class CondaVersionTests
{
    private static CondaVersion V(string s) => CondaVersion.Parse(s);

    [Fact]
    public void Follows_the_order_documented_by_conda()
    {
        // conda's VersionOrder docstring, in order; entries starting with '==' equal their predecessor. The
        // docstring claims 0.4 < 0.4.0, but conda pads with zeros and really treats them as equal.
        var chain = new[]
        {
            "0.4", "==0.4.0", "0.4.1.rc", "==0.4.1.RC", "0.4.1", "0.5a1", "0.5b3", "0.5C1", "0.5", "0.9.6", "0.960923",
            "1.0", "1.1dev1", "1.1_", "1.1a1", "1.1.0dev1", "==1.1.dev1", "1.1.a1", "1.1.0rc1", "1.1.0", "==1.1",
            "1.1.0post1", "==1.1.post1", "1.1post1", "1996.07.12", "1!0.4.1", "1!3.1.1.6", "2!0.4.1",
        };
        for (var i = 1; i < chain.Length; i++)
        {
            var equal = chain[i].StartsWith("==", StringComparison.Ordinal);
            var (a, b) = (V(chain[i - 1].TrimStart('=')), V(chain[i].TrimStart('=')));
            if (equal)
            {
                Assert.True(a == b, $"{a} == {b}");
                Assert.Equal(a.GetHashCode(), b.GetHashCode());
            }
            else
            {
                Assert.True(a < b, $"{a} < {b}");
                Assert.True(b > a && a <= b && b >= a && a != b, $"{a} vs {b}");
            }
        }
    }

    [Theory]
    [InlineData("1.0", "1.0.0")]
    [InlineData("1.0", "1")]
    [InlineData("1.1.a1", "1.1.0a1")]
    [InlineData("1.0-1", "1.0_1")]
    [InlineData("1.0-1", "1.0.1")]
    [InlineData("1.0+ABC", "1.0+abc")]
    [InlineData("0!1.0", "1.0")]
    [InlineData("1.01", "1.1")]
    [InlineData("1.0+1_0", "1.0+1")]
    [InlineData("1", "1.0+0")]                // an all-zero local part is no local part
    [InlineData("1.1.dev1", "1.1.0dev1")]     // fast numeric path on neither side
    [InlineData("2.0", "2.0.0.0.0.0")]
    public void Equal_versions_have_equal_hashes(string a, string b)
    {
        Assert.Equal(V(a), V(b));
        Assert.Equal(V(a).GetHashCode(), V(b).GetHashCode());
        Assert.Equal(0, V(a).CompareTo(V(b)));
    }

    [Theory]
    [InlineData("1.0", "1.0+1")]            // local version breaks ties only
    [InlineData("1.0+2", "1.0.1")]
    [InlineData("1.0a", "1.0")]              // strings before numbers
    [InlineData("1.0dev", "1.0a")]           // dev before other strings
    [InlineData("1.0*", "1.0dev")]           // '*' before dev
    [InlineData("1.0", "1.0post")]           // post after numbers
    [InlineData("1.0.99999999999999999999", "1.0.100000000000000000000")] // beyond 64-bit
    [InlineData("1.0.999999999999999999", "1.0.99999999999999999999")]
    [InlineData("1.0.1_", "1.0.1a")]          // trailing '_' stays on the component: [1, '_'] (openssl style)
    [InlineData("9!1", "10!0")]
    [InlineData("1.0.dev", "1.0.devel")]     // only 'dev' itself is special; 'devel' is an ordinary string
    public void Orders_strictly(string lower, string higher)
    {
        Assert.True(V(lower) < V(higher), $"{lower} < {higher}");
        Assert.True(V(higher) > V(lower));
        Assert.NotEqual(V(lower), V(higher));
    }

    [Fact]
    public void Keeps_the_original_and_exposes_the_normalized_form()
    {
        var v = V(" 1.0-RC1 ");
        Assert.Equal(" 1.0-RC1 ", v.Original);
        Assert.Equal("1.0_rc1", v.Normalized);
        Assert.Equal("[[0], [1], [0], [0, 'rc', 1]]", v.ToComponentString());
        // conda's docstring shows [1, '_alpha'] here, but "_" is a separator like "."
        Assert.Equal("[[1], [2], [15], [1], [0, 'alpha']]", V("1!2.15.1_ALPHA").ToComponentString());
        Assert.Equal("[[0], [1], [2, 'g'], [0, 'beta', 15], [0, 'rc']]", V("1.2g.beta15.rc").ToComponentString());
        Assert.Equal("[[0], [1], [1, inf, 1], [0, 'DEV']]", V("1.1post1.dev").ToComponentString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("1..2")]
    [InlineData("1.")]
    [InlineData(".1")]
    [InlineData("1.0-1_2")]     // dash mixed with underscore
    [InlineData("1.0 beta")]
    [InlineData("a!1.0")]
    [InlineData("!1.0")]
    [InlineData("1!2!3")]
    [InlineData("1.0+a+b")]
    [InlineData("+1.0")]
    [InlineData("1.0+")]
    [InlineData("1.0#")]
    public void Rejects_what_conda_rejects(string text)
    {
        Assert.False(CondaVersion.TryParse(text, out var parsed));
        Assert.Null(parsed);
        var ex = Assert.Throws<CondaMirrorException>(() => CondaVersion.Parse(text));
        Assert.Equal(ErrorCodes.InvalidVersion, ex.Code);
        Assert.Contains($"'{text}'", ex.Message);
    }

    [Theory]
    [InlineData("1.2.3", "1.2", true)]
    [InlineData("1.2", "1.2", true)]
    [InlineData("1.20", "1.2", false)]
    [InlineData("1.2a", "1.2", true)]
    [InlineData("1.2.0rc1", "1.2.0r", true)]   // last string component is a string prefix
    [InlineData("1.2.0", "1.2.0r", false)]
    [InlineData("1.3", "1.2", false)]
    [InlineData("1.0+abc.1", "1.0+abc", true)]
    [InlineData("1.0.1+abc", "1.0+abc", false)]
    [InlineData("1", "1.0", true)]              // missing components are zero
    public void StartsWith_matches_condas_prefix_rule(string version, string prefix, bool expected) =>
        Assert.Equal(expected, V(version).StartsWith(V(prefix)));

    [Fact]
    public void Null_sorts_first_and_operators_handle_null()
    {
        CondaVersion? none = null;
        Assert.True(none < V("0"));
        Assert.True(none == null);
        Assert.False(V("0") == none);
        Assert.Equal(1, V("0").CompareTo(null));
    }
}
