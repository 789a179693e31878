using System.Net;
using System.Text;
using CondaMirror.Core.Channels;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Locks;
using CondaMirror.Core.Repodata;
using CondaMirror.Core.Resolving;
using CondaMirror.TestKit;
using CondaMirror.TestKit.Channels;
using Xunit;

namespace CondaMirror.Tests.Resolving;

/// <summary>noarch is fetched and indexed together with the first platform: same lock, one error, nothing left running.</summary>
public class ConcurrentSubdirFetchTests
{
    [SkippableFact]
    public void The_lock_is_the_same_whichever_platform_is_fetched_together_with_noarch()
    {
        using var dir = new TempDirectory();
        new ChannelBuilder()
            .Add(new PackageSpec("tool", "2.0", "h_0", "linux-64") { Depends = new[] { "data >=1.1", "libfoo" } })
            .Add(new PackageSpec("tool", "1.0", "h_0", "linux-64") { Depends = new[] { "data", "libfoo" } })
            .Add(new PackageSpec("libfoo", "1.1", "h_0", "linux-64"))
            .Add(new PackageSpec("tool", "2.0", "h_0", "osx-64") { Depends = new[] { "data >=1.2" } })
            .Add(new PackageSpec("data", "1.1", "0", "noarch"))
            .Add(new PackageSpec("data", "1.2", "0", "noarch"))
            .WriteTo(dir.Combine("channel"));
        string Resolve(string name, params string[] platforms)
        {
            var settings = new ResolveSettings
            {
                Packages = new[] { new RequestedPackage("tool", "CondaPackage 'tool'") },
                Channels = new[] { ChannelResolver.Resolve(dir.Combine("channel")) },
                Platforms = platforms,
                LockFile = dir.Combine(name, "conda-mirror.lock"),
                Fetch = new RepodataFetchOptions { CacheDirectory = dir.Combine("repodata-cache") },
            };
            Directory.CreateDirectory(dir.Combine(name));
            var outcome = new LockResolver().Resolve(settings);
            Assert.True(outcome.LockWritten);
            return settings.LockFile;
        }

        var linuxFirst = Resolve("a", "linux-64", "osx-64");
        var osxFirst = Resolve("b", "osx-64", "linux-64");

        Assert.Equal(File.ReadAllBytes(linuxFirst), File.ReadAllBytes(osxFirst));
        var packages = LockFileReader.Read(linuxFirst).PackagesByPlatform;
        // What the channel above allows: the newest tool, and noarch's newest data on both platforms.
        Assert.Equal(new[] { "data 1.2", "libfoo 1.1", "tool 2.0" },
            packages["linux-64"].Select(r => $"{r.Record.Name} {r.Record.Version}").OrderBy(x => x, StringComparer.Ordinal));
        Assert.Equal(new[] { "data 1.2", "tool 2.0" },
            packages["osx-64"].Select(r => $"{r.Record.Name} {r.Record.Version}").OrderBy(x => x, StringComparer.Ordinal));
    }

    [SkippableFact]
    public void A_failing_subdir_is_the_one_error_and_cancels_the_subdir_still_arriving()
    {
        using var dir = new TempDirectory();
        using var server = new NoarchBrokenLinuxStalled();
        var settings = new ResolveSettings
        {
            Packages = new[] { new RequestedPackage("tool", "CondaPackage 'tool'") },
            Channels = new[] { ChannelResolver.Resolve("https://repo.example.org/forge") },
            Platforms = new[] { "linux-64" },
            LockFile = dir.Combine("conda-mirror.lock"),
            // Without the cancellation the stalled body would hold the build for the whole request timeout.
            Fetch = new RepodataFetchOptions { CacheDirectory = dir.Combine("repodata-cache"), RequestTimeout = TimeSpan.FromMinutes(10), MaxRetries = 0 },
        };

        var error = HangGuard.Run(() => Assert.Throws<CondaMirrorException>(() => new LockResolver(null, server).Resolve(settings)),
            what: "a resolve whose noarch repodata is broken while linux-64 is still arriving");

        Assert.Equal(ErrorCodes.RepodataInvalid, error.Code);
        Assert.Contains("noarch/repodata.json", error.File);
        Assert.True(server.LinuxCancelled.Task.IsCompletedSuccessfully, "the linux-64 body was never cancelled");
        Assert.False(File.Exists(settings.LockFile));
        // Nothing half-written: no body (spooled or cached) of either subdir is left, only what says "no shards here".
        var left = Directory.Exists(settings.Fetch.CacheDirectory)
            ? Directory.GetFiles(settings.Fetch.CacheDirectory, "*", SearchOption.AllDirectories).Select(Path.GetFileName).ToList()
            : new List<string?>();
        Assert.All(left, name => Assert.Equal(RepodataCacheEntry.ShardIndexMetadataFileName, name));
    }

    [Fact]
    public void Indexing_a_file_stops_when_cancelled()
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("repodata.json");
        File.WriteAllText(path, """{"packages": {"a-1-0.tar.bz2": {"name": "a", "version": "1", "build": "0", "build_number": 0}}}""");
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        Assert.ThrowsAny<OperationCanceledException>(() => SparseRepodata.LoadFile(path, new Uri("https://example.org/c/"), "linux-64", cancellationToken: cancelled.Token));
        File.Delete(path); // the handle was closed
        Assert.False(File.Exists(path));
    }

    /// <summary>
    /// linux-64/repodata.json sends a few bytes and then waits until its request is cancelled; noarch/repodata.json,
    /// answered only once linux-64's body is waiting, is truncated.
    /// </summary>
    private sealed class NoarchBrokenLinuxStalled : HttpMessageHandler
    {
        public TaskCompletionSource LinuxWaiting { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource LinuxCancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var path = request.RequestUri!.AbsolutePath;
            if (path == "/forge/noarch/repodata.json")
            {
                await LinuxWaiting.Task.WaitAsync(cancellationToken);
                return new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(Encoding.UTF8.GetBytes("""{"packages": {"a-1-0.tar.bz2": {"name": """)) };
            }
            if (path == "/forge/linux-64/repodata.json")
                return new HttpResponseMessage(HttpStatusCode.OK) { Content = new StreamContent(new StalledStream(LinuxWaiting, LinuxCancelled)) };
            return new HttpResponseMessage(HttpStatusCode.NotFound);
        }
    }

    private sealed class StalledStream(TaskCompletionSource waiting, TaskCompletionSource cancelled) : CondaMirror.Core.IO.ReadOnlyStream
    {
        private bool _sentPrefix;

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (!_sentPrefix)
            {
                _sentPrefix = true;
                return Encoding.UTF8.GetBytes("{\"packages\": {", buffer.Span);
            }
            try
            {
                waiting.TrySetResult();
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                cancelled.TrySetResult();
                throw;
            }
            return 0;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();
    }
}
