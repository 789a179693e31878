using System.Net;
using System.Security.Cryptography;
using CondaMirror.Core.Diagnostics;
using CondaMirror.Core.Downloads;
using CondaMirror.Core.Errors;
using CondaMirror.TestKit;
using Xunit;

namespace CondaMirror.Tests.Downloads;

/// <summary>Sizes enforced while streaming, no pre-allocation, leftovers of dead builds, and a cache a channel cannot poison.</summary>
public sealed class CacheSafetyTests
{
    [Fact]
    public async Task An_endless_body_without_content_length_is_cut_one_byte_past_the_locks_size()
    {
        await using var f = new DownloadFixture();
        var endless = new EndlessStream();
        using var handler = new FixedResponseHandler(() => new StreamContent(endless));
        var request = new DownloadRequest("http://packages.example/noarch/tiny-1.0-0.conda", "tiny-1.0-0.conda", "noarch", new string('a', 64), null, 283);

        using var downloader = new PackageDownloader(f.Options(retries: 2), f.Log, handler);
        var e = await Assert.ThrowsAsync<CondaMirrorException>(() => downloader.DownloadAsync(new[] { request }, CancellationToken.None));

        Assert.Equal(ErrorCodes.DownloadTooLarge, e.Code);
        Assert.Contains("tiny-1.0-0.conda", e.Message);
        Assert.Contains("http://packages.example/noarch/tiny-1.0-0.conda", e.Message);
        Assert.Equal(284, endless.Served); // one byte past the size, then no more reading
        Assert.Equal(1, handler.Requests); // a server sending something else is not asked again
        f.AssertCacheClean();
        Assert.Equal(0, f.CachedFileCount());
    }

    [Fact]
    public async Task A_body_announced_larger_than_the_locks_size_is_refused_before_it_is_read()
    {
        await using var f = new DownloadFixture();
        var real = f.AddPackage("big-1.0-0.conda", 300_000);
        var request = real with { Size = 283 };

        var e = await Assert.ThrowsAsync<CondaMirrorException>(() => f.RunAsync(f.Options(), request));

        Assert.Equal(ErrorCodes.DownloadTooLarge, e.Code);
        Assert.Contains("announced 300000 bytes", e.Message);
        Assert.Equal(1, f.Server.RequestCount("/noarch/big-1.0-0.conda"));
        f.AssertCacheClean();
        Assert.Equal(0, f.CachedFileCount());
    }

    [Fact]
    public async Task A_local_file_larger_than_the_locks_size_is_cut_too()
    {
        await using var f = new DownloadFixture();
        var real = f.AddPackage("big-1.0-0.conda", 300_000);
        var request = real with { Url = f.ChannelPathOf(real), Size = 1000 };

        var e = await Assert.ThrowsAsync<CondaMirrorException>(() => f.RunAsync(f.Options(), request));

        Assert.Equal(ErrorCodes.DownloadTooLarge, e.Code);
        f.AssertCacheClean();
    }

    [Theory]
    [InlineData(-5L)]
    [InlineData(long.MinValue)]
    [InlineData(DownloadOptions.DefaultMaxPackageBytes + 1)]
    [InlineData(long.MaxValue)]
    public async Task A_negative_or_absurd_size_is_a_coded_error_before_any_request(long size)
    {
        await using var f = new DownloadFixture();
        var request = f.AddPackage("a-1.0-0.conda", 1000) with { Size = size };

        var e = await Assert.ThrowsAsync<CondaMirrorException>(() => f.RunAsync(f.Options(), request));

        Assert.Equal(ErrorCodes.DownloadSizeInvalid, e.Code);
        Assert.Contains("a-1.0-0.conda", e.Message);
        Assert.Empty(f.Server.Requests);
    }

