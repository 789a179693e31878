using System.Text;
using CondaMirror.Core.Channels;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Locks;
using CondaMirror.Core.Platforms;
using CondaMirror.Core.Records;
using CondaMirror.Core.Repodata;
using CondaMirror.Core.Resolving;
using CondaMirror.TestKit;
using Xunit;

namespace CondaMirror.Tests.Records;

/// <summary>
/// conda's package-name grammar where names enter: repodata records, lock entries and requested specs. Expected
/// values are conda-build's rule (lower case; letters, digits, '_', '-', '.'), written out by hand, and names taken
/// from real channels (conda-forge's <c>_libgcc_mutex</c>, virtual <c>__glibc</c>, <c>zope.interface</c>).
/// </summary>
public sealed class PackageNameTests : IDisposable
{
    private readonly TempDirectory _dir = new("package-names");

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("python")]
    [InlineData("_libgcc_mutex")]
    [InlineData("__glibc")]
    [InlineData("ca-certificates")]
    [InlineData("zope.interface")]
    [InlineData("7za")]
    [InlineData("r-base")]
    public void Real_conda_names_are_names(string name)
    {
        Assert.True(PackageName.IsValid(name));
        Assert.Equal(name, PackageName.Validate(name, "test", null));
    }

    [Theory]
    [InlineData("../../evil")]
    [InlineData("a/b")]
    [InlineData("a\\b")]
    [InlineData("CON")]
    [InlineData("NumPy")]
    [InlineData("")]
    [InlineData(".hidden")]
    [InlineData("-rf")]
    [InlineData("a..b")]
    [InlineData("a b")]
    [InlineData("a\u0000b")]
    [InlineData("numpy>=1")]
    [InlineData("c:x")]
    public void Paths_upper_case_empty_and_operators_are_not_names(string name)
    {
        Assert.False(PackageName.IsValid(name));
        var e = Assert.Throws<CondaMirrorException>(() => PackageName.Validate(name, "repodata record 'x-1-0.conda'", "repodata.json"));
        Assert.Equal(ErrorCodes.PackageNameInvalid, e.Code);
        Assert.Equal("repodata.json", e.File);
        Assert.Contains("repodata record 'x-1-0.conda'", e.Message);
        Assert.False(e.Message.Contains('\0'), "control characters are escaped in the message");
    }

    [Fact]
    public void A_name_is_bounded_in_length()
    {
        Assert.True(PackageName.IsValid(new string('a', PackageName.MaxLength)));
        Assert.False(PackageName.IsValid(new string('a', PackageName.MaxLength + 1)));
        var e = Assert.Throws<CondaMirrorException>(() => PackageName.Validate(new string('a', 100_000), "record", null));
        Assert.True(e.Message.Length < 1000, "the message quotes a cut name, not the whole value");
    }

    [Fact]
    public void A_repodata_record_named_like_a_path_is_refused_when_it_is_read()
    {
        var json = "{\"info\":{\"subdir\":\"linux-64\"},\"packages\":{},\"packages.conda\":{\"evil-1.0-0.conda\":" +
                   "{\"name\":\"../../evil\",\"version\":\"1.0\",\"build\":\"0\",\"build_number\":0,\"depends\":[],\"subdir\":\"linux-64\"}}}";
        var repodata = SparseRepodata.Load("test/repodata.json", Encoding.UTF8.GetBytes(json), new Uri("https://conda.example.org/forge/"), "linux-64", SubdirNaming.KnownOnly);

        var e = Assert.Throws<CondaMirrorException>(() => repodata.Records("../../evil"));

        Assert.Equal(ErrorCodes.PackageNameInvalid, e.Code);
        Assert.Equal("test/repodata.json", e.File);
        Assert.Contains("'evil-1.0-0.conda'", e.Message);
        Assert.Contains("'../../evil'", e.Message);
    }

    [Theory]
    [InlineData("../../evil")]
    [InlineData("a/b")]
    [InlineData("CON")]
    public void A_pixi_lock_entry_whose_name_is_not_a_conda_name_is_refused_at_its_line(string name)
    {
        const string location = "https://conda.anaconda.org/conda-forge/linux-64/evil-1.0-0.conda";
        var path = _dir.Combine("pixi.lock");
        File.WriteAllText(path, $"""
            version: 6
            environments:
              default:
                channels:
                - url: https://conda.anaconda.org/conda-forge/
                packages:
                  linux-64:
                  - conda: {location}
            packages:
            - conda: {location}
              name: '{name}'
              sha256: fe51de6107f9edc7aa4f786a70f4a883943bc9d39b3bb7307c04c41410990726

            """.Replace("\r\n", "\n"));

        var e = Assert.Throws<CondaMirrorException>(() => LockFileReader.Read(path));

        Assert.Equal(ErrorCodes.PackageNameInvalid, e.Code);
        Assert.EndsWith("pixi.lock", e.File);
        Assert.Contains("line 10: package", e.Message);
    }

    private ResolveSettings Request(params string[] specs) => new()
    {
        Packages = specs.Select((s, i) => new RequestedPackage(s, $"CondaPackage '{s}'")).ToList(),
        Channels = new[] { ChannelResolver.Resolve("https://conda.example.org/forge/") },
        Platforms = new[] { "linux-64" },
        LockFile = _dir.Combine("conda-mirror.lock"),
        // Offline with an empty cache: a request that got past the name check fails on the missing cache, without a network.
        Fetch = new RepodataFetchOptions { CacheDirectory = _dir.Combine("cache"), Offline = true },
    };

    [Theory]
    [InlineData("../../evil")]
    [InlineData("a/b")]
    [InlineData("../../evil >=1")]
    public void A_requested_name_that_is_not_a_conda_name_is_refused_before_anything_is_fetched(string spec)
    {
        var e = Assert.Throws<CondaMirrorException>(() => new LockResolver().Resolve(Request("python", spec)));

        Assert.Equal(ErrorCodes.RequestedNameInvalid, e.Code);
        Assert.Equal(new[] { 1 }, e.RequestIndexes);
        Assert.Contains($"CondaPackage '{spec}'", e.Message);
        Assert.False(File.Exists(_dir.Combine("conda-mirror.lock")));
        Assert.False(Directory.Exists(_dir.Combine("cache")));
    }

    [Theory]
    [InlineData("CON")]
    [InlineData("NumPy >=1.26")]
    [InlineData("py*")]
    public void Upper_case_and_globs_are_requests_conda_reads_them_lower_cased(string spec)
    {
        // conda's MatchSpec reads the name with GlobLowerStrMatch: 'CON' asks for 'con'. Past the name check, the
        // offline resolve stops at the missing cache instead.
        var e = Assert.Throws<CondaMirrorException>(() => new LockResolver().Resolve(Request(spec)));
        Assert.Equal(ErrorCodes.RepodataOfflineCacheMissing, e.Code);
    }
}
