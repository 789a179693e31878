using CondaMirror.Core.Errors;
using CondaMirror.Core.Publishing;
using Xunit;

namespace CondaMirror.Tests.Publishing;

public sealed class PublishTargetTests
{
    private static Dictionary<string, string> Meta(params (string, string)[] pairs) => pairs.ToDictionary(p => p.Item1, p => p.Item2);

    [Theory]
    // Two items: (include, PyPI) each; the expected code, or null when the destinations are distinct.
    [InlineData("s3://bkt/conda/main", "", "s3://bkt/conda/extra", "", null)]
    [InlineData("s3://bkt/conda/main", "s3://bkt/pypi", "s3://bkt/conda/extra", "s3://bkt/pypi-extra", null)]
    [InlineData("s3://bkt/conda", "", "s3://other/conda", "", null)]
    [InlineData("s3://bkt/conda", "", "s3://bkt/conda-extra", "", null)]
    [InlineData("s3://bkt/conda", "", "s3://bkt/conda/extra", "", "CMIR370")]
    [InlineData("s3://bkt/conda/main", "", "s3://bkt/x", "s3://bkt/conda/main/pypi", "CMIR370")]
    [InlineData("s3://bkt/conda/main", "s3://bkt/pypi", "s3://bkt/pypi/extra", "", "CMIR370")]
    [InlineData("s3://bkt", "", "s3://bkt/x", "", "CMIR370")]
    [InlineData("s3://bkt/conda", "", "s3://bkt/conda/", "", "CMIR369")]
    [InlineData("s3://bkt/conda", "s3://bkt/pypi", "s3://bkt/x", "s3://bkt/pypi", "CMIR369")]
    public void Destinations_of_all_items_must_not_overlap(string first, string firstPyPI, string second, string secondPyPI, string? code)
    {
        PublishTarget Item(string include, string pypi) =>
            PublishTarget.Parse(include, pypi.Length == 0 ? Meta() : Meta(("PyPI", pypi)));
        var targets = new[] { Item(first, firstPyPI), Item(second, secondPyPI) };
        if (code is null)
        {
            PublishTarget.CheckDistinct(targets);
            return;
        }
        var error = Assert.Throws<CondaMirrorException>(() => PublishTarget.CheckDistinct(targets, "/p/app.csproj"));
        Assert.Equal(code, error.Code);
        Assert.Equal("/p/app.csproj", error.File);
    }

    [Fact]
    public void The_same_prefix_on_two_endpoints_is_two_destinations()
    {
        var a = PublishTarget.Parse("s3://bkt/conda", Meta(("Endpoint", "http://127.0.0.1:9000")));
        var b = PublishTarget.Parse("s3://bkt/conda", Meta(("Endpoint", "http://127.0.0.1:9001")));
        PublishTarget.CheckDistinct(new[] { a, b });
    }

    [Theory]
    [InlineData("s3://channels", "channels", "")]
    [InlineData("s3://channels/", "channels", "")]
    [InlineData("s3://my.bucket-1/conda/main/", "my.bucket-1", "conda/main")]
    [InlineData("S3://channels/a", "channels", "a")]
    public void Parses_bucket_and_prefix(string include, string bucket, string prefix)
    {
        var target = PublishTarget.Parse(include, Meta());
        Assert.Equal(bucket, target.Bucket);
        Assert.Equal(prefix, target.Prefix);
        Assert.Equal("us-east-1", target.Region);
        Assert.False(target.Prune);
        Assert.Equal(prefix.Length == 0 ? "noarch/repodata.json" : prefix + "/noarch/repodata.json", target.KeyOf("noarch/repodata.json"));
    }

