using CondaMirror.Core.Errors;
using CondaMirror.Core.Records;
using CondaMirror.Core.Specs;
using CondaMirror.Core.Versions;
using Xunit;

namespace CondaMirror.Tests.Semantics;

public class MatchSpecTests
{
    private static PackageRecord Record(string name, string version, string build = "h0_0", long buildNumber = 0) =>
        new() { Name = name, Version = version, Build = build, BuildNumber = buildNumber, Subdir = "linux-64" };

    [Theory]
    [InlineData("numpy", "numpy")]
    [InlineData("numpy 1.2", "numpy==1.2")]
    [InlineData("numpy ==1.2", "numpy==1.2")]
    [InlineData("numpy==1.2", "numpy==1.2")]
    [InlineData("numpy=1.2", "numpy=1.2")]
    [InlineData("numpy 1.2.*", "numpy=1.2")]
    [InlineData("numpy 1.2*", "numpy=1.2")]
    [InlineData("numpy 1.2 py*", "numpy==1.2[build=py*]")]
    [InlineData("numpy 1.2 py27_0", "numpy==1.2=py27_0")]
    [InlineData("numpy=1.2=py27_0", "numpy==1.2=py27_0")]
    [InlineData("numpy >=1,<2", "numpy[version='>=1,<2']")]
    [InlineData("numpy >=1.0 , < 2.0 py34_0", "numpy[version='>=1.0,<2.0',build=py34_0]")]
    [InlineData("numpy !=1.2", "numpy!=1.2")]
    [InlineData("numpy !=1.2 py_0", "numpy[version='!=1.2',build=py_0]")]
    [InlineData("numpy ~=1.2.3", "numpy~=1.2.3")]
    [InlineData("blas * mkl", "blas[build=mkl]")]
    [InlineData("python_abi * *_cp39", "python_abi[build=*_cp39]")]
    [InlineData("NumPy", "numpy")]
    [InlineData("numpy # pinned by hand", "numpy")]
    [InlineData("conda-forge::numpy", "conda-forge::numpy")]
    [InlineData("conda-forge/linux-64::numpy>=1.0", "conda-forge/linux-64::numpy[version='>=1.0']")]
    [InlineData("*/linux-64::foo>=1.0", "foo[subdir=linux-64,version='>=1.0']")]
    [InlineData("conda-forge::foo[version=1.0.*]", "conda-forge::foo=1.0")]
    [InlineData("foo[version='>=1', build=py*]", "foo[version='>=1',build=py*]")]
    [InlineData("foo[version=\"==1.2\"]", "foo==1.2")]
    [InlineData("foo[build_number='>3']", "foo[build_number=>3]")]
    [InlineData("foo 1.0 *[build_number=2]", "foo==1.0[build=*,build_number=2]")]
    [InlineData("foo >=1[version='<2']", "foo[version='<2']")]     // brackets override
    [InlineData("foo[md5=0123abcd, license=MIT]", "foo[md5=0123abcd,license=mit]")]
    [InlineData("foo[channel=conda-forge,subdir=osx-arm64]", "conda-forge/osx-arm64::foo")]
    [InlineData("foo[name=bar]", "foo")]                            // the name outside brackets wins
    [InlineData("ray[default,data] >=2.9.0,<3.0.0", "ray[version='>=2.9.0,<3.0.0']")] // pip extras are ignored
    [InlineData("mkl@", "*[track_features=mkl]")]
    [InlineData("foo >=1 if __unix", "foo[version='>=1']")]         // conda 25.11 ignores the condition
    [InlineData("foo=", "foo")]
    [InlineData("https://conda.anaconda.org/conda-forge/linux-64/numpy-1.26.4-py312h1_0.conda", "conda-forge/linux-64::numpy==1.26.4=py312h1_0")]
    public void Parses_and_prints_like_conda(string spec, string canonical)
    {
        var parsed = MatchSpec.Parse(spec);
        Assert.Equal(canonical, parsed.ToString());
        Assert.Equal(spec, parsed.Original);
    }

