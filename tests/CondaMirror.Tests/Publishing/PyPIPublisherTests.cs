using Amazon.Runtime;
using CondaMirror.Core.Diagnostics;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Networking;
using CondaMirror.Core.Publishing;
using CondaMirror.TestKit;
using CondaMirror.TestKit.PyPI;
using Xunit;

namespace CondaMirror.Tests.Publishing;

/// <summary>
/// The PyPI simple index published with the channel's machinery against the real s3rver: the order read from the
/// server's log (wheels, then .metadata, then project pages, then simple/index.* last), the folder keys pip asks
/// for, what a no-change publish stores, and the PyPI destination's checks.
/// </summary>
public sealed class PyPIPublisherTests
{
    private static readonly WheelSpec[] Wheels = { new("alpha", "1.0"), new("Beta.Pkg", "2.0.1") };

    private static S3ObjectStore Store(S3Server server) => new(new S3StoreOptions
    {
        Bucket = server.Bucket,
        Endpoint = server.Endpoint,
        ForcePathStyle = true,
        Timeout = TimeSpan.FromSeconds(10),
        RetryCount = 1,
        TestCredentials = new BasicAWSCredentials(server.AccessKeyId, server.SecretAccessKey),
    });

    private static PublishTarget Target(string channel = "s3://channels/conda/main", string pypi = "s3://channels/pypi", bool prune = false) =>
        PublishTarget.Parse(channel, new Dictionary<string, string> { ["PyPI"] = pypi, ["Prune"] = prune ? "true" : "false" });

    /// <summary>A simple index as the PyPI step lays it out (pages by hand: their text is not what is tested here).</summary>
    private static void WriteIndex(string root, IEnumerable<WheelSpec> wheels)
    {
        Directory.CreateDirectory(Path.Combine(root, "files"));
        var names = new List<string>();
        foreach (var w in wheels)
        {
            File.WriteAllBytes(Path.Combine(root, "files", w.FileName), w.Build());
            File.WriteAllText(Path.Combine(root, "files", w.FileName + ".metadata"), $"Metadata-Version: 2.1\nName: {w.Name}\nVersion: {w.Version}\n");
            var name = System.Text.RegularExpressions.Regex.Replace(w.Name, "[-_.]+", "-").ToLowerInvariant();
            names.Add(name);
            Directory.CreateDirectory(Path.Combine(root, "simple", name));
            File.WriteAllText(Path.Combine(root, "simple", name, "index.html"), $"<a href=\"../../files/{w.FileName}\">{w.FileName}</a>\n");
            File.WriteAllText(Path.Combine(root, "simple", name, "index.json"), $"{{\"name\": \"{name}\", \"files\": [{{\"filename\": \"{w.FileName}\"}}]}}\n");
        }
        File.WriteAllText(Path.Combine(root, "simple", "index.html"), string.Concat(names.Select(n => $"<a href=\"{n}/\">{n}</a>\n")));
        File.WriteAllText(Path.Combine(root, "simple", "index.json"), "{\"projects\": [" + string.Join(", ", names.Select(n => $"{{\"name\": \"{n}\"}}")) + "]}\n");
    }

    private static Task<PublishResult> Publish(string root, PublishTarget target, IObjectStore store, bool planOnly = false) =>
        ChannelPublisher.PublishAsync(root, target, store, new PublishOptions { PlanOnly = planOnly, Layout = PublishLayout.PyPI }, new RecordingMirrorLog(), CancellationToken.None);

    [SkippableTheory]
    [InlineData("files/alpha-1.0-py3-none-any.whl", PublishLayout.PypiPhase.Wheels, "application/octet-stream")]
    [InlineData("files/alpha-1.0-py3-none-any.whl.metadata", PublishLayout.PypiPhase.Metadata, "application/octet-stream")]
    [InlineData("simple/alpha/index.html", PublishLayout.PypiPhase.ProjectPages, "text/html")]
    [InlineData("simple/alpha/index.json", PublishLayout.PypiPhase.ProjectPages, "application/vnd.pypi.simple.v1+json")]
    [InlineData("simple/alpha/", PublishLayout.PypiPhase.ProjectPages, "text/html")]
    [InlineData("simple/index.html", PublishLayout.PypiPhase.RootIndex, "text/html")]
    [InlineData("simple/index.json", PublishLayout.PypiPhase.RootIndex, "application/vnd.pypi.simple.v1+json")]
    [InlineData("simple/", PublishLayout.PypiPhase.RootIndex, "text/html")]
    public void Every_index_file_has_its_phase_and_content_type(string path, PublishLayout.PypiPhase phase, string contentType)
    {
        Assert.Equal((int)phase, PublishLayout.PyPI.PhaseOf(path));
        Assert.Equal(contentType, PublishLayout.PyPI.ContentTypeOf(path));
    }

