using System.Text.RegularExpressions;
using CondaMirror.Core.IO;
using CondaMirror.Core.Locks;
using CondaMirror.TestKit;
using CondaMirror.TestKit.Channels;
using Xunit;

namespace CondaMirror.Tests.EndToEnd;

/// <summary>
/// How a .NET developer meets the package, through real `dotnet build`s: specs MSBuild would mangle, where errors
/// point, multi-targeting, solutions built in parallel, the .NET task host choice, plan mode and extension points.
/// </summary>
[Collection(EndToEndCollection.Name)]
public class FrontDoorEndToEndTests
{
    private readonly PackedPackage _package;

    public FrontDoorEndToEndTests(PackedPackage package) => _package = package;

    private static ChannelBuilder Upstream() => new ChannelBuilder()
        .Add(new PackageSpec("python", "3.9.7", "h0_0", "linux-64") { PayloadBytes = 40_000 })
        .Add(new PackageSpec("python", "3.9.18", "h0_0", "linux-64") { PayloadBytes = 40_000 })
        .Add(new PackageSpec("python", "3.11.4", "h0_0", "linux-64") { PayloadBytes = 40_000 })
        .Add(new PackageSpec("pip", "24.0", "pyh_0", "noarch") { Noarch = "python", Depends = new[] { "python >=3.8" }, PayloadBytes = 20_000 });

    private static string Properties(TempDirectory work, string extra = "") => $"""
          <PropertyGroup>
            <CondaPlatforms>linux-64</CondaPlatforms>
            <CondaPackageCachePath>{work.Combine("pkgs")}</CondaPackageCachePath>
            <CondaRepodataCachePath>{work.Combine("repodata-cache")}</CondaRepodataCachePath>
            {extra}
          </PropertyGroup>
        """;

    private static string PythonVersion(string lockPath) =>
        LockFileReader.Read(lockPath).PackagesByPlatform["linux-64"].Single(r => r.Record.Name == "python").Record.Version;

    private static int LineOf(string file, string text) =>
        File.ReadAllLines(file).Select((line, i) => (line, i)).First(x => x.line.Contains(text, StringComparison.Ordinal)).i + 1;

    [SkippableFact]
    public void A_wildcard_spec_in_Include_is_CMIR805_at_its_line_and_both_suggested_spellings_lock_the_version()
    {
        using var work = new TempDirectory("condamirror-e2e");
        Upstream().WriteTo(work.Combine("upstream"));
        var channel = new Uri(work.Combine("upstream") + "/").AbsoluteUri;
        string Body(string item) => Properties(work) + $"""
              <ItemGroup>
                <CondaChannel Include="{channel}" />
                {item}
              </ItemGroup>
            """;
        var project = _package.WriteProject(work.Combine("app"), Body("""<CondaPackage Include="python 3.9.*" />"""));
        var lockPath = work.Combine("app", "conda-mirror.lock");

        var globbed = _package.Build(project);
        Assert.False(globbed.Succeeded, globbed.ToString());
        var line = LineOf(project, "python 3.9.*");
        Assert.Matches(new Regex($@"{Regex.Escape(project)}\({line}\): error CMIR805: .*python 3\.9\.\*"), globbed.Output);
        Assert.Contains("<CondaPackage Include=\"python\" Version=\"3.9.*\" />", globbed.Output);
        Assert.Contains("<CondaPackage Include=\"python 3.9.%2A\" />", globbed.Output);
        Assert.DoesNotContain(".targets", Regex.Match(globbed.Output, @"^.*error CMIR805.*$", RegexOptions.Multiline).Value);
        Assert.False(File.Exists(lockPath), "nothing may be resolved from a project that lost a spec");

        _package.WriteProject(work.Combine("app"), Body("""<CondaPackage Include="python" Version="3.9.*" />"""));
        var metadata = _package.Build(project);
        Assert.True(metadata.Succeeded, metadata.ToString());
        Assert.Equal("3.9.18", PythonVersion(lockPath));

        File.Delete(lockPath);
        _package.WriteProject(work.Combine("app"), Body("""<CondaPackage Include="python 3.9.%2A" />"""));
        var escaped = _package.Build(project);
        Assert.True(escaped.Succeeded, escaped.ToString());
        Assert.Equal("3.9.18", PythonVersion(lockPath));
    }