    [Fact]
    public void Exposes_the_parts()
    {
        var spec = MatchSpec.Parse("conda-forge/linux-64::numpy >=1.20,<2 py3*[build_number='>=1']");
        Assert.Equal("numpy", spec.Name);
        Assert.Equal(">=1.20,<2", spec.Version!.ToString());
        Assert.Equal("py3*", spec.Build);
        Assert.Equal(">=1", spec.BuildNumber!.ToString());
        Assert.Equal("conda-forge", spec.Channel);
        Assert.Equal("linux-64", spec.Subdir);
        Assert.Null(spec.Namespace);

        var glob = MatchSpec.Parse("py*[version='>=3']");
        Assert.Equal("*", glob.Name);
        Assert.Equal("py*", glob.NamePattern);

        Assert.Equal("ns", MatchSpec.Parse("chan:ns:foo").Namespace);
        Assert.Equal("chan", MatchSpec.Parse("chan:ns:foo").Channel);
    }

    [Theory]
    [InlineData("numpy", "numpy", "1.0", "h0_0", 0, true)]
    [InlineData("numpy", "scipy", "1.0", "h0_0", 0, false)]
    [InlineData("NUMPY", "numpy", "1.0", "h0_0", 0, true)]          // the spec's name is lower-cased ...
    [InlineData("numpy", "NumPy", "1.0", "h0_0", 0, false)]         // ... the record's is not (as conda)
    [InlineData("lib*", "libzlib", "1.0", "h0_0", 0, true)]
    [InlineData("numpy 1.2", "numpy", "1.2.0", "h0_0", 0, true)]
    [InlineData("numpy=1.2", "numpy", "1.2.5", "h0_0", 0, true)]
    [InlineData("numpy=1.2", "numpy", "1.20", "h0_0", 0, false)]
    [InlineData("numpy >=1,<2", "numpy", "2.0", "h0_0", 0, false)]
    [InlineData("numpy * py3*", "numpy", "1.0", "py310h_0", 0, true)]
    [InlineData("numpy * py3*", "numpy", "1.0", "py27h_0", 0, false)]
    [InlineData("numpy * py*h*_1", "numpy", "1.0", "py310habc_1", 1, true)]
    [InlineData("numpy * py*h*_1", "numpy", "1.0", "py310_1", 1, false)]
    [InlineData("numpy * *h_1*", "numpy", "1.0", "h_1", 1, true)]
    [InlineData("numpy * a*a", "numpy", "1.0", "a", 1, false)]       // the two ends may not overlap
    [InlineData("numpy 1.0 h0_0", "numpy", "1.0", "h0_0", 0, true)]
    [InlineData("numpy 1.0 h0_0", "numpy", "1.0", "h0_1", 1, false)]
    [InlineData("numpy[build_number='>=2']", "numpy", "1.0", "h0_2", 2, true)]
    [InlineData("numpy[build_number='>=2']", "numpy", "1.0", "h0_1", 1, false)]
    [InlineData("numpy[build='^py3\\d+_0$']", "numpy", "1.0", "py312_0", 0, true)]
    [InlineData("numpy[build='^py3\\d+_0$']", "numpy", "1.0", "py27_0", 0, false)]
    public void Matches_records(string spec, string name, string version, string build, long buildNumber, bool expected)
    {
        var parsed = MatchSpec.Parse(spec);
        Assert.Equal(expected, parsed.Matches(Record(name, version, build, buildNumber)));
        Assert.Equal(expected, parsed.Matches(name, CondaVersion.Parse(version), build, buildNumber));
    }