    [Fact]
    public async Task The_locks_size_is_not_preallocated_so_a_partial_file_holds_only_what_arrived()
    {
        await using var f = new DownloadFixture();
        var gate = new TaskCompletionSource();
        var body = new GatedStream(new byte[1000], gate.Task);
        using var handler = new FixedResponseHandler(() => new StreamContent(body));
        var request = new DownloadRequest("http://packages.example/noarch/huge-1.0-0.conda", "huge-1.0-0.conda", "noarch", new string('b', 64), null, 90_000_000);
        using var cancel = new CancellationTokenSource();
        using var downloader = new PackageDownloader(f.Options(), f.Log, handler);

        var run = downloader.DownloadAsync(new[] { request }, cancel.Token);
        var partial = Path.Combine(f.CacheRoot, PackageCache.PartialFolder);
        string? file = null;
        for (var i = 0; i < 200 && (file is null || new FileInfo(file).Length < 1000); i++)
        {
            await Task.Delay(50);
            file = Directory.Exists(partial) ? Directory.GetFiles(partial, "*" + PackageCache.PartialSuffix).SingleOrDefault() : null;
        }

        Assert.NotNull(file);
        Assert.Equal(1000, new FileInfo(file!).Length);
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.Empty(Directory.GetFiles(partial, "*" + PackageCache.PartialSuffix));
    }

    [Fact]
    public async Task Partial_files_of_dead_writers_are_removed_and_those_of_live_writers_and_young_strays_kept()
    {
        await using var f = new DownloadFixture();
        var partial = Directory.CreateDirectory(Path.Combine(f.CacheRoot, PackageCache.PartialFolder)).FullName;
        string Touch(string name, DateTime? at = null)
        {
            var path = Path.Combine(partial, name);
            File.WriteAllBytes(path, new byte[10]);
            if (at is { } t) File.SetLastWriteTimeUtc(path, t);
            return path;
        }
        // A killed build: its owner record is there, but no process holds it.
        var deadOwner = Touch("4242-deadbeef" + PackageCache.OwnerSuffix);
        var dead = Touch("4242-deadbeef.0123456789abcdef.part");
        // A build whose owner record went with it: nobody can hold what does not exist.
        var orphan = Touch("77-cafebabe.fedcba9876543210.part");
        // Another build running right now (another process, or another container sharing the cache).
        var liveOwner = Touch("99-00c0ffee" + PackageCache.OwnerSuffix);
        var live = Touch("99-00c0ffee.00112233445566778899.part");
        using var held = new FileStream(liveOwner, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
        // Names of older versions: only their age tells.
        var youngStray = Touch("0123456789abcdef0123456789abcdef.part");
        var oldStray = Touch("fedcba9876543210fedcba9876543210.part", DateTime.UtcNow.AddDays(-2));

        await f.RunAsync(f.Options(), f.AddPackage("a-1.0-0.conda", 1000));

        Assert.False(File.Exists(dead));
        Assert.False(File.Exists(deadOwner));
        Assert.False(File.Exists(orphan));
        Assert.False(File.Exists(oldStray));
        Assert.True(File.Exists(live));
        Assert.True(File.Exists(liveOwner));
        Assert.True(File.Exists(youngStray));
    }

    [Fact]
    public async Task Cached_files_are_read_only_on_unix()
    {
        if (OperatingSystem.IsWindows()) return; // deliberately left writable there (see PackageCache.MakeReadOnly)
        await using var f = new DownloadFixture();
        var r = f.AddPackage("a-1.0-0.conda", 5000);

        var summary = await f.RunAsync(f.Options(), r);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(summary.CachePaths[r]));
    }

