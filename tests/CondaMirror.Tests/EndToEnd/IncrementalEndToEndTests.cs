using System.Security.Cryptography;
using System.Text.RegularExpressions;
using CondaMirror.Tests.Incremental;
using CondaMirror.TestKit;
using CondaMirror.TestKit.Channels;
using Xunit;

namespace CondaMirror.Tests.EndToEnd;

/// <summary>
/// docs/incremental.md, checked in real `dotnet build`s: every input of the generated table is changed, one per build,
/// and exactly the steps the table names run again (plus the steps that read a file one of them rewrote: the lock,
/// the download and index records); every other step reports that it is up to date.
/// </summary>
[Collection(EndToEndCollection.Name)]
public class IncrementalEndToEndTests
{
    private readonly PackedPackage _package;

    public IncrementalEndToEndTests(PackedPackage package) => _package = package;

    /// <summary>Inputs not changed here, and why.</summary>
    private static readonly IReadOnlyDictionary<string, string> NotVaried = new Dictionary<string, string>
    {
        ["CondaPublish"] = "needs an object store; PublishEndToEndTests covers the check step's publish destinations",
        ["OutDir"] = "only the default of CondaChannelOutputPath, CondaPyPIOutputPath and CondaBundleImportRoot, each changed here",
        ["OutputPath"] = "only the default of OutDir in a multi-targeted project's outer build",
        ["the task assemblies (a new CondaMirror.MSBuild version)"] = "needs a second package version; every step takes the assemblies' module ids as an input",
        [IncrementalInputs.SubsetSelectionInput] = "written by the subset step, which runs on every build; ChannelSubsetEndToEndTests changes upstream, and the index step follows the new selection and is up to date when it is unchanged",
        ["the download and index steps' records (what the channel holds)"] = "changed by the download and index steps themselves; followed below whenever one of them runs",
    };

    private sealed class State
    {
        public SortedDictionary<string, string> Properties { get; } = new(StringComparer.Ordinal);
        public List<string> Items { get; } = new();
        public string Comment { get; set; } = "";
    }

    private sealed record Change(string Input, Action<State> Apply, string? Disables = null, Action? Before = null);

