using CondaMirror.Core.Errors;
using CondaMirror.Core.Specs;
using CondaMirror.Core.Versions;
using CondaMirror.TestKit;
using Xunit;

namespace CondaMirror.Tests.Semantics;

/// <summary>Specs come from package metadata in locks and repodata: long or crafted ones must stay cheap.</summary>
public sealed class BoundedSpecTests
{
    private static readonly int Max = SpecRegex.MaxSpecChars;

    [Fact]
    public void A_10_MB_spec_is_refused_at_once_with_a_short_message()
    {
        var huge = "numpy " + string.Concat(Enumerable.Repeat("[a", 5 * 1024 * 1024));
        // Refused by length before any parsing; the limit only catches a parser let loose on 10 MB.
        var (match, version, build) = HangGuard.Run(() => (
            Assert.Throws<CondaMirrorException>(() => MatchSpec.Parse(huge)),
            Assert.Throws<CondaMirrorException>(() => VersionSpec.Parse(string.Concat(Enumerable.Repeat("^1,", 3 * 1024 * 1024)))),
            Assert.Throws<CondaMirrorException>(() => BuildNumberSpec.Parse(">=" + new string('1', 10 * 1024 * 1024)))));
        Assert.Equal(ErrorCodes.InvalidMatchSpec, match.Code);
        Assert.Equal(ErrorCodes.InvalidVersionSpec, version.Code);
        Assert.Equal(ErrorCodes.InvalidBuildNumberSpec, build.Code);
        Assert.All(new[] { match, version, build }, ex => Assert.True(ex.Message.Length < 600, ex.Message));
        Assert.Contains($"{Max}-character limit", match.Message);
    }

    // Shapes that drive conda's parsing expressions into their worst (quadratic) case, at the longest length accepted.
    public static TheoryData<string> WorstCaseSpecs()
    {
        string Fill(string head, string unit, string tail = "")
        {
            var body = string.Concat(Enumerable.Repeat(unit, (Max - head.Length - tail.Length) / unit.Length));
            return head + body + tail;
        }
        return new TheoryData<string>
        {
            Fill("a", "["),
            Fill("a", "("),
            Fill("a[", "b=", "]"),
            Fill("a[b='", "x", "]"),
            Fill("a ", " ="),
            Fill("a ", "= "),
            Fill("a ", "1 "),
            Fill("a ", "1,"),
            Fill("a ", "^,"),
            Fill("a ", "^x|"),
            Fill("a ", "(", "1"),
            Fill("a 1 ", "b"),
            Fill("a =", "=1"),
            Fill("a ", "*1"),
        };
    }

    [Theory]
    [MemberData(nameof(WorstCaseSpecs))]
    public void Specs_at_the_length_limit_parse_without_runaway_backtracking(string spec)
    {
        Assert.True(spec.Length <= Max);
        // Milliseconds in practice (the scaling benchmark has the numbers); the limit only catches runaway backtracking.
        HangGuard.Run(() =>
        {
            MatchSpec.TryParse(spec, out _, out _);
            VersionSpec.TryParse(spec[2..], out _, out _);
        }, what: $"parsing '{spec[..20]}...'");
    }

    [Fact]
    public void A_catastrophic_regex_in_a_spec_matches_in_linear_time()
    {
        // ^(a+)+$ backtracks exponentially on "aaa...ab"; the linear engine does not care.
        // Backtracking would need 2^5000 steps, so the limit cannot be reached by a merely slow machine.
        var candidate = new string('a', 5000) + "b";
        HangGuard.Run(() =>
        {
            Assert.False(MatchSpec.Parse("pkg * ^(a+)+$").Matches("pkg", CondaVersion.Parse("1"), candidate, 0));
            Assert.False(VersionSpec.Parse("^(1+)+$").Matches(new string('1', 5000) + "2"));
            Assert.False(MatchSpec.Parse("pkg 1.*.*.*.*.*.*.*.*.*.*.*.*.*.*.2").Matches("pkg", CondaVersion.Parse(string.Join(".", Enumerable.Repeat("1", 2000)) + ".3"), "0", 0));
        });
    }

    [Fact]
    public void Regex_constructs_without_a_linear_engine_still_work()
    {
        // A backreference needs the backtracking engine, which runs under a timeout.
        var spec = MatchSpec.Parse(@"pkg[build='^(py)\1_0$']");
        Assert.True(spec.Matches("pkg", CondaVersion.Parse("1"), "pypy_0", 0));
        Assert.False(spec.Matches("pkg", CondaVersion.Parse("1"), "pyqt_0", 0));
        Assert.True(VersionSpec.Parse(@"^(1)\1\.0$").Matches("11.0"));
        Assert.False(VersionSpec.Parse(@"^(1)\1\.0$").Matches("12.0"));
    }

    [Fact]
    public void A_backtracking_regex_that_times_out_is_a_coded_error()
    {
        // Lookahead keeps these on the backtracking engine; the alternation makes them exponential.
        var spec = MatchSpec.Parse("pkg[build='^(?=a)(a|aa)+$']");
        var ex = Assert.Throws<CondaMirrorException>(() => spec.Matches("pkg", CondaVersion.Parse("1"), new string('a', 200) + "b", 0));
        Assert.Equal(ErrorCodes.InvalidMatchSpec, ex.Code);
        Assert.Contains("took longer than", ex.Message);
        var version = VersionSpec.Parse("^(?=1)(1|11)+$");
        var vex = Assert.Throws<CondaMirrorException>(() => version.Matches(new string('1', 200) + "2"));
        Assert.Equal(ErrorCodes.InvalidVersionSpec, vex.Code);
    }
}
