using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using CondaMirror.TestKit;
using CondaMirror.TestKit.Channels;
using Xunit;

namespace CondaMirror.Tests.EndToEnd;

/// <summary>
/// Several locks (CondaLock items) mirrored into one channel by a real `dotnet build`: the locks are pixi.lock texts
/// written here for two projects that share a package, pointing at a loopback upstream of ChannelBuilder archives;
/// the real conda client installs each project's packages offline from the one channel.
/// </summary>
[Collection(EndToEndSecondLaneCollection.Name)]
public class SeveralLocksEndToEndTests
{
    private readonly PackedPackage _package;

    public SeveralLocksEndToEndTests(PackedPackage package) => _package = package;

    private sealed record Archive(PackageSpec Spec, string Path)
    {
        public string Sha256 => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(Path))).ToLowerInvariant();
        public string Md5 => Convert.ToHexString(MD5.HashData(File.ReadAllBytes(Path))).ToLowerInvariant();
    }

    private static Dictionary<string, Archive> WriteUpstream(string upstream)
    {
        var specs = new[]
        {
            new PackageSpec("shared-lib", "1.0", "0") { Noarch = "generic" },
            new PackageSpec("app-a", "1.0", "0") { Noarch = "generic", Depends = new[] { "shared-lib >=1" } },
            new PackageSpec("app-b", "2.0", "0") { Noarch = "generic", Depends = new[] { "shared-lib >=1", "tool" } },
            new PackageSpec("tool", "1.2.0", "h1_0", "linux-64"),
        };
        return specs.ToDictionary(s => s.Name, s => new Archive(s, ChannelBuilder.WritePackage(Path.Combine(upstream, s.Subdir), s)));
    }

    /// <summary>A pixi.lock v6 for linux-64 holding these archives with their full records, as pixi writes them.</summary>
    private static string PixiLock(Uri server, IEnumerable<Archive> archives, Func<Archive, string>? sha256 = null)
    {
        var list = archives.ToList();
        string Url(Archive a) => new Uri(server, $"{a.Spec.Subdir}/{a.Spec.FileName}").AbsoluteUri;
        var text = new System.Text.StringBuilder();
        text.Append($"version: 6\nenvironments:\n  default:\n    channels:\n    - url: {server.AbsoluteUri}\n    packages:\n      linux-64:\n");
        foreach (var a in list) text.Append($"      - conda: {Url(a)}\n");
        text.Append("packages:\n");
        foreach (var a in list)
        {
            text.Append($"- conda: {Url(a)}\n");
            if (a.Spec.Subdir == "noarch") text.Append("  noarch: generic\n");
            text.Append($"  sha256: {(sha256 ?? (x => x.Sha256))(a)}\n  md5: {a.Md5}\n");
            if (a.Spec.Depends.Count > 0)
            {
                text.Append("  depends:\n");
                foreach (var d in a.Spec.Depends) text.Append($"  - {d}\n");
            }
            text.Append($"  license: MIT\n  size: {new FileInfo(a.Path).Length}\n  timestamp: {a.Spec.Timestamp}\n");
        }
        return text.ToString();
    }

    private static string WriteLock(string path, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>file name → sha256 of every record in the channel's repodata for linux-64 and noarch.</summary>
    private static SortedDictionary<string, string> ChannelRecords(string channel)
    {
        var records = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var subdir in new[] { "linux-64", "noarch" })
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(channel, subdir, "repodata.json")));
            foreach (var map in new[] { "packages", "packages.conda" })
                if (doc.RootElement.TryGetProperty(map, out var entries))
                    foreach (var entry in entries.EnumerateObject())
                        records[$"{subdir}/{entry.Name}"] = entry.Value.GetProperty("sha256").GetString()!;
        }
        return records;
    }

    [SkippableFact]
    public async Task Two_projects_locks_become_one_channel_conda_installs_each_and_only_an_edited_lock_reruns_the_steps()
    {
        CondaClient.Require();
        using var work = new TempDirectory("condamirror-e2e");
        var archives = WriteUpstream(work.Combine("upstream"));
        await using var server = new LoopbackChannelServer(work.Combine("upstream"));
        var lockA = WriteLock(work.Combine("project-a", "pixi.lock"), PixiLock(server.BaseUri, new[] { archives["app-a"], archives["shared-lib"] }));
        var lockB = WriteLock(work.Combine("project-b", "pixi.lock"), PixiLock(server.BaseUri, new[] { archives["shared-lib"], archives["app-b"], archives["tool"] }));

        var project = _package.WriteProject(work.Combine("app"), $"""
              <PropertyGroup>
                <CondaPlatforms>linux-64</CondaPlatforms>
                <CondaPackageCachePath>{work.Combine("cache")}</CondaPackageCachePath>
              </PropertyGroup>
              <ItemGroup>
                <CondaLock Include="{lockA};{lockB}" />
              </ItemGroup>
            """);
        var build = _package.Build(project);
        Assert.True(build.Succeeded, build.ToString());
        var channel = work.Combine("app", "bin", "Debug", "net10.0", "conda-channel");

        // The union: every archive of both locks once, with the hash of the upstream file.
        var expected = new SortedDictionary<string, string>(archives.Values.ToDictionary(a => $"{a.Spec.Subdir}/{a.Spec.FileName}", a => a.Sha256), StringComparer.Ordinal);
        Assert.Equal(expected, ChannelRecords(channel));
        foreach (var a in archives.Values)
            Assert.Equal(File.ReadAllBytes(a.Path), File.ReadAllBytes(Path.Combine(channel, a.Spec.Subdir, a.Spec.FileName)));
        Assert.Equal(1, server.Requests.Count(r => r.Path == "/noarch/shared-lib-1.0-0.conda"));

        // Each project's top-level package installs offline from the one channel, with what it depends on.
        var url = new Uri(channel + "/").AbsoluteUri;
        foreach (var (top, wants) in new[] { ("app-a", new[] { "app-a", "shared-lib" }), ("app-b", new[] { "app-b", "shared-lib", "tool" }) })
        {
            var prefix = work.Combine("env-" + top);
            var (exit, log) = CondaClient.Run(work.Combine("conda-pkgs"), "create", "--offline", "--override-channels", "-c", url, "-p", prefix, "-y", top);
            Assert.True(exit == 0, log);
            var installed = CondaClient.InstalledVersions(prefix);
            Assert.Equal(wants, installed.Keys.Order(StringComparer.Ordinal));
            foreach (var name in wants) Assert.Equal(archives[name].Spec.Version, installed[name]);
        }

        // Nothing changed: nothing runs.
        var noop = _package.Build(project, "--no-restore");
        Assert.True(noop.Succeeded, noop.ToString());
        Assert.DoesNotContain("step: runs because", noop.Output);

        // One of the two locks edited: the steps that read the locks run again, the others do not.
        File.AppendAllText(lockB, "# an edit to project b's lock\n");
        var edited = _package.Build(project, "--no-restore");
        Assert.True(edited.Succeeded, edited.ToString());
        foreach (var step in new[] { "download", "pypi", "index" })
            Assert.Matches($"Conda {step} step: runs because", edited.Output);
        Assert.Contains("Conda check step: up to date", edited.Output);
        Assert.Equal(expected, ChannelRecords(channel));
    }

    [SkippableFact]
    public async Task A_file_name_two_locks_give_different_hashes_is_one_error_naming_both_locks_and_nothing_reaches_the_channel()
    {
        using var work = new TempDirectory("condamirror-e2e");
        var archives = WriteUpstream(work.Combine("upstream"));
        await using var server = new LoopbackChannelServer(work.Combine("upstream"));
        var lockA = WriteLock(work.Combine("project-a", "pixi.lock"), PixiLock(server.BaseUri, new[] { archives["app-a"], archives["shared-lib"] }));
        var other = new string('a', 64);
        var lockC = WriteLock(work.Combine("project-c", "conda.lock"),
            PixiLock(server.BaseUri, new[] { archives["tool"], archives["shared-lib"] }, a => a.Spec.Name == "shared-lib" ? other : a.Sha256));

        var project = _package.WriteProject(work.Combine("app"), $"""
              <PropertyGroup>
                <CondaPlatforms>linux-64</CondaPlatforms>
                <CondaPackageCachePath>{work.Combine("cache")}</CondaPackageCachePath>
              </PropertyGroup>
              <ItemGroup>
                <CondaLock Include="{lockA}" />
                <CondaLock Include="{lockC}" />
              </ItemGroup>
            """);
        var build = _package.Build(project);
        Assert.False(build.Succeeded, build.ToString());
        var error = Assert.Single(build.DiagnosticLines("error"));
        Assert.Contains("error CMIR412:", error);
        Assert.Contains(lockA, error);
        Assert.Contains(lockC, error);
        Assert.Contains("noarch/shared-lib-1.0-0.conda", error);
        Assert.Contains(archives["shared-lib"].Sha256, error);
        Assert.Contains(other, error);
        var channel = work.Combine("app", "bin", "Debug", "net10.0", "conda-channel");
        var written = Directory.Exists(channel)
            ? Directory.GetFiles(channel, "*", SearchOption.AllDirectories).Where(f => f.EndsWith(".conda") || f.EndsWith(".tar.bz2") || f.EndsWith(".json")).ToArray()
            : Array.Empty<string>();
        Assert.Empty(written);
        Assert.DoesNotContain(server.Requests, r => r.Path.EndsWith(".conda", StringComparison.Ordinal));

        // CondaLockFile names one lock; several in it are pointed at CondaLock items.
        var listed = _package.WriteProject(work.Combine("listed"), $"""
              <PropertyGroup>
                <CondaLockFile>{lockA};{lockC}</CondaLockFile>
              </PropertyGroup>
            """);
        var several = _package.Build(listed);
        Assert.False(several.Succeeded, several.ToString());
        var severalError = Assert.Single(several.DiagnosticLines("error"));
        Assert.Contains("error CMIR414:", severalError);
        Assert.Contains("CondaLock Include=", severalError);
    }
}
