using System.Text.Json;
using System.Text.RegularExpressions;
using CondaMirror.TestKit;
using CondaMirror.TestKit.Channels;
using Xunit;

namespace CondaMirror.Tests.EndToEnd;

/// <summary>
/// A conda environment.yml (CondaEnvironmentFile) in a real `dotnet build`: its dependencies are solved against its
/// channels (two loopback upstreams: the sample channel with python, and a ChannelBuilder channel a `channel::`
/// dependency names), written to the lock, mirrored; the real conda client installs it offline.
/// </summary>
[Collection(EndToEndSecondLaneCollection.Name)]
public class EnvironmentFileEndToEndTests
{
    private readonly PackedPackage _package;

    public EnvironmentFileEndToEndTests(PackedPackage package) => _package = package;

    [SkippableFact]
    public async Task An_environment_file_is_solved_locked_mirrored_and_installs_with_conda()
    {
        CondaClient.Require();
        using var work = new TempDirectory("condamirror-e2e");
        SampleUpstreamChannel.WriteTo(work.Combine("upstreams", "main"));
        // The second channel has a newer six than the main one, so only the pin chooses where `extra-tool` comes from
        // while six still comes from the main channel (strict priority).
        new ChannelBuilder()
            .Add(new PackageSpec("extra-tool", "0.3", "0") { Noarch = "generic", Depends = new[] { "six" } })
            .Add(new PackageSpec("six", "9.9", "0") { Noarch = "generic" })
            .WriteTo(work.Combine("upstreams", "extra"), new[] { "linux-64" });
        await using var server = new LoopbackChannelServer(work.Combine("upstreams"));
        var main = server.UrlFor("main/");
        var extra = server.UrlFor("extra").TrimEnd('/');

        var environmentFile = work.Combine("app", "environment.yml");
        Directory.CreateDirectory(Path.GetDirectoryName(environmentFile)!);
        File.WriteAllText(environmentFile, $"""
            name: analysis
            channels:
              - {main}
              - nodefaults
            dependencies:
              - python=3.12
              - six=1.16.0
              - {extra}::extra-tool
              - pip
              - pip:
                  - requests==2.31.0
            prefix: /opt/conda/envs/analysis
            """);
        var project = _package.WriteProject(work.Combine("app"), $"""
              <PropertyGroup>
                <CondaPlatforms>linux-64</CondaPlatforms>
                <CondaPackageCachePath>{work.Combine("pkgs")}</CondaPackageCachePath>
                <CondaRepodataCachePath>{work.Combine("repodata")}</CondaRepodataCachePath>
              </PropertyGroup>
              <ItemGroup>
                <CondaEnvironmentFile Include="environment.yml" />
              </ItemGroup>
            """);
        var build = _package.Build(project);
        Assert.True(build.Succeeded, build.ToString());
        // One warning for the pip entries, at the file and line of the pip key.
        var pipWarnings = build.DiagnosticLines("warning").Where(l => l.Contains("warning CMIR427", StringComparison.Ordinal)).ToList();
        Assert.Single(pipWarnings);
        Assert.Contains($"{environmentFile}(10", pipWarnings[0]);
        Assert.Contains("requests==2.31.0", pipWarnings[0]);
        Assert.DoesNotContain("CMIR428", build.Output);

        // The lock: python 3.12 (not the channel's newer 3.13), six 1.16.0 from the main channel, extra-tool from the extra one.
        var lockText = File.ReadAllText(work.Combine("app", "conda-mirror.lock"));
        Assert.Contains($"- conda: {main}linux-64/python-3.12.7-h0_0_cpython.conda", lockText);
        Assert.DoesNotContain("python-3.13.0", lockText);
        Assert.Contains($"- conda: {main}noarch/six-1.16.0-", lockText);
        Assert.DoesNotContain("six-9.9", lockText);
        Assert.Contains($"- conda: {extra}/noarch/extra-tool-0.3-0.conda", lockText);

        var channel = work.Combine("app", "bin", "Debug", "net10.0", "conda-channel");
        var prefix = work.Combine("env");
        var (exit, log) = CondaClient.Run(work.Combine("conda-pkgs"), "create", "--offline", "--override-channels",
            "-c", new Uri(channel + "/").AbsoluteUri, "-p", prefix, "-y", "python=3.12", "six", "extra-tool", "pip");
        Assert.True(exit == 0, log);
        var installed = CondaClient.InstalledVersions(prefix);
        Assert.Equal("3.12.7", installed["python"]);
        Assert.Equal("1.16.0", installed["six"]);
        Assert.Equal("0.3", installed["extra-tool"]);

        // Nothing changed: nothing runs; the environment file edited: resolve runs again.
        var noop = _package.Build(project, "--no-restore");
        Assert.True(noop.Succeeded, noop.ToString());
        Assert.DoesNotContain("step: runs because", noop.Output);
        File.AppendAllText(environmentFile, "# an edit\n");
        var edited = _package.Build(project, "--no-restore");
        Assert.True(edited.Succeeded, edited.ToString());
        Assert.Matches("Conda resolve step: runs because", edited.Output);
    }

    [SkippableFact]
    public void A_bad_dependency_is_one_error_at_the_environment_files_line()
    {
        using var work = new TempDirectory("condamirror-e2e");
        var environmentFile = work.Combine("app", "environment.yml");
        Directory.CreateDirectory(Path.GetDirectoryName(environmentFile)!);
        File.WriteAllText(environmentFile, "channels:\n  - conda-forge\ndependencies:\n  - python\n  - 'numpy >=>1'\n");
        var project = _package.WriteProject(work.Combine("app"), """
              <ItemGroup>
                <CondaEnvironmentFile Include="environment.yml" />
              </ItemGroup>
            """);
        var build = _package.Build(project);
        Assert.False(build.Succeeded, build.ToString());
        var errors = build.DiagnosticLines("error");
        var error = Assert.Single(errors);
        Assert.StartsWith($"{environmentFile}(5", error);
        Assert.Contains("error CMIR425:", error);
    }
}
