using System.Text.Json;
using CondaMirror.Core.Channels;
using CondaMirror.Core.Locks;
using CondaMirror.Core.Repodata;
using CondaMirror.Core.Resolving;
using CondaMirror.Core.Records;
using CondaMirror.TestKit;
using CondaMirror.TestKit.Channels;
using Xunit;

namespace CondaMirror.Tests.EndToEnd;

/// <summary>CondaPackage items → solved lock → channel, through a real `dotnet build` against the loopback server.</summary>
[Collection(EndToEndCollection.Name)]
public class ResolveEndToEndTests
{
    private readonly PackedPackage _package;

    public ResolveEndToEndTests(PackedPackage package) => _package = package;

    private static ChannelBuilder Upstream()
    {
        var builder = new ChannelBuilder();
        foreach (var platform in new[] { "linux-64", "win-64" })
        {
            builder.Add(new PackageSpec("python", "3.10.0", "h0_0", platform));
            builder.Add(new PackageSpec("python", "3.11.0", "h0_0", platform));
            builder.Add(new PackageSpec("numpy", "1.25.0", "py_0", platform) { Depends = new[] { "python >=3.10", "blas" } });
            builder.Add(new PackageSpec("numpy", "1.26.0", "py_0", platform) { Depends = new[] { "python >=3.11", "blas" } });
            builder.Add(new PackageSpec("blas", "1.0", "openblas_0", platform));
            builder.Add(new PackageSpec("blas", "1.0", "mkl_0", platform) { TrackFeatures = "mkl" });
            builder.Add(new PackageSpec("pandas", "2.0.0", "py_0", platform) { Depends = new[] { "numpy >=1.25", "python", "tzdata" } });
            builder.Add(new PackageSpec("pandas", "2.1.0", "py_0", platform) { Depends = new[] { "numpy >=1.26", "python", "tzdata" }, Constrains = new[] { "pyarrow >=10" } });
            builder.Add(new PackageSpec("pyarrow", "9.0", "h_0", platform));
            builder.Add(new PackageSpec("pyarrow", "12.0", "h_0", platform));
        }
        builder.Add(new PackageSpec("tzdata", "2024a", "h_0", "noarch"));
        return builder;
    }

    private static Dictionary<string, string> Versions(string lockPath, string platform) =>
        LockFileReader.Read(lockPath).PackagesByPlatform[platform].ToDictionary(r => r.Record.Name, r => $"{r.Record.Version} {r.Record.Build}");

