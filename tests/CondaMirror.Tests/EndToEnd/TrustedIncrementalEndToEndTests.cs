using System.Text.RegularExpressions;
using CondaMirror.Core.Errors;
using CondaMirror.TestKit;
using CondaMirror.TestKit.Channels;
using Xunit;

namespace CondaMirror.Tests.EndToEnd;

/// <summary>
/// Builds that used to end green with a stale or wrong channel (each reproduced with a real `dotnet build` on the
/// targets' timestamp and hand-kept-list up-to-date checks), now decided by the steps' records.
/// </summary>
[Collection(EndToEndSecondLaneCollection.Name)]
public class TrustedIncrementalEndToEndTests
{
    private readonly PackedPackage _package;

    public TrustedIncrementalEndToEndTests(PackedPackage package) => _package = package;

    /// <summary>linux-64 only: tool 1.0 (MIT) and 2.0 (GPL), blas in two variants of one version, app needing both.</summary>
    private static void WriteUpstream(string directory) => new ChannelBuilder()
        .Add(new PackageSpec("tool", "1.0", "h_0", "linux-64") { License = "MIT", PayloadBytes = 40_000 })
        .Add(new PackageSpec("tool", "2.0", "h_0", "linux-64") { License = "GPL-3.0-only", PayloadBytes = 40_000 })
        .Add(new PackageSpec("blas", "3.9.0", "openblas_0", "linux-64") { License = "BSD-3-Clause", PayloadBytes = 20_000 })
        .Add(new PackageSpec("blas", "3.9.0", "mkl_0", "linux-64") { License = "BSD-3-Clause", PayloadBytes = 20_000 })
        .Add(new PackageSpec("app", "1.0", "h_0", "linux-64") { Depends = new[] { "tool", "blas" }, License = "MIT" })
        .Add(new PackageSpec("docs", "1.0", "0", "noarch") { License = "MIT" })
        .WriteTo(directory);

    private sealed class Scenario : IAsyncDisposable
    {
        public required TempDirectory Work { get; init; }
        public required LoopbackChannelServer Server { get; init; }
        public string ProjectDirectory => Work.Combine("app");
        public string Project => Path.Combine(ProjectDirectory, "Consumer.csproj");
        public string Channel => Work.Combine("app", "bin", "Debug", "net10.0", "conda-channel");
        public string Lock => Work.Combine("app", "conda-mirror.lock");

        public async ValueTask DisposeAsync()
        {
            await Server.DisposeAsync();
            Work.Dispose();
        }
    }

    private async Task<Scenario> StartAsync()
    {
        var work = new TempDirectory("condamirror-e2e");
        WriteUpstream(work.Combine("upstream"));
        await Task.CompletedTask;
        return new Scenario { Work = work, Server = new LoopbackChannelServer(work.Combine("upstream")) };
    }

    private string Write(Scenario s, string items, string properties = "") =>
        _package.WriteProject(s.ProjectDirectory, $"""
              <PropertyGroup>
                <CondaPlatforms>linux-64</CondaPlatforms>
                <CondaPackageCachePath>{s.Work.Combine("cache")}</CondaPackageCachePath>
                <CondaRepodataCachePath>{s.Work.Combine("repodata-cache")}</CondaRepodataCachePath>
                {properties}
              </PropertyGroup>
              <ItemGroup>
                <CondaChannel Include="{s.Server.BaseUri}" />
                {items}
              </ItemGroup>
            """);

    private CommandResult Build(Scenario s, params string[] args)
    {
        var result = _package.Build(s.Project, args);
        Assert.True(result.Succeeded, result.ToString());
        _last = result;
        return result;
    }

    private CommandResult? _last;

    /// <summary>The file name the lock holds for <paramref name="name"/>, read with a regular expression (not our lock reader).</summary>
    private string Locked(Scenario s, string name)
    {
        var text = File.ReadAllText(s.Lock);
        var found = Regex.Matches(text, $@"/({Regex.Escape(name)}-[^/\s]+\.conda)").Select(m => m.Groups[1].Value).Distinct().ToList();
        Assert.True(found.Count == 1, $"{name} in the lock: [{string.Join(", ", found)}]\n{text}\n{_last}");
        return found[0];
    }

    [SkippableFact]
    public async Task Plan_mode_through_a_property_and_through_the_target_leaves_the_channel_untouched()
    {
        await using var s = await StartAsync();
        Write(s, """<CondaPackage Include="app" />""");
        Build(s);
        var before = FileTreeSnapshot.Take(s.Channel);
        Assert.NotEmpty(before.Entries);

        var plan = Build(s, "-p:CondaMirrorPlan=true");
        Assert.Contains("Conda plan", plan.Output);
        Assert.Equal(before, FileTreeSnapshot.Take(s.Channel));

        var target = DotnetCli.Run(s.ProjectDirectory, _package.BuildEnvironment, "msbuild", s.Project, "-t:CondaMirrorPlan", "-nodeReuse:false", "-v:n", "-tl:off");
        Assert.True(target.Succeeded, target.ToString());
        Assert.Contains("Conda plan", target.Output);
        Assert.Equal(before, FileTreeSnapshot.Take(s.Channel));

        // And the next ordinary build finds everything as it left it.
        var again = Build(s);
        Assert.Contains("Conda download step: up to date", again.Output);
        Assert.Equal(before, FileTreeSnapshot.Take(s.Channel));
    }