    [SkippableFact]
    public void A_wildcard_spec_in_Directory_Build_props_is_reported_there_and_one_expanded_through_a_property_is_CMIR806()
    {
        using var work = new TempDirectory("condamirror-e2e");
        Upstream().WriteTo(work.Combine("upstream"));
        var channel = new Uri(work.Combine("upstream") + "/").AbsoluteUri;
        var props = work.Combine("app", "Directory.Build.props");
        Directory.CreateDirectory(work.Combine("app"));
        File.WriteAllText(props, """
            <Project>
              <ItemGroup>
                <CondaPackage Include="pip;python >=3.9,&lt;3.10.*" />
              </ItemGroup>
            </Project>
            """);
        var project = _package.WriteProject(work.Combine("app"), Properties(work) + $"""
              <ItemGroup>
                <CondaChannel Include="{channel}" />
              </ItemGroup>
            """);
        var result = _package.Build(project);
        Assert.False(result.Succeeded, result.ToString());
        Assert.Matches(new Regex($@"{Regex.Escape(props)}\(3\): error CMIR805: .*python >=3\.9,<3\.10\.\*"), result.Output);
        Assert.DoesNotMatch(new Regex(@"error CMIR805: [^\n]*Include=""pip"""), result.Output); // 'pip' itself is fine

        // A property hides the wildcard from the project text; the file it matched shows what happened.
        File.Delete(props);
        File.WriteAllText(work.Combine("app", "python 3.9.txt"), "not a package");
        _package.WriteProject(work.Combine("app"), Properties(work, "<Spec>python 3.9.*</Spec>") + $"""
              <ItemGroup>
                <CondaChannel Include="{channel}" />
                <CondaPackage Include="$(Spec)" />
              </ItemGroup>
            """);
        var viaProperty = _package.Build(project);
        Assert.False(viaProperty.Succeeded, viaProperty.ToString());
        Assert.Matches(new Regex($@"{Regex.Escape(project)} ?: error CMIR806: CondaPackage 'python 3\.9\.txt'"), viaProperty.Output);
    }

    [SkippableFact]
    public void Errors_from_the_tasks_point_at_the_users_project_and_the_items_line_not_the_package_targets()
    {
        using var work = new TempDirectory("condamirror-e2e");
        var project = FileChannelProject(work, "no-such-package");
        var result = _package.Build(project);
        Assert.False(result.Succeeded, result.ToString());
        var errors = Regex.Matches(result.Output, @"^\s*(?:\d+>)?(\S.*?)\s*(?:\(\d+(?:,\d+)?\))?\s*: error (CMIR\d+):", RegexOptions.Multiline).Select(m => m.Groups[1].Value).Distinct().ToList();
        Assert.NotEmpty(errors);
        Assert.All(errors, file => Assert.Equal(project, file));
        Assert.Matches(new Regex($@"{Regex.Escape(project)}\({LineOf(project, "no-such-package")}\): error CMIR701"), result.Output);
    }

    [SkippableFact]
    public async Task A_multi_targeted_project_resolves_and_writes_the_channel_once_in_bin_configuration()
    {
        using var work = new TempDirectory("condamirror-e2e");
        Upstream().WriteTo(work.Combine("upstream"));
        await using var server = new LoopbackChannelServer(work.Combine("upstream"));
        var project = MultiTargetedProject(work.Combine("app"), Properties(work) + $"""
              <ItemGroup>
                <CondaChannel Include="{server.BaseUri}" />
                <CondaPackage Include="pip" />
              </ItemGroup>
            """);

        var result = _package.Build(project, "-m");
        Assert.True(result.Succeeded, result.ToString());
        Assert.Single(Regex.Matches(result.Output, @"Conda lock linux-64: \d+ packages"));
        Assert.Single(Regex.Matches(result.Output, @"-> \S*conda-channel/ \(\d+ conda packages"));
        Assert.Equal(1, server.RequestCount("/noarch/pip-24.0-pyh_0.conda"));
        var channel = work.Combine("app", "bin", "Debug", "conda-channel");
        Assert.True(File.Exists(Path.Combine(channel, "noarch", "pip-24.0-pyh_0.conda")), result.ToString());
        Assert.True(File.Exists(Path.Combine(channel, "linux-64", "repodata.json")));
        foreach (var framework in new[] { "net8.0", "net10.0" })
        {
            Assert.True(File.Exists(work.Combine("app", "bin", "Debug", framework, "Consumer.dll")), "the inner builds still build");
            Assert.False(Directory.Exists(work.Combine("app", "bin", "Debug", framework, "conda-channel")));
        }

        var clean = _package.Clean(project);
        Assert.True(clean.Succeeded, clean.ToString());
        Assert.False(Directory.Exists(channel));
    }

