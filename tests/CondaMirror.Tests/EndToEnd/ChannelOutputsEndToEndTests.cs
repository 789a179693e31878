using System.Text.Json;
using CondaMirror.Core.Records;
using CondaMirror.TestKit;
using CondaMirror.TestKit.Channels;
using Xunit;

namespace CondaMirror.Tests.EndToEnd;

/// <summary>
/// The whole channel through real `dotnet build`s: every index file, the switches, no rewrite on a no-change build,
/// only the changed subdir's files on a one-subdir change, and a deleted index file brought back.
/// </summary>
[Collection(EndToEndCollection.Name)]
public class ChannelOutputsEndToEndTests
{
    private static readonly string[] SubdirFiles = { "repodata.json", "repodata.json.zst", "run_exports.json", "index.html", "repodata_shards.msgpack.zst" };
    private readonly PackedPackage _package;

    public ChannelOutputsEndToEndTests(PackedPackage package) => _package = package;

    private (TempDirectory Work, string Project, string Channel) Start(string properties = "")
    {
        var work = new TempDirectory("condamirror-e2e");
        var packages = work.Combine("packages");
        ChannelBuilder.WritePackage(Path.Combine(packages, "linux-64"), new PackageSpec("tool", "1.2.0", "h1_0", "linux-64")
        {
            Depends = new[] { "helper >=1" },
            RunExportsJson = """{"weak": ["tool >=1.2.0,<2"]}""",
            AboutJson = """{"summary": "a <tool> & more", "home": "https://example.org/tool", "license": "MIT"}""",
        });
        ChannelBuilder.WritePackage(Path.Combine(packages, "noarch"), new PackageSpec("helper", "1.0", "pyh_0") { Noarch = "python", Format = ArchiveFormat.TarBz2 });
        var project = _package.WriteProject(work.Combine("app"), $"""
              <PropertyGroup>
                <CondaPlatforms>linux-64</CondaPlatforms>
                {properties}
              </PropertyGroup>
              <ItemGroup>
                <CondaPackageFile Include="../packages/**/*.conda;../packages/**/*.tar.bz2" />
              </ItemGroup>
            """);
        return (work, project, Path.Combine(work.Path, "app", "bin", "Debug", "net10.0", "conda-channel"));
    }

    private static Dictionary<string, DateTime> Times(string channel) =>
        Directory.EnumerateFiles(channel, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(channel, f).Replace('\\', '/'), File.GetLastWriteTimeUtc);

