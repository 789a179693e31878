using System.Text;
using System.Text.Json;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Indexing;
using CondaMirror.Core.Records;
using CondaMirror.Core.Zstd;
using CondaMirror.TestKit;
using CondaMirror.TestKit.Channels;
using Xunit;

namespace CondaMirror.Tests.Indexing;

/// <summary>repodata.json.zst, run_exports.json, channeldata.json, index.html and base_url, and when each is (re)written.</summary>
public class ChannelOutputsTests
{
    private const string Hostile = "<script>alert(\"x\")</script> & 'quoted' \"double\"";

    private static IReadOnlyList<string> Sample(string dir) => new ChannelBuilder()
        .Add(new PackageSpec("libz", "1.3", "h1_0", "linux-64")
        {
            RunExportsJson = """{"weak": ["libz >=1.3,<2.0a0"], "strong_constrains": ["zlib 1.3.*"]}""",
            AboutJson = """{"summary": "compression", "home": "https://zlib.net/", "license": "Zlib", "description": "deflate", "source_url": ["https://a.example/z.tar.gz", "https://b.example/z.tar.gz"], "dev_url": "https://github.com/madler/zlib"}""",
            Timestamp = 1_700_000_000_000,
        })
        .Add(new PackageSpec("libz", "1.2.13", "h1_0", "linux-64") { RunExportsJson = """["libz >=1.2.13"]""", Timestamp = 1_600_000_000_000 })
        .Add(new PackageSpec("libz", "1.3", "h1_0", "win-64") { Timestamp = 1_700_000_100_000 })
        .Add(new PackageSpec("data", "2.0", "0", "noarch") { Format = ArchiveFormat.TarBz2 })
        .WriteTo(dir);

    private static IndexResult Index(string channel, IEnumerable<string> archives, IndexOptions? options = null) =>
        ChannelIndexer.Write(channel, archives.Select(a => ArchiveEntries.FromArchive(a)), options);

    [SkippableFact]
    public void Every_subdir_gets_zst_run_exports_and_index_html_and_the_root_channeldata_and_index_html()
    {
        using var source = new TempDirectory();
        using var channel = new TempDirectory();

        var result = Index(channel.Path, Sample(source.Path));

        foreach (var subdir in new[] { "linux-64", "noarch", "win-64" })
            foreach (var file in new[] { "repodata.json", "repodata.json.zst", "run_exports.json", "index.html", "repodata_shards.msgpack.zst" })
                Assert.Contains(channel.Combine(subdir, file), result.IndexFiles);
        Assert.Contains(channel.Combine("channeldata.json"), result.IndexFiles);
        Assert.Contains(channel.Combine("index.html"), result.IndexFiles);
        Assert.Contains(channel.Combine("sbom.cdx.json"), result.IndexFiles);
        // One shard per package name and subdir (libz has two builds in one subdir: one shard).
        var shards = Directory.GetFiles(channel.Path, "*.msgpack.zst", SearchOption.AllDirectories).Where(f => f.Contains("/shards/")).ToList();
        Assert.Equal(3, shards.Count);
        Assert.All(shards, f => Assert.Contains(f, result.IndexFiles));
        Assert.Equal(14 + 3 + 1 + shards.Count, result.IndexFiles.Count);
        Assert.All(result.IndexFiles, f => Assert.True(File.Exists(f), f));
        Assert.Equal(result.IndexFiles.OrderBy(f => f, StringComparer.Ordinal), result.IndexFiles);
    }

