using CondaMirror.Core.Errors;
using CondaMirror.Core.Platforms;
using Xunit;

namespace CondaMirror.Tests.Semantics;

public class SubdirsTests
{
    [Theory]
    [InlineData("noarch")]
    [InlineData("linux-64")]
    [InlineData("osx-arm64")]
    [InlineData("win-64")]
    [InlineData("zos-z")]
    public void Conda_platforms_are_allowed_without_opt_in(string subdir) =>
        Assert.Equal(subdir, Subdirs.Validate(subdir, SubdirNaming.KnownOnly, "test", null));

    [Theory]
    [InlineData("/some/dir")]
    [InlineData("../../x")]
    [InlineData("..")]
    [InlineData("linux-64/../..")]
    [InlineData("a\\b")]
    [InlineData("C:")]
    [InlineData("c:x")]
    [InlineData("Linux-64")]
    [InlineData("nul")]
    [InlineData("com1")]
    [InlineData("a..b")]
    [InlineData("-x")]
    [InlineData(".hidden")]
    [InlineData("")]
    [InlineData(null)]
    public void Unsafe_values_are_refused_even_with_custom_subdirs_allowed(string? subdir)
    {
        foreach (var policy in new[] { SubdirNaming.KnownOnly, SubdirNaming.AllowCustom })
        {
            var e = Assert.Throws<CondaMirrorException>(() => Subdirs.Validate(subdir, policy, "package x", "file.lock"));
            Assert.Equal(ErrorCodes.SubdirUnsafe, e.Code);
            Assert.Equal("file.lock", e.File);
            Assert.StartsWith("package x: ", e.Message);
        }
    }

    [Fact]
    public void Unknown_safe_subdirs_need_the_opt_in()
    {
        var e = Assert.Throws<CondaMirrorException>(() => Subdirs.Validate("not-a-platform", SubdirNaming.KnownOnly, "package x", null));
        Assert.Equal(ErrorCodes.SubdirNotAllowed, e.Code);
        Assert.Contains("CondaAllowCustomSubdirs=true", e.Message);
        Assert.Equal("not-a-platform", Subdirs.Validate("not-a-platform", SubdirNaming.AllowCustom, "package x", null));
        Assert.Equal("linux-64.v2", Subdirs.Validate("linux-64.v2", SubdirNaming.AllowCustom, "package x", null));
        Assert.Throws<CondaMirrorException>(() => Subdirs.Validate(new string('a', 65), SubdirNaming.AllowCustom, "package x", null));
    }
}