    [SkippableFact]
    public async Task Two_projects_of_a_solution_built_in_parallel_with_one_cache_both_verify_and_a_shared_channel_folder_is_CMIR808()
    {
        using var work = new TempDirectory("condamirror-e2e");
        Upstream().WriteTo(work.Combine("upstream"));
        await using var server = new LoopbackChannelServer(work.Combine("upstream"));
        string Body(string spec, string extra = "") => Properties(work, extra) + $"""
              <ItemGroup>
                <CondaChannel Include="{server.BaseUri}" />
                <CondaPackage Include="{spec}" />
              </ItemGroup>
            """;
        var first = _package.WriteProject(work.Combine("one"), Body("pip"), "One");
        var second = _package.WriteProject(work.Combine("two"), Body("python"), "Two");
        Assert.True(DotnetCli.Run(work.Path, null, "new", "sln", "-n", "All", "--format", "sln").Succeeded);
        var solution = work.Combine("All.sln");
        Assert.True(DotnetCli.Run(work.Path, null, "sln", solution, "add", first, second).Succeeded);
        var result = _package.Build(solution, "-m:2");
        Assert.True(result.Succeeded, result.ToString());
        foreach (var (dir, names) in new[] { ("one", new[] { "pip", "python" }), ("two", new[] { "python" }) })
        {
            var channelDir = work.Combine(dir, "bin", "Debug", "net10.0", "conda-channel");
            var locked = LockFileReader.Read(work.Combine(dir, "conda-mirror.lock")).DistinctPackages().ToList();
            Assert.Equal(names.OrderBy(n => n), locked.Select(r => r.Record.Name).OrderBy(n => n));
            foreach (var record in locked)
                Assert.Equal(record.Record.Sha256, FileHashes.Compute(Path.Combine(channelDir, record.Subdir, record.FileName)).Sha256);
        }

        // One channel folder for both: the second project to build is told, and the first one's channel is intact.
        var shared = work.Combine("shared-channel");
        _package.WriteProject(work.Combine("one"), Body("pip", $"<CondaChannelOutputPath>{shared}/</CondaChannelOutputPath>"), "One");
        _package.WriteProject(work.Combine("two"), Body("python", $"<CondaChannelOutputPath>{shared}/</CondaChannelOutputPath>"), "Two");
        var owner = _package.Build(first);
        Assert.True(owner.Succeeded, owner.ToString());
        var intruder = _package.Build(second);
        Assert.False(intruder.Succeeded, intruder.ToString());
        Assert.Matches(new Regex($@"{Regex.Escape(second)} ?: error CMIR808: .*One\.csproj"), intruder.Output);
        Assert.True(File.Exists(Path.Combine(shared, "noarch", "pip-24.0-pyh_0.conda")));
        Assert.True(_package.Build(first).Succeeded, "the owner keeps building");
    }

