using System.Diagnostics;
using Amazon.Runtime;
using CondaMirror.Core.Diagnostics;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Indexing;
using CondaMirror.Core.Networking;
using CondaMirror.Core.Publishing;
using CondaMirror.TestKit;
using CondaMirror.TestKit.Channels;
using Xunit;

namespace CondaMirror.Tests.Publishing;

/// <summary>
/// The publisher against a real S3-compatible server (s3rver behind a SigV4-checking front, tests/npm/s3-server.cjs):
/// what is uploaded, in which order (read from the server's own log), what a no-change publish costs, pruning, and
/// the coded errors for refused credentials, a missing bucket and an unreachable endpoint.
/// </summary>
public sealed class ChannelPublisherTests
{
    /// <summary>A store on a local port that is not the S3 server (closed, silent or misbehaving), with a throwaway key.</summary>
    private static S3ObjectStore StoreAtPort(int port, int timeoutSeconds, int retries, string secret) => new(new S3StoreOptions
    {
        Bucket = "channels", Endpoint = new Uri($"http://127.0.0.1:{port}"), ForcePathStyle = true,
        Timeout = TimeSpan.FromSeconds(timeoutSeconds), RetryCount = retries, TestCredentials = new BasicAWSCredentials("AKIDEXAMPLE", secret),
    });

    private static S3ObjectStore Store(S3Server server, string? secret = null, string? bucket = null, Uri? endpoint = null, int retries = 1) => new(new S3StoreOptions
    {
        Bucket = bucket ?? server.Bucket,
        Endpoint = endpoint ?? server.Endpoint,
        ForcePathStyle = true,
        Timeout = TimeSpan.FromSeconds(10),
        RetryCount = retries,
        TestCredentials = new BasicAWSCredentials(server.AccessKeyId, secret ?? server.SecretAccessKey),
    });

    private static PublishTarget Target(string prefix = "conda/main", bool prune = false) =>
        PublishTarget.Parse("s3://channels/" + prefix, new Dictionary<string, string> { ["Prune"] = prune ? "true" : "false" });

    private static ChannelBuilder Packages(bool extra = false)
    {
        var builder = new ChannelBuilder()
            .Add(new PackageSpec("tool", "1.0", "h_0", "linux-64") { Depends = ["data"] })
            .Add(new PackageSpec("data", "1.2", "h_0", "noarch") { Noarch = "generic" })
            .Add(new PackageSpec("old", "0.1", "h_0", "linux-64") { Format = CondaMirror.Core.Records.ArchiveFormat.TarBz2 });
        if (extra) builder.Add(new PackageSpec("extra", "2.0", "h_0", "linux-64"));
        return builder;
    }

    /// <summary>
    /// The channel as a build writes it, the publisher's real input: the packages (written independently by
    /// <see cref="ChannelBuilder"/>, beside the channel) indexed into it by Core's ChannelIndexer with every output.
    /// Called again on the same folder, it re-indexes and prunes what is no longer listed.
    /// </summary>
    private static void WriteChannel(string channel, bool extra = false)
    {
        var files = Packages(extra).WriteTo(Path.TrimEndingDirectorySeparator(channel) + ".packages");
        ChannelIndexer.Write(channel, files.Select(f => ArchiveEntries.FromArchive(f)));
    }

    private static Task<PublishResult> Publish(string channel, PublishTarget target, IObjectStore store, bool planOnly = false) =>
        ChannelPublisher.PublishAsync(channel, target, store, new PublishOptions { PlanOnly = planOnly }, new RecordingMirrorLog(), CancellationToken.None);

    private static List<string> Tree(string channel) =>
        Directory.EnumerateFiles(channel, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(channel, f).Replace('\\', '/'))
            .Where(f => !f.StartsWith('.')).OrderBy(f => f, StringComparer.Ordinal).ToList();

