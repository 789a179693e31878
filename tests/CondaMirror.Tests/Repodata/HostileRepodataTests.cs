using System.Text;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Platforms;
using CondaMirror.Core.Repodata;
using Xunit;

namespace CondaMirror.Tests.Repodata;

/// <summary>Upstream repodata whose info.subdir, record subdirs or file names would place files outside the mirror.</summary>
public class HostileRepodataTests
{
    private static readonly Uri Channel = new("https://conda.example.org/forge/");

    private static SparseRepodata Load(string json, SubdirNaming policy = SubdirNaming.KnownOnly) =>
        SparseRepodata.Load("test/repodata.json", Encoding.UTF8.GetBytes(json), Channel, "linux-64", policy);

    private static string Repodata(string info, string fileName, string subdirField) =>
        "{\"info\":{" + info + "},\"packages\":{},\"packages.conda\":{\"" + fileName + "\":{\"name\":\"evil\",\"version\":\"1.0\",\"build\":\"0\",\"build_number\":0,\"depends\":[]" + subdirField + "}}}";

    [Theory]
    [InlineData("../../x")]
    [InlineData("/some/dir")]
    public void An_info_subdir_that_is_a_path_is_refused(string subdir)
    {
        var e = Assert.Throws<CondaMirrorException>(() => Load(Repodata($"\"subdir\":\"{subdir}\"", "evil-1.0-0.conda", ""), SubdirNaming.AllowCustom));
        Assert.Equal(ErrorCodes.SubdirUnsafe, e.Code);
        Assert.Equal("test/repodata.json", e.File);
        Assert.Contains("info.subdir", e.Message);
    }

    [Fact]
    public void A_record_subdir_that_is_a_path_is_refused_when_the_record_is_read()
    {
        var repodata = Load(Repodata("\"subdir\":\"linux-64\"", "evil-1.0-0.conda", ",\"subdir\":\"../../x\""));
        var e = Assert.Throws<CondaMirrorException>(() => repodata.Records("evil"));
        Assert.Equal(ErrorCodes.SubdirUnsafe, e.Code);
        Assert.Contains("evil-1.0-0.conda", e.Message);
    }

    [Fact]
    public void A_record_subdir_that_is_not_a_platform_needs_the_opt_in()
    {
        var json = Repodata("\"subdir\":\"linux-64\"", "evil-1.0-0.conda", ",\"subdir\":\"not-a-platform\"");
        Assert.Equal(ErrorCodes.SubdirNotAllowed, Assert.Throws<CondaMirrorException>(() => Load(json).Records("evil")).Code);
        Assert.Equal("not-a-platform", Assert.Single(Load(json, SubdirNaming.AllowCustom).Records("evil")).Subdir);
    }

    [Theory]
    [InlineData("../../evil-1.0-0.conda")]
    [InlineData("..\\\\evil-1.0-0.conda")]
    [InlineData("\\/tmp\\/evil-1.0-0.conda")]
    public void A_file_name_key_with_a_path_is_refused(string fileName)
    {
        var repodata = Load(Repodata("\"subdir\":\"linux-64\"", fileName, ""));
        Assert.Equal(ErrorCodes.PackageFileNameUnsafe, Assert.Throws<CondaMirrorException>(() => repodata.Records("evil")).Code);
    }
}