    [Fact]
    public async Task A_channel_file_edited_in_place_through_its_hard_link_is_never_published_by_another_project()
    {
        await using var f = new DownloadFixture();
        using var channels = new TempDirectory("cm-channels");
        var r = f.AddPackage("a-1.0-0.conda", 50_000);
        var first = await f.RunAsync(f.Options(), r);
        var channelA = Path.Combine(channels.Path, "a", "noarch", r.FileName);
        ChannelPlacement.LinkOrCopy(first.CachePaths[r], channelA);

        // Someone edits project A's published file in place, same size (root, or after a chmod, gets past read-only).
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(channelA, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        using (var edit = new FileStream(channelA, FileMode.Open, FileAccess.Write))
        {
            edit.Position = 100;
            edit.Write("poison"u8);
        }
        var linked = Sha256(first.CachePaths[r]) != r.Sha256;

        var second = await f.RunAsync(f.Options(), r);
        var channelB = Path.Combine(channels.Path, "b", "noarch", r.FileName);
        ChannelPlacement.LinkOrCopy(second.CachePaths[r], channelB);

        Assert.Equal(r.Sha256, Sha256(channelB));
        Assert.Equal(r.Sha256, Sha256(second.CachePaths[r]));
        if (linked)
        {
            // The cache had been changed through the link: it was evicted and fetched again.
            Assert.Equal(1, second.Downloaded);
            Assert.Equal(2, f.Server.RequestCount("/noarch/" + r.FileName));
        }
        f.AssertCacheClean();
    }

    [Fact]
    public async Task A_cached_file_whose_stat_changed_but_content_did_not_is_rehashed_once_and_kept()
    {
        await using var f = new DownloadFixture();
        var r = f.AddPackage("a-1.0-0.conda", 20_000);
        var first = await f.RunAsync(f.Options(), r);
        File.SetLastWriteTimeUtc(first.CachePaths[r], DateTime.UtcNow.AddHours(-3));

        var second = await f.RunAsync(f.Options(), r);
        var third = await f.RunAsync(f.Options(), r);

        Assert.Equal(1, second.FromCache);
        Assert.Equal(1, third.FromCache);
        Assert.Equal(1, f.Server.RequestCount("/noarch/" + r.FileName));
        Assert.True(PackageCache.TryReadSidecar(first.CachePaths[r], out var sidecar));
        Assert.Equal(new FileInfo(first.CachePaths[r]).LastWriteTimeUtc.Ticks, sidecar.Identity!.Value.MtimeTicks);
    }

    [Fact]
    public async Task A_sidecar_from_before_stats_were_recorded_is_upgraded_by_one_rehash()
    {
        await using var f = new DownloadFixture();
        var r = f.AddPackage("a-1.0-0.conda", 20_000);
        var first = await f.RunAsync(f.Options(), r);
        File.WriteAllText(first.CachePaths[r] + PackageCache.SidecarSuffix, $"sha256={r.Sha256}\nmd5={r.Md5}\nsize={r.Size}\n");

        var second = await f.RunAsync(f.Options(), r);

        Assert.Equal(1, second.FromCache);
        Assert.True(PackageCache.TryReadSidecar(first.CachePaths[r], out var sidecar));
        Assert.NotNull(sidecar.Identity);
    }

    private static string Sha256(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path))).ToLowerInvariant();

    /// <summary>Answers every request with 200 and a fresh content from <paramref name="content"/>; counts requests.</summary>
    private sealed class FixedResponseHandler(Func<HttpContent> content) : HttpMessageHandler
    {
        private int _requests;
        public int Requests => Volatile.Read(ref _requests);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _requests);
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = content(), RequestMessage = request });
        }
    }

    /// <summary>Never ends (a server sending 1 GiB, or forever, for a small record); counts what was read from it.</summary>
    private sealed class EndlessStream : Stream
    {
        public long Served { get; private set; }
        public override int Read(byte[] buffer, int offset, int count)
        {
            buffer.AsSpan(offset, count).Fill(0x42);
            Served += count;
            return count;
        }
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => Served; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>Serves <c>head</c>, then waits for <c>gate</c> (or cancellation) before ending.</summary>
    private sealed class GatedStream(byte[] head, Task gate) : Stream
    {
        private int _position;
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_position < head.Length)
            {
                var n = Math.Min(buffer.Length, head.Length - _position);
                head.AsMemory(_position, n).CopyTo(buffer);
                _position += n;
                return n;
            }
            await gate.WaitAsync(cancellationToken);
            return 0;
        }
        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