    [Theory]
    [InlineData("https://channels/x")]
    [InlineData("s3://")]
    [InlineData("s3://ab")]
    [InlineData("s3://Upper/x")]
    [InlineData("s3://-bucket/x")]
    [InlineData("s3://channels/a//b")]
    [InlineData("s3://channels/a/../b")]
    [InlineData("s3://channels/x?list-type=2")]
    [InlineData("s3://channels/x#frag")]
    [InlineData("s3://AKIAEXAMPLE:secret@channels/x")]
    [InlineData("s3://channels/a b")]
    [InlineData("s3://channels/*")]
    public void Refuses_what_is_not_a_destination(string include)
    {
        var error = Assert.Throws<CondaMirrorException>(() => PublishTarget.Parse(include, Meta(), "/p/app.csproj"));
        Assert.Equal(ErrorCodes.PublishUrlInvalid, error.Code);
        Assert.Equal("/p/app.csproj", error.File);
        Assert.DoesNotContain(":secret@", error.Message);
    }

    [Theory]
    [InlineData("SecretKey")]
    [InlineData("AccessKeyId")]
    [InlineData("AWS_SECRET_ACCESS_KEY")]
    [InlineData("Password")]
    [InlineData("SessionToken")]
    [InlineData("Credentials")]
    public void Credential_like_metadata_is_CMIR361_and_its_value_is_not_echoed(string name)
    {
        const string value = "do-not-echo-8f7e6d5c";
        var error = Assert.Throws<CondaMirrorException>(() => PublishTarget.Parse("s3://channels/x", Meta((name, value))));
        Assert.Equal(ErrorCodes.PublishSecretInProject, error.Code);
        Assert.Contains(name, error.Message);
        Assert.DoesNotContain(value, error.ToString());
    }

    [Theory]
    [InlineData("Endpoint", "ftp://host:21")]
    [InlineData("Endpoint", "127.0.0.1:9000")]
    [InlineData("Endpoint", "http://user:pw@host:9000")]
    [InlineData("Endpoint", "http://host:9000/?x=1")]
    public void Bad_endpoint_is_CMIR360(string name, string value)
    {
        var error = Assert.Throws<CondaMirrorException>(() => PublishTarget.Parse("s3://channels/x", Meta((name, value))));
        Assert.Equal(ErrorCodes.PublishUrlInvalid, error.Code);
        Assert.DoesNotContain("user:pw", error.Message);
    }

    [Theory]
    [InlineData("Prune", "yes")]
    [InlineData("ForcePathStyle", "1")]
    [InlineData("Region", "us east 1")]
    public void Bad_flags_and_region_are_CMIR369(string name, string value) =>
        Assert.Equal(ErrorCodes.PublishMetadataInvalid, Assert.Throws<CondaMirrorException>(() => PublishTarget.Parse("s3://channels/x", Meta((name, value)))).Code);

    [Fact]
    public void Metadata_is_read()
    {
        var target = PublishTarget.Parse("s3://channels/x", Meta(("Endpoint", "http://127.0.0.1:9000"), ("Region", "eu-west-3"), ("ForcePathStyle", "true"), ("Prune", "True")));
        Assert.Equal(new Uri("http://127.0.0.1:9000"), target.Endpoint);
        Assert.Equal("eu-west-3", target.Region);
        Assert.True(target.ForcePathStyle);
        Assert.True(target.Prune);
    }
}

public sealed class PublishPlanTests
{
    private static LocalFile File(string path, string sha = "a") => new(path, "/x/" + path, 10, new string(sha[0], 64));

    [Theory]
    [InlineData("linux-64/tool-1.0-0.conda", PublishPhase.Archives)]
    [InlineData("noarch/data-1.0-0.tar.bz2", PublishPhase.Archives)]
    [InlineData("linux-64/shards/0a1b.msgpack.zst", PublishPhase.Shards)]
    [InlineData("linux-64/run_exports.json", PublishPhase.Other)]
    [InlineData("linux-64/index.html", PublishPhase.Other)]
    [InlineData("channeldata.json", PublishPhase.Other)]
    [InlineData("sbom.cdx.json", PublishPhase.Other)]
    [InlineData("linux-64/repodata_shards.msgpack.zst", PublishPhase.ShardIndex)]
    [InlineData("linux-64/repodata.json.zst", PublishPhase.CompressedRepodata)]
    [InlineData("linux-64/current_repodata.json", PublishPhase.CompressedRepodata)]
    [InlineData("linux-64/repodata.json", PublishPhase.Repodata)]
    public void Every_file_has_its_phase(string path, PublishPhase phase) => Assert.Equal(phase, PublishPlan.PhaseOf(path));

