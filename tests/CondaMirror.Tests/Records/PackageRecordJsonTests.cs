using CondaMirror.Core.Records;
using Xunit;

namespace CondaMirror.Tests.Records;

public class PackageRecordJsonTests
{
    [Fact]
    public void Round_trip_sorts_keys_keeps_unknown_fields_and_omits_absent_ones()
    {
        const string input = """{"version":"1.2","name":"foo","purls":["pkg:pypi/foo"],"build":"h1_0","build_number":0,"depends":["bar >=1"],"noarch":"","subdir":"linux-64","size":10}""";
        var record = PackageRecordJson.Parse(input);
        Assert.Null(record.Noarch);
        Assert.Single(record.Extra);
        var output = PackageRecordJson.ToJson(record);
        Assert.Equal("""{"build":"h1_0","build_number":0,"depends":["bar >=1"],"name":"foo","purls":["pkg:pypi/foo"],"size":10,"subdir":"linux-64","version":"1.2"}""", output);
    }

    [Fact]
    public void Boolean_noarch_and_list_track_features_are_normalised()
    {
        var record = PackageRecordJson.Parse("""{"name":"a","version":"1","build":"0","noarch":true,"track_features":["x","y"]}""");
        Assert.Equal("generic", record.Noarch);
        Assert.Equal("x y", record.TrackFeatures);
        Assert.Empty(record.Depends);
        Assert.Contains("\"depends\":[]", PackageRecordJson.ToJson(record));
    }

    [Theory]
    [InlineData("numpy-1.26.4-py312h1_0.conda", "numpy", "1.26.4", "py312h1_0", ArchiveFormat.Conda)]
    [InlineData("r-base-4.3.1-h2_0.tar.bz2", "r-base", "4.3.1", "h2_0", ArchiveFormat.TarBz2)]
    public void Archive_file_names_split_on_the_last_two_dashes(string file, string name, string version, string build, ArchiveFormat format)
    {
        Assert.True(ArchiveFileName.TryParse(file, out var parsed));
        Assert.Equal((name, version, build, format), (parsed.Name, parsed.Version, parsed.Build, parsed.Format));
        Assert.Equal(file, parsed.ToString());
    }

    [Theory]
    [InlineData("numpy.conda")]
    [InlineData("a-1.zip")]
    [InlineData("-1-0.conda")]
    public void Names_that_are_not_package_files_are_rejected(string file) => Assert.False(ArchiveFileName.TryParse(file, out _));
}