    [SkippableFact]
    public async Task First_publish_uploads_every_file_in_safe_order_and_a_second_uploads_nothing()
    {
        using var server = new S3Server();
        using var work = new TempDirectory("condamirror-publish");
        var channel = work.Combine("channel");
        WriteChannel(channel);
        var tree = Tree(channel);
        Assert.Contains("linux-64/shards", string.Join(" ", tree)); // the channel has every kind of file the order is about
        Assert.Contains("linux-64/repodata_shards.msgpack.zst", tree);
        using var store = Store(server);

        var first = await Publish(channel, Target(), store);
        Assert.Equal(tree.Count, first.Uploaded);
        var stored = server.StoredSince(0);
        Assert.Equal(tree.Select(k => "conda/main/" + k).Append("conda/main/" + PublishManifest.RelativeKey).OrderBy(k => k, StringComparer.Ordinal),
            stored.OrderBy(k => k, StringComparer.Ordinal));
        Assert.Equal(stored.OrderBy(k => k, StringComparer.Ordinal), server.StoredKeys());
        // Each object's bytes, read back anonymously over HTTP as a conda client would, are the local file's.
        foreach (var file in tree)
            Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(channel, file)), await server.GetAnonymousAsync("conda/main/" + file));
        AssertSafeOrder(stored);
        Assert.Equal("conda/main/" + PublishManifest.RelativeKey, stored[^1]);

        var before = server.LogWhen(l => l.Count(x => x.StartsWith("GET 200 anonymous", StringComparison.Ordinal)) == tree.Count).Count;
        var second = await Publish(channel, Target(), store);
        Assert.Equal(0, second.Uploaded);
        Assert.Equal(tree.Count, second.Unchanged);
        Assert.Empty(server.StoredSince(before));
        // What the manifest saves: one listing and one GET, no HEAD per object.
        Assert.Equal(new PublishRequests(Lists: 1, Gets: 1, Heads: 0, Puts: 0, Deletes: 0), second.Requests);
        Assert.All(server.Log.Skip(before), l => Assert.Matches("^(GET|HEAD) 200 signed ", l));
    }

    [SkippableFact]
    public async Task Adding_a_package_uploads_its_archive_and_the_changed_metadata_only_with_repodata_last()
    {
        using var server = new S3Server();
        using var work = new TempDirectory("condamirror-publish");
        var channel = work.Combine("channel");
        WriteChannel(channel);
        using var store = Store(server);
        await Publish(channel, Target(), store);
        var hashesBefore = FileTreeSnapshot.ContentHashes(channel).ToHashSet();

        WriteChannel(channel, extra: true);
        var changed = FileTreeSnapshot.ContentHashes(channel).Where(f => !hashesBefore.Contains(f))
            .Select(f => f[..f.LastIndexOf(' ')].Replace('\\', '/')).OrderBy(k => k, StringComparer.Ordinal).ToList();
        Assert.Contains("linux-64/extra-2.0-h_0.conda", changed);
        Assert.Contains("linux-64/repodata.json", changed);
        Assert.DoesNotContain("linux-64/tool-1.0-h_0.conda", changed);

        var before = server.Log.Count;
        var plan = await Publish(channel, Target(), store, planOnly: true);
        Assert.Equal(changed.Count, plan.Uploaded);
        Assert.Empty(server.StoredSince(before)); // a plan writes nothing

        var result = await Publish(channel, Target(), store);
        var stored = server.StoredSince(before);
        Assert.Equal(changed.Select(k => "conda/main/" + k).Append("conda/main/" + PublishManifest.RelativeKey).OrderBy(k => k, StringComparer.Ordinal),
            stored.OrderBy(k => k, StringComparer.Ordinal));
        Assert.Equal(changed.Count, result.Uploaded);
        AssertSafeOrder(stored);
    }

    [SkippableFact]
    public async Task Removed_packages_stay_without_prune_and_are_deleted_after_the_new_repodata_with_it()
    {
        using var server = new S3Server();
        using var work = new TempDirectory("condamirror-publish");
        var channel = work.Combine("channel");
        WriteChannel(channel, extra: true);
        using var store = Store(server);
        await Publish(channel, Target(), store);
        // Another channel under a sibling prefix must never be touched by pruning.
        var neighbour = work.Combine("neighbour");
        WriteChannel(neighbour);
        await Publish(neighbour, Target("conda/main-old"), store);

        File.Delete(Path.Combine(channel, "linux-64", "extra-2.0-h_0.conda"));
        WriteChannel(channel); // re-index without it (the indexer prunes its entry)
        var before = server.Log.Count;
        var kept = await Publish(channel, Target(), store);
        // Stale: the archive and the shard that listed it (shards are named by their hash).
        var stale = server.StoredKeys().Where(k => k.StartsWith("conda/main/", StringComparison.Ordinal) && !k.Contains("/.condamirror/", StringComparison.Ordinal)
            && !File.Exists(Path.Combine(channel, k["conda/main/".Length..]))).ToList();
        Assert.Contains("conda/main/linux-64/extra-2.0-h_0.conda", stale);
        Assert.Contains(stale, k => k.StartsWith("conda/main/linux-64/shards/", StringComparison.Ordinal));
        Assert.Equal(0, kept.Pruned);
        Assert.Equal(stale.Count, kept.StaleKept);
        Assert.Empty(server.DeletedSince(before));
        Assert.Contains("conda/main/linux-64/extra-2.0-h_0.conda", server.StoredKeys());

        before = server.Log.Count;
        var pruned = await Publish(channel, Target(prune: true), store);
        Assert.Equal(stale.Count, pruned.Pruned);
        Assert.Equal(stale, server.DeletedSince(before).Order(StringComparer.Ordinal));
        Assert.DoesNotContain("conda/main/linux-64/extra-2.0-h_0.conda", server.StoredKeys());
        Assert.Contains("conda/main-old/linux-64/tool-1.0-h_0.conda", server.StoredKeys());
        Assert.Contains(PublishManifest.RelativeKey, string.Join(" ", server.StoredKeys()));
        // The repodata that stopped listing it was in place before (it was uploaded by the publish before).
        var log = server.Log.ToList();
        var repodataStored = log.FindLastIndex(l => l == "stored conda/main/linux-64/repodata.json");
        var deleted = log.FindIndex(l => l == "deleted conda/main/linux-64/extra-2.0-h_0.conda");
        Assert.True(repodataStored >= 0 && deleted > repodataStored, string.Join("\n", log));
    }

    [SkippableFact]
    public async Task An_object_overwritten_by_someone_else_is_noticed_and_uploaded_again()
    {
        using var server = new S3Server();
        using var work = new TempDirectory("condamirror-publish");
        var channel = work.Combine("channel");
        WriteChannel(channel);
        using var store = Store(server);
        await Publish(channel, Target(), store);

        // Same size, other bytes, written by another writer: the manifest's ETag no longer matches the listing.
        var key = "conda/main/noarch/index.html";
        var original = await File.ReadAllBytesAsync(Path.Combine(channel, "noarch", "index.html"));
        var tampered = original.ToArray();
        tampered[^2] ^= 0x20;
        using (var content = new MemoryStream(tampered))
            await store.PutAsync(key, content, "text/html", new string('0', 64), CancellationToken.None);

        var before = server.LogWhen(l => l.Count(x => x == "stored " + key) == 2).Count;
        var result = await Publish(channel, Target(), store);
        Assert.Equal(1, result.Uploaded);
        Assert.Equal(1, result.Requests.Heads);
        // The manifest is not rewritten: the restored object has the ETag (content) it recorded.
        Assert.Equal(new[] { key }, server.StoredSince(before));
        Assert.Equal(original, await server.GetAnonymousAsync(key));
    }

    [SkippableFact]
    public async Task Wrong_secret_is_refused_by_the_server_and_is_CMIR363_without_the_secret()
    {
        using var server = new S3Server();
        using var work = new TempDirectory("condamirror-publish");
        var channel = work.Combine("channel");
        WriteChannel(channel);
        const string wrong = "wrong-secret-5f1e2d3c4b5a69788796a5b4";
        using var store = Store(server, secret: wrong);
        var error = await Assert.ThrowsAsync<CondaMirrorException>(() => Publish(channel, Target(), store));
        Assert.Equal(ErrorCodes.PublishAccessDenied, error.Code);
        Assert.Contains("SignatureDoesNotMatch", error.Message);
        Assert.DoesNotContain(wrong, error.ToString());
        Assert.DoesNotContain(server.SecretAccessKey, error.ToString());
        Assert.Empty(server.StoredKeys());
        Assert.Contains(server.Log, l => l.StartsWith("GET 403 signed", StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task Missing_bucket_is_CMIR364()
    {
        using var server = new S3Server();
        using var work = new TempDirectory("condamirror-publish");
        var channel = work.Combine("channel");
        WriteChannel(channel);
        using var store = Store(server, bucket: "no-such-bucket");
        var error = await Assert.ThrowsAsync<CondaMirrorException>(() => Publish(channel,
            PublishTarget.Parse("s3://no-such-bucket/x", new Dictionary<string, string>()), store));
        Assert.Equal(ErrorCodes.PublishNoSuchBucket, error.Code);
        Assert.Contains("no-such-bucket", error.Message);
    }

    [SkippableFact]
    public async Task Unreachable_endpoint_is_CMIR365_within_the_timeout()
    {
        using var work = new TempDirectory("condamirror-publish");
        var channel = work.Combine("channel");
        WriteChannel(channel);
        // A port nothing listens on: bound, then released.
        var port = CondaMirror.Tests.Downloads.UnreachableHostTests.ClosedPort();
        using var store = StoreAtPort(port, timeoutSeconds: 5, retries: 2, secret: "unreachable-secret-value");
        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<CondaMirrorException>(() => Publish(channel, Target(), store));
        Assert.Equal(ErrorCodes.PublishUnreachable, error.Code);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
        Assert.DoesNotContain("unreachable-secret-value", error.ToString());
    }

    [SkippableFact]
    public async Task A_server_that_accepts_and_never_answers_is_CMIR365_within_the_attempt_timeouts()
    {
        using var work = new TempDirectory("condamirror-publish");
        var channel = work.Combine("channel");
        WriteChannel(channel);
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start(backlog: 64);
        var accepted = new List<System.Net.Sockets.TcpClient>();
        using var stop = new CancellationTokenSource();
        // Accepts every connection, reads nothing, answers nothing.
        var acceptor = Task.Run(async () =>
        {
            try { while (true) accepted.Add(await listener.AcceptTcpClientAsync(stop.Token)); }
            catch (OperationCanceledException) { }
        });
        try
        {
            using var store = StoreAtPort(((System.Net.IPEndPoint)listener.LocalEndpoint).Port, timeoutSeconds: 2, retries: 1, secret: "silent-secret-value");
            var clock = Stopwatch.StartNew();
            var error = await Assert.ThrowsAsync<CondaMirrorException>(() => Publish(channel, Target(), store));
            Assert.Equal(ErrorCodes.PublishUnreachable, error.Code);
            // Two attempts of 2 s plus the SDK's backoff, far below the build's patience.
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
            Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(2), $"gave up before the timeout: {clock.Elapsed}");
            Assert.DoesNotContain("silent-secret-value", error.ToString());
        }
        finally
        {
            stop.Cancel();
            listener.Stop();
            await acceptor;
            foreach (var c in accepted) c.Dispose();
        }
    }

    [SkippableFact]
    public async Task Cancelling_is_a_cancellation_not_a_network_error()
    {
        using var work = new TempDirectory("condamirror-publish");
        var channel = work.Combine("channel");
        WriteChannel(channel);
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            using var store = StoreAtPort(((System.Net.IPEndPoint)listener.LocalEndpoint).Port, timeoutSeconds: 30, retries: 0, secret: "x");
            using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
                ChannelPublisher.PublishAsync(channel, Target(), store, new PublishOptions(), new RecordingMirrorLog(), cancel.Token));
        }
        finally
        {
            listener.Stop();
        }
    }

    [SkippableFact]
    public async Task Remote_state_is_bounded_and_an_unreadable_manifest_falls_back_to_HEAD()
    {
        using var server = new S3Server();
        using var work = new TempDirectory("condamirror-publish");
        var channel = work.Combine("channel");
        WriteChannel(channel);
        using var store = Store(server);
        var first = await Publish(channel, Target(), store);

        // More objects under the prefix than the bound: CMIR367, nothing written.
        var tooMany = await Assert.ThrowsAsync<CondaMirrorException>(() => ChannelPublisher.PublishAsync(channel, Target(), store,
            new PublishOptions { MaxRemoteObjects = 5 }, new RecordingMirrorLog(), CancellationToken.None));
        Assert.Equal(ErrorCodes.PublishRemoteTooLarge, tooMany.Code);
        // A manifest larger than the bound: CMIR367.
        var tooBig = await Assert.ThrowsAsync<CondaMirrorException>(() => ChannelPublisher.PublishAsync(channel, Target(), store,
            new PublishOptions { MaxManifestBytes = 100 }, new RecordingMirrorLog(), CancellationToken.None));
        Assert.Equal(ErrorCodes.PublishRemoteTooLarge, tooBig.Code);

        // Someone else's bytes where our manifest was: every object is checked by HEAD, nothing re-uploaded, manifest rewritten.
        using (var junk = new MemoryStream("{\"version\": 7}"u8.ToArray()))
            await store.PutAsync("conda/main/" + PublishManifest.RelativeKey, junk, "application/json", new string('0', 64), CancellationToken.None);
        var log = new RecordingMirrorLog();
        var before = server.LogWhen(l => l.Count(x => x.StartsWith("stored ", StringComparison.Ordinal)) == first.Uploaded + 2).Count;
        var result = await ChannelPublisher.PublishAsync(channel, Target(), store, new PublishOptions(), log, CancellationToken.None);
        Assert.Equal(0, result.Uploaded);
        Assert.Equal(first.Uploaded, result.Requests.Heads);
        Assert.Contains(log.Infos, i => i.Contains("unreadable", StringComparison.Ordinal));
        Assert.Equal(new[] { "conda/main/" + PublishManifest.RelativeKey }, server.StoredSince(before));
    }

    [SkippableFact]
    public async Task No_credentials_anywhere_is_CMIR362()
    {
        // The default chain of this process: only meaningful where the machine has no AWS credentials of its own.
        Requirement.That(Environment.GetEnvironmentVariable("AWS_ACCESS_KEY_ID") is null && Environment.GetEnvironmentVariable("AWS_PROFILE") is null
                && !File.Exists(Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".aws", "credentials")),
            "needs a machine without AWS credentials of its own (the SDK's default chain of this process is what is tested)");
        using var server = new S3Server();
        using var work = new TempDirectory("condamirror-publish");
        var channel = work.Combine("channel");
        WriteChannel(channel);
        using var store = new S3ObjectStore(new S3StoreOptions { Bucket = server.Bucket, Endpoint = server.Endpoint, ForcePathStyle = true, Timeout = TimeSpan.FromSeconds(5), RetryCount = 0 });
        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<CondaMirrorException>(() => Publish(channel, Target(), store));
        Assert.Equal(ErrorCodes.PublishNoCredentials, error.Code);
        Assert.Contains("AWS_ACCESS_KEY_ID", error.Message);
        Assert.Empty(server.StoredKeys());
    }

    [SkippableFact]
    public async Task The_hash_cache_is_used_while_a_file_keeps_its_stat_and_ignored_once_it_changes()
    {
        using var server = new S3Server();
        using var work = new TempDirectory("condamirror-publish");
        var channel = work.Combine("channel");
        WriteChannel(channel);
        var cacheFile = work.Combine("obj", "publish.hashes");
        using var store = Store(server);
        Task<PublishResult> Run() => ChannelPublisher.PublishAsync(channel, Target(), store, new PublishOptions { HashCacheFile = cacheFile }, new RecordingMirrorLog(), CancellationToken.None);
        var first = await Run();
        var lines = File.ReadAllLines(cacheFile);
        Assert.Equal(PublishHashCache.Header, lines[0]);
        Assert.Equal(first.Uploaded, lines.Length - 1);
        var html = Path.Combine(channel, "noarch", "index.html");
        Assert.Contains(lines, l => l.EndsWith(" noarch/index.html", StringComparison.Ordinal)
            && l.StartsWith(Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(html))).ToLowerInvariant() + " ", StringComparison.Ordinal));

        // Bytes changed in place with size and modification time restored: on Linux the change time gives it away
        // (hashed again, uploaded); where the platform has none (the documented limit of a stat check there) the
        // remembered hash is believed and nothing is uploaded.
        var stat = File.GetLastWriteTimeUtc(html);
        var original = File.ReadAllBytes(html);
        var edited = original.ToArray();
        edited[^2] ^= 0x20;
        using (var inPlace = new FileStream(html, FileMode.Open, FileAccess.Write)) inPlace.Write(edited);
        File.SetLastWriteTimeUtc(html, stat);
        var before = server.LogWhen(l => l.Count(x => x.StartsWith("stored ", StringComparison.Ordinal)) == first.Uploaded + 1).Count;
        var restored = await Run();
        var htmlStores = 1;
        if (OperatingSystem.IsLinux())
        {
            Assert.Equal(1, restored.Uploaded);
            Assert.Equal(edited, await server.GetAnonymousAsync("conda/main/noarch/index.html"));
            htmlStores++;
        }
        else
        {
            Assert.Equal(0, restored.Uploaded);
            Assert.Empty(server.StoredSince(before));
        }

        // Any write that moves the modification time is seen everywhere: hashed again, uploaded.
        var editedAgain = edited.ToArray();
        editedAgain[^3] ^= 0x20;
        using (var inPlace = new FileStream(html, FileMode.Open, FileAccess.Write)) inPlace.Write(editedAgain);
        File.SetLastWriteTimeUtc(html, stat.AddSeconds(1));
        var changed = await Run();
        Assert.Equal(1, changed.Uploaded);
        Assert.Equal(editedAgain, await server.GetAnonymousAsync("conda/main/noarch/index.html"));
        htmlStores++;

        // A wrong remembered hash never decides an upload: the file is hashed before it would be sent, and matches.
        File.WriteAllLines(cacheFile, File.ReadAllLines(cacheFile).Select(l => l.EndsWith(" noarch/index.html", StringComparison.Ordinal) ? new string('e', 64) + l[64..] : l));
        before = server.LogWhen(l => l.Count(x => x == "stored conda/main/noarch/index.html") == htmlStores).Count;
        var planted = await Run();
        Assert.Equal(0, planted.Uploaded);
        Assert.Empty(server.StoredSince(before));
        Assert.DoesNotContain(File.ReadAllLines(cacheFile), l => l.StartsWith(new string('e', 64), StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task A_listing_that_never_advances_is_CMIR366_not_an_endless_loop()
    {
        using var work = new TempDirectory("condamirror-publish");
        var channel = work.Combine("channel");
        WriteChannel(channel);
        // Every page: no objects, truncated, the same continuation token.
        using var server = new OneRouteHttpServer((context, n) => OneRouteHttpServer.Xml(context, """
            <?xml version="1.0" encoding="UTF-8"?>
            <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>channels</Name><Prefix>conda/main/</Prefix><KeyCount>0</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>true</IsTruncated><NextContinuationToken>again</NextContinuationToken></ListBucketResult>
            """.Trim()));
        using var store = StoreAtPort(server.Port, timeoutSeconds: 5, retries: 0, secret: "x");
        var error = await Assert.ThrowsAsync<CondaMirrorException>(() => Publish(channel, Target(), store));
        Assert.Equal(ErrorCodes.PublishRequestFailed, error.Code);
        Assert.Contains("does not advance", error.Message);
        Assert.True(server.Requests <= 2, $"{server.Requests} pages asked for");
    }

    [SkippableFact]
    public void No_channel_is_CMIR368()
    {
        using var work = new TempDirectory("condamirror-publish");
        var error = Assert.Throws<CondaMirrorException>(() => ChannelPublisher.ReadTree(work.Path, 1L << 30));
        Assert.Equal(ErrorCodes.PublishChannelInvalid, error.Code);
    }

    /// <summary>Nothing that lists a file is stored before it: archives → shards → other → shard index → .zst → repodata.json.</summary>
    private static void AssertSafeOrder(IReadOnlyList<string> stored)
    {
        int Index(Func<string, bool> match, bool last) => last ? stored.ToList().FindLastIndex(s => match(s)) : stored.ToList().FindIndex(s => match(s));
        bool IsArchive(string k) => k.EndsWith(".conda", StringComparison.Ordinal) || k.EndsWith(".tar.bz2", StringComparison.Ordinal);
        bool IsRepodataLike(string k) => Path.GetFileName(k).StartsWith("repodata", StringComparison.Ordinal);
        var lastArchive = Index(IsArchive, last: true);
        var firstRepodata = Index(IsRepodataLike, last: false);
        Assert.True(lastArchive < firstRepodata, "an index before an archive: " + string.Join(", ", stored));
        var lastShard = Index(k => k.Contains("/shards/", StringComparison.Ordinal), last: true);
        var firstShardIndex = Index(k => k.EndsWith("repodata_shards.msgpack.zst", StringComparison.Ordinal), last: false);
        if (firstShardIndex >= 0) Assert.True(lastShard < firstShardIndex, "shard index before a shard: " + string.Join(", ", stored));
        foreach (var subdir in stored.Where(k => k.EndsWith("/repodata.json", StringComparison.Ordinal)))
        {
            var json = stored.ToList().IndexOf(subdir);
            var dir = subdir[..^"repodata.json".Length];
            Assert.All(stored.Where(k => k.StartsWith(dir, StringComparison.Ordinal) && k != subdir),
                k => Assert.True(stored.ToList().IndexOf(k) < json || k.EndsWith(PublishManifest.RelativeKey, StringComparison.Ordinal),
                    $"{k} after {subdir}: " + string.Join(", ", stored)));
        }
    }
}
