using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using CondaMirror.TestKit;
using CondaMirror.TestKit.Channels;
using Xunit;

namespace CondaMirror.Tests.EndToEnd;

/// <summary>
/// The quick start's sample upstream channel (TestKit's <see cref="SampleUpstreamChannel"/>, what samples/SampleUpstream
/// writes) installs completely with the real conda client (conda 25.11.1, set up from ../shared/tools/conda-client), and
/// so does the channel the README's first example builds from it: conda links the noarch: python packages into the
/// site-packages of the python it installs, and that python imports what was installed. Skipped without the conda
/// client, except under CI.
/// </summary>
[Collection(EndToEndCollection.Name)]
public class SampleChannelCondaEndToEndTests
{
    private readonly PackedPackage _package;

    public SampleChannelCondaEndToEndTests(PackedPackage package) => _package = package;

    /// <summary>Every module the sample's packages install, with the version its package has.</summary>
    private static readonly (string Module, string Package)[] Modules =
    {
        ("numpy", "numpy"), ("scipy", "scipy"), ("pandas", "pandas"), ("sklearn", "scikit-learn"), ("dateutil", "python-dateutil"),
        ("pytz", "pytz"), ("tzdata", "python-tzdata"), ("six", "six"), ("joblib", "joblib"), ("threadpoolctl", "threadpoolctl"), ("pip", "pip"),
    };

    [SkippableFact]
    public void Conda_installs_every_package_of_the_sample_channel_and_its_python_imports_them()
    {
        CondaClient.Require();
        using var work = new TempDirectory("condamirror-sample");
        var channel = work.Combine("upstream");
        SampleUpstreamChannel.WriteTo(channel);
        var names = PackageNames(channel, "linux-64", "noarch");
        // The names are the same on every platform: installing linux-64's covers every package name of the channel.
        foreach (var platform in SampleUpstreamChannel.Platforms)
            Assert.Equal(names, PackageNames(channel, platform, "noarch"));

        var prefix = work.Combine("env");
        var (exit, log) = CondaClient.Run(work.Combine("conda-pkgs"),
            new[] { "create", "--offline", "--override-channels", "-c", new Uri(channel + "/").AbsoluteUri, "-p", prefix, "-y" }.Concat(names).ToArray());
        Assert.True(exit == 0, log);
        Assert.Contains("python", names);

        var installed = CondaClient.InstalledVersions(prefix);
        Assert.Equal(names, installed.Keys.Order(StringComparer.Ordinal).ToArray());
        Assert.Equal("3.12.7", installed["python"]);
        Assert.Equal("1.5.2", installed["scikit-learn"]);
        // conda put the noarch: python packages where python 3.12 looks, and wrote pip's entry point.
        Assert.True(File.Exists(Path.Combine(prefix, "lib", "python3.12", "site-packages", "six.py")));
        Assert.True(File.Exists(Path.Combine(prefix, "lib", "python3.12", "site-packages", "dateutil", "__init__.py")));

        var imported = Python(prefix, "import " + string.Join(", ", Modules.Select(m => m.Module)) + "; print(' '.join(m.__version__ for m in ["
            + string.Join(", ", Modules.Select(m => m.Module)) + "]))");
        Assert.Equal(string.Join(' ', Modules.Select(m => installed[m.Package])), imported);
        Assert.StartsWith("pip 24.2 ", Run(Path.Combine(prefix, "bin", "pip")));
    }

    [Fact]
    public void The_quick_start_project_declares_the_readme_examples_platforms_and_packages()
    {
        var snippet = ReadmeProject();
        var quickStart = File.ReadAllText(Path.Combine(TestData.RepoRoot, "samples", "QuickStart", "QuickStart.csproj"));
        Assert.Equal(Platforms(snippet), Platforms(quickStart));
        Assert.Equal(Packages(snippet), Packages(quickStart));
        Assert.Contains("<CondaChannel Include=\"../upstream-channel\" />", quickStart);
    }

