using System.Security.Cryptography;
using CondaMirror.Core.Downloads;
using CondaMirror.Core.Errors;
using CondaMirror.Core.IO;
using CondaMirror.TestKit;
using Xunit;

namespace CondaMirror.Tests.Downloads;

/// <summary>
/// The cache-hit check with real files: any write to a cached file is seen (also one that keeps size and modification
/// time, through the change time on Linux), placement's own hard links are not taken for writes, placement replaces a
/// channel file that is not the verified cache file, and md5-only requests find entries stored under the sha256.
/// </summary>
public sealed class CacheIdentityTests
{
    private static readonly DateTime WholeSecond = new(2025, 1, 2, 3, 4, 5, DateTimeKind.Utc);

    /// <summary>Downloads <paramref name="r"/> and gives the cached file a modification time that can be restored exactly.</summary>
    private static async Task<string> CachedAsync(DownloadFixture f, DownloadRequest r)
    {
        var cached = (await f.RunAsync(f.Options(), r)).CachePaths[r];
        File.SetLastWriteTimeUtc(cached, WholeSecond);
        Assert.True(new PackageCache(f.CacheRoot).TryGetVerified(r, out _)); // records the new identity (one re-hash)
        return cached;
    }

    /// <summary>What the report did: make it writable, write other bytes of the same size in place, put the mtime back.</summary>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static void EditInPlaceKeepingSizeAndMtime(string path)
    {
        Thread.Sleep(20); // the change time has the kernel clock's resolution
        var mtime = File.GetLastWriteTimeUtc(path);
        var mode = File.GetUnixFileMode(path);
        File.SetUnixFileMode(path, mode | UnixFileMode.UserWrite);
        using (var edit = new FileStream(path, FileMode.Open, FileAccess.Write))
        {
            edit.Position = 100;
            edit.Write("poisoned"u8);
        }
        File.SetUnixFileMode(path, mode);
        File.SetLastWriteTimeUtc(path, mtime);
    }

