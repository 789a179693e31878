using System.Text.RegularExpressions;
using CondaMirror.TestKit;
using CondaMirror.TestKit.Channels;
using Xunit;

namespace CondaMirror.Tests.EndToEnd;

/// <summary>
/// The out-of-process route (CondaMirrorTaskHost=OutOfProcess, what .NET Framework MSBuild 17.8+ — Visual Studio 2022 —
/// uses) inside a real `dotnet build` of a consumer of the packed package: MSBuild loads the net472 task factory from
/// tasks/net472/, which runs every task in the runner from tasks/net8.0/runner/ with `dotnet`. The lock, the channel and
/// the bundle come out as the in-process build makes them. Under .NET Framework itself the factory is tested with Mono
/// (Tasks/OutOfProcessRouteTests).
/// </summary>
[Collection(EndToEndSecondLaneCollection.Name)]
public class VisualStudio2022EndToEndTests
{
    private readonly PackedPackage _package;

    public VisualStudio2022EndToEndTests(PackedPackage package) => _package = package;

    private static ChannelBuilder Upstream()
    {
        var builder = new ChannelBuilder();
        foreach (var platform in new[] { "linux-64", "win-64" })
        {
            builder.Add(new PackageSpec("python", "3.10.0", "h0_0", platform) { PayloadBytes = 30_000 });
            builder.Add(new PackageSpec("python", "3.11.0", "h0_0", platform) { PayloadBytes = 30_000 });
            builder.Add(new PackageSpec("numpy", "1.26.0", "py_0", platform) { Depends = new[] { "python >=3.11", "blas" }, PayloadBytes = 30_000 });
            builder.Add(new PackageSpec("blas", "1.0", "openblas_0", platform));
        }
        builder.Add(new PackageSpec("tzdata", "2024a", "h0_0", "noarch"));
        return builder;
    }

    private static IEnumerable<string> Files(string root) =>
        Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(root, f)).Order(StringComparer.Ordinal);

    [SkippableFact]
    public async Task Forced_out_of_process_every_task_runs_in_the_runner_and_builds_the_same_lock_channel_and_bundle_as_in_process()
    {
        using var work = new TempDirectory("condamirror-e2e");
        Upstream().WriteTo(work.Combine("upstream"));
        await using var server = new LoopbackChannelServer(work.Combine("upstream"));
        string Project(string name) => _package.WriteProject(work.Combine(name), $"""
              <PropertyGroup>
                <CondaPlatforms>linux-64;win-64</CondaPlatforms>
                <CondaPackageCachePath>{work.Combine(name + "-pkgs")}</CondaPackageCachePath>
                <CondaRepodataCachePath>{work.Combine(name + "-repodata")}</CondaRepodataCachePath>
                <CondaBundle>true</CondaBundle>
              </PropertyGroup>
              <ItemGroup>
                <CondaChannel Include="{server.BaseUri}" />
                <CondaPackage Include="numpy" />
                <CondaPackage Include="tzdata" Version="2024a" />
              </ItemGroup>
            """);
        var inProcessProject = Project("inproc");
        var outOfProcessProject = Project("oop");

        var inProcess = _package.Build(inProcessProject);
        Assert.True(inProcess.Succeeded, inProcess.ToString());
        var outOfProcess = _package.Build(outOfProcessProject, "-p:CondaMirrorTaskHost=OutOfProcess", "-v:d");
        Assert.True(outOfProcess.Succeeded, outOfProcess.ToString());

        foreach (var task in new[] { "CheckCondaMirrorProject", "ResolveCondaLock", "DownloadCondaPackages", "IndexCondaChannel", "BundleCondaChannel" })
            Assert.Contains($"{task} runs out of process: ", outOfProcess.Output);
        Assert.DoesNotContain("runs out of process", inProcess.Output);
        // The tasks' own lines, at their importance, as in-process.
        const string line = @"Conda lock win-64: 4 packages \(4 added, 0 upgraded, 0 downgraded, 0 other build, 0 removed\)";
        Assert.Matches(line, inProcess.Output);
        Assert.Matches(line, outOfProcess.Output);
        Assert.Matches(@"Consumer -> .*/oop/bin/Debug/net10\.0/conda-channel/ \(7 conda packages", outOfProcess.Output);

        Assert.Equal(File.ReadAllText(work.Combine("inproc", "conda-mirror.lock")), File.ReadAllText(work.Combine("oop", "conda-mirror.lock")));
        var (expected, actual) = (work.Combine("inproc", "bin", "Debug", "net10.0"), work.Combine("oop", "bin", "Debug", "net10.0"));
        var channelFiles = Files(Path.Combine(expected, "conda-channel")).ToList();
        Assert.Contains(Path.Combine("win-64", "numpy-1.26.0-py_0.conda"), channelFiles);
        Assert.Equal(channelFiles, Files(Path.Combine(actual, "conda-channel")));
        foreach (var file in channelFiles)
            Assert.True(File.ReadAllBytes(Path.Combine(expected, "conda-channel", file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(actual, "conda-channel", file))), file);
        Assert.Equal(File.ReadAllText(Path.Combine(expected, "conda-channel.tar.SHA256SUMS")), File.ReadAllText(Path.Combine(actual, "conda-channel.tar.SHA256SUMS")));

        // Nothing changed: every step finds its record unchanged (in the runner: the record is Core's) and does nothing.
        var again = _package.Build(outOfProcessProject, "-p:CondaMirrorTaskHost=OutOfProcess", "-v:d");
        Assert.True(again.Succeeded, again.ToString());
        Assert.Contains("Conda download step: up to date", again.Output);
        Assert.Contains("Conda index step: up to date", again.Output);
        Assert.DoesNotContain("step: runs because", again.Output);

        // A dotnet that is not there: one CMIR807 at the project, saying what to do.
        File.Delete(work.Combine("oop", "obj", "Debug", "net10.0", "condamirror", "check.step.json"));
        var noDotnet = _package.Build(outOfProcessProject, "-p:CondaMirrorTaskHost=OutOfProcess", $"-p:CondaMirrorDotnetHostPath={work.Combine("no", "dotnet")}");
        Assert.False(noDotnet.Succeeded, noDotnet.ToString());
        Assert.Matches(new Regex($@"{Regex.Escape(outOfProcessProject)} ?: error CMIR807: .*CondaMirrorDotnetHostPath is '{Regex.Escape(work.Combine("no", "dotnet"))}'.*Install the \.NET 8 runtime or newer"), noDotnet.Output);
        Assert.Single(Regex.Matches(noDotnet.Output, @"error CMIR\d+").Select(m => m.Value).Distinct());
    }
}
