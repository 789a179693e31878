using CondaMirror.Core.Errors;
using CondaMirror.Core.Platforms;
using Xunit;

namespace CondaMirror.Tests.Semantics;

public class PlatformsTests
{
    [Theory]
    [InlineData("noarch")]
    [InlineData("linux-64")]
    [InlineData("linux-aarch64")]
    [InlineData("linux-ppc64le")]
    [InlineData("linux-s390x")]
    [InlineData("linux-armv7l")]
    [InlineData("linux-32")]
    [InlineData("osx-64")]
    [InlineData("osx-arm64")]
    [InlineData("win-64")]
    [InlineData("win-32")]
    [InlineData("win-arm64")]
    [InlineData("emscripten-wasm32")]
    [InlineData("wasi-wasm32")]
    [InlineData("zos-z")]
    public void Knows_condas_subdirs(string subdir)
    {
        Assert.True(Platforms.IsKnown(subdir));
        Assert.Equal(subdir, Platforms.Validate(subdir));
        Assert.Contains(subdir, Platforms.Known);
    }

    [Theory]
    [InlineData("linux64")]
    [InlineData("Linux-64")]
    [InlineData("linux-x86_64")]
    [InlineData("")]
    [InlineData(null)]
    public void Rejects_unknown_names(string? subdir) => Assert.False(Platforms.IsKnown(subdir));

    [Theory]
    [InlineData("linux-64", "linux", "64")]
    [InlineData("osx-arm64", "osx", "arm64")]
    [InlineData("win-64", "win", "64")]
    [InlineData("emscripten-wasm32", "emscripten", "wasm32")]
    [InlineData("zos-z", "zos", "z")]
    [InlineData("noarch", "noarch", null)]
    public void Splits_os_and_architecture(string subdir, string os, string? arch)
    {
        Assert.Equal(os, Platforms.OperatingSystem(subdir));
        Assert.Equal(arch, Platforms.Architecture(subdir));
    }

    [Fact]
    public void The_host_platform_is_a_known_one() => Assert.True(Platforms.IsKnown(Platforms.Current));

    [Theory]
    [InlineData("linux_64", "linux-64")]
    [InlineData("Linux-64", "linux-64")]
    [InlineData("linux-x86_64", "linux-64")]
    [InlineData("linux-arm64", "linux-aarch64")]
    [InlineData("win-x64", "win-64")]
    [InlineData("macos-arm64", "osx-arm64")]
    [InlineData("osx-aarch64", "osx-arm64")]
    public void Errors_suggest_the_intended_subdir_and_list_the_valid_ones(string typo, string suggestion)
    {
        var ex = Assert.Throws<CondaMirrorException>(() => Platforms.Validate(typo, "app.csproj"));
        Assert.Equal(ErrorCodes.UnknownPlatform, ex.Code);
        Assert.Equal("app.csproj", ex.File);
        Assert.Contains($"'{typo}'", ex.Message);
        Assert.Contains($"Did you mean '{suggestion}'?", ex.Message);
        Assert.Contains("linux-64, linux-aarch64", ex.Message);
    }

    [Fact]
    public void Validating_a_list_trims_and_deduplicates()
    {
        Assert.Equal(new[] { "linux-64", "noarch" }, Platforms.ValidateAll(new[] { " linux-64", "noarch", "", "linux-64" }));
        var ex = Assert.Throws<CondaMirrorException>(() => Platforms.ValidateAll(new[] { "linux-64", "solaris-64" }));
        Assert.DoesNotContain("Did you mean", ex.Message);
        Assert.Throws<CondaMirrorException>(() => Platforms.OperatingSystem("linux64"));
    }
}