    [SkippableFact]
    public void Conda_layout_keeps_the_channel_order_and_types()
    {
        Assert.Equal(Enum.GetNames<PublishPhase>(), PublishLayout.Conda.PhaseNames);
        Assert.Equal((int)PublishPhase.Repodata, PublishLayout.Conda.PhaseOf("linux-64/repodata.json"));
        Assert.Equal("application/json", PublishLayout.Conda.ContentTypeOf("noarch/repodata.json"));
        Assert.Empty(PublishLayout.Conda.AliasesOf("noarch/index.html"));
    }

    [SkippableFact]
    public async Task First_publish_stores_wheels_then_metadata_then_pages_then_the_root_index_and_a_second_stores_nothing()
    {
        using var server = new S3Server();
        using var work = new TempDirectory("condamirror-publish");
        var root = work.Combine("pypi");
        WriteIndex(root, Wheels);
        File.WriteAllText(Path.Combine(root, ".condamirror-owner"), "not published");
        using var store = Store(server);
        var target = Target().PyPI!;
        Assert.Equal("s3://channels/pypi", target.Url);

        var plan = await Publish(root, target, store, planOnly: true);
        Assert.Empty(server.StoredSince(0));
        var first = await Publish(root, target, store);
        Assert.Equal(plan.Uploaded, first.Uploaded);
        server.LogWhen(l => l.Contains("stored pypi/" + PublishManifest.RelativeKey));
        var stored = server.StoredSince(0);
        // 2 wheels, 2 .metadata, 2×2 project pages and their 2 folder keys, the root's html, json and simple/, then the manifest.
        var expected = Wheels.SelectMany(w => new[] { "files/" + w.FileName, "files/" + w.FileName + ".metadata" })
            .Concat(["simple/alpha/index.html", "simple/alpha/index.json", "simple/alpha/", "simple/beta-pkg/index.html", "simple/beta-pkg/index.json", "simple/beta-pkg/",
                "simple/index.html", "simple/index.json", "simple/"])
            .Select(k => "pypi/" + k).Append("pypi/" + PublishManifest.RelativeKey);
        Assert.True(expected.Order(StringComparer.Ordinal).SequenceEqual(stored.Order(StringComparer.Ordinal)), string.Join("\n", server.Log));
        Assert.Equal(13, first.Uploaded);
        AssertPyPIOrder(stored);

        // What pip asks for: the folder URL, answered with the project page (s3rver, like S3's REST API, maps a URL to the key as written).
        Assert.Equal(File.ReadAllBytes(Path.Combine(root, "simple", "beta-pkg", "index.html")), await server.GetAnonymousAsync("pypi/simple/beta-pkg/"));
        Assert.Equal(File.ReadAllBytes(Path.Combine(root, "simple", "index.html")), await server.GetAnonymousAsync("pypi/simple/"));
        using (var http = new HttpClient())
        {
            using var page = await http.GetAsync(server.HttpUrl("pypi/simple/alpha/"));
            Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
            using var json = await http.GetAsync(server.HttpUrl("pypi/simple/alpha/index.json"));
            Assert.Equal("application/vnd.pypi.simple.v1+json", json.Content.Headers.ContentType?.MediaType);
        }
        foreach (var w in Wheels) Assert.Equal(w.Build(), await server.GetAnonymousAsync("pypi/files/" + w.FileName));

        var before = server.Log.Count;
        var second = await Publish(root, target, store);
        Assert.Equal(0, second.Uploaded);
        Assert.Equal(13, second.Unchanged);
        Assert.Empty(server.StoredSince(before));

        // A new wheel: its files, its pages and the root index, nothing else; the root last again.
        WriteIndex(root, Wheels.Append(new WheelSpec("gamma", "0.3")));
        before = server.Log.Count;
        var third = await Publish(root, target, store);
        server.LogWhen(l => l.Skip(before).Contains("stored pypi/" + PublishManifest.RelativeKey));
        var storedThird = server.StoredSince(before);
        Assert.Contains("pypi/files/gamma-0.3-py3-none-any.whl", storedThird);
        Assert.Contains("pypi/simple/gamma/", storedThird);
        Assert.DoesNotContain("pypi/files/alpha-1.0-py3-none-any.whl", storedThird);
        Assert.DoesNotContain("pypi/simple/alpha/index.html", storedThird);
        Assert.Equal("pypi/" + PublishManifest.RelativeKey, storedThird[^1]);
        AssertPyPIOrder(storedThird);
        Assert.Equal(storedThird.Count - 1, third.Uploaded);
    }

