using CondaMirror.Core.Errors;
using CondaMirror.Core.Records;
using CondaMirror.Core.Subsets;
using Xunit;

namespace CondaMirror.Tests.Subsets;

/// <summary>Whitelist/Blacklist entries and CondaChannelSubset metadata, with hand-written records and expectations.</summary>
public class SubsetFilterTests
{
    private static PackageRecord Record(string name, string version, string build, string? license = "MIT", params string[] depends) =>
        new() { Name = name, Version = version, Build = build, License = license, Depends = depends.ToList(), Subdir = "linux-64" };

    private static SubsetFilter Filter(string whitelist, string blacklist = "") =>
        SubsetFilter.Parse(whitelist.Split(';', StringSplitOptions.RemoveEmptyEntries), blacklist.Split(';', StringSplitOptions.RemoveEmptyEntries), "CondaChannelSubset 'test'");

    [Theory]
    [InlineData("build=py3*", "alpha", "1.0", "py310_0", true)]
    [InlineData("build=py3*", "alpha", "1.0", "h1_0", false)]
    [InlineData("build=py3?_0", "alpha", "1.0", "py310_0", false)]
    [InlineData("name=al*", "alpha", "1.0", "h1_0", true)]
    [InlineData("version=1.*", "alpha", "1.10", "h1_0", true)]
    [InlineData("version=1.*", "alpha", "11.0", "h1_0", false)]
    // MatchSpecs, including the ones with '=' that are not field globs.
    [InlineData("alpha", "alpha", "2.0", "h1_0", true)]
    [InlineData("alpha=1.1", "alpha", "1.1.5", "h1_0", true)]
    [InlineData("alpha=1.1", "alpha", "1.10", "h1_0", false)]
    [InlineData("alpha==1.1", "alpha", "1.1.5", "h1_0", false)]
    [InlineData("alpha >=1.5,<2", "alpha", "1.10", "h1_0", true)]
    [InlineData("alpha >=1.5,<2", "alpha", "1.4", "h1_0", false)]
    [InlineData("alpha * py3*", "alpha", "1.0", "py312_1", true)]
    [InlineData("beta", "alpha", "1.0", "py312_1", false)]
    public void A_whitelist_entry_is_a_field_glob_or_a_MatchSpec(string entry, string name, string version, string build, bool kept) =>
        Assert.Equal(kept, Filter(entry).Keep(Record(name, version, build)));

    [Fact]
    public void License_and_depends_globs_match_the_field_or_any_one_dependency()
    {
        Assert.True(Filter("license=GPL*").Keep(Record("a", "1", "0", "GPL-3.0-only")));
        Assert.False(Filter("license=GPL*").Keep(Record("a", "1", "0", license: null)));
        Assert.True(Filter("depends=libdep >=2*").Keep(Record("a", "1", "0", "MIT", "python", "libdep >=2.0")));
        Assert.False(Filter("depends=libdep >=2*").Keep(Record("a", "1", "0", "MIT", "python")));
    }

    [Fact]
    public void An_empty_whitelist_keeps_all_and_the_blacklist_wins()
    {
        Assert.True(Filter("").Keep(Record("a", "1", "0")));
        Assert.False(Filter("", "a").Keep(Record("a", "1", "0")));
        Assert.False(Filter("build=py3*", "name=filler-*").Keep(Record("filler-b1", "1", "py310_0")));
        Assert.True(Filter("build=py3*;name=zeta", "name=filler-*").Keep(Record("zeta", "1", "h0")));
        Assert.True(Filter("", "a").Blacklisted(Record("a", "1", "0")));
    }

    [Theory]
    [InlineData("build=")]
    [InlineData("alpha >=>1")]
    public void A_bad_entry_is_CMIR812_naming_the_item_and_the_entry(string entry)
    {
        var e = Assert.Throws<CondaMirrorException>(() => Filter(entry));
        Assert.Equal(ErrorCodes.SubsetFilterInvalid, e.Code);
        Assert.Contains("CondaChannelSubset 'test'", e.Message);
        Assert.Contains(entry, e.Message);
    }

    [Fact]
    public void Item_metadata_is_parsed_or_refused_with_CMIR811()
    {
        Assert.Equal(50_000_000_000, SubsetRule.ParseMaxBytes("", "x"));
        Assert.Equal(500_000_000, SubsetRule.ParseMaxBytes("0.5", "x"));
        Assert.Equal(1000, SubsetRule.ParseMaxBytes("0.000001", "x"));
        Assert.Null(SubsetRule.ParseLatestVersions(" ", "x"));
        Assert.Equal(3, SubsetRule.ParseLatestVersions("3", "x"));
        Assert.True(SubsetRule.ParseWithDependencies("True", "x"));
        foreach (var bad in new Action[]
                 {
                     () => SubsetRule.ParseMaxBytes("-1", "x"), () => SubsetRule.ParseMaxBytes("0", "x"), () => SubsetRule.ParseMaxBytes("1e3", "x"),
                     () => SubsetRule.ParseLatestVersions("0", "x"), () => SubsetRule.ParseLatestVersions("two", "x"),
                     () => SubsetRule.ParseWithDependencies("yes", "x"),
                 })
            Assert.Equal(ErrorCodes.SubsetSettingInvalid, Assert.Throws<CondaMirrorException>(bad).Code);
    }
}