    private static string Sha256(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path))).ToLowerInvariant();

    [Fact]
    public async Task An_in_place_edit_keeping_size_and_mtime_is_rehashed_at_the_next_hit_check_and_evicted()
    {
        if (!OperatingSystem.IsLinux()) return; // only Linux gives the change time cheaply (see FileIdentity)
        await using var f = new DownloadFixture();
        using var channels = new TempDirectory("cm-channels");
        var r = f.AddPackage("a-1.0-0.conda", 50_000);
        var cached = await CachedAsync(f, r);
        var channelA = Path.Combine(channels.Path, "a", "noarch", r.FileName);
        ChannelPlacement.LinkOrCopy(cached, channelA);
        Assert.True(FileIdentity.Of(channelA).IsSameFileAs(FileIdentity.Of(cached)), "the channel file is not a hard link into the cache");
        Assert.True(PackageCache.TryReadSidecar(cached, out var sidecar));

        EditInPlaceKeepingSizeAndMtime(channelA);

        // The precondition: size, modification time and inode are as recorded; only the change time moved.
        Assert.True(FileIdentity.Of(cached).SameExceptChangeTime(sidecar.Identity!.Value));
        Assert.NotEqual(r.Sha256, Sha256(cached));
        var cache = new PackageCache(f.CacheRoot);
        Assert.False(cache.TryGetVerified(r, out _));
        Assert.Equal(1, cache.Rehashed);
        Assert.Equal(1, cache.Evicted);
        Assert.False(File.Exists(cached));
        Assert.False(File.Exists(cached + PackageCache.SidecarSuffix));

        // The next build downloads it again and project B's channel gets the locked bytes; A's edited file, a link to
        // the evicted inode, is replaced when A places again.
        var second = await f.RunAsync(f.Options(), r);
        Assert.Equal(1, second.Downloaded);
        Assert.Equal(2, f.Server.RequestCount("/noarch/" + r.FileName));
        var channelB = Path.Combine(channels.Path, "b", "noarch", r.FileName);
        ChannelPlacement.LinkOrCopy(second.CachePaths[r], channelB);
        Assert.Equal(r.Sha256, Sha256(channelB));
        Assert.True(ChannelPlacement.LinkOrCopy(second.CachePaths[r], channelA));
        Assert.Equal(r.Sha256, Sha256(channelA));
        f.AssertCacheClean();
    }

    [Fact]
    public async Task A_chmod_alone_is_rehashed_once_and_the_intact_file_kept()
    {
        if (!OperatingSystem.IsLinux()) return;
        await using var f = new DownloadFixture();
        var r = f.AddPackage("a-1.0-0.conda", 20_000);
        var cached = await CachedAsync(f, r);
        Thread.Sleep(20);
        File.SetUnixFileMode(cached, File.GetUnixFileMode(cached)); // same mode, still a change of the inode

        var cache = new PackageCache(f.CacheRoot);
        Assert.True(cache.TryGetVerified(r, out _));
        Assert.True(cache.TryGetVerified(r, out _));

        Assert.Equal(1, cache.Rehashed);
        Assert.Equal(0, cache.Evicted);
    }

    [Fact]
    public async Task Hard_links_made_by_placement_cost_no_rehash_at_later_hit_checks()
    {
        await using var f = new DownloadFixture();
        using var channels = new TempDirectory("cm-channels");
        var r = f.AddPackage("a-1.0-0.conda", 30_000);
        var cached = (await f.RunAsync(f.Options(), r)).CachePaths[r];
        var cache = new PackageCache(f.CacheRoot);

        for (var i = 0; i < 5; i++)
        {
            Thread.Sleep(20); // so that every link surely moves the change time
            var channel = Path.Combine(channels.Path, "p" + i, "noarch", r.FileName);
            Assert.True(ChannelPlacement.LinkOrCopy(cached, channel));
            Assert.False(ChannelPlacement.LinkOrCopy(cached, channel)); // already the cache file: nothing to do
            Assert.True(cache.TryGetVerified(r, out _));
        }

        Assert.Equal(0, cache.Rehashed);
        Assert.True(PackageCache.TryReadSidecar(cached, out var sidecar));
        Assert.Equal(FileIdentity.Of(cached), sidecar.Identity);
        if (OperatingSystem.IsLinux())
            Assert.True(FileIdentity.Of(Path.Combine(channels.Path, "p0", "noarch", r.FileName)).IsSameFileAs(FileIdentity.Of(cached)));
    }

    [Fact]
    public async Task A_link_made_behind_the_caches_back_costs_one_rehash_then_none()
    {
        if (!OperatingSystem.IsLinux()) return;
        await using var f = new DownloadFixture();
        using var channels = new TempDirectory("cm-channels");
        var r = f.AddPackage("a-1.0-0.conda", 30_000);
        var cached = (await f.RunAsync(f.Options(), r)).CachePaths[r];
        Thread.Sleep(20);
        Assert.True(ChannelPlacement.TryCreateHardLink(cached, Path.Combine(channels.Path, "other.conda")));

        var cache = new PackageCache(f.CacheRoot);
        Assert.True(cache.TryGetVerified(r, out _));
        Assert.True(cache.TryGetVerified(r, out _));
        Assert.True(cache.TryGetVerified(r, out _));

        Assert.Equal(1, cache.Rehashed);
        Assert.Equal(0, cache.Evicted);
    }

    [Fact]
    public async Task Placement_refuses_a_cache_file_written_after_its_hit_check_and_evicts_it()
    {
        if (!OperatingSystem.IsLinux()) return;
        await using var f = new DownloadFixture();
        using var channels = new TempDirectory("cm-channels");
        var r = f.AddPackage("a-1.0-0.conda", 30_000);
        var cached = await CachedAsync(f, r);
        Assert.True(new PackageCache(f.CacheRoot).TryGetVerified(r, out _));

        EditInPlaceKeepingSizeAndMtime(cached); // between the hit check and placement
        var channel = Path.Combine(channels.Path, "noarch", r.FileName);
        var e = Assert.Throws<CondaMirrorException>(() => ChannelPlacement.LinkOrCopy(cached, channel));

        Assert.Equal(ErrorCodes.PackageCacheEntryTampered, e.Code);
        Assert.False(File.Exists(channel));
        Assert.False(File.Exists(cached));
        Assert.False(File.Exists(cached + PackageCache.SidecarSuffix));
    }

    [Fact]
    public async Task Concurrent_placements_and_hit_checks_of_one_cached_file_neither_fail_nor_evict()
    {
        await using var f = new DownloadFixture();
        using var channels = new TempDirectory("cm-channels");
        var r = f.AddPackage("big-1.0-0.conda", 4_000_000);
        var cached = (await f.RunAsync(f.Options(), r)).CachePaths[r];
        var caches = Enumerable.Range(0, 6).Select(_ => new PackageCache(f.CacheRoot)).ToList();

        // Six "builds" at once, each checking the cache and placing the package into channels of its own, over and
        // over: every link moves the change time under the others' feet.
        await Task.WhenAll(caches.Select((cache, b) => Task.Run(() =>
        {
            for (var i = 0; i < 15; i++)
            {
                Assert.True(cache.TryGetVerified(r, out var path));
                Assert.True(ChannelPlacement.LinkOrCopy(path, Path.Combine(channels.Path, $"b{b}-{i}", "noarch", r.FileName)));
            }
        })));

        Assert.All(caches, c => Assert.Equal(0, c.Evicted));
        Assert.All(Directory.GetFiles(channels.Path, r.FileName, SearchOption.AllDirectories), file => Assert.Equal(r.Sha256, Sha256(file)));
        Assert.Equal(90, Directory.GetFiles(channels.Path, r.FileName, SearchOption.AllDirectories).Length);
        Assert.Equal(1, f.Server.RequestCount("/noarch/" + r.FileName));
        Assert.True(File.Exists(cached));
    }

    [Fact]
    public async Task Placement_replaces_a_channel_file_that_is_another_file_even_with_the_same_bytes()
    {
        await using var f = new DownloadFixture();
        using var channels = new TempDirectory("cm-channels");
        var r = f.AddPackage("a-1.0-0.conda", 30_000);
        var cached = (await f.RunAsync(f.Options(), r)).CachePaths[r];
        var channel = Path.Combine(channels.Path, "noarch", r.FileName);
        Directory.CreateDirectory(Path.GetDirectoryName(channel)!);
        File.Copy(cached, channel); // same bytes, a file of its own (an old copy, or a link to an evicted entry)

        var written = ChannelPlacement.LinkOrCopy(cached, channel);

        Assert.Equal(r.Sha256, Sha256(channel));
        if (OperatingSystem.IsLinux())
        {
            Assert.True(written);
            Assert.True(FileIdentity.Of(channel).IsSameFileAs(FileIdentity.Of(cached)));
        }
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(channel)!)); // no temp file left
    }

    [Fact]
    public async Task An_md5_only_request_hits_an_entry_downloaded_with_a_sha256()
    {
        await using var f = new DownloadFixture();
        var full = f.AddPackage("a-1.0-0.tar.bz2", 40_000);
        var md5Only = full with { Sha256 = null, Size = null };
        var first = await f.RunAsync(f.Options(), full);

        var second = await f.RunAsync(f.Options(), md5Only);
        var third = await f.RunAsync(f.Options(), md5Only);

        Assert.Equal((0, 1), (second.Downloaded, second.FromCache));
        Assert.Equal((0, 1), (third.Downloaded, third.FromCache));
        Assert.Equal(first.CachePaths[full], second.CachePaths[md5Only]);
        Assert.Equal(1, f.Server.RequestCount("/noarch/" + full.FileName));
        // The md5 was learned from the file's bytes once, and is in the sidecar from then on.
        Assert.True(PackageCache.TryReadSidecar(first.CachePaths[full], out var sidecar));
        Assert.Equal(full.Md5, sidecar.Md5);
        var cache = new PackageCache(f.CacheRoot);
        Assert.True(cache.TryGetVerified(md5Only, out _));
        Assert.Equal(0, cache.Rehashed);
        f.AssertCacheClean();
    }

    [Fact]
    public async Task An_md5_pointer_to_other_bytes_is_never_a_hit()
    {
        await using var f = new DownloadFixture();
        var full = f.AddPackage("a-1.0-0.conda", 20_000);
        var cached = (await f.RunAsync(f.Options(), full)).CachePaths[full];
        var cache = new PackageCache(f.CacheRoot);
        var claimed = new string('5', 32); // an md5 the file does not have, pointing at it (a lock's wrong claim)
        Directory.CreateDirectory(Path.GetDirectoryName(cache.Md5PointerPath(claimed))!);
        File.WriteAllText(cache.Md5PointerPath(claimed), full.Sha256 + "\n");

        Assert.False(cache.TryGetVerified(full with { Sha256 = null, Md5 = claimed }, out _));
        Assert.False(cache.TryGetVerified(full with { Sha256 = null, Md5 = claimed }, out _));

        Assert.Equal(1, cache.Rehashed); // once, to learn the real md5; then the sidecar answers
        Assert.True(File.Exists(cached)); // the entry itself is sound and stays
        Assert.True(cache.TryGetVerified(full with { Sha256 = null }, out var path));
        Assert.Equal(cached, path);
    }

    [Fact]
    public async Task A_pointer_never_overrides_the_size_or_the_file_name_of_the_request()
    {
        await using var f = new DownloadFixture();
        var full = f.AddPackage("a-1.0-0.conda", 20_000);
        await f.RunAsync(f.Options(), full);
        var cache = new PackageCache(f.CacheRoot);

        Assert.False(cache.TryGetVerified(full with { Sha256 = null, Size = 19_999 }, out _));
        Assert.False(cache.TryGetVerified(full with { Sha256 = null, FileName = "b-1.0-0.conda" }, out _));
        Assert.False(cache.TryGetVerified(full with { Sha256 = null, Md5 = "../../../../etc" }, out _));
    }

    [Fact]
    public async Task An_entry_stored_under_its_md5_by_an_earlier_version_still_hits()
    {
        await using var f = new DownloadFixture();
        var full = f.AddPackage("a-1.0-0.tar.bz2", 20_000);
        var md5Only = full with { Sha256 = null };
        var cache = new PackageCache(f.CacheRoot);
        // The earlier layout: <md5[..2]>/<md5>/<file> with its sidecar, no pointer.
        var legacy = cache.PathFor(full.Md5!, full.FileName);
        Directory.CreateDirectory(Path.GetDirectoryName(legacy)!);
        File.Copy(f.ChannelPathOf(full), legacy);
        var identity = FileIdentity.Of(legacy);
        File.WriteAllText(legacy + PackageCache.SidecarSuffix,
            $"sha256={full.Sha256}\nmd5={full.Md5}\nsize={full.Size}\nmtime={identity.MtimeTicks}\ninode={identity.Inode}\n");

        var summary = await f.RunAsync(f.Options(), md5Only);

        Assert.Equal((0, 1), (summary.Downloaded, summary.FromCache));
        Assert.Equal(legacy, summary.CachePaths[md5Only]);
        Assert.Empty(f.Server.Requests);
    }
}
