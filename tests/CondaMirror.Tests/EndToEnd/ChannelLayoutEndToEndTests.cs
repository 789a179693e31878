using System.Text.Json;
using CondaMirror.TestKit;
using CondaMirror.TestKit.Channels;
using Xunit;

namespace CondaMirror.Tests.EndToEnd;

/// <summary>
/// CondaChannelLayout=per-channel in real `dotnet build`s: two upstream channels (TestKit's independent
/// <see cref="ChannelBuilder"/>, served by one loopback server under two paths) become two complete channels under one
/// root, which the real conda client (25.11.1) uses as its channel_alias, naming both channels; switching layouts
/// leaves nothing of the other one; `dotnet clean` removes all of it; a channel name that would leave the root is a
/// coded error before anything is written.
/// </summary>
[Collection(EndToEndCollection.Name)]
public class ChannelLayoutEndToEndTests
{
    private readonly PackedPackage _package;

    public ChannelLayoutEndToEndTests(PackedPackage package) => _package = package;

    /// <summary>Upstream "a": tool (linux-64), which needs helper; upstream "b": helper (noarch). A local package file: mine (noarch).</summary>
    private static void WriteUpstreams(TempDirectory work)
    {
        new ChannelBuilder()
            .Add(new PackageSpec("tool", "1.0", "h_0", "linux-64") { Depends = new[] { "helper >=2" } })
            .WriteTo(work.Combine("upstream", "a"));
        new ChannelBuilder()
            .Add(new PackageSpec("helper", "2.0", "h_0") { Noarch = "generic" })
            .Add(new PackageSpec("helper", "1.0", "h_0") { Noarch = "generic" })
            .WriteTo(work.Combine("upstream", "b"));
        ChannelBuilder.WritePackage(work.Combine("local-builds"), new PackageSpec("mine", "0.1", "h_0") { Noarch = "generic" });
    }

    private string WriteProject(TempDirectory work, LoopbackChannelServer server) => _package.WriteProject(work.Combine("app"), $"""
          <PropertyGroup>
            <CondaPlatforms>linux-64</CondaPlatforms>
            <CondaPackageCachePath>{work.Combine("pkgs")}</CondaPackageCachePath>
            <CondaRepodataCachePath>{work.Combine("repodata")}</CondaRepodataCachePath>
          </PropertyGroup>
          <ItemGroup>
            <CondaChannel Include="{server.BaseUri}a" />
            <CondaChannel Include="{server.BaseUri}b" />
            <CondaPackage Include="tool" />
            <CondaPackageFile Include="../local-builds/*.conda" />
          </ItemGroup>
        """);

    private static string[] Files(string root) => Directory.Exists(root)
        ? Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Select(p => Path.GetRelativePath(root, p).Replace('\\', '/')).Order(StringComparer.Ordinal).ToArray()
        : Array.Empty<string>();

