using System.Security.Cryptography;
using System.Text;
using CondaMirror.Core.Diagnostics;
using CondaMirror.Core.Downloads;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Locks;
using CondaMirror.Core.Networking;
using CondaMirror.Core.PyPI;
using CondaMirror.TestKit;
using CondaMirror.TestKit.PyPI;
using Xunit;

namespace CondaMirror.Tests.PyPI;

/// <summary>The simple repository written from lock entries, against wheels served on loopback.</summary>
public sealed class PypiMirrorTests : IAsyncLifetime
{
    private readonly TempDirectory _work = new("pypi-mirror");
    private LoopbackChannelServer _server = null!;
    private readonly RecordingMirrorLog _log = new();

    private string Upstream => _work.Combine("upstream");
    private string Output => _work.Combine("out", "pypi");

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(Path.Combine(Upstream, "packages"));
        _server = new LoopbackChannelServer(Upstream);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _work.Dispose();
    }

    /// <summary>Serves the wheel at /packages/&lt;file&gt; and returns its lock entry.</summary>
    private PypiLockEntry Serve(WheelSpec spec, string? requiresPython = null, string? sha256Override = null, bool withSha = true, string? fileName = null)
    {
        var bytes = spec.Build();
        var name = fileName ?? spec.FileName;
        File.WriteAllBytes(Path.Combine(Upstream, "packages", name), bytes);
        return Entry(spec.Name, spec.Version, _server.UrlFor("packages/" + Uri.EscapeDataString(name)),
            withSha ? sha256Override ?? Sha256(bytes) : null, requiresPython);
    }

    private static PypiLockEntry Entry(string name, string version, string url, string? sha256, string? requiresPython = null,
        PypiDistributionKind kind = PypiDistributionKind.Wheel, string? index = null) =>
        new(PypiLocations.Normalize(name)!, version, url, url, sha256, null, requiresPython, index, kind, new[] { "linux-64" }, 1);

    private static string Sha256(byte[] bytes) => Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant();

    private PypiMirror Mirror(CredentialSet? credentials = null) => new(new DownloadOptions
    {
        CacheRoot = _work.Combine("cache"),
        RetryCount = 1,
        BaseDelay = TimeSpan.FromMilliseconds(10),
        Credentials = credentials ?? CredentialSet.None,
    }, _log);

    private static string[] Tree(string root) => Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
        .Select(f => Path.GetRelativePath(root, f).Replace('\\', '/')).Order(StringComparer.Ordinal).ToArray();

    [Fact]
    public async Task Writes_files_and_pages_for_every_wheel_and_nothing_else()
    {
        var a = new WheelSpec("Alpha.Pkg", "1.0");
        var b = new WheelSpec("beta", "2.0");
        var entries = new[] { Serve(a, ">=3.8"), Serve(b), Entry("gamma", "0.1", "https://files.example/gamma-0.1.tar.gz", null, kind: PypiDistributionKind.Sdist) };
        var result = await Mirror().MirrorAsync(entries, Output, CancellationToken.None);

        Assert.Equal((2, 2), (result.Wheels, result.Projects));
        Assert.Equal(new[]
        {
            "files/Alpha_Pkg-1.0-py3-none-any.whl", "files/Alpha_Pkg-1.0-py3-none-any.whl.metadata",
            "files/beta-2.0-py3-none-any.whl", "files/beta-2.0-py3-none-any.whl.metadata",
            "simple/alpha-pkg/index.html", "simple/alpha-pkg/index.json", "simple/beta/index.html", "simple/beta/index.json",
            "simple/index.html", "simple/index.json",
        }, Tree(Output));
        Assert.Equal(a.Build(), File.ReadAllBytes(Path.Combine(Output, "files", a.FileName)));
        var page = File.ReadAllText(Path.Combine(Output, "simple", "alpha-pkg", "index.html"));
        Assert.Contains($"href=\"../../files/Alpha_Pkg-1.0-py3-none-any.whl#sha256={entries[0].Sha256}\" data-requires-python=\"&gt;=3.8\"", page);
        // The sdist: one warning naming it, not mirrored.
        var warning = Assert.Single(_log.Warnings, w => w.Code == ErrorCodes.PypiNotMirrored);
        Assert.Contains("gamma 0.1 (source distribution", warning.Message);
        Assert.Equal("gamma", Assert.Single(result.NotMirrored).Name);
    }

    [Fact]
    public async Task Every_entry_that_is_not_a_wheel_gets_a_warning_of_its_own()
    {
        var entries = new[]
        {
            Entry("mike", "2.0", "git+https://github.com/squidfunk/mike#2d4ad79", null, kind: PypiDistributionKind.Git),
            Entry("local", "0.1", "./local", null, kind: PypiDistributionKind.Editable),
            Entry("folder", "0.2", "../folder", null, kind: PypiDistributionKind.Directory),
        };
        var result = await Mirror().MirrorAsync(entries, Output, CancellationToken.None);
        var warnings = _log.Warnings.Where(w => w.Code == ErrorCodes.PypiNotMirrored).Select(w => w.Message).ToList();
        Assert.Equal(3, warnings.Count);
        Assert.Contains(warnings, m => m.StartsWith("PyPI package mike 2.0 (git: git+https://github.com/squidfunk/mike#2d4ad79)", StringComparison.Ordinal));
        Assert.Contains(warnings, m => m.StartsWith("PyPI package local 0.1 (editable: ./local)", StringComparison.Ordinal));
        Assert.Contains(warnings, m => m.StartsWith("PyPI package folder 0.2 (local folder: ../folder)", StringComparison.Ordinal));
        Assert.Equal(3, result.NotMirrored.Count);
        Assert.Empty(_server.Requests);
        Assert.False(Directory.Exists(Output));
    }

    [Fact]
    public async Task Unchanged_pages_are_not_rewritten_and_stale_wheels_and_projects_are_removed()
    {
        var a = Serve(new WheelSpec("alpha", "1.0"));
        var b = Serve(new WheelSpec("beta", "1.0"));
        await Mirror().MirrorAsync(new[] { a, b }, Output, CancellationToken.None);
        var alphaPage = Path.Combine(Output, "simple", "alpha", "index.html");
        var old = DateTime.UtcNow.AddHours(-1);
        File.SetLastWriteTimeUtc(alphaPage, old);
        // Something of the user's inside the root that is not ours stays.
        File.WriteAllText(Path.Combine(Output, "files", "README.txt"), "mine");

        await Mirror().MirrorAsync(new[] { a }, Output, CancellationToken.None);
        Assert.Equal(old, File.GetLastWriteTimeUtc(alphaPage));
        Assert.Equal(new[] { "files/README.txt", "files/alpha-1.0-py3-none-any.whl", "files/alpha-1.0-py3-none-any.whl.metadata", "simple/alpha/index.html", "simple/alpha/index.json", "simple/index.html", "simple/index.json" }, Tree(Output));
        Assert.DoesNotContain("beta", File.ReadAllText(Path.Combine(Output, "simple", "index.html")));
    }

    [Fact]
    public async Task Core_metadata_is_served_beside_each_wheel_with_its_hash_in_the_links()
    {
        var spec = new WheelSpec("alpha", "1.0", RequiresPython: ">=3.8");
        await Mirror().MirrorAsync(new[] { Serve(spec) }, Output, CancellationToken.None);
        var metadata = File.ReadAllBytes(Path.Combine(Output, "files", spec.FileName + ".metadata"));
        // An independent read of the same member: .NET's zip reader over the wheel as built.
        using (var zip = new System.IO.Compression.ZipArchive(new MemoryStream(spec.Build())))
        using (var member = zip.GetEntry("alpha-1.0.dist-info/METADATA")!.Open())
        using (var copy = new MemoryStream())
        {
            member.CopyTo(copy);
            Assert.Equal(copy.ToArray(), metadata);
        }
        var sha = Sha256(metadata);
        var page = File.ReadAllText(Path.Combine(Output, "simple", "alpha", "index.html"));
        Assert.Contains($"data-dist-info-metadata=\"sha256={sha}\" data-core-metadata=\"sha256={sha}\"", page);
        var json = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Output, "simple", "alpha", "index.json"))).RootElement;
        Assert.Equal(sha, json.GetProperty("files")[0].GetProperty("core-metadata").GetProperty("sha256").GetString());
    }

    [Fact]
    public async Task A_wheel_that_is_not_a_zip_is_listed_without_metadata_and_with_a_warning()
    {
        var bytes = Encoding.UTF8.GetBytes("not a zip at all");
        File.WriteAllBytes(Path.Combine(Upstream, "packages", "broken-1.0-py3-none-any.whl"), bytes);
        var entry = Entry("broken", "1.0", _server.UrlFor("packages/broken-1.0-py3-none-any.whl"), Sha256(bytes));
        await Mirror().MirrorAsync(new[] { entry }, Output, CancellationToken.None);
        var warning = Assert.Single(_log.Warnings, w => w.Code == ErrorCodes.PypiMetadataUnavailable);
        Assert.Contains("broken-1.0-py3-none-any.whl (it cannot be read as a zip archive", warning.Message);
        Assert.False(File.Exists(Path.Combine(Output, "files", "broken-1.0-py3-none-any.whl.metadata")));
        var page = File.ReadAllText(Path.Combine(Output, "simple", "broken", "index.html"));
        Assert.Contains("broken-1.0-py3-none-any.whl", page);
        Assert.DoesNotContain("metadata", page);
    }

    [Fact]
    public async Task Wheels_come_from_the_cache_the_second_time()
    {
        var a = Serve(new WheelSpec("alpha", "1.0"));
        await Mirror().MirrorAsync(new[] { a }, Output, CancellationToken.None);
        _server.ClearRequests();
        Directory.Delete(Output, recursive: true);
        var result = await Mirror().MirrorAsync(new[] { a }, Output, CancellationToken.None);
        Assert.Empty(_server.Requests);
        Assert.Equal((0, 1), (result.Downloads!.Downloaded, result.Downloads.FromCache));
        Assert.True(File.Exists(Path.Combine(Output, "files", "alpha-1.0-py3-none-any.whl")));
    }

    [Fact]
    public async Task A_wrong_sha256_fails_and_publishes_nothing()
    {
        var a = Serve(new WheelSpec("alpha", "1.0"), sha256Override: new string('0', 64));
        var e = await Assert.ThrowsAsync<CondaMirrorException>(() => Mirror().MirrorAsync(new[] { a }, Output, CancellationToken.None));
        Assert.Equal(ErrorCodes.DownloadChecksumMismatch, e.Code);
        Assert.False(Directory.Exists(Path.Combine(Output, "files")));
    }

    [Theory]
    [InlineData("..%2F..%2Fevil-1.0-py3-none-any.whl")]
    [InlineData("..%5C..%5Cevil-1.0-py3-none-any.whl")]
    [InlineData("evil-1.0-py3-none-any.exe")]
    [InlineData("evil-1.0.whl")]
    [InlineData("evil%2Fx-1.0-py3-none-any.whl")]
    public async Task Hostile_file_names_are_refused_before_anything_is_fetched_or_written(string lastSegment)
    {
        var url = _server.UrlFor("packages/") + lastSegment;
        var entry = Entry("evil", "1.0", url, new string('a', 64));
        var e = await Assert.ThrowsAsync<CondaMirrorException>(() => Mirror().MirrorAsync(new[] { entry }, Output, CancellationToken.None));
        Assert.Equal(ErrorCodes.PypiFileNameInvalid, e.Code);
        Assert.Empty(_server.Requests);
        Assert.False(Directory.Exists(Output));
        Assert.Empty(Directory.EnumerateFiles(_work.Path, "evil*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task A_wheel_of_another_project_is_refused()
    {
        var other = Serve(new WheelSpec("other", "1.0"));
        var entry = other with { Name = "alpha" };
        var e = await Assert.ThrowsAsync<CondaMirrorException>(() => Mirror().MirrorAsync(new[] { entry }, Output, CancellationToken.None));
        Assert.Equal(ErrorCodes.PypiFileNameInvalid, e.Code);
        Assert.Contains("is a wheel of 'other', not of 'alpha'", e.Message);
    }

    [Fact]
    public async Task Two_different_wheels_with_one_file_name_conflict()
    {
        var a = Serve(new WheelSpec("alpha", "1.0"));
        var b = a with { Location = a.Url + "?mirror", Url = a.Url + "?mirror", Sha256 = new string('b', 64) };
        var e = await Assert.ThrowsAsync<CondaMirrorException>(() => Mirror().MirrorAsync(new[] { a, b }, Output, CancellationToken.None));
        Assert.Equal(ErrorCodes.PypiFileConflict, e.Code);
    }

    [Fact]
    public async Task A_wheel_without_sha256_is_mirrored_with_a_warning_and_no_hash_in_its_link()
    {
        var a = Serve(new WheelSpec("alpha", "1.0"), withSha: false);
        await Mirror().MirrorAsync(new[] { a }, Output, CancellationToken.None);
        Assert.Contains(_log.Warnings, w => w.Code == ErrorCodes.PypiUnverified && w.Message.Contains("alpha-1.0-py3-none-any.whl"));
        Assert.Contains("href=\"../../files/alpha-1.0-py3-none-any.whl\"", File.ReadAllText(Path.Combine(Output, "simple", "alpha", "index.html")));
    }

    [Fact]
    public async Task No_wheels_writes_nothing_and_prunes_an_earlier_repository()
    {
        var a = Serve(new WheelSpec("alpha", "1.0"));
        await Mirror().MirrorAsync(new[] { a }, Output, CancellationToken.None);
        var result = await Mirror().MirrorAsync(Array.Empty<PypiLockEntry>(), Output, CancellationToken.None);
        Assert.Empty(result.Files);
        Assert.Empty(Tree(Output));
        var fresh = _work.Combine("fresh");
        await Mirror().MirrorAsync(Array.Empty<PypiLockEntry>(), fresh, CancellationToken.None);
        Assert.False(Directory.Exists(fresh));
    }

    [Fact]
    public async Task Index_credentials_reach_wheels_on_the_index_host_and_never_another_host()
    {
        const string token = "pypi-token-5d1c";
        _server.Faults.Add("**", FaultKind.RequireBearer(token), count: 100);
        var a = Serve(new WheelSpec("alpha", "1.0")) with { IndexUrl = _server.UrlFor("simple") };
        var elsewhere = Entry("beta", "1.0", "http://other.invalid/packages/beta-1.0-py3-none-any.whl", new string('c', 64), index: _server.UrlFor("simple"));
        var otherPort = Entry("gamma", "1.0", $"http://127.0.0.1:{_server.BaseUri.Port + 1}/packages/gamma-1.0-py3-none-any.whl", new string('d', 64), index: _server.UrlFor("simple"));
        var noIndex = Entry("delta", "1.0", _server.UrlFor("packages/delta-1.0-py3-none-any.whl"), new string('e', 64));
        var credentials = PypiCredentials.For(
            new[] { new ChannelAuthSettings(_server.UrlFor("simple")) { BearerTokenEnvironmentVariable = "PYPI_TOKEN" } },
            new[] { a, elsewhere, otherPort, noIndex }, v => v == "PYPI_TOKEN" ? token : null);

        Assert.NotNull(HttpAuthentication.FindCredential(a.Url!, credentials.Configured));
        Assert.Null(HttpAuthentication.FindCredential(elsewhere.Url!, credentials.Configured));
        Assert.Null(HttpAuthentication.FindCredential(otherPort.Url!, credentials.Configured));
        Assert.Null(HttpAuthentication.FindCredential(noIndex.Url!, credentials.Configured));
        await Mirror(credentials).MirrorAsync(new[] { a }, Output, CancellationToken.None);
        Assert.Contains(_server.Requests, r => r.Path.EndsWith(".whl", StringComparison.Ordinal) && r.Authorization == "Bearer " + token);
    }

    [Fact]
    public async Task User_and_password_in_the_index_url_authenticate_its_hosts_wheels()
    {
        _server.Faults.Add("**", FaultKind.RequireBasic("alice", "p@ss"), count: 100);
        var index = new UriBuilder(_server.UrlFor("simple")) { UserName = "alice", Password = "p%40ss" }.Uri.AbsoluteUri;
        var a = Serve(new WheelSpec("alpha", "1.0")) with { IndexUrl = _server.UrlFor("simple") };
        var credentials = PypiCredentials.For(new[] { new ChannelAuthSettings(index) }, new[] { a });
        Assert.DoesNotContain(credentials.Configured, c => c.UrlPrefix.Contains("alice", StringComparison.Ordinal));
        await Mirror(credentials).MirrorAsync(new[] { a }, Output, CancellationToken.None);
        var expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:p@ss"));
        Assert.Contains(_server.Requests, r => r.Path.EndsWith(".whl", StringComparison.Ordinal) && r.Authorization == expected);
    }

    [Fact]
    public void A_token_variable_that_is_not_set_names_the_index_item()
    {
        var e = Assert.Throws<CondaMirrorException>(() => PypiCredentials.For(
            new[] { new ChannelAuthSettings("https://pypi.example/simple") { BearerTokenEnvironmentVariable = "UNSET_PYPI_TOKEN_X" } },
            Array.Empty<PypiLockEntry>(), _ => null));
        Assert.Equal(ErrorCodes.InvalidBuildSetting, e.Code);
        Assert.StartsWith("CondaPyPIIndex 'https://pypi.example/simple' takes its token from environment variable UNSET_PYPI_TOKEN_X", e.Message);
    }

    [Theory]
    [InlineData("pypi.example/simple")]
    [InlineData("ftp://pypi.example/simple")]
    [InlineData("./simple")]
    public void An_index_item_that_is_not_an_http_url_is_a_coded_error(string item)
    {
        var e = Assert.Throws<CondaMirrorException>(() => PypiCredentials.For(new[] { new ChannelAuthSettings(item) { BearerToken = "t" } }, Array.Empty<PypiLockEntry>()));
        Assert.Equal(ErrorCodes.PypiIndexInvalid, e.Code);
    }

    [Fact]
    public void Plan_counts_wheels_against_the_cache_and_lists_what_is_skipped()
    {
        var a = Serve(new WheelSpec("alpha", "1.0"));
        var plan = Mirror().Plan(new[] { a, Entry("g", "1", "git+https://x/y", null, kind: PypiDistributionKind.Git) });
        Assert.Equal((1, 1, 0, 1, 1), (plan.Wheels, plan.Projects, plan.Cached, plan.ToDownload, plan.NotMirrored.Count));
        Assert.Empty(_server.Requests);
    }
}