    [SkippableFact]
    public async Task Changing_only_the_Name_or_License_metadata_of_a_policy_item_solves_again()
    {
        await using var s = await StartAsync();
        Write(s, """
                <CondaPackage Include="tool" />
                <CondaExclude Include="no-gpl" Name="other" License="GPL*" />
            """);
        Build(s);
        Assert.Equal("tool-2.0-h_0.conda", Locked(s, "tool"));

        // Only Name changes: the rule now applies to tool, whose newest version is GPL.
        Write(s, """
                <CondaPackage Include="tool" />
                <CondaExclude Include="no-gpl" Name="tool" License="GPL*" />
            """);
        var excluded = Build(s);
        Assert.Contains("Conda resolve step: runs because Excludes changed", excluded.Output);
        Assert.Equal("tool-1.0-h_0.conda", Locked(s, "tool"));
        Assert.True(File.Exists(Path.Combine(s.Channel, "linux-64", "tool-1.0-h_0.conda")));
        Assert.False(File.Exists(Path.Combine(s.Channel, "linux-64", "tool-2.0-h_0.conda")));

        // CondaAllowLicense: only its License metadata changes. A fresh lock first, since a re-solve keeps what is locked.
        File.Delete(s.Lock);
        Write(s, """
                <CondaPackage Include="tool" />
                <CondaAllowLicense Include="allowed" License="*" />
            """);
        Build(s);
        Assert.Equal("tool-2.0-h_0.conda", Locked(s, "tool"));
        Write(s, """
                <CondaPackage Include="tool" />
                <CondaAllowLicense Include="allowed" License="MIT" />
            """);
        var allowed = Build(s);
        Assert.Contains("Conda resolve step: runs because AllowedLicenses changed", allowed.Output);
        Assert.Equal("tool-1.0-h_0.conda", Locked(s, "tool"));
    }

    [SkippableFact]
    public async Task A_deleted_or_edited_channel_archive_is_restored_from_the_cache()
    {
        await using var s = await StartAsync();
        Write(s, """<CondaPackage Include="app" />""");
        Build(s);
        var archive = Path.Combine(s.Channel, "linux-64", Locked(s, "tool"));
        var expected = File.ReadAllBytes(archive);
        s.Server.ClearRequests();

        File.Delete(archive);
        var restored = Build(s);
        Assert.Contains("Conda download step: runs because", restored.Output);
        Assert.Equal(expected, File.ReadAllBytes(archive));
        Assert.DoesNotContain(s.Server.Requests, r => r.Path.EndsWith(".conda", StringComparison.Ordinal));
        Assert.Contains("Conda index step: up to date", restored.Output);

        var noop = Build(s);
        Assert.Contains("Conda download step: up to date", noop.Output);
    }