    [SkippableFact]
    public async Task Solves_two_platforms_keeps_locked_versions_enforces_locked_mode_and_skips_when_unchanged()
    {
        using var work = new TempDirectory("condamirror-e2e");
        Upstream().WriteTo(work.Combine("upstream"));
        await using var server = new LoopbackChannelServer(work.Combine("upstream"));
        string ProjectBody(string items, string extra = "") => $"""
              <PropertyGroup>
                <CondaPlatforms>linux-64;win-64</CondaPlatforms>
                <CondaPackageCachePath>{work.Combine("pkgs")}</CondaPackageCachePath>
                <CondaRepodataCachePath>{work.Combine("repodata-cache")}</CondaRepodataCachePath>
                {extra}
              </PropertyGroup>
              <ItemGroup>
                <CondaChannel Include="{server.BaseUri}" />
                {items}
              </ItemGroup>
            """;
        var project = _package.WriteProject(work.Combine("app"), ProjectBody("""<CondaPackage Include="pandas" />"""));
        var lockPath = work.Combine("app", "conda-mirror.lock");

        var first = _package.Build(project);
        Assert.True(first.Succeeded, first.ToString());
        foreach (var platform in new[] { "linux-64", "win-64" })
        {
            var v = Versions(lockPath, platform);
            Assert.Equal("2.1.0 py_0", v["pandas"]);
            Assert.Equal("1.26.0 py_0", v["numpy"]);
            Assert.Equal("3.11.0 h0_0", v["python"]);
            Assert.Equal("1.0 openblas_0", v["blas"]); // the track_features variant loses
            Assert.Equal("2024a h_0", v["tzdata"]);
            Assert.False(v.ContainsKey("pyarrow")); // constrains never pulls a package in
        }
        Assert.Contains("Conda lock linux-64: 5 packages", first.Output);
        var channel = work.Combine("app", "bin", "Debug", "net10.0", "conda-channel");
        Assert.True(File.Exists(Path.Combine(channel, "win-64", "pandas-2.1.0-py_0.conda")));
        Assert.True(File.Exists(Path.Combine(channel, "noarch", "tzdata-2024a-h_0.conda")));
        Assert.True(File.Exists(Path.Combine(channel, "linux-64", "repodata.json")));

        // The mirror is itself a complete channel: solving the same request against it alone gives the same packages.
        var fromMirror = new LockResolver().Resolve(new ResolveSettings
        {
            Packages = new[] { new RequestedPackage("pandas", "test") },
            Channels = new[] { ChannelResolver.Resolve(channel) },
            Platforms = new[] { "linux-64", "win-64" },
            LockFile = work.Combine("from-mirror.lock"),
            Fetch = new RepodataFetchOptions { CacheDirectory = work.Combine("mirror-cache") },
        });
        Assert.True(fromMirror.LockWritten);
        foreach (var platform in new[] { "linux-64", "win-64" })
            Assert.Equal(Versions(lockPath, platform), Versions(work.Combine("from-mirror.lock"), platform));

        // No change: nothing fetched, nothing solved.
        var requests = server.Requests.Count;
        var second = _package.Build(project);
        Assert.True(second.Succeeded, second.ToString());
        Assert.Contains("Conda resolve step: up to date", second.Output);
        Assert.Equal(requests, server.Requests.Count);

        // Upstream publishes a newer numpy; adding an unrelated item must not upgrade numpy.
        new ChannelBuilder()
            .Add(new PackageSpec("numpy", "1.27.0", "py_0", "linux-64") { Depends = new[] { "python >=3.11", "blas" } })
            .Add(new PackageSpec("numpy", "1.27.0", "py_0", "win-64") { Depends = new[] { "python >=3.11", "blas" } })
            .Add(new PackageSpec("pyarrow", "12.0", "h_0", "linux-64"))
            .Add(new PackageSpec("pyarrow", "12.0", "h_0", "win-64"))
            .WriteTo(work.Combine("upstream2"));
        foreach (var file in Directory.GetFiles(work.Combine("upstream2"), "*.conda", SearchOption.AllDirectories))
            File.Copy(file, file.Replace(work.Combine("upstream2"), work.Combine("upstream")), overwrite: true);
        Upstream().Add(new PackageSpec("numpy", "1.27.0", "py_0", "linux-64") { Depends = new[] { "python >=3.11", "blas" } })
            .Add(new PackageSpec("numpy", "1.27.0", "py_0", "win-64") { Depends = new[] { "python >=3.11", "blas" } })
            .WriteTo(work.Combine("upstream"));
        Directory.Delete(work.Combine("repodata-cache"), recursive: true);
        _package.WriteProject(work.Combine("app"), ProjectBody("""<CondaPackage Include="pandas" /><CondaPackage Include="pyarrow" />"""));
        var third = _package.Build(project);
        Assert.True(third.Succeeded, third.ToString());
        var after = Versions(lockPath, "linux-64");
        Assert.Equal("1.26.0 py_0", after["numpy"]);
        Assert.Equal("12.0 h_0", after["pyarrow"]);
        Assert.Contains("1 added, 0 upgraded, 0 downgraded, 0 other build, 0 removed", third.Output);
        // The changed lock re-ran download and index: the new package is in the channel and its repodata.
        Assert.True(File.Exists(Path.Combine(channel, "linux-64", "pyarrow-12.0-h_0.conda")), third.ToString());
        Assert.Contains("pyarrow-12.0-h_0.conda", File.ReadAllText(Path.Combine(channel, "win-64", "repodata.json")));

        // Locked mode: changed items fail with a readable diff and leave the lock alone.
        var lockBytes = File.ReadAllBytes(lockPath);
        _package.WriteProject(work.Combine("app"), ProjectBody("""<CondaPackage Include="pandas" />""", "<CondaLockedMode>true</CondaLockedMode>"));
        var locked = _package.Build(project);
        Assert.False(locked.Succeeded);
        Assert.Contains("error CMIR780", locked.Output);
        Assert.Contains("- package pyarrow", locked.Output);
        Assert.Equal(lockBytes, File.ReadAllBytes(lockPath));
    }

    [SkippableFact]
    public async Task An_unsatisfiable_request_is_one_error_that_names_the_item_and_the_versions()
    {
        using var work = new TempDirectory("condamirror-e2e");
        Upstream().WriteTo(work.Combine("upstream"));
        await using var server = new LoopbackChannelServer(work.Combine("upstream"));
        var project = _package.WriteProject(work.Combine("app"), $"""
              <PropertyGroup>
                <CondaPlatforms>linux-64</CondaPlatforms>
                <CondaRepodataCachePath>{work.Combine("repodata-cache")}</CondaRepodataCachePath>
              </PropertyGroup>
              <ItemGroup>
                <CondaChannel Include="{server.BaseUri}" />
                <CondaPackage Include="pandas" Version="&gt;=9" />
              </ItemGroup>
            """);

        var result = _package.Build(project);

        Assert.False(result.Succeeded);
        Assert.Contains("error CMIR702", result.Output);
        Assert.Contains("pandas", result.Output);
        Assert.Contains("2.1.0", result.Output);
        Assert.False(File.Exists(work.Combine("app", "conda-mirror.lock")));
        Assert.DoesNotContain("   at ", result.Output);
    }
}