    [Fact]
    public void Record_fields_beyond_name_version_build_are_checked()
    {
        var record = Record("foo", "1.0");
        record.Md5 = "0123abcd";
        record.License = "MIT";
        record.TrackFeatures = "mkl";
        Assert.True(MatchSpec.Parse("foo[md5=0123abcd]").Matches(record));
        Assert.False(MatchSpec.Parse("foo[md5=ffff]").Matches(record));
        Assert.True(MatchSpec.Parse("foo[license=mit]").Matches(record));
        Assert.True(MatchSpec.Parse("*[subdir=linux-64]").Matches(record));
        Assert.False(MatchSpec.Parse("*[subdir=osx-64]").Matches(record));
        Assert.True(MatchSpec.Parse("mkl@").Matches(record));
        Assert.False(MatchSpec.Parse("nomkl@").Matches(record));
    }

    [Fact]
    public void Channel_url_and_file_name_are_checked_on_repodata_records()
    {
        var record = new RepodataRecord(Record("numpy", "1.26.4", "py312h1_0"),
            "https://conda.anaconda.org/conda-forge/linux-64/numpy-1.26.4-py312h1_0.conda",
            "numpy-1.26.4-py312h1_0.conda", "https://conda.anaconda.org/conda-forge");
        Assert.True(MatchSpec.Parse("conda-forge::numpy").Matches(record));
        Assert.True(MatchSpec.Parse("conda-*::numpy").Matches(record));
        Assert.False(MatchSpec.Parse("bioconda::numpy").Matches(record));
        Assert.True(MatchSpec.Parse("numpy[fn=numpy-1.26.4-py312h1_0.conda]").Matches(record));
        Assert.False(MatchSpec.Parse("numpy[fn=numpy-1.26.4-py312h1_0.tar.bz2]").Matches(record));
        Assert.True(MatchSpec.Parse(record.Url).Matches(record));
        // Location constraints cannot be judged from a bare PackageRecord, so they do not exclude it.
        Assert.True(MatchSpec.Parse("bioconda::numpy").Matches(record.Record));
    }

    [Fact]
    public void Package_files_give_name_version_build_and_location()
    {
        var inChannel = MatchSpec.Parse("/srv/chan/linux-64/foo-bar-1.0-h1_0.conda");
        Assert.Equal("foo-bar", inChannel.Name);
        Assert.Equal("1.0", inChannel.Version!.ToString());
        Assert.Equal("h1_0", inChannel.Build);
        Assert.Equal("linux-64", inChannel.Subdir);
        Assert.Equal("foo-bar-1.0-h1_0.conda", inChannel.FileName);
        Assert.StartsWith("file:///", inChannel.Url);

        var loose = MatchSpec.Parse("foo-1.0-0.tar.bz2");
        Assert.Equal("*", loose.Name);
        Assert.Equal("foo-1.0-0.tar.bz2", loose.FileName);
        Assert.EndsWith("/foo-1.0-0.tar.bz2", loose.Url);
        Assert.Null(loose.Version);
    }

    [Theory]
    [InlineData("foo[when=\"__linux\"]", "CMIR104")]
    [InlineData("foo[bogus=1]", "CMIR103")]
    [InlineData(">=1.0", "CMIR103")]
    [InlineData(" numpy", "CMIR103")]                 // conda does not trim before looking for the name
    [InlineData("foo >=1,<", "CMIR103")]
    [InlineData("foo==", "CMIR103")]
    [InlineData("foo[version=\"\"]", "CMIR103")]
    [InlineData("foo 1.0 [build=x] [build=y]", "CMIR103")]
    [InlineData("foo[build_number='<>3']", "CMIR103")]
    [InlineData("", "CMIR103")]
    public void Rejects_invalid_specs_with_a_clear_code(string spec, string code)
    {
        var ex = Assert.Throws<CondaMirrorException>(() => MatchSpec.Parse(spec));
        Assert.Equal(code, ex.Code);
        Assert.Contains(spec, ex.Message);
        Assert.False(MatchSpec.TryParse(spec, out var parsed, out var error));
        Assert.Null(parsed);
        Assert.Equal(ex.Message, error);
    }
}