    [SkippableFact]
    public void Repodata_zst_holds_exactly_the_bytes_of_repodata_json()
    {
        using var source = new TempDirectory();
        using var channel = new TempDirectory();
        Index(channel.Path, Sample(source.Path));

        foreach (var subdir in new[] { "linux-64", "noarch", "win-64" })
        {
            var json = File.ReadAllBytes(channel.Combine(subdir, "repodata.json"));
            var zst = File.ReadAllBytes(channel.Combine(subdir, "repodata.json.zst"));
            Assert.Equal(new byte[] { 0x28, 0xB5, 0x2F, 0xFD }, zst[..4]);
            Assert.Equal(json, ZstdCodec.Decompress(zst));
            // The zstd CLI is the independent oracle.
            var cli = channel.Combine(subdir + ".cli.json");
            ZstdSamples.RunZstd("-d", "-q", "-f", channel.Combine(subdir, "repodata.json.zst"), "-o", cli);
            Assert.Equal(json, File.ReadAllBytes(cli));
        }
    }

    [SkippableFact]
    public void Run_exports_json_follows_cep_12_with_an_empty_object_for_packages_without_exports()
    {
        using var source = new TempDirectory();
        using var channel = new TempDirectory();
        Index(channel.Path, Sample(source.Path));

        using var linux = JsonDocument.Parse(File.ReadAllBytes(channel.Combine("linux-64", "run_exports.json")));
        Assert.Equal("linux-64", linux.RootElement.GetProperty("info").GetProperty("subdir").GetString());
        Assert.Equal(1, linux.RootElement.GetProperty("info").GetProperty("version").GetInt32());
        var conda = linux.RootElement.GetProperty("packages.conda");
        var v13 = conda.GetProperty("libz-1.3-h1_0.conda").GetProperty("run_exports");
        Assert.Equal(new[] { "strong_constrains", "weak" }, v13.EnumerateObject().Select(p => p.Name));
        Assert.Equal("libz >=1.3,<2.0a0", v13.GetProperty("weak")[0].GetString());
        Assert.Equal("zlib 1.3.*", v13.GetProperty("strong_constrains")[0].GetString());
        // Old conda-build's bare list means weak exports.
        Assert.Equal("libz >=1.2.13", conda.GetProperty("libz-1.2.13-h1_0.conda").GetProperty("run_exports").GetProperty("weak")[0].GetString());
        Assert.Empty(linux.RootElement.GetProperty("packages").EnumerateObject());

        Assert.Equal("""{"info":{"subdir":"noarch","version":1},"packages":{"data-2.0-0.tar.bz2":{"run_exports":{}}},"packages.conda":{}}""",
            File.ReadAllText(channel.Combine("noarch", "run_exports.json")));
    }

    [SkippableFact]
    public void Run_exports_that_are_not_spec_lists_are_CMIR307()
    {
        using var source = new TempDirectory();
        var path = ChannelBuilder.WritePackage(source.Path, new PackageSpec("bad", "1.0") { RunExportsJson = """{"weak": "not a list"}""" });
        var error = Assert.Throws<CondaMirrorException>(() => ArchiveEntries.FromArchive(path));
        Assert.Equal(ErrorCodes.RunExportsInvalid, error.Code);
        Assert.Contains("bad-1.0-0.conda", error.Message);
        Assert.Equal(path, error.File);
    }

    [SkippableFact]
    public void Channeldata_has_the_newest_builds_metadata_every_subdir_and_no_run_time_values()
    {
        using var source = new TempDirectory();
        using var channel = new TempDirectory();
        Index(channel.Path, Sample(source.Path));

        using var doc = JsonDocument.Parse(File.ReadAllBytes(channel.Combine("channeldata.json")));
        Assert.Equal(1, doc.RootElement.GetProperty("channeldata_version").GetInt32());
        Assert.Equal(new[] { "linux-64", "noarch", "win-64" }, doc.RootElement.GetProperty("subdirs").EnumerateArray().Select(e => e.GetString()));
        var libz = doc.RootElement.GetProperty("packages").GetProperty("libz");
        Assert.Equal("1.3", libz.GetProperty("version").GetString());
        Assert.Equal(new[] { "linux-64", "win-64" }, libz.GetProperty("subdirs").EnumerateArray().Select(e => e.GetString()));
        // The newest timestamp of any build, in seconds.
        Assert.Equal(1_700_000_100, libz.GetProperty("timestamp").GetInt64());
        var keys = libz.EnumerateObject().Select(p => p.Name).ToList();
        Assert.Equal(keys.OrderBy(k => k, StringComparer.Ordinal), keys);
        Assert.Equal(new[] { "data", "libz" }, doc.RootElement.GetProperty("packages").EnumerateObject().Select(p => p.Name));
        // The newest build is win-64's (same version, later timestamp): its about.json is the writer's default.
        Assert.Equal("libz 1.3", libz.GetProperty("summary").GetString());
        Assert.Equal("MIT", libz.GetProperty("license").GetString());
    }