    [SkippableFact]
    public void The_channel_has_every_file_rebuilds_touch_nothing_or_only_the_changed_subdir_and_lost_files_come_back()
    {
        var (work, project, channel) = Start();
        using var _ = work;

        var first = _package.Build(project);
        Assert.True(first.Succeeded, first.ToString());
        foreach (var subdir in new[] { "linux-64", "noarch" })
            foreach (var file in SubdirFiles)
                Assert.True(File.Exists(Path.Combine(channel, subdir, file)), $"{subdir}/{file} missing\n{first}");
        Assert.True(File.Exists(Path.Combine(channel, "channeldata.json")));
        Assert.True(File.Exists(Path.Combine(channel, "index.html")));
        foreach (var subdir in new[] { "linux-64", "noarch" })
        {
            var decompressed = Path.Combine(work.Path, subdir + ".json");
            ZstdSamples.RunZstd("-d", "-q", "-f", Path.Combine(channel, subdir, "repodata.json.zst"), "-o", decompressed);
            Assert.Equal(File.ReadAllBytes(Path.Combine(channel, subdir, "repodata.json")), File.ReadAllBytes(decompressed));
        }
        using (var runExports = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(channel, "linux-64", "run_exports.json"))))
            Assert.Equal("tool >=1.2.0,<2", runExports.RootElement.GetProperty("packages.conda").GetProperty("tool-1.2.0-h1_0.conda")
                .GetProperty("run_exports").GetProperty("weak")[0].GetString());
        using (var channeldata = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(channel, "channeldata.json"))))
            Assert.Equal("a <tool> & more", channeldata.RootElement.GetProperty("packages").GetProperty("tool").GetProperty("summary").GetString());
        Assert.Contains("a &lt;tool&gt; &amp; more", File.ReadAllText(Path.Combine(channel, "index.html")));

        // Nothing changed: the step is skipped and no file's timestamp moves.
        var before = Times(channel);
        var second = _package.Build(project);
        Assert.True(second.Succeeded, second.ToString());
        Assert.Contains("Conda index step: up to date", second.Output);
        Assert.Equal(before, Times(channel));

        // One more linux-64 package: linux-64's files and the channel's change, noarch's keep their timestamps.
        Thread.Sleep(1100); // coarse file-system clocks
        ChannelBuilder.WritePackage(work.Combine("packages", "linux-64"), new PackageSpec("extra", "0.1", "h2_0", "linux-64"));
        var third = _package.Build(project);
        Assert.True(third.Succeeded, third.ToString());
        var after = Times(channel);
        var changed = after.Where(kv => !before.TryGetValue(kv.Key, out var t) || t != kv.Value).Select(kv => kv.Key)
            .Select(k => k.Contains("/shards/") ? k[..(k.IndexOf("/shards/") + 8)] + "*" : k).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(new[]
        {
            "channeldata.json", "index.html", "linux-64/extra-0.1-h2_0.conda",
            "linux-64/index.html", "linux-64/repodata.json", "linux-64/repodata.json.zst", "linux-64/repodata_shards.msgpack.zst",
            "linux-64/run_exports.json", "linux-64/shards/*", // the new name's shard; the others are content-addressed and stay
            "sbom.cdx.json",
        }, changed);

        // The build after that is a no-op again, although noarch's files are older than the new inputs.
        var fourth = _package.Build(project);
        Assert.True(fourth.Succeeded, fourth.ToString());
        Assert.Contains("Conda index step: up to date", fourth.Output);
        Assert.Equal(after, Times(channel));

        // A deleted index file makes the next build index again and brings it back, touching nothing else.
        File.Delete(Path.Combine(channel, "noarch", "repodata.json.zst"));
        var fifth = _package.Build(project);
        Assert.True(fifth.Succeeded, fifth.ToString());
        Assert.True(File.Exists(Path.Combine(channel, "noarch", "repodata.json.zst")), fifth.ToString());
        var restored = Times(channel);
        Assert.Equal(after.Where(kv => kv.Key != "noarch/repodata.json.zst"), restored.Where(kv => kv.Key != "noarch/repodata.json.zst"));
    }

    [SkippableFact]
    public void The_switches_turn_each_output_off_and_a_base_url_reaches_repodata()
    {
        var (work, project, channel) = Start();
        using var _ = work;
        Assert.True(_package.Build(project).Succeeded);

        var off = _package.Build(project, "-p:CondaWriteZst=false", "-p:CondaWriteRunExports=false", "-p:CondaWriteChannelData=false",
            "-p:CondaWriteIndexHtml=false", "-p:CondaWriteShards=false", "-p:CondaWriteSbom=false", "-p:CondaChannelBaseUrl=https://mirror.example.org/app");

        Assert.True(off.Succeeded, off.ToString());
        var names = Directory.EnumerateFiles(channel, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(channel, f).Replace('\\', '/')).Order(StringComparer.Ordinal);
        Assert.Equal(new[] { "linux-64/repodata.json", "linux-64/tool-1.2.0-h1_0.conda", "noarch/helper-1.0-pyh_0.tar.bz2", "noarch/repodata.json" }, names);
        using var noarch = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(channel, "noarch", "repodata.json")));
        Assert.Equal("https://mirror.example.org/app/noarch/", noarch.RootElement.GetProperty("info").GetProperty("base_url").GetString());
        Assert.Equal(2, noarch.RootElement.GetProperty("repodata_version").GetInt32());

        // Each switch alone, back on the defaults otherwise.
        foreach (var (property, missing) in new[] { ("CondaWriteZst", "noarch/repodata.json.zst"), ("CondaWriteRunExports", "noarch/run_exports.json"), ("CondaWriteChannelData", "channeldata.json"), ("CondaWriteIndexHtml", "noarch/index.html"), ("CondaWriteShards", "noarch/repodata_shards.msgpack.zst"), ("CondaWriteSbom", "sbom.cdx.json") })
        {
            var one = _package.Build(project, $"-p:{property}=false");
            Assert.True(one.Succeeded, one.ToString());
            Assert.False(File.Exists(Path.Combine(channel, missing)), $"{property}=false left {missing}");
            var present = new[] { "noarch/repodata.json.zst", "noarch/run_exports.json", "channeldata.json", "noarch/index.html" }.Where(f => f != missing);
            Assert.All(present, f => Assert.True(File.Exists(Path.Combine(channel, f)), $"{property}=false removed {f}"));
        }
    }

    [SkippableFact]
    public async Task A_lock_change_in_one_platform_rewrites_that_subdir_only_and_the_next_build_skips_download_and_index()
    {
        using var work = new TempDirectory("condamirror-e2e");
        new ChannelBuilder()
            .Add(new PackageSpec("app", "2.0", "h1_0", "linux-64") { License = "Apache-2.0" })
            .Add(new PackageSpec("app", "2.0", "h2_0", "win-64") { License = "BSD-3-Clause" })
            .Add(new PackageSpec("util", "0.3", "pyh_0", "noarch") { Noarch = "python" })
            .WriteTo(work.Combine("upstream"));
        await using var server = new LoopbackChannelServer(work.Combine("upstream"));
        var records = ChannelRecords.Read(work.Combine("upstream"), server.BaseUri);
        var document = new CondaMirror.Core.Locks.LockDocument();
        var environment = document.Environment("default", new[] { records[0].Channel! });
        foreach (var platform in new[] { "linux-64", "win-64" })
            foreach (var r in records.Where(r => r.Subdir == platform || r.Subdir == "noarch"))
                environment.Add(platform, r);
        var lockPath = work.Combine("pixi.lock");
        CondaMirror.Core.Locks.PixiLockWriter.Write(lockPath, document);
        var project = _package.WriteProject(work.Combine("app"), $"""
              <PropertyGroup>
                <CondaLockFile>{lockPath}</CondaLockFile>
                <CondaPackageCachePath>{work.Combine("cache")}</CondaPackageCachePath>
              </PropertyGroup>
            """);
        var channel = Path.Combine(work.Path, "app", "bin", "Debug", "net10.0", "conda-channel");
        var first = _package.Build(project);
        Assert.True(first.Succeeded, first.ToString());
        var before = Times(channel);

        // A repodata patch of win-64's record only (as a re-lock after an upstream patch brings).
        Thread.Sleep(1100);
        var text = File.ReadAllText(lockPath);
        Assert.Contains("license: BSD-3-Clause", text);
        File.WriteAllText(lockPath, text.Replace("license: BSD-3-Clause", "license: BSD-3-Clause AND MIT"));
        var second = _package.Build(project);
        Assert.True(second.Succeeded, second.ToString());
        var after = Times(channel);
        var changed = after.Where(kv => !before.TryGetValue(kv.Key, out var t) || t != kv.Value).Select(kv => kv.Key).Order(StringComparer.Ordinal).ToList();
        Assert.Contains("win-64/repodata.json", changed);
        Assert.Contains("win-64/repodata.json.zst", changed);
        // Nothing of linux-64 or noarch moved (the root files may: they summarise every subdir).
        Assert.All(changed, f => Assert.True(f.StartsWith("win-64/", StringComparison.Ordinal) || f is "channeldata.json" or "index.html" or "sbom.cdx.json", $"{f} was rewritten"));
        // The same files, except that win-64's patched shard has a new content address.
        Assert.Equal(before.Keys.Where(k => !k.StartsWith("win-64/shards/")).Order(), after.Keys.Where(k => !k.StartsWith("win-64/shards/")).Order());
        Assert.Equal(before.Keys.Count(k => k.StartsWith("win-64/shards/")), after.Keys.Count(k => k.StartsWith("win-64/shards/")));

        // linux-64 and noarch files are now older than the lock; the steps still count as done.
        var third = _package.Build(project);
        Assert.True(third.Succeeded, third.ToString());
        Assert.Contains("Conda download step: up to date", third.Output);
        Assert.Contains("Conda index step: up to date", third.Output);
        Assert.Equal(after, Times(channel));
    }
}