    [SkippableFact]
    public async Task Removed_wheels_are_pruned_after_the_new_root_index_only_with_prune()
    {
        using var server = new S3Server();
        using var work = new TempDirectory("condamirror-publish");
        var root = work.Combine("pypi");
        WriteIndex(root, Wheels);
        using var store = Store(server);
        await Publish(root, Target().PyPI!, store);

        Directory.Delete(Path.Combine(root, "simple", "beta-pkg"), recursive: true);
        foreach (var f in Directory.EnumerateFiles(Path.Combine(root, "files"), "Beta_Pkg*")) File.Delete(f);
        WriteIndex(root, Wheels.Take(1));
        var kept = await Publish(root, Target().PyPI!, store);
        Assert.Equal(0, kept.Pruned);
        Assert.Equal(5, kept.StaleKept); // wheel, .metadata, two pages, the folder key
        Assert.Contains("pypi/files/Beta_Pkg-2.0.1-py3-none-any.whl", server.StoredKeys());

        var before = server.Log.Count;
        var pruned = await Publish(root, Target(prune: true).PyPI!, store);
        Assert.Equal(5, pruned.Pruned);
        server.LogWhen(l => l.Skip(before).Count(x => x.StartsWith("deleted ", StringComparison.Ordinal)) == 5);
        var deleted = server.DeletedSince(before);
        Assert.Contains("pypi/simple/beta-pkg/", deleted);
        Assert.Contains("pypi/files/Beta_Pkg-2.0.1-py3-none-any.whl", deleted);
        Assert.DoesNotContain(server.StoredKeys(), k => k.Contains("beta", StringComparison.OrdinalIgnoreCase));
        Assert.Contains("pypi/simple/index.html", server.StoredKeys());
    }

    [SkippableFact]
    public async Task An_index_of_more_objects_than_one_listing_page_is_unchanged_the_second_time()
    {
        using var server = new S3Server();
        using var work = new TempDirectory("condamirror-publish");
        var root = work.Combine("pypi");
        WriteIndex(root, Enumerable.Range(0, 210).Select(i => new WheelSpec($"p{i:D3}", "1.0")));
        using var store = Store(server);
        var first = await Publish(root, Target().PyPI!, store);
        Assert.True(first.Uploaded > 1000, $"{first.Uploaded} objects fit one page"); // S3 lists at most 1000 keys per page
        var before = server.Log.Count;
        var second = await Publish(root, Target().PyPI!, store);
        Assert.Equal(0, second.Uploaded);
        Assert.Equal(first.Uploaded, second.Unchanged);
        Assert.Empty(server.StoredSince(before));
    }

    [SkippableFact]
    public void A_folder_without_a_root_index_is_not_published()
    {
        using var work = new TempDirectory("condamirror-publish");
        Directory.CreateDirectory(work.Combine("pypi", "files"));
        var error = Assert.Throws<CondaMirrorException>(() => ChannelPublisher.ReadTree(work.Combine("pypi"), 1L << 30, layout: PublishLayout.PyPI));
        Assert.Equal(ErrorCodes.PublishChannelInvalid, error.Code);
        Assert.Contains("simple/index.html", error.Message);
    }

    [SkippableTheory]
    [InlineData("s3://channels/conda", "s3://channels/conda/pypi")]
    [InlineData("s3://channels/conda/main", "s3://channels/conda")]
    [InlineData("s3://channels/conda/main", "s3://channels/conda/main/")]
    [InlineData("s3://channels", "s3://channels/pypi")]
    [InlineData("s3://channels/conda", "s3://channels")]
    public void A_PyPI_destination_overlapping_the_channel_is_CMIR370(string channel, string pypi)
    {
        var error = Assert.Throws<CondaMirrorException>(() => Target(channel, pypi));
        Assert.Equal(ErrorCodes.PublishDestinationsOverlap, error.Code);
        Assert.Equal("CMIR370", error.Code);
    }