    [SkippableFact]
    public void The_readme_example_built_from_the_sample_channel_installs_with_the_readme_command()
    {
        CondaClient.Require();
        using var work = new TempDirectory("condamirror-sample");
        var upstream = work.Combine("upstream");
        SampleUpstreamChannel.WriteTo(upstream);

        // The README's first example, its platforms and packages word for word, with the sample channel for conda-forge.
        var readme = File.ReadAllText(Path.Combine(TestData.RepoRoot, "README.md"));
        var snippet = ReadmeProject();
        var platforms = Platforms(snippet);
        var packages = string.Join('\n', Packages(snippet));
        Assert.Contains("<CondaChannel Include=\"conda-forge\" />", snippet);
        Assert.Contains("Include=\"scikit-learn\"", packages);
        var project = _package.WriteProject(work.Combine("app"), $"""
              <PropertyGroup>
                {platforms}
                <CondaPackageCachePath>{work.Combine("pkgs")}</CondaPackageCachePath>
                <CondaRepodataCachePath>{work.Combine("repodata")}</CondaRepodataCachePath>
              </PropertyGroup>
              <ItemGroup>
                <CondaChannel Include="{upstream}" />
                {packages}
              </ItemGroup>
            """);
        var build = _package.Build(project);
        Assert.True(build.Succeeded, build.ToString());
        var channel = work.Combine("app", "bin", "Debug", "net10.0", "conda-channel");

        // The README's install command, with the built channel for /path/to/conda-channel and a prefix of the test's own.
        var command = Regex.Match(readme, @"`(conda create -n \S+ [^`]*file:///path/to/conda-channel[^`]*)`").Groups[1].Value;
        Assert.False(string.IsNullOrEmpty(command), "README shows the conda command that installs from the channel");
        var prefix = work.Combine("env");
        var args = Regex.Replace(command, @"^conda create -n \S+", "create -p " + prefix)
            .Replace("file:///path/to/conda-channel", new Uri(channel + "/").AbsoluteUri)
            .Split(' ', StringSplitOptions.RemoveEmptyEntries).Append("-y").ToArray();
        var (exit, log) = CondaClient.Run(work.Combine("conda-pkgs"), args);
        Assert.True(exit == 0, $"conda {string.Join(' ', args)}\n{log}");

        var installed = CondaClient.InstalledVersions(prefix);
        Assert.Equal("3.12.7", installed["python"]);
        Assert.Contains("pip", installed.Keys);
        Assert.Equal("2.2.3 1.5.2", Python(prefix, "import pandas, sklearn; print(pandas.__version__, sklearn.__version__)"));
    }

    /// <summary>The README's first project snippet.</summary>
    private static string ReadmeProject() =>
        Regex.Matches(File.ReadAllText(Path.Combine(TestData.RepoRoot, "README.md")), "```xml\n(.*?)```", RegexOptions.Singleline)
            .Select(m => m.Groups[1].Value).First(block => block.Contains("<Project Sdk=", StringComparison.Ordinal));

    private static string Platforms(string project) => Regex.Match(project, "<CondaPlatforms>.*?</CondaPlatforms>").Value;

    private static string[] Packages(string project) => Regex.Matches(project, "<CondaPackage .*?/>").Select(m => m.Value).ToArray();

    private static string[] PackageNames(string channel, params string[] subdirs)
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var subdir in subdirs)
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(channel, subdir, "repodata.json")));
            foreach (var map in new[] { "packages", "packages.conda" })
                if (doc.RootElement.TryGetProperty(map, out var records))
                    foreach (var record in records.EnumerateObject())
                        names.Add(record.Value.GetProperty("name").GetString()!);
        }
        return names.ToArray();
    }

    /// <summary>Runs code with the environment's python (bin/python, as a user of the environment would).</summary>
    private static string Python(string prefix, string code) => Run(Path.Combine(prefix, "bin", "python"), "-c", code);

    private static string Run(string executable, params string[] args)
    {
        var psi = new ProcessStartInfo(executable) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment.Remove("PYTHONPATH");
        psi.Environment.Remove("PYTHONHOME");
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(1)), $"{executable} did not finish in a minute");
        Assert.True(process.ExitCode == 0, $"{executable} {string.Join(' ', args)} failed ({process.ExitCode}): {stderr.Result}{stdout.Result}");
        return stdout.Result.Trim();
    }
}
