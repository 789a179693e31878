using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using CondaMirror.Core.Errors;
using CondaMirror.TestKit;
using CondaMirror.TestKit.Channels;
using Xunit;
using Xunit.Abstractions;

namespace CondaMirror.Tests.EndToEnd;

/// <summary>A repodata server that drips one byte a second: the resolve step ends at CondaNetworkDeadlineSeconds.</summary>
[Collection(EndToEndCollection.Name)]
public class NetworkDeadlineEndToEndTests
{
    private readonly PackedPackage _package;
    private readonly ITestOutputHelper _output;

    public NetworkDeadlineEndToEndTests(PackedPackage package, ITestOutputHelper output) => (_package, _output) = (package, output);

    [Fact]
    public async Task A_dripping_repodata_server_fails_the_build_with_one_error_at_the_network_deadline()
    {
        using var work = new TempDirectory("condamirror-e2e");
        var builder = new ChannelBuilder();
        builder.Add(new PackageSpec("zlib", "1.3", "h0_0", "linux-64"));
        builder.Add(new PackageSpec("tzdata", "2024a", "h_0", "noarch"));
        builder.WriteTo(work.Combine("upstream"));
        await using var server = new LoopbackChannelServer(work.Combine("upstream"));
        server.Faults.Add("/linux-64/**", FaultKind.Drip(TimeSpan.FromSeconds(1)), count: int.MaxValue);
        var project = _package.WriteProject(work.Combine("app"), $"""
              <PropertyGroup>
                <CondaPlatforms>linux-64</CondaPlatforms>
                <CondaNetworkDeadlineSeconds>5</CondaNetworkDeadlineSeconds>
                <CondaPackageCachePath>{work.Combine("pkgs")}</CondaPackageCachePath>
                <CondaRepodataCachePath>{work.Combine("repodata-cache")}</CondaRepodataCachePath>
              </PropertyGroup>
              <ItemGroup>
                <CondaChannel Include="{server.BaseUri}" />
                <CondaPackage Include="zlib" />
              </ItemGroup>
            """);

        var clock = Stopwatch.StartNew();
        var result = _package.Build(project, "-clp:PerformanceSummary");
        var buildTime = clock.Elapsed;

        Assert.False(result.Succeeded, result.ToString());
        var errors = result.Output.Split('\n').Where(l => l.Contains(": error ")).Select(l => Regex.Replace(l.Trim(), @"^\d+>", "")).Distinct().ToList();
        var error = Assert.Single(errors);
        Assert.Contains($"error {ErrorCodes.NetworkDeadlineExceeded}", error);
        Assert.Contains(server.BaseUri.Authority, error);
        Assert.Contains("CondaNetworkDeadlineSeconds is 5", error);
        Assert.DoesNotContain("   at ", result.Output); // no stack trace
        var taskMs = Regex.Match(result.Output, @"(\d+) ms\s+ResolveCondaLock\s+\d+ calls");
        Assert.True(taskMs.Success, result.ToString());
        var taskTime = TimeSpan.FromMilliseconds(int.Parse(taskMs.Groups[1].Value, CultureInfo.InvariantCulture));
        _output.WriteLine($"ResolveCondaLock: {taskTime.TotalSeconds:0.0} s, dotnet build: {buildTime.TotalSeconds:0.0} s\n{error}");
        // The deadline is a configured timer: at least 5 s of network time, and well short of one 600 s attempt deadline.
        Assert.InRange(taskTime, TimeSpan.FromSeconds(4.9), TimeSpan.FromSeconds(5 + 25));
        Assert.False(File.Exists(work.Combine("app", "conda-mirror.lock")));
        Assert.False(Directory.Exists(work.Combine("app", "bin", "Debug", "net10.0", "conda-channel", "linux-64")));
        Assert.Empty(Directory.Exists(work.Combine("repodata-cache"))
            ? Directory.GetFiles(work.Combine("repodata-cache"), "*.tmp", SearchOption.AllDirectories) : []);
    }
}
