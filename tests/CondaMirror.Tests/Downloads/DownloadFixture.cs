using System.Security.Cryptography;
using CondaMirror.Core.Diagnostics;
using CondaMirror.Core.Downloads;
using CondaMirror.Core.Networking;
using CondaMirror.TestKit;

namespace CondaMirror.Tests.Downloads;

/// <summary>A served channel folder, a private cache and helpers to make requests for generated files.</summary>
internal sealed class DownloadFixture : IAsyncDisposable
{
    private readonly TempDirectory _channel = new("cm-channel");
    private readonly TempDirectory _cache = new("cm-cache");

    public DownloadFixture()
    {
        Server = new LoopbackChannelServer(_channel.Path);
    }

    public LoopbackChannelServer Server { get; }
    public string ChannelDir => _channel.Path;
    public string CacheRoot => _cache.Path;
    public RecordingMirrorLog Log { get; } = new();

    /// <summary>Writes a file of pseudo-random bytes into the channel and returns a request for it over HTTP.</summary>
    public DownloadRequest AddPackage(string fileName, int size, string subdir = "noarch", string? urlPrefix = null)
    {
        var bytes = new byte[size];
        new Random(HashCode.Combine(fileName, size)).NextBytes(bytes);
        var relative = (urlPrefix is null ? "" : urlPrefix.Trim('/') + "/") + subdir + "/" + fileName;
        var path = Path.Combine(ChannelDir, relative.Replace('/', Path.DirectorySeparatorChar));
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return new DownloadRequest(Server.UrlFor(relative), fileName, subdir,
            Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant(),
            Convert.ToHexString(MD5.HashData(bytes)).ToLowerInvariant(),
            size);
    }

    /// <summary>The request for a package file already written into the channel folder's <paramref name="subdir"/>, hashes taken from its bytes.</summary>
    public DownloadRequest RequestFor(string path, string subdir)
    {
        var bytes = File.ReadAllBytes(path);
        var fileName = Path.GetFileName(path);
        return new DownloadRequest(Server.UrlFor(subdir + "/" + fileName), fileName, subdir,
            Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(bytes)).ToLowerInvariant(), null, bytes.Length);
    }

    public string ChannelPathOf(DownloadRequest request) =>
        Path.Combine(ChannelDir, new Uri(request.Url).AbsolutePath.TrimStart('/').Replace('/', Path.DirectorySeparatorChar));

    public DownloadOptions Options(int retries = 3, int maxParallel = 4, TimeSpan? attemptTimeout = null, IReadOnlyList<ChannelCredential>? credentials = null, TimeSpan? progress = null) => new()
    {
        CacheRoot = CacheRoot,
        RetryCount = retries,
        MaxParallel = maxParallel,
        BaseDelay = TimeSpan.FromMilliseconds(10),
        AttemptTimeout = attemptTimeout ?? TimeSpan.FromSeconds(10),
        Credentials = credentials is null ? CredentialSet.None : new CredentialSet(credentials),
        ProgressInterval = progress ?? TimeSpan.FromMinutes(1),
        Validation = null, // the served files are random bytes, not packages: these tests are about transfers
    };

    public async Task<DownloadSummary> RunAsync(DownloadOptions options, params DownloadRequest[] requests)
    {
        using var downloader = new PackageDownloader(options, Log);
        return await downloader.DownloadAsync(requests, CancellationToken.None);
    }

    /// <summary>The cache may only hold verified files, each with its sidecar, and no leftover temp files.</summary>
    public void AssertCacheClean()
    {
        if (!Directory.Exists(CacheRoot)) return;
        var partial = Path.Combine(CacheRoot, PackageCache.PartialFolder);
        if (Directory.Exists(partial)) Xunit.Assert.Empty(Directory.GetFiles(partial)); // no partial file, and no owner record of a finished run
        var md5Index = Path.Combine(CacheRoot, PackageCache.Md5Folder);
        foreach (var file in Directory.EnumerateFiles(CacheRoot, "*", SearchOption.AllDirectories))
        {
            if (file.StartsWith(partial, StringComparison.Ordinal) || file.StartsWith(md5Index, StringComparison.Ordinal)) continue;
            Xunit.Assert.DoesNotContain(".tmp", Path.GetFileName(file));
            if (file.EndsWith(PackageCache.SidecarSuffix, StringComparison.Ordinal) || file.EndsWith(ArchiveInfoRecord.Suffix, StringComparison.Ordinal)) continue;
            Xunit.Assert.True(PackageCache.TryReadSidecar(file, out var sidecar), $"{file} has no sidecar");
            Xunit.Assert.Equal(sidecar.Sha256, Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(file))).ToLowerInvariant());
        }
    }

    public int CachedFileCount() => !Directory.Exists(CacheRoot) ? 0 :
        Directory.EnumerateFiles(CacheRoot, "*", SearchOption.AllDirectories)
            .Count(f => !f.EndsWith(PackageCache.SidecarSuffix, StringComparison.Ordinal) && !f.EndsWith(ArchiveInfoRecord.Suffix, StringComparison.Ordinal) && !f.Contains(PackageCache.PartialFolder, StringComparison.Ordinal)
                && !f.Contains(Path.DirectorySeparatorChar + PackageCache.Md5Folder + Path.DirectorySeparatorChar, StringComparison.Ordinal));

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        _channel.Dispose();
        _cache.Dispose();
    }
}