    [SkippableFact]
    public void The_task_host_follows_the_MSBuild_that_builds_older_NET_Framework_ones_get_CMIR807_and_the_NET_task_host_builds_the_channel()
    {
        using var work = new TempDirectory("condamirror-e2e");
        var project = FileChannelProject(work, "pip");
        Assert.True(_package.Restore(project).Succeeded);
        string TaskHost(params string[] properties) =>
            DotnetCli.Run(work.Path, _package.BuildEnvironment,
                new[] { "msbuild", project, "-getProperty:CondaMirrorTaskHost", "-nodeReuse:false" }.Concat(properties).ToArray()).Output.Trim();
        const string full = "-p:_CondaMirrorRuntimeType=Full";
        Assert.Equal("InProcess", TaskHost());
        Assert.Equal("NET", TaskHost(full, "-p:_CondaMirrorMSBuildVersion=18.0.5"));
        Assert.Equal("OutOfProcess", TaskHost(full, "-p:_CondaMirrorMSBuildVersion=17.14.8"));
        Assert.Equal("OutOfProcess", TaskHost(full, "-p:_CondaMirrorMSBuildVersion=17.8.3"));

        var old = _package.Build(project, full, "-p:_CondaMirrorMSBuildVersion=17.7.2");
        Assert.False(old.Succeeded, old.ToString());
        Assert.Matches(new Regex($@"{Regex.Escape(project)} ?: error CMIR807: .*17\.7\.2.*Update Visual Studio 2022 to 17\.8 or newer.*dotnet build"), old.Output);
        var netBefore18 = _package.Build(project, full, "-p:_CondaMirrorMSBuildVersion=17.14.8", "-p:CondaMirrorTaskHost=NET");
        Assert.False(netBefore18.Succeeded, netBefore18.ToString());
        Assert.Matches(new Regex($@"{Regex.Escape(project)} ?: error CMIR807: CondaMirrorTaskHost=NET needs MSBuild 18.*OutOfProcess"), netBefore18.Output);
        var unknown = _package.Build(project, "-p:CondaMirrorTaskHost=Elsewhere");
        Assert.False(unknown.Succeeded, unknown.ToString());
        Assert.Matches(new Regex($@"error CMIR807: CondaMirrorTaskHost is 'Elsewhere'; it must be InProcess, NET or OutOfProcess"), unknown.Output);

        // The task-host registration itself, exercised for real: .NET MSBuild honours Runtime="NET" + TaskHostFactory too.
        var hosted = _package.Build(project, "-p:CondaMirrorTaskHost=NET");
        Assert.True(hosted.Succeeded, hosted.ToString());
        Assert.True(File.Exists(work.Combine("app", "bin", "Debug", "net10.0", "conda-channel", "noarch", "pip-24.0-pyh_0.conda")), hosted.ToString());

        // MSBuild 17.x on .NET Framework, as far as .NET MSBuild can play it: the out-of-process route is chosen and builds.
        Directory.Delete(work.Combine("app", "bin"), recursive: true);
        Directory.Delete(work.Combine("app", "obj", "Debug"), recursive: true);
        var vs2022 = _package.Build(project, full, "-p:_CondaMirrorMSBuildVersion=17.14.8", "-v:d");
        Assert.True(vs2022.Succeeded, vs2022.ToString());
        Assert.Contains("DownloadCondaPackages runs out of process", vs2022.Output);
        Assert.True(File.Exists(work.Combine("app", "bin", "Debug", "net10.0", "conda-channel", "noarch", "pip-24.0-pyh_0.conda")), vs2022.ToString());
    }

    [SkippableFact]
    public async Task Plan_mode_reports_what_a_build_would_download_and_downloads_nothing()
    {
        using var work = new TempDirectory("condamirror-e2e");
        Upstream().WriteTo(work.Combine("upstream"));
        await using var server = new LoopbackChannelServer(work.Combine("upstream"));
        var project = _package.WriteProject(work.Combine("app"), Properties(work) + $"""
              <ItemGroup>
                <CondaChannel Include="{server.BaseUri}" />
                <CondaPackage Include="pip" />
              </ItemGroup>
            """);
        var channel = work.Combine("app", "bin", "Debug", "net10.0", "conda-channel");

        var plan = _package.Build(project, "-p:CondaMirrorPlan=true");
        Assert.True(plan.Succeeded, plan.ToString());
        Assert.Matches(@"Conda plan linux-64: 1 packages, 0\.0 MB; 0 in the cache, 1 to download", plan.Output);
        Assert.Matches(@"Conda plan noarch: 1 packages, 0\.0 MB; 0 in the cache, 1 to download", plan.Output);
        Assert.Matches(@"Consumer -> Conda plan: 2 packages, .*; 2 to download \(\d+\.\d MB\), 0 in the cache; to download per subdir: linux-64 1 of 1, noarch 1 of 1; the channel is not written", plan.Output);
        Assert.DoesNotContain(server.Requests, r => r.Path.EndsWith(".conda", StringComparison.Ordinal));
        Assert.False(Directory.Exists(channel), "a plan writes no channel");

        var build = _package.Build(project);
        Assert.True(build.Succeeded, build.ToString());
        Assert.True(File.Exists(Path.Combine(channel, "noarch", "pip-24.0-pyh_0.conda")));

        // The target form, after a build: everything is in the cache.
        var again = DotnetCli.Run(work.Path, _package.BuildEnvironment, "msbuild", project, "-t:CondaMirrorPlan", "-nodeReuse:false", "-v:n", "-tl:off");
        Assert.True(again.Succeeded, again.ToString());
        Assert.Contains("Conda plan: 2 packages", again.Output);
        Assert.Matches(@"Consumer -> Conda plan: 2 packages, .*; 0 to download \(0\.0 MB\), 2 in the cache", again.Output);
    }

