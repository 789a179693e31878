using CondaMirror.TestKit;
using CondaMirror.TestKit.Channels;
using Xunit;

namespace CondaMirror.Tests.EndToEnd;

/// <summary>Authenticated channels: the build gets through, and no secret reaches the lock or the build output.</summary>
[Collection(EndToEndCollection.Name)]
public class ChannelAuthEndToEndTests
{
    private readonly PackedPackage _package;

    public ChannelAuthEndToEndTests(PackedPackage package) => _package = package;

    private static ChannelBuilder Upstream() => new ChannelBuilder()
        .Add(new PackageSpec("tool", "1.0", "h_0", "linux-64") { Depends = new[] { "data" } })
        .Add(new PackageSpec("data", "1.0", "h_0", "noarch"));

    [SkippableFact]
    public async Task An_anaconda_style_token_url_works_and_stays_out_of_lock_and_log()
    {
        const string token = "tk-9f8e7d6c5b4a";
        using var work = new TempDirectory("condamirror-e2e");
        Upstream().WriteTo(work.Combine("srv", "t", token));
        await using var server = new LoopbackChannelServer(work.Combine("srv"));
        var project = _package.WriteProject(work.Combine("app"), $"""
              <PropertyGroup>
                <CondaPlatforms>linux-64</CondaPlatforms>
                <CondaPackageCachePath>{work.Combine("pkgs")}</CondaPackageCachePath>
                <CondaRepodataCachePath>{work.Combine("repodata-cache")}</CondaRepodataCachePath>
              </PropertyGroup>
              <ItemGroup>
                <CondaChannel Include="{server.BaseUri}t/{token}/" />
                <CondaPackage Include="tool" />
              </ItemGroup>
            """);

        var result = _package.Build(project, "-v:d");

        Assert.True(result.Succeeded, result.ToString().Replace(token, "<token>"));
        Assert.True(File.Exists(work.Combine("app", "bin", "Debug", "net10.0", "conda-channel", "linux-64", "tool-1.0-h_0.conda")));
        Assert.DoesNotContain(token, File.ReadAllText(work.Combine("app", "conda-mirror.lock")));
        // The project file itself holds the token and detailed logs echo properties; task output must not.
        var taskLines = result.Output.Split('\n').Where(l => l.Contains("Conda") && !l.Contains("CondaChannel") && !l.Contains("Include=")).ToList();
        Assert.DoesNotContain(taskLines, l => l.Contains(token));
        // Nor any file the build wrote: obj/ (the step inputs), bin/, the lock, the caches.
        var written = Directory.EnumerateFiles(work.Path, "*", SearchOption.AllDirectories)
            .Where(f => !f.StartsWith(work.Combine("srv"), StringComparison.Ordinal) && Path.GetFileName(f) != "Consumer.csproj")
            .Where(f => File.ReadAllText(f).Contains(token, StringComparison.Ordinal) || f.Contains(token, StringComparison.Ordinal))
            .ToList();
        Assert.True(written.Count == 0, "the token was written to: " + string.Join(", ", written));
    }

    [SkippableFact]
    public async Task A_bearer_token_from_an_environment_variable_authenticates_every_request()
    {
        const string token = "bearer-31415926";
        using var work = new TempDirectory("condamirror-e2e");
        Upstream().WriteTo(work.Combine("upstream"));
        await using var server = new LoopbackChannelServer(work.Combine("upstream"));
        server.Faults.Add("**", TestKit.FaultKind.RequireBearer(token), count: 1000);
        var project = _package.WriteProject(work.Combine("app"), $"""
              <PropertyGroup>
                <CondaPlatforms>linux-64</CondaPlatforms>
                <CondaPackageCachePath>{work.Combine("pkgs")}</CondaPackageCachePath>
                <CondaRepodataCachePath>{work.Combine("repodata-cache")}</CondaRepodataCachePath>
              </PropertyGroup>
              <ItemGroup>
                <CondaChannel Include="{server.BaseUri}" BearerTokenEnvironmentVariable="MY_CHANNEL_TOKEN" />
                <CondaPackage Include="tool" />
              </ItemGroup>
            """);

        var missing = _package.Build(project);
        Assert.False(missing.Succeeded);
        Assert.Contains("MY_CHANNEL_TOKEN", missing.Output);

        var environment = new Dictionary<string, string>(_package.BuildEnvironment) { ["MY_CHANNEL_TOKEN"] = token };
        var result = DotnetCli.Run(work.Combine("app"), environment, "build", project, "-nodeReuse:false", "-v:n", "-tl:off");
        Assert.True(result.Succeeded, result.ToString());
        Assert.DoesNotContain(token, result.Output);
        Assert.DoesNotContain(token, File.ReadAllText(work.Combine("app", "conda-mirror.lock")));
        Assert.All(server.Requests.Where(r => r.Path.EndsWith(".conda")), r => Assert.Equal("Bearer " + token, r.Authorization));
    }
}
