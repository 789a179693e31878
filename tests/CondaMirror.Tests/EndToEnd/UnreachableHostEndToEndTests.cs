using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Locks;
using CondaMirror.Core.Records;
using CondaMirror.TestKit;
using CondaMirror.Tests.Downloads;
using Xunit;
using Xunit.Abstractions;

namespace CondaMirror.Tests.EndToEnd;

/// <summary>A lock whose package host cannot be reached: the build fails fast with one error naming the host.</summary>
[Collection(EndToEndSecondLaneCollection.Name)]
public class UnreachableHostEndToEndTests
{
    private readonly PackedPackage _package;
    private readonly ITestOutputHelper _output;

    public UnreachableHostEndToEndTests(PackedPackage package, ITestOutputHelper output) => (_package, _output) = (package, output);

    [Fact]
    public void A_lock_of_a_hundred_packages_on_a_closed_port_fails_with_one_error_within_seconds()
    {
        using var work = new TempDirectory("condamirror-e2e");
        var port = UnreachableHostTests.ClosedPort();
        var channel = $"http://127.0.0.1:{port}/forge/";
        var document = new LockDocument();
        var environment = document.Environment("default", new[] { channel });
        for (var i = 0; i < 100; i++)
        {
            var record = new PackageRecord
            {
                Name = $"pkg{i}", Version = "1.0", Build = "h0_0", BuildNumber = 0, Subdir = "linux-64",
                Sha256 = Convert.ToHexString(SHA256.HashData(BitConverter.GetBytes(i))).ToLowerInvariant(),
                Md5 = Convert.ToHexString(MD5.HashData(BitConverter.GetBytes(i))).ToLowerInvariant(),
                Size = 1000 + i,
            };
            var file = $"pkg{i}-1.0-h0_0.conda";
            environment.Add("linux-64", new RepodataRecord(record, channel + "linux-64/" + file, file, channel));
        }
        var lockPath = work.Combine("pixi.lock");
        PixiLockWriter.Write(lockPath, document);
        var project = _package.WriteProject(work.Combine("app"), $"""
              <PropertyGroup>
                <CondaLockFile>{lockPath}</CondaLockFile>
                <CondaPackageCachePath>{work.Combine("cache")}</CondaPackageCachePath>
              </PropertyGroup>
            """);

        var clock = Stopwatch.StartNew();
        var result = _package.Build(project, "-clp:PerformanceSummary");
        var buildTime = clock.Elapsed;

        Assert.False(result.Succeeded, result.ToString());
        // MSBuild prints each error where it happens ("1>" node prefix) and again in the summary: count distinct ones.
        var errors = result.Output.Split('\n').Where(l => l.Contains(": error ")).Select(l => Regex.Replace(l.Trim(), @"^\d+>", "")).Distinct().ToList();
        var error = Assert.Single(errors);
        Assert.Contains($"error {ErrorCodes.DownloadHostUnreachable}", error);
        Assert.Contains($"http://127.0.0.1:{port}", error);
        Assert.Contains("100 package(s)", error);
        Assert.DoesNotContain("the others are cached", result.Output);
        // The download task itself (MSBuild's task performance summary), and the whole build with its start-up.
        var taskMs = Regex.Match(result.Output, @"(\d+) ms\s+DownloadCondaPackages\s+\d+ calls");
        Assert.True(taskMs.Success, result.ToString());
        var taskTime = TimeSpan.FromMilliseconds(int.Parse(taskMs.Groups[1].Value, CultureInfo.InvariantCulture));
        _output.WriteLine($"DownloadCondaPackages: {taskTime.TotalSeconds:0.0} s, dotnet build: {buildTime.TotalSeconds:0.0} s\n{error}");
        Assert.True(taskTime < TimeSpan.FromSeconds(15), $"DownloadCondaPackages took {taskTime.TotalSeconds:0.0} s");
        Assert.True(buildTime < TimeSpan.FromSeconds(90), $"the build took {buildTime.TotalSeconds:0.0} s\n{result}");
    }
}
