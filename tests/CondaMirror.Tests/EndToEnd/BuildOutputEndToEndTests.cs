using System.Text.RegularExpressions;
using CondaMirror.TestKit;
using CondaMirror.TestKit.Channels;
using Xunit;

namespace CondaMirror.Tests.EndToEnd;

/// <summary>
/// What a real `dotnet build` shows of the solve, the downloads and the channel: in the classic console logger, in a
/// binlog, and in the terminal logger under a pseudo-terminal (see "What the build shows" in docs/architecture.md).
/// </summary>
[Collection(EndToEndCollection.Name)]
public class BuildOutputEndToEndTests
{
    private const string SolveLine = @"Conda lock {0}: \d+ packages \(\d+ added, 0 upgraded, 0 downgraded, 0 other build, 0 removed\) in \d+\.\d+ s";
    private const string DownloadSummary = @"Conda packages: 5 in channel \(\d downloaded, \d from cache, \d+(\.\d)? (B|KB|MB) in \d+\.\d+ s\)";

    private readonly PackedPackage _package;

    public BuildOutputEndToEndTests(PackedPackage package) => _package = package;

    // Per platform: python and numpy; tzdata (noarch) for both. Five archives in the channel.
    private static void WriteUpstream(string directory)
    {
        var builder = new ChannelBuilder();
        foreach (var platform in new[] { "linux-64", "win-64" })
        {
            builder.Add(new PackageSpec("python", "3.11.0", "h0_0", platform));
            builder.Add(new PackageSpec("numpy", "1.26.0", "py_0", platform) { Depends = new[] { "python >=3.11", "tzdata" } });
        }
        builder.Add(new PackageSpec("tzdata", "2024a", "h_0", "noarch") { PayloadBytes = 200_000 });
        builder.WriteTo(directory);
    }

    private string WriteProject(TempDirectory work, LoopbackChannelServer server, string name) =>
        _package.WriteProject(work.Combine(name), $"""
              <PropertyGroup>
                <CondaPlatforms>linux-64;win-64</CondaPlatforms>
                <CondaPackageCachePath>{work.Combine(name, "pkgs")}</CondaPackageCachePath>
                <CondaRepodataCachePath>{work.Combine(name, "repodata-cache")}</CondaRepodataCachePath>
              </PropertyGroup>
              <ItemGroup>
                <CondaChannel Include="{server.BaseUri}" />
                <CondaPackage Include="numpy" />
              </ItemGroup>
            """);

    private static string ChannelLine(string channelDirectory) =>
        "Consumer -> " + Regex.Escape(channelDirectory) + @" \(5 conda packages, \d+\.\d KB; linux-64: 2, noarch: 1, win-64: 2\) \[lock linux-64 3 \(3 added\), win-64 3 \(3 added\); 5 downloaded";

    [SkippableFact]
    public async Task Console_logger_at_normal_verbosity_and_the_binlog_show_solve_progress_download_summary_and_channel()
    {
        using var work = new TempDirectory("condamirror-e2e");
        WriteUpstream(work.Combine("upstream"));
        await using var server = new LoopbackChannelServer(work.Combine("upstream"));
        // One transfer pauses long enough for a progress line (the first comes after 3 s).
        server.Faults.Add("/noarch/tzdata-2024a-h_0.conda", FaultKind.StallMidBody(50_000, TimeSpan.FromSeconds(4)));
        var project = WriteProject(work, server, "console");
        var binlog = work.Combine("console", "build.binlog");

        var build = _package.BuildWithLogger(project, PackedPackage.ConsoleLogger, "-bl:" + binlog);

        Assert.True(build.Succeeded, build.ToString());
        var channel = work.Combine("console", "bin", "Debug", "net10.0", "conda-channel") + Path.DirectorySeparatorChar;
        AssertShowsEverything(build.Output, channel);
        Assert.Matches(@"Downloading: \d/5 packages, \d+\.\d/\d+\.\d MB, \d+\.\d MB/s", build.Output);

        // The binlog holds the same lines: replay it through the console logger.
        var replay = DotnetCli.Run(work.Path, _package.BuildEnvironment, "msbuild", binlog, "-v:n", "-tl:off", "-nodeReuse:false");
        Assert.True(replay.Succeeded, replay.ToString());
        AssertShowsEverything(replay.Output, channel);
    }

    [SkippableFact]
    public async Task Terminal_logger_shows_the_channel_on_the_project_line_and_the_rest_at_detailed_verbosity()
    {
        Requirement.That(DotnetCli.HasTerminalEmulator, "needs util-linux `script` (Debian package bsdutils) for a pseudo-terminal");
        using var work = new TempDirectory("condamirror-e2e");
        WriteUpstream(work.Combine("upstream"));
        await using var server = new LoopbackChannelServer(work.Combine("upstream"));

        // Default verbosity: the terminal logger prints no informational message; the channel line takes the
        // project's output slot, rendered relative to the working directory.
        var plain = _package.BuildInTerminal(WriteProject(work, server, "tl"));
        Assert.True(plain.Succeeded, plain.ToString());
        // What the build did rides on that line too: the solve per platform and the downloads.
        Assert.Matches(@"Consumer net10\.0 .*→ bin/Debug/net10\.0/conda-channel/ \(5 conda packages, \d+\.\d KB; linux-64: 2, noarch: 1, win-64: 2\) " +
                       @"\[lock linux-64 3 \(3 added\), win-64 3 \(3 added\); 5 downloaded \(\d+\.\d KB in \d+\.\d s\), 0 from cache\]", plain.Output);

        // Detailed terminal logger verbosity: every high-importance line under the project's result line.
        var detailed = _package.BuildInTerminal(WriteProject(work, server, "tl-detailed"), "-tlp:verbosity=detailed");
        Assert.True(detailed.Succeeded, detailed.ToString());
        Assert.Matches(@"→ bin/Debug/net10\.0/conda-channel/ \(5 conda packages", detailed.Output);
        Assert.Matches(string.Format(SolveLine, "linux-64"), detailed.Output);
        Assert.Matches(string.Format(SolveLine, "win-64"), detailed.Output);
        Assert.Matches(DownloadSummary, detailed.Output);
    }

    private static void AssertShowsEverything(string output, string channelDirectory)
    {
        Assert.Matches(string.Format(SolveLine, "linux-64"), output);
        Assert.Matches(string.Format(SolveLine, "win-64"), output);
        Assert.Matches(DownloadSummary, output);
        Assert.Matches(ChannelLine(channelDirectory), output);
    }
}
