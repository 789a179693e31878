using CondaMirror.TestKit;
using CondaMirror.TestKit.Channels;
using Xunit;

namespace CondaMirror.Tests.EndToEnd;

/// <summary>
/// Where secrets may appear after a real build: credentials given through environment variables appear nowhere, not
/// even at -v:diag or in a binlog; credentials written in the project file appear in no file the build writes and in no
/// line of a -v:d build (MSBuild itself echoes evaluated items at -v:diag and in binlogs, which is why the environment
/// forms exist).
/// </summary>
[Collection(EndToEndCollection.Name)]
public class SecretsEndToEndTests
{
    private readonly PackedPackage _package;

    public SecretsEndToEndTests(PackedPackage package) => _package = package;

    private static ChannelBuilder Upstream() => new ChannelBuilder()
        .Add(new PackageSpec("tool", "1.0", "h_0", "linux-64") { Depends = new[] { "data" } })
        .Add(new PackageSpec("data", "1.0", "h_0", "noarch"));

    private static string Body(TempDirectory work, string channelItem, string caches = "") => $"""
          <PropertyGroup>
            <CondaPlatforms>linux-64</CondaPlatforms>
            <CondaPackageCachePath>{work.Combine(caches, "pkgs")}</CondaPackageCachePath>
            <CondaRepodataCachePath>{work.Combine(caches, "repodata-cache")}</CondaRepodataCachePath>
          </PropertyGroup>
          <ItemGroup>
            {channelItem}
            <CondaPackage Include="tool" />
          </ItemGroup>
        """;

    /// <summary>Every file under <paramref name="root"/> (names and contents) that holds any of the secrets, except those listed.</summary>
    private static List<string> FilesHolding(string root, IEnumerable<string> secrets, params string[] except) =>
        Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Where(f => !except.Contains(f))
            .Where(f =>
            {
                var bytes = File.ReadAllBytes(f);
                var text = System.Text.Encoding.UTF8.GetString(bytes) + System.Text.Encoding.Unicode.GetString(bytes);
                return secrets.Any(s => f.Contains(s, StringComparison.Ordinal) || text.Contains(s, StringComparison.Ordinal));
            })
            .ToList();

    [SkippableFact]
    public async Task Credentials_from_environment_variables_appear_nowhere_even_at_diagnostic_verbosity_and_in_the_binlog()
    {
        const string user = "mirror-user-7c1e", password = "pw-5e2f9a0b7d", token = "tok-0a9b8c7d6e5f";
        using var work = new TempDirectory("condamirror-e2e");
        Upstream().WriteTo(work.Combine("basic", "upstream"));
        Upstream().WriteTo(work.Combine("bearer", "upstream"));
        await using var basicServer = new LoopbackChannelServer(work.Combine("basic", "upstream"));
        await using var bearerServer = new LoopbackChannelServer(work.Combine("bearer", "upstream"));
        basicServer.Faults.Add("**", FaultKind.RequireBasic(user, password), count: 1000);
        bearerServer.Faults.Add("**", FaultKind.RequireBearer(token), count: 1000);
        var environment = new Dictionary<string, string>(_package.BuildEnvironment)
        {
            ["MIRROR_USER"] = user, ["MIRROR_PASSWORD"] = password, ["MIRROR_TOKEN"] = token,
        };
        var secrets = new[] { user, password, token, Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(user + ":" + password)) };

        foreach (var (name, item, server) in new[]
                 {
                     ("basic", $"""<CondaChannel Include="{basicServer.BaseUri}" UserEnvironmentVariable="MIRROR_USER" PasswordEnvironmentVariable="MIRROR_PASSWORD" />""", basicServer),
                     ("bearer", $"""<CondaChannel Include="{bearerServer.BaseUri}" BearerTokenEnvironmentVariable="MIRROR_TOKEN" />""", bearerServer),
                 })
        {
            var project = _package.WriteProject(work.Combine(name, "app"), Body(work, item, name));
            var binlog = work.Combine(name, "build.binlog");
            var result = DotnetCli.Run(work.Combine(name, "app"), environment, "build", project, "-nodeReuse:false", "-tl:off", "-v:diag", "-bl:" + binlog);
            Assert.True(result.Succeeded, result.ToString());
            Assert.True(File.Exists(work.Combine(name, "app", "bin", "Debug", "net10.0", "conda-channel", "linux-64", "tool-1.0-h_0.conda")));
            Assert.Contains(server.Requests, r => r.Path.EndsWith(".conda", StringComparison.Ordinal) && r.Authorization is not null);

            Assert.DoesNotContain(secrets, s => result.Output.Contains(s, StringComparison.Ordinal));
            // The binlog, unpacked: replayed at diagnostic verbosity, and its raw (compressed) bytes.
            var replay = DotnetCli.Run(work.Path, null, "msbuild", binlog, "-v:diag", "-tl:off", "-nodeReuse:false");
            Assert.True(replay.Succeeded, replay.ToString());
            Assert.DoesNotContain(secrets, s => replay.Output.Contains(s, StringComparison.Ordinal));
            var written = FilesHolding(work.Path, secrets);
            Assert.True(written.Count == 0, "secrets written to: " + string.Join(", ", written));
        }
    }

    /// <summary>OutOfProcess (Visual Studio 2022's route) hands the parameters, BearerToken metadata and URLs with passwords
    /// included, to a runner process: over its standard input, so no file holds them there either.</summary>
    [SkippableTheory]
    [InlineData("InProcess")]
    [InlineData("OutOfProcess")]
    public async Task Credentials_written_in_the_project_file_reach_no_file_the_build_writes_and_no_line_at_detailed_verbosity(string taskHost)
    {
        const string user = "lit-user-3b4c", password = "lit-pw-9d8e7f", token = "lit-tok-1a2b3c4d";
        using var work = new TempDirectory("condamirror-e2e");
        Upstream().WriteTo(work.Combine("upstream"));
        await using var server = new LoopbackChannelServer(work.Combine("upstream"));
        server.Faults.Add("**", FaultKind.RequireBasic(user, password), count: 1000);
        var url = new UriBuilder(server.BaseUri) { UserName = user, Password = password }.Uri.AbsoluteUri;
        // A second channel carries BearerToken metadata; it must stay as private as the URL's password.
        new ChannelBuilder().WriteTo(work.Combine("private-channel"));
        var project = _package.WriteProject(work.Combine("app"), Body(work,
            $"""<CondaChannel Include="{url}" /><CondaChannel Include="{work.Combine("private-channel")}" BearerToken="{token}" />"""));

        var result = _package.Build(project, "-v:d", "-p:CondaMirrorTaskHost=" + taskHost);
        Assert.True(result.Succeeded, result.ToString().Replace(password, "<password>").Replace(token, "<token>"));
        Assert.Equal(taskHost == "OutOfProcess", result.Output.Contains("ResolveCondaLock runs out of process", StringComparison.Ordinal));
        var secrets = new[] { password, token };
        var lines = result.Output.Split('\n').Where(l => secrets.Any(s => l.Contains(s, StringComparison.Ordinal))).ToList();
        Assert.True(lines.Count == 0, "secret in build output: " + string.Join("\n", lines));
        var written = FilesHolding(work.Path, secrets, project);
        Assert.True(written.Count == 0, "secrets written to: " + string.Join(", ", written));
    }
}
