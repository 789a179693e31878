using CondaMirror.Core.Downloads;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Networking;
using CondaMirror.TestKit;
using Xunit;

namespace CondaMirror.Tests.Downloads;

public sealed class PackageCacheRootTests
{
    [Fact]
    public void Cache_root_honours_the_environment_variable()
    {
        var previous = Environment.GetEnvironmentVariable("CONDAMIRROR_PACKAGE_CACHE");
        try
        {
            Environment.SetEnvironmentVariable("CONDAMIRROR_PACKAGE_CACHE", Path.Combine(Path.GetTempPath(), "cm-custom-cache"));
            Assert.Equal(Path.Combine(Path.GetTempPath(), "cm-custom-cache"), PackageCache.DefaultRoot);
            Environment.SetEnvironmentVariable("CONDAMIRROR_PACKAGE_CACHE", null);
            Assert.EndsWith("pkgs", PackageCache.DefaultRoot);
        }
        finally
        {
            Environment.SetEnvironmentVariable("CONDAMIRROR_PACKAGE_CACHE", previous);
        }
    }
}

public sealed class ChannelPlacementTests
{
    [Fact]
    public void Links_or_copies_atomically_and_skips_identical_content()
    {
        using var dir = new TempDirectory("cm-place");
        var cached = dir.Combine("cache", "a.conda");
        Directory.CreateDirectory(Path.GetDirectoryName(cached)!);
        File.WriteAllBytes(cached, [1, 2, 3, 4]);
        var destination = dir.Combine("channel", "noarch", "a.conda");

        Assert.True(ChannelPlacement.LinkOrCopy(cached, destination));
        Assert.Equal([1, 2, 3, 4], File.ReadAllBytes(destination));
        Assert.False(ChannelPlacement.LinkOrCopy(cached, destination));

        File.Delete(destination);
        File.WriteAllBytes(destination, [9, 9, 9, 9]); // same size, other content
        Assert.True(ChannelPlacement.LinkOrCopy(cached, destination));
        Assert.Equal([1, 2, 3, 4], File.ReadAllBytes(destination));
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(destination)!)); // no temp files left
    }

    [Fact]
    public void Hard_links_on_the_same_volume()
    {
        using var dir = new TempDirectory("cm-place");
        var cached = dir.Combine("a.conda");
        File.WriteAllBytes(cached, [1, 2, 3]);
        var link = dir.Combine("b.conda");

        Assert.True(ChannelPlacement.TryCreateHardLink(cached, link));
        using (var s = new FileStream(cached, FileMode.Open, FileAccess.Write)) s.WriteByte(5);
        Assert.Equal(5, File.ReadAllBytes(link)[0]); // same inode
    }

    [Fact]
    public void Missing_cache_file_is_a_placement_error()
    {
        using var dir = new TempDirectory("cm-place");
        var e = Assert.Throws<CondaMirrorException>(() => ChannelPlacement.LinkOrCopy(dir.Combine("nope.conda"), dir.Combine("out", "nope.conda")));
        Assert.Equal(ErrorCodes.ChannelPlacementFailed, e.Code);
        Assert.Contains("nope.conda", e.Message);
    }
}

public sealed class DownloadRequestTests
{
    [Fact]
    public void From_repodata_record_carries_url_hashes_and_size_and_prints_without_secrets()
    {
        var record = new CondaMirror.Core.Records.PackageRecord { Name = "zlib", Version = "1.3", Build = "h0_0", Subdir = "linux-64", Sha256 = new string('a', 64), Md5 = new string('b', 32), Size = 42 };
        var request = DownloadRequest.From(new CondaMirror.Core.Records.RepodataRecord(record, "https://u:pw@h/t/tok/ch/linux-64/zlib-1.3-h0_0.conda", "zlib-1.3-h0_0.conda"));

        Assert.Equal(("linux-64", new string('a', 64), new string('b', 32), 42L), (request.Subdir, request.Sha256, request.Md5, request.Size!.Value));
        Assert.Equal("linux-64/zlib-1.3-h0_0.conda from https://***@h/t/***/ch/linux-64/zlib-1.3-h0_0.conda", request.ToString());
    }
}