    private static string[] Listed(string repodata)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(repodata));
        return new[] { "packages", "packages.conda" }
            .SelectMany(key => doc.RootElement.TryGetProperty(key, out var map) ? map.EnumerateObject().Select(p => p.Name) : [])
            .Order(StringComparer.Ordinal).ToArray();
    }

    /// <summary>What one channel's index step writes when every output is on, for the platforms linux-64 and noarch.</summary>
    private static void AssertCompleteChannel(string channel)
    {
        foreach (var subdir in new[] { "linux-64", "noarch" })
            foreach (var file in new[] { "repodata.json", "repodata.json.zst", "run_exports.json", "index.html", "repodata_shards.msgpack.zst" })
                Assert.True(File.Exists(Path.Combine(channel, subdir, file)), $"{channel}/{subdir}/{file}");
        foreach (var file in new[] { "channeldata.json", "index.html", "sbom.cdx.json" })
            Assert.True(File.Exists(Path.Combine(channel, file)), $"{channel}/{file}");
    }

    [SkippableFact]
    public async Task Per_channel_writes_one_channel_per_source_and_conda_installs_from_both_by_name_under_the_root_as_channel_alias()
    {
        using var work = new TempDirectory("condamirror-layout");
        WriteUpstreams(work);
        await using var server = new LoopbackChannelServer(work.Combine("upstream"));
        var project = WriteProject(work, server);

        var build = _package.Build(project, "-p:CondaChannelLayout=per-channel");
        Assert.True(build.Succeeded, build.ToString());
        var root = work.Combine("app", "bin", "Debug", "net10.0", "conda-channel");

        AssertCompleteChannel(Path.Combine(root, "a"));
        AssertCompleteChannel(Path.Combine(root, "b"));
        AssertCompleteChannel(Path.Combine(root, "local-packages"));
        Assert.Equal(new[] { "tool-1.0-h_0.conda" }, Listed(Path.Combine(root, "a", "linux-64", "repodata.json")));
        Assert.Empty(Listed(Path.Combine(root, "a", "noarch", "repodata.json")));
        Assert.Equal(new[] { "helper-2.0-h_0.conda" }, Listed(Path.Combine(root, "b", "noarch", "repodata.json")));
        Assert.Empty(Listed(Path.Combine(root, "b", "linux-64", "repodata.json")));
        Assert.Equal(new[] { "mine-0.1-h_0.conda" }, Listed(Path.Combine(root, "local-packages", "noarch", "repodata.json")));
        Assert.True(File.Exists(Path.Combine(root, "a", "linux-64", "tool-1.0-h_0.conda")));
        Assert.True(File.Exists(Path.Combine(root, "b", "noarch", "helper-2.0-h_0.conda")));
        Assert.True(File.Exists(Path.Combine(root, "local-packages", "noarch", "mine-0.1-h_0.conda")));
        // The root itself is no channel: nothing of the merged layout there.
        Assert.Equal(new[] { "a", "b", "local-packages" }, Directory.GetFileSystemEntries(root).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray());
        Assert.Contains("3 channels: a 1, b 1, local-packages 1", build.Output);

        // A rebuild with nothing changed does nothing.
        var again = _package.Build(project, "-p:CondaChannelLayout=per-channel");
        Assert.True(again.Succeeded, again.ToString());
        Assert.Contains("Conda download step: up to date", again.Output);
        Assert.Contains("Conda index step: up to date", again.Output);

        // conda, offline, with the root as its channel_alias and the channels by name only.
        CondaClient.Require();
        var prefix = work.Combine("env");
        var alias = new Uri(root + "/").AbsoluteUri;
        var environment = new Dictionary<string, string> { ["CONDA_CHANNEL_ALIAS"] = alias };
        var (exit, log) = CondaClient.Run(work.Combine("conda-pkgs"), environment,
            "create", "--offline", "--override-channels", "-c", "a", "-c", "b", "-c", "local-packages", "-p", prefix, "-y", "tool", "mine");
        Assert.True(exit == 0, log);
        var (listExit, list) = CondaClient.Run(work.Combine("conda-pkgs"), environment, "list", "-p", prefix, "--json");
        Assert.True(listExit == 0, list);
        var installed = JsonDocument.Parse(list).RootElement.EnumerateArray()
            .ToDictionary(p => p.GetProperty("name").GetString()!, p => (Channel: p.GetProperty("channel").GetString(), Version: p.GetProperty("version").GetString()));
        Assert.Equal(("a", "1.0"), installed["tool"]);
        Assert.Equal(("b", "2.0"), installed["helper"]);
        Assert.Equal(("local-packages", "0.1"), installed["mine"]);
        // The package records say where each archive came from: the channel folders under the root.
        using var helperMeta = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(prefix, "conda-meta", "helper-2.0-h_0.json")));
        Assert.Equal(alias + "b/noarch/helper-2.0-h_0.conda", helperMeta.RootElement.GetProperty("url").GetString());
    }

    [SkippableFact]
    public async Task Switching_layouts_leaves_no_stale_files_and_clean_removes_everything_the_steps_wrote()
    {
        using var work = new TempDirectory("condamirror-layout");
        WriteUpstreams(work);
        await using var server = new LoopbackChannelServer(work.Combine("upstream"));
        var project = WriteProject(work, server);
        var root = work.Combine("app", "bin", "Debug", "net10.0", "conda-channel");

        var merged = _package.Build(project);
        Assert.True(merged.Succeeded, merged.ToString());
        var mergedFiles = Files(root);
        Assert.Contains("noarch/helper-2.0-h_0.conda", mergedFiles);
        Assert.Contains("linux-64/tool-1.0-h_0.conda", mergedFiles);
        Assert.Contains("sbom.cdx.json", mergedFiles);
        var mergedBytes = mergedFiles.ToDictionary(f => f, f => File.ReadAllBytes(Path.Combine(root, f)));

        var perChannel = _package.Build(project, "-p:CondaChannelLayout=per-channel");
        Assert.True(perChannel.Succeeded, perChannel.ToString());
        var perChannelFiles = Files(root);
        // Nothing of the merged layout is left: every file lies in one of the three channel folders.
        Assert.All(perChannelFiles, f => Assert.True(f.StartsWith("a/") || f.StartsWith("b/") || f.StartsWith("local-packages/"), f));
        AssertCompleteChannel(Path.Combine(root, "a"));

        // Back to merged: byte for byte what the first merged build wrote, and nothing of the channel folders.
        var back = _package.Build(project, "-p:CondaChannelLayout=merged");
        Assert.True(back.Succeeded, back.ToString());
        Assert.Equal(mergedFiles, Files(root));
        foreach (var (file, bytes) in mergedBytes)
            Assert.True(bytes.AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(root, file))), file);

        // Per channel once more, with the air-gap bundle: it carries the channel folders as they are.
        var again = _package.Build(project, "-p:CondaChannelLayout=per-channel", "-p:CondaBundle=true");
        Assert.True(again.Succeeded, again.ToString());
        Assert.Equal(perChannelFiles, Files(root));
        var manifest = File.ReadAllLines(root + ".tar.SHA256SUMS").Select(l => l[(l.IndexOf("  ", StringComparison.Ordinal) + 2)..]).ToList();
        Assert.Equal(perChannelFiles.Select(f => "channel/" + f), manifest.Where(m => m.StartsWith("channel/", StringComparison.Ordinal)).Order(StringComparer.Ordinal));

        // Then clean: nothing the steps wrote is left (the bundle neither), and a file of the user's stays.
        File.WriteAllText(Path.Combine(root, "a", "README.txt"), "mine");
        var clean = _package.Clean(project);
        Assert.True(clean.Succeeded, clean.ToString());
        Assert.Equal(new[] { "a/README.txt" }, Files(root));
        Assert.False(File.Exists(root + ".tar"));
        Assert.Empty(Directory.GetDirectories(Path.Combine(root, "a")));
    }

    [SkippableFact]
    public void A_channel_name_that_would_leave_the_root_is_CMIR341_and_nothing_is_written()
    {
        using var work = new TempDirectory("condamirror-layout");
        // An @EXPLICIT lock whose package URL hides '..' segments in its channel path, percent-encoded.
        var lockPath = work.Combine("app", "hostile.txt");
        Directory.CreateDirectory(Path.GetDirectoryName(lockPath)!);
        File.WriteAllText(lockPath, """
            # platform: linux-64
            @EXPLICIT
            http://127.0.0.1:9/a/%2E%2E/%2E%2E/%2E%2E/escaped/linux-64/tool-1.0-h_0.conda#0123456789abcdef0123456789abcdef

            """);
        var project = _package.WriteProject(work.Combine("app"), $"""
              <PropertyGroup>
                <CondaLockFile>hostile.txt</CondaLockFile>
                <CondaChannelLayout>per-channel</CondaChannelLayout>
                <CondaPackageCachePath>{work.Combine("pkgs")}</CondaPackageCachePath>
                <CondaRetryCount>0</CondaRetryCount>
              </PropertyGroup>
            """);

        var build = _package.Build(project);

        Assert.False(build.Succeeded, build.ToString());
        Assert.Contains("error CMIR341", build.Output);
        Assert.Contains("'..' is not a plain folder name", build.Output);
        Assert.DoesNotContain("CMIR899", build.Output);
        Assert.Empty(Files(work.Combine("app", "bin", "Debug", "net10.0", "conda-channel")));
        Assert.Empty(Files(work.Combine("pkgs")));
        Assert.False(Directory.Exists(work.Combine("escaped")));
        Assert.Empty(Directory.GetDirectories(work.Path, "escaped", SearchOption.AllDirectories));
    }

    [SkippableFact]
    public void An_unknown_layout_is_CMIR815_at_the_project()
    {
        using var work = new TempDirectory("condamirror-layout");
        ChannelBuilder.WritePackage(work.Combine("local-builds"), new PackageSpec("mine", "0.1", "h_0") { Noarch = "generic" });
        var project = _package.WriteProject(work.Combine("app"), """
              <PropertyGroup>
                <CondaChannelLayout>nested</CondaChannelLayout>
              </PropertyGroup>
              <ItemGroup>
                <CondaPackageFile Include="../local-builds/*.conda" />
              </ItemGroup>
            """);

        var build = _package.Build(project);

        Assert.False(build.Succeeded, build.ToString());
        Assert.Contains("Consumer.csproj", build.Output.Split('\n').First(l => l.Contains("error CMIR815")));
        Assert.Contains("CondaChannelLayout 'nested' is not a layout", build.Output);
        Assert.Empty(Files(work.Combine("app", "bin", "Debug", "net10.0", "conda-channel")));
    }
}