    [SkippableFact]
    public async Task Clean_of_a_channel_outside_the_output_folder_removes_every_file_it_wrote_and_nothing_else()
    {
        await using var s = await StartAsync();
        var shared = s.Work.Combine("shared-channel");
        Write(s, """<CondaPackage Include="app" />""", $"<CondaChannelOutputPath>{shared}</CondaChannelOutputPath>");
        Build(s);
        foreach (var written in new[] { "sbom.cdx.json", "linux-64/repodata_shards.msgpack.zst", "linux-64/repodata.json.zst", "channeldata.json" })
            Assert.True(File.Exists(Path.Combine(shared, written)), written);
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(shared, "linux-64", "shards")));
        File.WriteAllText(Path.Combine(shared, "NOTES.txt"), "the user's own file");

        var clean = _package.Clean(s.Project);
        Assert.True(clean.Succeeded, clean.ToString());

        var left = Directory.EnumerateFileSystemEntries(shared, "*", SearchOption.AllDirectories).Select(p => Path.GetRelativePath(shared, p)).ToList();
        Assert.Equal(new[] { "NOTES.txt" }, left);
    }

    [SkippableFact]
    public async Task Another_bundle_with_an_older_file_time_is_imported_and_a_lying_one_is_refused()
    {
        await using var s = await StartAsync();
        // The connected side: two bundles, the second with one more package.
        Write(s, """<CondaPackage Include="tool" />""", "<CondaBundle>true</CondaBundle>");
        Build(s);
        var bundle = Path.Combine(Path.GetDirectoryName(s.Channel)!, "conda-channel.tar");
        var first = s.Work.Combine("first.tar");
        File.Copy(bundle, first);
        Write(s, """<CondaPackage Include="tool" /><CondaPackage Include="docs" />""", "<CondaBundle>true</CondaBundle>");
        Build(s);
        var second = s.Work.Combine("second.tar");
        File.Copy(bundle, second);

        // The offline side imports whatever sits at drop/bundle.tar.
        var drop = s.Work.Combine("drop", "bundle.tar");
        Directory.CreateDirectory(Path.GetDirectoryName(drop)!);
        var offline = _package.WriteProject(s.Work.Combine("offline"), $"""
              <ItemGroup>
                <CondaBundleImport Include="{drop}" />
              </ItemGroup>
            """, "Offline");
        var root = s.Work.Combine("offline", "bin", "Debug", "net10.0", "conda-offline");
        File.Copy(first, drop);
        var imported = _package.Build(offline);
        Assert.True(imported.Succeeded, imported.ToString());
        Assert.False(File.Exists(Path.Combine(root, "channel", "noarch", "docs-1.0-0.conda")));

        // What `cp -p` or `tar -x` gives: another bundle whose file time is older than the last import.
        File.Copy(second, drop, overwrite: true);
        File.SetLastWriteTimeUtc(drop, new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        var switched = _package.Build(offline);
        Assert.True(switched.Succeeded, switched.ToString());
        Assert.True(File.Exists(Path.Combine(root, "channel", "noarch", "docs-1.0-0.conda")), switched.ToString());

        // A bundle whose SHA256SUMS lies about one archive, made with tar itself, with an old time as well.
        var unpacked = s.Work.Combine("unpacked");
        Directory.CreateDirectory(unpacked);
        CliTool.Run("tar", s.Work.Path, "-xf", second, "-C", unpacked);
        var victim = Path.Combine(unpacked, "channel", "noarch", "docs-1.0-0.conda");
        var bytes = File.ReadAllBytes(victim);
        bytes[^1] ^= 0xFF;
        File.WriteAllBytes(victim, bytes);
        var before = FileTreeSnapshot.Take(root);
        File.Delete(drop);
        CliTool.Run("tar", s.Work.Path, new[] { "-cf", drop, "-C", unpacked }.Concat(Directory.GetFileSystemEntries(unpacked).Select(e => Path.GetFileName(e)!).Order(StringComparer.Ordinal)).ToArray());
        File.SetLastWriteTimeUtc(drop, new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        var lying = _package.Build(offline);
        Assert.False(lying.Succeeded, lying.ToString());
        Assert.Contains($"error {ErrorCodes.BundleChecksumMismatch}", lying.Output);
        Assert.Equal(before, FileTreeSnapshot.Take(root));
    }

    [SkippableFact]
    public async Task The_classic_logger_shows_the_channel_line_sizes_in_KB_and_a_changed_build_variant()
    {
        await using var s = await StartAsync();
        Write(s, """<CondaPackage Include="blas" Build="openblas*" />""");
        // The classic console logger at its default verbosity, as in a CI log.
        var cold = _package.BuildWithLogger(s.Project, new[] { "-tl:off" });
        Assert.True(cold.Succeeded, cold.ToString());
        Assert.Matches(@"Consumer -> .*conda-channel/ \(1 conda packages, \d+\.\d KB; linux-64: 1, noarch: 0\)", cold.Output);
        Assert.Matches(@"Conda packages: 1 in channel \(1 downloaded, 0 from cache, \d+\.\d KB in", cold.Output);
        Assert.DoesNotContain("0.0 MB", cold.Output);

        var noop = _package.BuildWithLogger(s.Project, new[] { "-tl:off" });
        Assert.Matches(@"Consumer -> .*conda-channel/ \(1 conda packages, \d+\.\d KB; linux-64: 1, noarch: 0\) \[up to date\]", noop.Output);

        // In MSBuild's .NET task host (how Visual Studio runs the tasks) too.
        var hosted = _package.BuildWithLogger(s.Project, new[] { "-tl:off" }, "-p:CondaMirrorTaskHost=NET");
        Assert.Matches(@"Consumer -> .*conda-channel/ \(1 conda packages", hosted.Output);

        Write(s, """<CondaPackage Include="blas" Build="mkl*" />""");
        var variant = Build(s);
        Assert.Contains("Conda lock linux-64: 1 packages (0 added, 0 upgraded, 0 downgraded, 1 other build, 0 removed)", variant.Output);
        Assert.Contains("Conda lock linux-64: blas 3.9.0 openblas_0 → 3.9.0 mkl_0", variant.Output);
        Assert.Matches(@"\[lock linux-64 1 \(1 other build\)", variant.Output);
    }
}
