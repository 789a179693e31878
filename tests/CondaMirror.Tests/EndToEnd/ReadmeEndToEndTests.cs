using System.Text.RegularExpressions;
using CondaMirror.Core.Locks;
using CondaMirror.Core.Versions;
using CondaMirror.TestKit;
using CondaMirror.TestKit.Channels;
using Xunit;

namespace CondaMirror.Tests.EndToEnd;

/// <summary>
/// The README's project snippet and its package-source command, taken from README.md word for word: the documented
/// version restores and the snippet builds its channel. Only conda-forge is replaced, through the
/// CondaChannelAlias property, by a loopback server holding the quick start's sample channel under that name.
/// </summary>
[Collection(EndToEndSecondLaneCollection.Name)]
public class ReadmeEndToEndTests
{
    [Fact]
    public async Task The_readme_project_restores_the_documented_version_and_builds_its_channel()
    {
        var readme = File.ReadAllText(Path.Combine(TestData.RepoRoot, "README.md"));
        var snippet = Regex.Matches(readme, "```xml\n(.*?)```", RegexOptions.Singleline).Select(m => m.Groups[1].Value)
            .First(block => block.Contains("<Project Sdk=", StringComparison.Ordinal));
        var sourceCommand = Regex.Match(readme, @"^dotnet nuget add source .*$", RegexOptions.Multiline).Value;
        Assert.False(string.IsNullOrEmpty(sourceCommand), "README shows how to add the package source");
        var version = Regex.Match(snippet, @"Include=""CondaMirror.MSBuild"" Version=""([^""]+)""").Groups[1].Value;
        Assert.Equal("0.1.0", version);

        using var work = new TempDirectory("condamirror-readme");
        var clone = work.Combine("clone");
        var pack = DotnetCli.Run(TestData.RepoRoot, null, "pack", Path.Combine(TestData.RepoRoot, "src", "CondaMirror.MSBuild", "CondaMirror.MSBuild.csproj"),
            "-c", "Release", "-o", Path.Combine(clone, "nuget"), $"-p:Version={version}", "-nodeReuse:false");
        Assert.True(pack.Succeeded, pack.ToString());

        // A user profile of its own: its NuGet.Config starts without internet feeds (the snippet's net8.0 reference pack
        // comes from this machine's package folder); the README's command adds the local feed to it.
        var home = work.Combine("home");
        Directory.CreateDirectory(Path.Combine(home, ".nuget", "NuGet"));
        var machinePackages = PackedPackage.MachinePackagesFolder;
        File.WriteAllText(Path.Combine(home, ".nuget", "NuGet", "NuGet.Config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="machine" value="{machinePackages}" />
              </packageSources>
            </configuration>
            """);
        var environment = new Dictionary<string, string> { ["HOME"] = home, ["NUGET_PACKAGES"] = work.Combine("nuget-packages") };
        var added = Shell(clone, environment, sourceCommand);
        Assert.True(added.Succeeded, added.ToString());

        Directory.CreateDirectory(work.Combine("server"));
        SampleUpstreamChannel.Create().WriteTo(work.Combine("server", "conda-forge"));
        await using var server = new LoopbackChannelServer(work.Combine("server"));
        var project = work.Combine("app", "App.csproj");
        Directory.CreateDirectory(work.Combine("app"));
        File.WriteAllText(project, snippet);

        var build = DotnetCli.Run(work.Combine("app"), environment, "build", project, "-nodeReuse:false", "-v:n", "-tl:off",
            $"-p:CondaChannelAlias={server.BaseUri}", $"-p:CondaPackageCachePath={work.Combine("pkgs")}", $"-p:CondaRepodataCachePath={work.Combine("repodata")}");
        Assert.True(build.Succeeded, build.ToString());

        var locked = LockFileReader.Read(work.Combine("app", "conda-mirror.lock"));
        var channel = work.Combine("app", "bin", "Debug", "net8.0", "conda-channel");
        foreach (var platform in SampleUpstreamChannel.Platforms)
        {
            var records = locked.PackagesByPlatform[platform].ToDictionary(r => r.Record.Name);
            Assert.Equal("3.12.7", records["python"].Record.Version);
            Assert.True(CondaVersion.Parse(records["scikit-learn"].Record.Version).CompareTo(CondaVersion.Parse("1.4")) >= 0);
            Assert.Contains("pip", records.Keys);
            Assert.True(File.Exists(Path.Combine(channel, platform, "pandas-2.2.3-py312h0_1.conda")), build.ToString());
            Assert.True(File.Exists(Path.Combine(channel, platform, "repodata.json")));
        }
        Assert.True(File.Exists(Path.Combine(channel, "noarch", "joblib-1.4.2-pyh0_0.conda")));
    }

    private static CommandResult Shell(string directory, IReadOnlyDictionary<string, string> environment, string command)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("bash") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(command);
        foreach (var (k, v) in environment) psi.Environment[k] = v;
        psi.Environment["PWD"] = directory;
        psi.Environment["DOTNET_NOLOGO"] = "1";
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using var process = System.Diagnostics.Process.Start(psi)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(2)), "the README command did not finish");
        return new CommandResult(process.ExitCode, output.Result + error.Result);
    }
}