    [SkippableFact]
    public void Channeldata_takes_about_fields_and_run_exports_of_the_newest_build()
    {
        using var source = new TempDirectory();
        using var channel = new TempDirectory();
        var files = Sample(source.Path).Where(f => !f.Contains("win-64")).ToList();
        Index(channel.Path, files);

        using var doc = JsonDocument.Parse(File.ReadAllBytes(channel.Combine("channeldata.json")));
        var libz = doc.RootElement.GetProperty("packages").GetProperty("libz");
        Assert.Equal("compression", libz.GetProperty("summary").GetString());
        Assert.Equal("https://zlib.net/", libz.GetProperty("home").GetString());
        Assert.Equal("Zlib", libz.GetProperty("license").GetString());
        Assert.Equal("deflate", libz.GetProperty("description").GetString());
        Assert.Equal("https://github.com/madler/zlib", libz.GetProperty("dev_url").GetString());
        Assert.Equal(2, libz.GetProperty("source_url").GetArrayLength());
        Assert.Equal("libz >=1.3,<2.0a0", libz.GetProperty("run_exports").GetProperty("1.3").GetProperty("weak")[0].GetString());
        Assert.False(libz.TryGetProperty("doc_url", out _));
    }

    [SkippableFact]
    public void Index_html_escapes_every_string_from_package_metadata()
    {
        using var source = new TempDirectory();
        using var channel = new TempDirectory();
        var about = JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["summary"] = Hostile,
            ["license"] = "MIT <b>&</b> \"x\"",
            ["home"] = "javascript:alert(1)",
        });
        var files = new[]
        {
            ChannelBuilder.WritePackage(source.Combine("noarch"), new PackageSpec("evil", "1.0") { AboutJson = about, License = "<i>lic</i>" }),
            ChannelBuilder.WritePackage(source.Combine("noarch"), new PackageSpec("quoted", "1.0") { AboutJson = """{"home": "https://example.org/a\"onmouseover=\"x"}""" }),
        };

        Index(channel.Path, files, new IndexOptions { Title = "<chan>&" });

        var root = File.ReadAllText(channel.Combine("index.html"));
        Assert.DoesNotContain("<script>", root);
        Assert.DoesNotContain("<b>", root);
        Assert.DoesNotContain("<chan>", root);
        Assert.Contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quoted&#39; &quot;double&quot;", root);
        Assert.Contains("MIT &lt;b&gt;&amp;&lt;/b&gt; &quot;x&quot;", root);
        Assert.Contains("&lt;chan&gt;&amp;", root);
        Assert.DoesNotContain("javascript:", root);
        Assert.DoesNotContain("onmouseover=\"", root);
        Assert.Contains("href=\"https://example.org/a%22onmouseover=%22x\"", root);
        var subdir = File.ReadAllText(channel.Combine("noarch", "index.html"));
        Assert.DoesNotContain("<chan>", subdir);
        Assert.Contains("evil-1.0-0.conda", subdir);
        // channeldata.json keeps the text as data (JSON-escaped where JSON requires it).
        using var doc = JsonDocument.Parse(File.ReadAllBytes(channel.Combine("channeldata.json")));
        Assert.Equal(Hostile, doc.RootElement.GetProperty("packages").GetProperty("evil").GetProperty("summary").GetString());
    }

    [SkippableFact]
    public void Subdir_index_html_lists_each_package_with_size_date_and_checksums()
    {
        using var source = new TempDirectory();
        using var channel = new TempDirectory();
        Index(channel.Path, Sample(source.Path));

        var html = File.ReadAllText(channel.Combine("linux-64", "index.html"));
        // Size and checksums from the BCL over the archive, not from the repodata the same run wrote.
        var bytes = File.ReadAllBytes(channel.Combine("linux-64", "libz-1.3-h1_0.conda"));
        var sha256 = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(bytes)).ToLowerInvariant();
        var md5 = Convert.ToHexString(System.Security.Cryptography.MD5.HashData(bytes)).ToLowerInvariant();
        Assert.Contains($"<a href=\"libz-1.3-h1_0.conda\">libz-1.3-h1_0.conda</a></td><td>{bytes.Length}</td><td>2023-11-14 22:13:20</td><td>{sha256}</td><td>{md5}</td>", html);
        Assert.Contains($"<a href=\"repodata.json\">repodata.json</a> ({new FileInfo(channel.Combine("linux-64", "repodata.json")).Length} bytes)", html);
        Assert.Contains("repodata.json.zst", html);
    }

    [SkippableFact]
    public void Same_inputs_give_the_same_bytes_in_every_output()
    {
        using var source = new TempDirectory();
        using var first = new TempDirectory();
        using var second = new TempDirectory();
        var files = Sample(source.Path);
        Index(first.Combine("channel"), files);
        Index(second.Combine("channel"), files.Reverse());

        var a = Hashes(first.Combine("channel"));
        var b = Hashes(second.Combine("channel"));
        Assert.Equal(25, a.Count); // 4 archives, 5 index files and 1 shard in each of 3 subdirs, channeldata.json, index.html, sbom.cdx.json
        Assert.Equal(a.Keys, b.Keys);
        foreach (var key in a.Keys)
            Assert.True(a[key] == b[key], $"{key} differs");
    }

    private static SortedDictionary<string, string> Hashes(string root) => new(
        Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).ToDictionary(
            f => Path.GetRelativePath(root, f),
            f => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f)))), StringComparer.Ordinal);

    [SkippableFact]
    public void A_rerun_with_the_same_inputs_rewrites_nothing()
    {
        using var source = new TempDirectory();
        using var channel = new TempDirectory();
        var files = Sample(source.Path);
        var first = Index(channel.Path, files);
        var times = first.IndexFiles.ToDictionary(f => f, File.GetLastWriteTimeUtc);
        Thread.Sleep(20);

        var again = Index(channel.Path, files);

        Assert.Empty(again.ChangedFiles);
        Assert.Equal(first.IndexFiles, again.IndexFiles);
        foreach (var (file, time) in times) Assert.Equal(time, File.GetLastWriteTimeUtc(file));
    }

    [SkippableFact]
    public void Changing_one_subdir_rewrites_only_that_subdirs_files_and_the_channel_files()
    {
        using var source = new TempDirectory();
        using var channel = new TempDirectory();
        var files = Sample(source.Path).ToList();
        Index(channel.Path, files);
        files.Add(ChannelBuilder.WritePackage(source.Combine("win-64"), new PackageSpec("tool", "1.0", "h_0", "win-64")));

        var shardsBefore = Directory.GetFiles(channel.Combine("win-64", "shards")).ToHashSet();
        var result = Index(channel.Path, files);

        var newShard = Assert.Single(Directory.GetFiles(channel.Combine("win-64", "shards")), f => !shardsBefore.Contains(f));
        var expected = new[] { "win-64/repodata.json", "win-64/repodata.json.zst", "win-64/run_exports.json", "win-64/index.html", "win-64/repodata_shards.msgpack.zst", "channeldata.json", "index.html", "sbom.cdx.json" }
            .Select(f => channel.Combine(f.Split('/'))).Append(newShard).OrderBy(f => f, StringComparer.Ordinal);
        Assert.Equal(expected, result.ChangedFiles.OrderBy(f => f, StringComparer.Ordinal));
    }

    [SkippableFact]
    public void A_switched_off_output_is_removed_not_left_stale()
    {
        using var source = new TempDirectory();
        using var channel = new TempDirectory();
        var files = Sample(source.Path);
        Index(channel.Path, files);

        var result = Index(channel.Path, files, new IndexOptions { WriteZst = false, WriteRunExports = false, WriteChannelData = false, WriteIndexHtml = false, WriteShards = false, WriteSbom = false });

        Assert.Equal(new[] { "linux-64", "noarch", "win-64" }.Select(s => channel.Combine(s, "repodata.json")), result.IndexFiles);
        Assert.Equal(11 + 3 + 3 + 1, result.ChangedFiles.Count); // and the shard index, the shard of each subdir, the SBOM
        Assert.Empty(Directory.GetDirectories(channel.Path, "shards", SearchOption.AllDirectories));
        var left = Directory.EnumerateFiles(channel.Path, "*", SearchOption.AllDirectories).Select(f => Path.GetFileName(f)).ToList();
        Assert.DoesNotContain("repodata.json.zst", left);
        Assert.DoesNotContain("run_exports.json", left);
        Assert.DoesNotContain("channeldata.json", left);
        Assert.DoesNotContain("index.html", left);
        Assert.DoesNotContain("repodata_shards.msgpack.zst", left);
        Assert.DoesNotContain("sbom.cdx.json", left);
        Assert.Equal(3, left.Count(f => f == "repodata.json"));
    }

    [SkippableFact]
    public void Each_switch_turns_off_only_its_own_output()
    {
        using var source = new TempDirectory();
        var files = Sample(source.Path);
        var cases = new (IndexOptions Options, string Missing)[]
        {
            (new IndexOptions { WriteZst = false }, "noarch/repodata.json.zst"),
            (new IndexOptions { WriteRunExports = false }, "noarch/run_exports.json"),
            (new IndexOptions { WriteChannelData = false }, "channeldata.json"),
            (new IndexOptions { WriteIndexHtml = false }, "noarch/index.html"),
            (new IndexOptions { WriteShards = false }, "noarch/repodata_shards.msgpack.zst"),
            (new IndexOptions { WriteSbom = false }, "sbom.cdx.json"),
        };
        // 21 files with everything on; each switch removes its own: 3 .zst, 3 run_exports, channeldata, 4 index.html,
        // 3 shard indexes + 3 shards, the SBOM.
        var removed = new Dictionary<string, int>
        {
            ["noarch/repodata.json.zst"] = 3, ["noarch/run_exports.json"] = 3, ["channeldata.json"] = 1, ["noarch/index.html"] = 4,
            ["noarch/repodata_shards.msgpack.zst"] = 6, ["sbom.cdx.json"] = 1,
        };
        foreach (var (options, missing) in cases)
        {
            using var channel = new TempDirectory();
            var result = Index(channel.Path, files, options);
            Assert.False(File.Exists(channel.Combine(missing.Split('/'))), missing);
            Assert.Equal(21 - removed[missing], result.IndexFiles.Count);
        }
    }

    [SkippableFact]
    public void A_base_url_makes_repodata_version_2_with_base_url_per_subdir()
    {
        using var source = new TempDirectory();
        using var channel = new TempDirectory();
        Index(channel.Path, Sample(source.Path), new IndexOptions { BaseUrl = "https://mirror.example.org/conda/app" });

        Assert.StartsWith("""{"info":{"base_url":"https://mirror.example.org/conda/app/linux-64/","subdir":"linux-64"},""", File.ReadAllText(channel.Combine("linux-64", "repodata.json")));
        using var doc = JsonDocument.Parse(File.ReadAllBytes(channel.Combine("noarch", "repodata.json")));
        Assert.Equal(2, doc.RootElement.GetProperty("repodata_version").GetInt32());
        Assert.Equal("https://mirror.example.org/conda/app/noarch/", doc.RootElement.GetProperty("info").GetProperty("base_url").GetString());
        Assert.Equal(File.ReadAllBytes(channel.Combine("noarch", "repodata.json")), ZstdCodec.Decompress(File.ReadAllBytes(channel.Combine("noarch", "repodata.json.zst"))));
    }

    [SkippableTheory]
    [InlineData("not a url")]
    [InlineData("ftp://example.org/channel/")]
    [InlineData("https://user:secret@example.org/channel/")]
    [InlineData("https://example.org/channel/?token=x")]
    [InlineData("relative/path")]
    public void A_base_url_that_clients_cannot_use_is_CMIR306(string url)
    {
        var error = Assert.Throws<CondaMirrorException>(() => ChannelIndexer.BaseUrl(url));
        Assert.Equal(ErrorCodes.IndexBaseUrlInvalid, error.Code);
        Assert.DoesNotContain("secret", error.Message);
    }

    [SkippableFact]
    public void Locked_entries_get_run_exports_from_the_placed_archive_or_else_from_their_record()
    {
        using var channel = new TempDirectory();
        var withFile = ChannelBuilder.WritePackage(channel.Combine("noarch"), new PackageSpec("a", "1.0") { RunExportsJson = """{"weak": ["a >=1"]}""" });
        var without = ChannelBuilder.WritePackage(channel.Combine("noarch"), new PackageSpec("b", "1.0"));
        ChannelEntry Locked(string path, string? recordExports)
        {
            var record = ArchiveEntries.RecordFromArchive(path);
            if (recordExports is not null) record.Extra["run_exports"] = JsonDocument.Parse(recordExports).RootElement.Clone();
            return new ChannelEntry(record, Path.GetFileName(path)); // in place, as downloads leave it: no metadata yet
        }

        ChannelIndexer.Write(channel.Path, new[] { Locked(withFile, """{"weak": ["from-record"]}"""), Locked(without, """{"strong": ["b 1.0"]}""") });

        using var doc = JsonDocument.Parse(File.ReadAllBytes(channel.Combine("noarch", "run_exports.json")));
        var map = doc.RootElement.GetProperty("packages.conda");
        Assert.Equal("a >=1", map.GetProperty("a-1.0-0.conda").GetProperty("run_exports").GetProperty("weak")[0].GetString());
        Assert.Equal("b 1.0", map.GetProperty("b-1.0-0.conda").GetProperty("run_exports").GetProperty("strong")[0].GetString());
    }

    /// <summary>Downloaded-style entries (archives in place, no metadata read) of the sample channel.</summary>
    private static List<ChannelEntry> InPlace(string channel, IEnumerable<string> archives)
    {
        var entries = new List<ChannelEntry>();
        foreach (var source in archives)
        {
            var record = ArchiveEntries.RecordFromArchive(source);
            var target = Path.Combine(channel, record.Subdir!, Path.GetFileName(source));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(source, target, overwrite: true);
            entries.Add(new ChannelEntry(record, Path.GetFileName(source)));
        }
        return entries;
    }

    [SkippableFact]
    public void The_archive_metadata_cache_gives_the_same_outputs_without_opening_the_archives_again()
    {
        using var source = new TempDirectory();
        using var fresh = new TempDirectory();
        using var cached = new TempDirectory();
        using var state = new TempDirectory();
        var archives = Sample(source.Path);
        var cacheFile = state.Combine("index.metadata.json");
        var options = new IndexOptions { ArchiveMetadataCacheFile = cacheFile };

        // The same folder name: pages carry it as their title.
        var freshChannel = fresh.Combine("channel");
        var cachedChannel = cached.Combine("channel");
        ChannelIndexer.Write(freshChannel, InPlace(freshChannel, archives));
        var entries = InPlace(cachedChannel, archives);
        ChannelIndexer.Write(cachedChannel, entries, options);
        Assert.True(File.Exists(cacheFile));

        // Every archive's bytes destroyed in place: only the cache can still give their about fields and run_exports.
        foreach (var entry in entries)
            File.WriteAllBytes(Path.Combine(cachedChannel, entry.Subdir, entry.FileName), Encoding.ASCII.GetBytes("not an archive"));
        var log = new CondaMirror.Core.Diagnostics.RecordingMirrorLog();
        ChannelIndexer.Write(cachedChannel, entries, options, log);
        Assert.Contains(log.Details, d => d.Contains($"{entries.Count} of {entries.Count} from the cache, 0 from the package cache's info records, 0 archive(s) read"));
        foreach (var file in new[] { "channeldata.json", "index.html", "linux-64/run_exports.json", "win-64/run_exports.json", "noarch/run_exports.json", "linux-64/index.html" })
            Assert.Equal(File.ReadAllText(Path.Combine(freshChannel, file)), File.ReadAllText(Path.Combine(cachedChannel, file)));

        // Without the cache the same run must open the archives, and fails on the destroyed ones: the cache was what answered.
        Assert.ThrowsAny<CondaMirrorException>(() => ChannelIndexer.Write(cachedChannel, entries));
    }

    [SkippableFact]
    public void An_archive_with_other_bytes_is_read_again_and_an_unreadable_cache_is_ignored()
    {
        using var source = new TempDirectory();
        using var channel = new TempDirectory();
        using var state = new TempDirectory();
        var archives = Sample(source.Path);
        var cacheFile = state.Combine("index.metadata.json");
        var options = new IndexOptions { ArchiveMetadataCacheFile = cacheFile };
        var entries = InPlace(channel.Path, archives);
        ChannelIndexer.Write(channel.Path, entries, options);

        // Another sha256 is another archive: the cache has nothing for it.
        var changed = entries.Select(e => e with { Record = WithSha(e.Record, Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(Encoding.ASCII.GetBytes(e.FileName + e.Subdir))).ToLowerInvariant()) }).ToList();
        var log = new CondaMirror.Core.Diagnostics.RecordingMirrorLog();
        ChannelIndexer.Write(channel.Path, changed, options, log);
        Assert.Contains(log.Details, d => d.Contains($"0 of {entries.Count} from the cache, 0 from the package cache's info records, {entries.Count} archive(s) read"));
        // Only what this run used is kept.
        Assert.DoesNotContain(entries[0].Record.Sha256!, File.ReadAllText(cacheFile));

        foreach (var garbage in new[] { "{", "[]", """{"version": 2, "archives": {}}""", "\0\0\0" })
        {
            File.WriteAllText(cacheFile, garbage);
            log = new CondaMirror.Core.Diagnostics.RecordingMirrorLog();
            ChannelIndexer.Write(channel.Path, entries, options, log);
            Assert.Contains(log.Details, d => d.Contains("was not used") || d.Contains($"0 of {entries.Count} from the cache"));
            Assert.Contains(log.Details, d => d.Contains($"{entries.Count} archive(s) read"));
        }
    }

    private static PackageRecord WithSha(PackageRecord record, string sha)
    {
        var copy = record.Clone();
        copy.Sha256 = sha;
        return copy;
    }

    [SkippableFact]
    public void About_fields_are_cut_to_a_bound()
    {
        var about = PackageAbout.FromJson(JsonDocument.Parse(JsonSerializer.Serialize(new { summary = new string('x', 100_000), source_url = Enumerable.Range(0, 100).Select(i => $"https://e.org/{i}") })).RootElement);
        Assert.Equal(PackageAbout.MaxFieldChars, about!.Summary!.Length);
        Assert.Equal(PackageAbout.MaxSourceUrls, about.SourceUrls.Count);
    }
}
