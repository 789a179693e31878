using CondaMirror.Core.Locks;
using CondaMirror.Core.PyPI;
using Xunit;

namespace CondaMirror.Tests.PyPI;

public class PypiNamesTests
{
    // PEP 503's own examples all normalize to one name.
    [Theory]
    [InlineData("friendly-bard")]
    [InlineData("Friendly-Bard")]
    [InlineData("FRIENDLY-BARD")]
    [InlineData("friendly.bard")]
    [InlineData("friendly_bard")]
    [InlineData("friendly--bard")]
    [InlineData("FrIeNdLy-._.-bArD")]
    public void Pep503_examples_normalize_to_one_name(string name) => Assert.Equal("friendly-bard", PypiLocations.Normalize(name));

    [Theory]
    [InlineData("Django", "django")]
    [InlineData("zope.interface", "zope-interface")]
    [InlineData("pysdl2_dll", "pysdl2-dll")]
    [InlineData("a", "a")]
    [InlineData("A1", "a1")]
    public void Normalizes(string name, string expected) => Assert.Equal(expected, PypiLocations.Normalize(name));

    [Theory]
    [InlineData("")]
    [InlineData("-leading")]
    [InlineData("trailing.")]
    [InlineData("../evil")]
    [InlineData("a/b")]
    [InlineData("a\\b")]
    [InlineData("a b")]
    [InlineData("naïve")]
    [InlineData("x<script>")]
    public void Invalid_names_have_no_normal_form(string name) => Assert.Null(PypiLocations.Normalize(name));

    [Fact]
    public void Overlong_names_are_refused() => Assert.Null(PypiLocations.Normalize(new string('a', PypiLocations.MaxNameLength + 1)));

    [Theory]
    [InlineData("requests-2.31.0-py3-none-any.whl", "requests", "2.31.0", null, "py3", "none", "any")]
    [InlineData("numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", "numpy", "1.26.4", null, "cp311", "cp311", "manylinux_2_17_x86_64.manylinux2014_x86_64")]
    [InlineData("pysdl2_dll-2.30.2-py2.py3-none-macosx_10_11_universal2.whl", "pysdl2_dll", "2.30.2", null, "py2.py3", "none", "macosx_10_11_universal2")]
    [InlineData("torch-2.1.0+cpu-1abc-cp311-cp311-linux_x86_64.whl", "torch", "2.1.0+cpu", "1abc", "cp311", "cp311", "linux_x86_64")]
    [InlineData("Foo.Bar-1!2.0-py3-none-any.whl", "Foo.Bar", "1!2.0", null, "py3", "none", "any")]
    public void Wheel_file_names_parse(string file, string dist, string version, string? build, string py, string abi, string platform)
    {
        Assert.True(WheelFileName.TryParse(file, out var w));
        Assert.Equal((dist, version, build, py, abi, platform), (w.Distribution, w.Version, w.BuildTag, w.PythonTag, w.AbiTag, w.PlatformTag));
    }

    [Fact]
    public void Normalized_wheel_name_matches_the_project() =>
        Assert.True(WheelFileName.TryParse("Foo.Bar-1.0-py3-none-any.whl", out var w) && w.NormalizedName == "foo-bar");

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("requests-2.31.0.tar.gz")]
    [InlineData("requests-2.31.0-py3-none-any.zip")]
    [InlineData("requests-2.31.0-py3-none-any.WHL")]
    [InlineData("requests-py3-none-any.whl")]                 // four parts
    [InlineData("a-1-2-3-4-5-6.whl")]                         // seven parts
    [InlineData("requests-2.31.0-x-py3-none-any.whl")]        // build tag must start with a digit
    [InlineData("../requests-2.31.0-py3-none-any.whl")]
    [InlineData("..-2.31.0-py3-none-any.whl")]
    [InlineData("a/b-2.31.0-py3-none-any.whl")]
    [InlineData("a\\b-2.31.0-py3-none-any.whl")]
    [InlineData("requests-2.31.0-py3-none-any .whl")]
    [InlineData("requests-2.31.0-py3-none-a:ny.whl")]
    [InlineData("requests--py3-none-any.whl")]
    [InlineData("re<q-1-py3-none-any.whl")]
    public void Hostile_or_malformed_wheel_names_are_refused(string? file) => Assert.False(WheelFileName.TryParse(file, out _));

    [Theory]
    [InlineData("https://h/p/x-1-py3-none-any.whl", false, PypiDistributionKind.Wheel)]
    [InlineData("https://h/p/x-1.tar.gz", false, PypiDistributionKind.Sdist)]
    [InlineData("https://h/p/numpy-1.21.0.zip", false, PypiDistributionKind.Sdist)]
    [InlineData("git+https://github.com/squidfunk/mike#2d4ad79", false, PypiDistributionKind.Git)]
    [InlineData("./local-pkg", false, PypiDistributionKind.Directory)]
    [InlineData("./", false, PypiDistributionKind.Directory)]
    [InlineData("../my_subdir", false, PypiDistributionKind.Directory)]
    [InlineData("./minimal_project", true, PypiDistributionKind.Editable)]
    [InlineData("../webserver/my_webserver-0.1.0-py3-none-any.whl", false, PypiDistributionKind.Wheel)]
    [InlineData("https://h/simple/x/", false, PypiDistributionKind.Path)]
    public void Kinds_follow_the_location(string location, bool editable, PypiDistributionKind kind) =>
        Assert.Equal(kind, PypiLocations.KindOf(location, editable));
}