    [SkippableFact]
    public async Task Each_input_reruns_exactly_the_steps_the_table_names()
    {
        using var work = new TempDirectory("condamirror-e2e");
        new ChannelBuilder()
            .Add(new PackageSpec("docs", "1.0", "0", "noarch") { PayloadBytes = 20_000 })
            .Add(new PackageSpec("tool", "1.0", "h_0", "linux-64"))
            .WriteTo(work.Combine("served", "upstream"));
        var local = new ChannelBuilder().Add(new PackageSpec("mine", "0.1", "0", "noarch")).WriteTo(work.Combine("local")).Single(f => f.EndsWith(".conda"));
        // The channel has a path, so the per-channel layout can name its folder.
        await using var server = new LoopbackChannelServer(work.Combine("served"));
        var channelUrl = server.BaseUri + "upstream";
        var projectDir = work.Combine("app");
        var lockPath = Path.Combine(projectDir, "conda-mirror.lock");
        var drop = work.Combine("drop.tar");
        var state = new State();
        state.Properties["CondaPlatforms"] = "linux-64";
        state.Properties["CondaBundle"] = "true";
        state.Properties["CondaPackageCachePath"] = work.Combine("cache");
        state.Properties["CondaRepodataCachePath"] = work.Combine("repodata");
        state.Items.Add($"""<CondaChannel Include="{channelUrl}" />""");
        state.Items.Add("""<CondaPackage Include="docs" />""");

        string Write() => _package.WriteProject(projectDir, $"""
              <!-- {state.Comment} -->
              <PropertyGroup>
                {string.Concat(state.Properties.Select(p => $"<{p.Key}>{p.Value}</{p.Key}>\n"))}
              </PropertyGroup>
              <ItemGroup>
                {string.Join("\n", state.Items)}
              </ItemGroup>
            """);
        var project = Write();
        var first = _package.Build(project);
        Assert.True(first.Succeeded, first.ToString());
        File.Copy(Path.Combine(projectDir, "bin", "Debug", "net10.0", "conda-channel.tar"), drop);

        void Replace(State s, string prefix, string item) { s.Items.RemoveAll(i => i.StartsWith(prefix, StringComparison.Ordinal)); s.Items.Add(item); }
        var changes = new List<Change>
        {
            // First, so the packagefiles step (it runs only with CondaPackageFile items) takes part in every later change.
            new("CondaPackageFile", s => s.Items.Add($"""<CondaPackageFile Include="{local}" />""")),
            new("CondaBundleImport", s => s.Items.Add($"""<CondaBundleImport Include="{drop}" />""")),
            new("CondaBundleImportRoot", s => s.Properties["CondaBundleImportRoot"] = work.Combine("offline")),
            new("CondaBundleImportDeadlineSeconds", s => s.Properties["CondaBundleImportDeadlineSeconds"] = "900"),
            new("CondaPackage", s => Replace(s, "<CondaPackage ", """<CondaPackage Include="docs" Note="any metadata counts" />""")),
            new("CondaChannel", s => Replace(s, "<CondaChannel ", $"""<CondaChannel Include="{channelUrl}" Note="any metadata counts" />""")),
            new("CondaChannelMirror", s => s.Items.Add("""<CondaChannelMirror Include="https://example.invalid/unused" Url="http://127.0.0.1:9/unused" />""")),
            new("CondaExclude", s => s.Items.Add("""<CondaExclude Include="nothing" Name="no-such-package" />""")),
            new("CondaAllowLicense", s => s.Items.Add("""<CondaAllowLicense Include="all" License="%2A" />""")),
            new("CondaVirtualPackage", s => s.Items.Add("""<CondaVirtualPackage Include="__glibc" Version="2.28" Platform="linux-64" />""")),
            new("CondaPyPIIndex", s => s.Items.Add("""<CondaPyPIIndex Include="https://pypi.example.invalid/simple" />""")),
            // A second lock holding the same packages: the union is the same channel, but the locks read changed.
            new("CondaLock", s => s.Items.Add($"""<CondaLock Include="{work.Combine("second.lock")}" Environment="default" />"""),
                Before: () => File.Copy(lockPath, work.Combine("second.lock"))),
            new("CondaEnvironmentFile", s => s.Items.Add($"""<CondaEnvironmentFile Include="{work.Combine("environment.yml")}" />"""),
                Before: () => File.WriteAllText(work.Combine("environment.yml"), $"channels:\n  - {channelUrl}\ndependencies:\n  - docs\n")),
            new("the project file and the files it imports by a literal path", s => s.Comment = "an edit to the project text"),
            new("CondaLockFile", _ => { }, Before: () => File.AppendAllText(lockPath, "# an edit to the lock\n")),
            new("CondaAllowCustomSubdirs", s => s.Properties["CondaAllowCustomSubdirs"] = "true"),
            new("CondaBundleBase", s => s.Properties["CondaBundleBase"] = drop + ".SHA256SUMS",
                Before: () => File.Copy(Path.Combine(projectDir, "bin", "Debug", "net10.0", "conda-channel.tar.SHA256SUMS"), drop + ".SHA256SUMS", overwrite: true)),
            new("CondaBundleCompress", s => s.Properties["CondaBundleCompress"] = "true"),
            new("CondaBundlePath", s => s.Properties["CondaBundlePath"] = work.Combine("bundles", "channel.tar.zst")),
            new("CondaChannelAlias", s => s.Properties["CondaChannelAlias"] = "http://127.0.0.1:9/alias/"),
            new("CondaChannelBaseUrl", s => s.Properties["CondaChannelBaseUrl"] = "http://127.0.0.1:9/channel"),
            new("CondaChannelOutputPath", s => s.Properties["CondaChannelOutputPath"] = work.Combine("channel2") + "/"),
            new("CondaHttpRequestDeadlineSeconds", s => s.Properties["CondaHttpRequestDeadlineSeconds"] = "300"),
            new("CondaHttpTimeoutSeconds", s => s.Properties["CondaHttpTimeoutSeconds"] = "90"),
            new("CondaNetworkDeadlineSeconds", s => s.Properties["CondaNetworkDeadlineSeconds"] = "300"),
            new("CondaLockEnvironment", s => s.Properties["CondaLockEnvironment"] = "other"),
            new("CondaMaxParallelDownloads", s => s.Properties["CondaMaxParallelDownloads"] = "4"),
            new("CondaMaxRepodataBytes", s => s.Properties["CondaMaxRepodataBytes"] = "1073741824"),
            new("CondaMaxRetryAfterSeconds", s => s.Properties["CondaMaxRetryAfterSeconds"] = "30"),
            new("CondaMaxShardBytes", s => s.Properties["CondaMaxShardBytes"] = "33554432"),
            new("CondaMaxUnpackedPackageMB", s => s.Properties["CondaMaxUnpackedPackageMB"] = "512"),
            new("CondaPackageCachePath", s => s.Properties["CondaPackageCachePath"] = work.Combine("cache2")),
            new("CondaPlatforms", s => s.Properties["CondaPlatforms"] = "linux-64;win-64"),
            new("CondaPyPIOutputPath", s => s.Properties["CondaPyPIOutputPath"] = work.Combine("pypi2") + "/"),
            new("CondaMirrorPyPI", s => s.Properties["CondaMirrorPyPI"] = "false", Disables: "pypi"),
            new("CondaRepodataCachePath", s => s.Properties["CondaRepodataCachePath"] = work.Combine("repodata2")),
            new("CondaRetryCount", s => s.Properties["CondaRetryCount"] = "3"),
            new("CondaSolveOptimizeSeconds", s => s.Properties["CondaSolveOptimizeSeconds"] = "2"),
            new("CondaUseShardedRepodata", s => s.Properties["CondaUseShardedRepodata"] = "false"),
            new("CondaOffline", s => s.Properties["CondaOffline"] = "true"),
            new("CondaLockedMode", s => s.Properties["CondaLockedMode"] = "true"),
            new("CondaWriteZst", s => s.Properties["CondaWriteZst"] = "false"),
            new("CondaWriteRunExports", s => s.Properties["CondaWriteRunExports"] = "false"),
            new("CondaWriteChannelData", s => s.Properties["CondaWriteChannelData"] = "false"),
            new("CondaWriteIndexHtml", s => s.Properties["CondaWriteIndexHtml"] = "false"),
            new("CondaWriteSbom", s => s.Properties["CondaWriteSbom"] = "false"),
            new("CondaWriteShards", s => s.Properties["CondaWriteShards"] = "false"),
            new("CondaChannelLayout", s => s.Properties["CondaChannelLayout"] = "per-channel"),
            new("CondaLocalChannelName", s => s.Properties["CondaLocalChannelName"] = "my-builds"),
        };

        var table = IncrementalInputs.Generate();
        // Every row of the table is changed here or named, with a reason, as not changed.
        foreach (var row in table)
            Assert.True(changes.Any(c => c.Input == row.Name) || NotVaried.ContainsKey(row.Name), $"docs/incremental.md row '{row.Name}' is not checked");
        var lockConsumers = table.Single(r => r.Name == "CondaLockFile").Steps;
        var projectReaders = table.Single(r => r.Name == "the project file and the files it imports by a literal path").Steps;
        var disabled = new HashSet<string>(StringComparer.Ordinal);
        var failures = new List<string>();
        foreach (var change in changes)
        {
            var row = table.Single(r => r.Name == change.Input);
            change.Before?.Invoke();
            change.Apply(state);
            if (change.Disables is not null) disabled.Add(change.Disables);
            var projectBefore = Hash(project);
            Write();
            var projectChanged = Hash(project) != projectBefore;
            var lockBefore = Hash(lockPath);
            var build = _package.Build(project, "--no-restore");
            Assert.True(build.Succeeded, $"{change.Input}:\n{build}");

            var expected = new HashSet<string>(row.Steps, StringComparer.Ordinal);
            // Properties and items are set in the project file here, and its text is an input of its own.
            if (projectChanged) expected.UnionWith(projectReaders);
            if (Hash(lockPath) != lockBefore) expected.UnionWith(lockConsumers);
            if (expected.Contains("download") || expected.Contains("index")) expected.Add("bundle");
            expected.ExceptWith(disabled);
            var ran = IncrementalInputs.Steps.Select(s => s.Step).Where(s => Regex.IsMatch(build.Output, $@"Conda {s} step: runs because")).ToHashSet();
            var skipped = IncrementalInputs.Steps.Select(s => s.Step).Where(s => build.Output.Contains($"Conda {s} step: up to date", StringComparison.Ordinal)).ToHashSet();
            if (!ran.SetEquals(expected))
                failures.Add($"{change.Input}: expected [{string.Join(", ", expected.Order())}] to run, ran [{string.Join(", ", ran.Order())}]: "
                    + string.Join(" | ", Regex.Matches(build.Output, @"Conda \w+ step: runs because[^\r\n]*").Select(m => m.Value)));
            var active = IncrementalInputs.Steps.Select(s => s.Step).Where(s => !disabled.Contains(s)
                && (s != "import" || state.Items.Any(i => i.StartsWith("<CondaBundleImport", StringComparison.Ordinal)))
                && (s != "packagefiles" || state.Items.Any(i => i.StartsWith("<CondaPackageFile", StringComparison.Ordinal))));
            foreach (var step in active.Where(s => !expected.Contains(s)))
                if (!skipped.Contains(step)) failures.Add($"{change.Input}: {step} did not report itself up to date");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));

        // And with nothing changed, nothing runs.
        var noop = _package.Build(project, "--no-restore");
        Assert.True(noop.Succeeded, noop.ToString());
        Assert.DoesNotContain("step: runs because", noop.Output);
    }

    private static string Hash(string path) => File.Exists(path) ? Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path))) : "absent";
}