    [SkippableTheory]
    [InlineData("s3://channels/conda/main", "s3://channels/pypi", "s3://channels/pypi")]
    [InlineData("s3://channels/conda", "s3://channels/condapypi/", "s3://channels/condapypi")]
    [InlineData("s3://channels", "s3://wheels", "s3://wheels")]
    public void Separate_destinations_share_the_item_settings(string channel, string pypi, string url)
    {
        var target = PublishTarget.Parse(channel, new Dictionary<string, string>
        {
            ["PyPI"] = pypi, ["Endpoint"] = "http://127.0.0.1:9000", ["Region"] = "eu-west-1", ["ForcePathStyle"] = "true", ["Prune"] = "true",
        });
        Assert.Equal(url, target.PyPI!.Url);
        Assert.Equal(target.Endpoint, target.PyPI.Endpoint);
        Assert.Equal("eu-west-1", target.PyPI.Region);
        Assert.True(target.PyPI.ForcePathStyle);
        Assert.True(target.PyPI.Prune);
        Assert.Null(target.PyPI.PyPI);
        Assert.Null(PublishTarget.Parse(channel, new Dictionary<string, string>()).PyPI);
    }

    [SkippableFact]
    public void Folder_keys_can_be_turned_off_for_stores_that_refuse_them()
    {
        using var work = new TempDirectory("condamirror-publish");
        WriteIndex(work.Combine("pypi"), Wheels);
        var on = Target();
        Assert.True(on.PyPIFolderKeys);
        Assert.Contains(ChannelPublisher.ReadTree(work.Combine("pypi"), 1L << 30, layout: on.PyPILayout), f => f.RelativePath == "simple/alpha/");
        var off = PublishTarget.Parse("s3://channels/conda", new Dictionary<string, string> { ["PyPI"] = "s3://channels/pypi", ["PyPIFolderKeys"] = "false" });
        Assert.False(off.PyPI!.PyPIFolderKeys);
        var tree = ChannelPublisher.ReadTree(work.Combine("pypi"), 1L << 30, layout: off.PyPILayout);
        Assert.DoesNotContain(tree, f => f.RelativePath.EndsWith('/'));
        Assert.Equal(10, tree.Count); // 2 wheels, 2 .metadata, 4 project pages, 2 root pages
        var bad = Assert.Throws<CondaMirrorException>(() => PublishTarget.Parse("s3://channels/conda",
            new Dictionary<string, string> { ["PyPI"] = "s3://channels/pypi", ["PyPIFolderKeys"] = "sometimes" }));
        Assert.Equal(ErrorCodes.PublishMetadataInvalid, bad.Code);
    }

    [SkippableTheory]
    [InlineData("https://example.com/pypi")]
    [InlineData("s3://Bad_Bucket/pypi")]
    [InlineData("s3://channels/a/../b")]
    public void A_PyPI_value_that_is_no_destination_is_CMIR360(string pypi)
    {
        var error = Assert.Throws<CondaMirrorException>(() => Target(pypi: pypi));
        Assert.Equal(ErrorCodes.PublishUrlInvalid, error.Code);
        Assert.Contains("PyPI", error.Message);
    }

    /// <summary>Every wheel before any .metadata, every .metadata before any page, every project page before simple/index.* and simple/.</summary>
    internal static void AssertPyPIOrder(IReadOnlyList<string> stored)
    {
        var keys = stored.Where(k => !k.Contains("/.condamirror/", StringComparison.Ordinal)).ToList();
        int Rank(string k) => k.EndsWith(".whl", StringComparison.Ordinal) ? 0 : k.EndsWith(".metadata", StringComparison.Ordinal) ? 1
            : System.Text.RegularExpressions.Regex.IsMatch(k, "/simple/[^/]+/") ? 2 : 3;
        var ranks = keys.Select(Rank).ToList();
        Assert.True(ranks.SequenceEqual(ranks.Order()), "out of order: " + string.Join(", ", keys));
        Assert.All(keys.Where(k => Rank(k) == 3), k => Assert.Matches("/simple/(index\\.(html|json))?$", k));
    }
}
