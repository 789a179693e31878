using CondaMirror.TestKit;
using CondaMirror.TestKit.Channels;
using Xunit;

namespace CondaMirror.Tests.EndToEnd;

/// <summary>
/// CondaExclude and CondaAllowLicense through real builds: applied inside the solve (the next allowed candidate is
/// chosen), an impossible request names the rule, the lock's inputs change with the policy, and a glob in an Include
/// (which MSBuild would expand as a file pattern) is caught at its line.
/// </summary>
[Collection(EndToEndCollection.Name)]
public class PackagePolicyEndToEndTests
{
    private readonly PackedPackage _package;

    public PackagePolicyEndToEndTests(PackedPackage package) => _package = package;

    [SkippableFact]
    public async Task The_policy_is_part_of_the_solve_and_of_the_locks_inputs()
    {
        using var work = new TempDirectory("condamirror-e2e");
        new ChannelBuilder()
            .Add(new PackageSpec("app", "1.0", "h_0", "linux-64") { Depends = ["codec"] })
            .Add(new PackageSpec("codec", "3.0", "h_0", "linux-64") { License = "GPL-3.0-only" })
            .Add(new PackageSpec("codec", "2.0", "h_0", "linux-64") { License = "LGPL-2.1-or-later" })
            .Add(new PackageSpec("codec", "1.0", "h_0", "linux-64") { License = "BSD-3-Clause" })
            .WriteTo(work.Combine("upstream"));
        await using var server = new LoopbackChannelServer(work.Combine("upstream"));
        var lockPath = work.Combine("app", "conda-mirror.lock");

        string Project(string policy) => _package.WriteProject(work.Combine("app"), $"""
              <PropertyGroup>
                <CondaPlatforms>linux-64</CondaPlatforms>
                <CondaPackageCachePath>{work.Combine("pkgs")}</CondaPackageCachePath>
                <CondaRepodataCachePath>{work.Combine("repodata")}</CondaRepodataCachePath>
              </PropertyGroup>
              <ItemGroup>
                <CondaChannel Include="{server.BaseUri}" />
                <CondaPackage Include="app" />
                {policy}
              </ItemGroup>
            """);
        string LockedCodec() => string.Join(" ", File.ReadAllLines(lockPath).Where(l => l.Contains("/codec-", StringComparison.Ordinal)).Select(l => l.Trim()).Distinct());

        var open = _package.Build(Project(""));
        Assert.True(open.Succeeded, open.ToString());
        Assert.Contains("codec-3.0-h_0", LockedCodec()); Assert.DoesNotContain("codec-2.0", LockedCodec());
        var openLock = File.ReadAllText(lockPath);

        // By license: the GPL build is not a candidate, so the solve takes the next one (not a post-filter).
        var byLicense = _package.Build(Project("""<CondaExclude Include="codec" License="GPL%2A" />"""));
        Assert.True(byLicense.Succeeded, byLicense.ToString());
        Assert.Contains("codec-2.0-h_0", LockedCodec());
        Assert.Contains("exclude CondaExclude 'codec' License='GPL*'", File.ReadAllText(lockPath));
        Assert.NotEqual(openLock, File.ReadAllText(lockPath));
        Assert.True(File.Exists(work.Combine("app", "bin", "Debug", "net10.0", "conda-channel", "linux-64", "codec-2.0-h_0.conda")));
        Assert.False(File.Exists(work.Combine("app", "bin", "Debug", "net10.0", "conda-channel", "linux-64", "codec-3.0-h_0.conda")));

        // An allow-list (globs in metadata, as MSBuild leaves them alone): only BSD remains.
        var allowed = _package.Build(Project("""<CondaAllowLicense Include="bsd" License="BSD-*" /><CondaAllowLicense Include="MIT" />"""));
        Assert.True(allowed.Succeeded, allowed.ToString());
        Assert.Contains("codec-1.0-h_0", LockedCodec());
        Assert.Contains("allow-license BSD-*", File.ReadAllText(lockPath));

        // An allow-list that leaves no codec: one error that names the rule and what it removed, at the project.
        var none = _package.Build(Project("""<CondaAllowLicense Include="Apache-2.0;MIT" />"""));
        Assert.False(none.Succeeded);
        Assert.Contains("CMIR703", none.Output);
        Assert.Contains("excluded by CondaAllowLicense 'Apache-2.0;MIT' (license GPL-3.0-only)", none.Output);
        Assert.Contains("Consumer.csproj", none.Output);

        // Excluding the requested package itself by name.
        var requested = _package.Build(Project("""<CondaExclude Include="app" />"""));
        Assert.False(requested.Succeeded);
        Assert.Contains("CMIR710", requested.Output);
        Assert.Contains("excluded by CondaExclude 'app'", requested.Output);

        // The policy in locked mode: a changed policy is a changed input.
        File.WriteAllText(lockPath, openLock);
        var locked = _package.Build(Project("""<CondaExclude Include="codec" License="GPL%2A" />"""), "-p:CondaLockedMode=true");
        Assert.False(locked.Succeeded);
        Assert.Contains("exclude CondaExclude 'codec'", locked.Output);
    }

    [SkippableFact]
    public void A_glob_in_a_policy_items_Include_is_caught_at_its_line()
    {
        using var work = new TempDirectory("condamirror-e2e");
        var project = _package.WriteProject(work.Combine("app"), """
              <PropertyGroup><CondaPlatforms>linux-64</CondaPlatforms></PropertyGroup>
              <ItemGroup>
                <CondaPackage Include="tool" />
                <CondaExclude Include="gpl-*" />
              </ItemGroup>
            """);
        var result = _package.Build(project);
        Assert.False(result.Succeeded);
        Assert.Contains("CMIR805", result.Output);
        Assert.Contains("<CondaExclude Include=\"any-label\" Name=\"gpl-*\" />", result.Output);
    }
}