    [Fact]
    public void Only_new_or_changed_files_are_uploaded_and_only_stale_keys_under_the_prefix_are_pruned()
    {
        var local = new[] { File("noarch/repodata.json", "b"), File("noarch/a-1-0.conda"), File("noarch/b-1-0.conda") };
        var remote = new Dictionary<string, RemoteState>
        {
            ["p/noarch/a-1-0.conda"] = new(10, new string('a', 64)),         // unchanged
            ["p/noarch/repodata.json"] = new(10, new string('c', 64)),       // changed
            ["p/noarch/gone-1-0.conda"] = new(10, new string('a', 64)),      // stale
            ["p/.condamirror/publish-manifest.json"] = new(10, null),        // ours: never pruned
            ["other/noarch/x-1-0.conda"] = new(10, null),                   // outside the prefix: never pruned
            ["p-old/noarch/x-1-0.conda"] = new(10, null),                   // a sibling prefix: never pruned
        };
        var plan = PublishPlan.Create(local, "p/", remote, prune: true);
        Assert.Equal(new[] { "p/noarch/b-1-0.conda", "p/noarch/repodata.json" }, plan.Uploads.Select(u => u.Key));
        Assert.Equal(new[] { "noarch/a-1-0.conda" }, plan.Unchanged.Select(f => f.RelativePath));
        Assert.Equal(new[] { "p/noarch/gone-1-0.conda" }, plan.Prune);
        Assert.Empty(PublishPlan.Create(local, "p/", remote, prune: false).Prune);
        Assert.Single(PublishPlan.Create(local, "p/", remote, prune: false).Stale);
    }
}

public sealed class PublishManifestTests
{
    [Fact]
    public void Round_trips()
    {
        var entries = new Dictionary<string, ManifestEntry>
        {
            ["noarch/repodata.json"] = new(new string('a', 64), 12, "etag-1"),
            ["linux-64/x-1-0.conda"] = new(new string('b', 64), 0, null),
        };
        var read = PublishManifest.Read(PublishManifest.Write(entries), out var problem);
        Assert.Null(problem);
        Assert.Equal(entries.OrderBy(e => e.Key), read!.OrderBy(e => e.Key));
    }

    [Theory]
    [InlineData("")]
    [InlineData("[]")]
    [InlineData("{\"version\":2,\"objects\":{}}")]
    [InlineData("{\"version\":1,\"objects\":{\"k\":{\"sha256\":\"xyz\",\"size\":1}}}")]
    [InlineData("{\"version\":1,\"objects\":{\"k\":{\"sha256\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"size\":-1}}}")]
    public void Anything_else_is_unreadable_with_a_reason(string text)
    {
        Assert.Null(PublishManifest.Read(System.Text.Encoding.UTF8.GetBytes(text), out var problem));
        Assert.NotNull(problem);
    }

    [Fact]
    public void A_key_that_is_not_UTF8_is_unreadable_not_a_crash()
    {
        // Found by the publish-manifest fuzz target: JsonDocument checks a property name's encoding only when it is read.
        var bytes = System.Text.Encoding.UTF8.GetBytes("{\"version\":1,\"objects\":{\"k?\":{\"sha256\":\"" + new string('a', 64) + "\",\"size\":1}}}");
        bytes[Array.IndexOf(bytes, (byte)'?')] = 0xFF;
        Assert.Null(PublishManifest.Read(bytes, out var problem));
        Assert.Equal("not valid UTF-8", problem);
    }
}