    [SkippableFact]
    public void Extension_points_set_in_the_project_run_in_order_and_are_not_replaced_by_the_package()
    {
        using var work = new TempDirectory("condamirror-e2e");
        Upstream().WriteTo(work.Combine("upstream"));
        var project = _package.WriteProject(work.Combine("app"), Properties(work, """
                <CondaMirrorDependsOn>UserFirst</CondaMirrorDependsOn>
                <CondaMirrorDownloadDependsOn>UserBeforeDownload</CondaMirrorDownloadDependsOn>
                <CondaMirrorIndexDependsOn>UserBeforeIndex</CondaMirrorIndexDependsOn>
            """) + $"""
              <ItemGroup>
                <CondaChannel Include="{new Uri(work.Combine("upstream") + "/").AbsoluteUri}" />
                <CondaPackage Include="pip" />
              </ItemGroup>
              <Target Name="UserFirst"><Message Importance="high" Text="EXT UserFirst" /></Target>
              <Target Name="BeforeCondaMirror"><Message Importance="high" Text="EXT BeforeCondaMirror" /></Target>
              <Target Name="UserBeforeDownload"><Message Importance="high" Text="EXT UserBeforeDownload lock=$([System.IO.File]::Exists('$(MSBuildProjectDirectory)/conda-mirror.lock'))" /></Target>
              <Target Name="UserBeforeIndex"><Message Importance="high" Text="EXT UserBeforeIndex" /></Target>
              <Target Name="AfterCondaMirror"><Message Importance="high" Text="EXT AfterCondaMirror channel=$([System.IO.File]::Exists('$(CondaChannelOutputPath)noarch/repodata.json'))" /></Target>
            """);
        var result = _package.Build(project);
        Assert.True(result.Succeeded, result.ToString());
        var order = Regex.Matches(result.Output, @"^\s*EXT (.*)$", RegexOptions.Multiline).Select(m => m.Groups[1].Value.Trim()).ToList();
        Assert.Equal(new[] { "UserFirst", "BeforeCondaMirror", "UserBeforeDownload lock=True", "UserBeforeIndex", "AfterCondaMirror channel=True" }, order);
    }

    /// <summary>The upstream as a file:// channel and a consumer project requesting one package from it.</summary>
    private string FileChannelProject(TempDirectory work, string package)
    {
        Upstream().WriteTo(work.Combine("upstream"));
        return _package.WriteProject(work.Combine("app"), Properties(work) + $"""
              <ItemGroup>
                <CondaChannel Include="{new Uri(work.Combine("upstream") + "/").AbsoluteUri}" />
                <CondaPackage Include="{package}" />
              </ItemGroup>
            """);
    }

    /// <summary>A net8.0;net10.0 consumer. The net8.0 reference pack comes from this machine's NuGet package folder,
    /// where building this repository's net8.0 projects put it.</summary>
    private string MultiTargetedProject(string directory, string body)
    {
        var project = _package.WriteProject(directory, body);
        File.WriteAllText(project, File.ReadAllText(project).Replace("<TargetFramework>net10.0</TargetFramework>", "<TargetFrameworks>net8.0;net10.0</TargetFrameworks>"));
        var globalPackages = PackedPackage.MachinePackagesFolder;
        Assert.True(Directory.Exists(Path.Combine(globalPackages, "microsoft.netcore.app.ref")),
            $"the net8.0 reference pack is expected in {globalPackages} (restoring this repository puts it there)");
        var config = Path.Combine(directory, "nuget.config");
        var source = $"<add key=\"machine\" value=\"{globalPackages}\" />";
        File.WriteAllText(config, File.ReadAllText(config).Replace("</packageSources>", source + "</packageSources>"));
        return project;
    }
}
