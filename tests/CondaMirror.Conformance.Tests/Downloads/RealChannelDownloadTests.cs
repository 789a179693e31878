using System.Text.Json;
using CondaMirror.Core.Diagnostics;
using CondaMirror.Core.Downloads;
using CondaMirror.TestKit;
using Xunit;

namespace CondaMirror.Conformance.Tests.Downloads;

/// <summary>
/// Serves real channels from the shared test data and downloads every archive that is present, verified
/// against the sha256/md5/size the upstream repodata.json records: our hashing agrees with conda's tooling.
/// </summary>
public sealed class RealChannelDownloadTests
{
    [SkippableTheory]
    [InlineData("conda-conda__test-recipes")]
    [InlineData("prefix-dev-pixi__dummy_channel_1")]
    public async Task Every_archive_verifies_against_its_upstream_repodata(string channelName)
    {
        var channel = TestData.PathOf("packages", channelName);
        await using var server = new LoopbackChannelServer(channel);
        using var cache = new TempDirectory("cm-conf-cache");
        var requests = RequestsFor(channel, server);
        Assert.NotEmpty(requests);

        using var downloader = new PackageDownloader(new DownloadOptions { CacheRoot = cache.Path, RetryCount = 0 }, NullMirrorLog.Instance);
        var summary = await downloader.DownloadAsync(requests, CancellationToken.None);

        Assert.Equal(requests.Count, summary.Downloaded);
        foreach (var r in requests)
            Assert.Equal(new FileInfo(Path.Combine(channel, r.Subdir, r.FileName)).Length, new FileInfo(summary.CachePaths[r]).Length);
    }

    private static List<DownloadRequest> RequestsFor(string channel, LoopbackChannelServer server)
    {
        var requests = new List<DownloadRequest>();
        foreach (var repodata in Directory.GetFiles(channel, "repodata.json", SearchOption.AllDirectories))
        {
            var subdir = Path.GetFileName(Path.GetDirectoryName(repodata)!);
            using var doc = JsonDocument.Parse(File.ReadAllBytes(repodata));
            foreach (var section in new[] { "packages", "packages.conda" })
            {
                if (!doc.RootElement.TryGetProperty(section, out var packages)) continue;
                foreach (var entry in packages.EnumerateObject())
                {
                    if (!File.Exists(Path.Combine(channel, subdir, entry.Name))) continue; // repodata lists more than the repo ships
                    var record = entry.Value;
                    requests.Add(new DownloadRequest(
                        server.UrlFor(subdir + "/" + entry.Name), entry.Name, subdir,
                        record.TryGetProperty("sha256", out var sha) ? sha.GetString() : null,
                        record.TryGetProperty("md5", out var md5) ? md5.GetString() : null,
                        record.TryGetProperty("size", out var size) ? size.GetInt64() : null));
                }
            }
        }
        return requests;
    }
}
