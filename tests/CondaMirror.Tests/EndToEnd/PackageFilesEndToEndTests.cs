using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using CondaMirror.Core.Records;
using CondaMirror.TestKit;
using CondaMirror.TestKit.Channels;
using Xunit;

namespace CondaMirror.Tests.EndToEnd;

/// <summary>
/// CondaPackageFile items that are package URLs and CI-artifact zips, in real `dotnet build`s of the packed package:
/// packages written by TestKit's independent ChannelBuilder, served by the loopback server or zipped by
/// System.IO.Compression; the records are compared with what TestKit's IndependentPackageReader reads from each
/// archive, and the real conda client installs from the channel.
/// </summary>
[Collection(EndToEndCollection.Name)]
public class PackageFilesEndToEndTests
{
    private readonly PackedPackage _package;

    public PackageFilesEndToEndTests(PackedPackage package) => _package = package;

    private static string Sha256(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path))).ToLowerInvariant();

    private static string Zip(string path, params (string Name, byte[] Content)[] members)
    {
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        foreach (var (name, content) in members)
        {
            using var stream = zip.CreateEntry(name, CompressionLevel.Optimal).Open();
            stream.Write(content);
        }
        return path;
    }

    private static List<string> Errors(string output) =>
        output.Split('\n').Where(l => l.Contains("error CMIR")).Select(l => l[l.IndexOf("error CMIR", StringComparison.Ordinal)..].Trim()).Distinct().ToList();

    [SkippableFact]
    public async Task Package_urls_and_an_artifact_zip_become_a_channel_that_conda_installs_from_and_a_rebuild_asks_nothing()
    {
        using var work = new TempDirectory("condamirror-e2e");
        var served = work.Combine("served");
        var alpha = ChannelBuilder.WritePackage(served, new PackageSpec("alpha", "1.0", "0") { Depends = new[] { "gamma >=0.1" } });
        var beta = ChannelBuilder.WritePackage(served, new PackageSpec("beta", "2.0", "h1_0", "linux-64") { Format = ArchiveFormat.TarBz2 });
        var gamma = ChannelBuilder.WritePackage(work.Combine("ci", "noarch"), new PackageSpec("gamma", "0.1", "0"));
        var delta = ChannelBuilder.WritePackage(work.Combine("ci", "linux-64"), new PackageSpec("delta", "3.0", "0", "linux-64") { Depends = new[] { "beta" } });
        var zip = Zip(work.Combine("artifacts.zip"),
            ("artifacts/noarch/gamma-0.1-0.conda", File.ReadAllBytes(gamma)),
            ("artifacts/linux-64/delta-3.0-0.conda", File.ReadAllBytes(delta)),
            ("README.txt", "built by CI run 42\n"u8.ToArray()));
        await using var server = new LoopbackChannelServer(served);
        var project = _package.WriteProject(work.Combine("app"), $"""
              <PropertyGroup>
                <CondaPackageCachePath>{work.Combine("cache")}</CondaPackageCachePath>
              </PropertyGroup>
              <ItemGroup>
                <CondaPackageFile Include="{server.UrlFor("alpha-1.0-0.conda")}" Sha256="{Sha256(alpha)}" />
                <CondaPackageFile Include="{server.UrlFor("beta-2.0-h1_0.tar.bz2")}" />
                <CondaPackageFile Include="../artifacts.zip" />
              </ItemGroup>
            """);

        var build = _package.Build(project);

        Assert.True(build.Succeeded, build.ToString());
        // The URL without a hash is named in one warning; the hashed one is not.
        var warning = Assert.Single(build.Output.Split('\n').Where(l => l.Contains("warning CMIR543"))
            .Select(l => l[l.IndexOf("warning CMIR543", StringComparison.Ordinal)..].Trim()).Distinct());
        Assert.Contains("beta-2.0-h1_0.tar.bz2", warning);
        Assert.DoesNotContain("alpha-1.0-0.conda", warning);
        Assert.Contains("2 package(s) extracted; 1 other member(s) skipped", build.Output);
        var channel = Path.Combine(work.Path, "app", "bin", "Debug", "net10.0", "conda-channel");
        foreach (var (archive, subdir) in new[] { (alpha, "noarch"), (beta, "linux-64"), (gamma, "noarch"), (delta, "linux-64") })
        {
            var fileName = Path.GetFileName(archive);
            var placed = Path.Combine(channel, subdir, fileName);
            Assert.True(File.Exists(placed), $"{subdir}/{fileName} is not in the channel:\n{build}");
            Assert.Equal(Sha256(archive), Sha256(placed));
            using var repodata = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(channel, subdir, "repodata.json")));
            var record = repodata.RootElement.GetProperty(fileName.EndsWith(".conda", StringComparison.Ordinal) ? "packages.conda" : "packages").GetProperty(fileName);
            // What an independent reader says of the archive, and what the BCL hashes of its bytes are.
            using var index = JsonDocument.Parse(IndependentPackageReader.Member(archive, "info/index.json"));
            foreach (var key in new[] { "name", "version", "build", "subdir", "license" })
                Assert.Equal(index.RootElement.GetProperty(key).GetString(), record.GetProperty(key).GetString());
            Assert.Equal(index.RootElement.GetProperty("build_number").GetInt64(), record.GetProperty("build_number").GetInt64());
            Assert.Equal(index.RootElement.GetProperty("depends").EnumerateArray().Select(d => d.GetString()), record.GetProperty("depends").EnumerateArray().Select(d => d.GetString()));
            Assert.Equal(Sha256(archive), record.GetProperty("sha256").GetString());
            Assert.Equal(Convert.ToHexString(MD5.HashData(File.ReadAllBytes(archive))).ToLowerInvariant(), record.GetProperty("md5").GetString());
            Assert.Equal(new FileInfo(archive).Length, record.GetProperty("size").GetInt64());
        }
        // Nothing but packages went in: the README of the zip is nowhere in the channel.
        Assert.DoesNotContain(Directory.EnumerateFiles(channel, "*", SearchOption.AllDirectories), f => Path.GetFileName(f) == "README.txt");

        // Nothing changed: no request, every step up to date.
        server.ClearRequests();
        var again = _package.Build(project, "--no-restore");
        Assert.True(again.Succeeded, again.ToString());
        Assert.Empty(server.Requests);
        Assert.Contains("Conda packagefiles step: up to date", again.Output);
        Assert.Contains("Conda index step: up to date", again.Output);

        // The real conda client installs from the channel, offline: alpha from a URL pulls gamma from the zip.
        CondaClient.Require();
        var prefix = work.Combine("env");
        var (exit, log) = CondaClient.Run(work.Combine("conda-pkgs"),
            "create", "--offline", "--override-channels", "-c", new Uri(channel + "/").AbsoluteUri, "-p", prefix, "-y", "alpha");
        Assert.True(exit == 0, log);
        Assert.Equal("alpha 1.0 (0) for noarch\n", File.ReadAllText(Path.Combine(prefix, "share", "alpha", "README.txt")));
        Assert.Equal("gamma 0.1 (0) for noarch\n", File.ReadAllText(Path.Combine(prefix, "share", "gamma", "README.txt")));
    }

    [SkippableFact]
    public async Task Hostile_zips_and_a_wrong_Sha256_are_refused_with_their_code_and_leave_the_channel_as_it_was()
    {
        using var work = new TempDirectory("condamirror-e2e");
        var served = work.Combine("served");
        var alpha = ChannelBuilder.WritePackage(served, new PackageSpec("alpha", "1.0", "0"));
        var good = ChannelBuilder.WritePackage(work.Combine("local"), new PackageSpec("good", "1.0", "0"));
        var extra = ChannelBuilder.WritePackage(work.Combine("extra"), new PackageSpec("extra", "1.0", "0"));
        await using var server = new LoopbackChannelServer(served);
        var appDir = work.Combine("app");
        string Project(string item) => _package.WriteProject(appDir, $"""
              <PropertyGroup>
                <CondaPackageCachePath>{work.Combine("cache")}</CondaPackageCachePath>
              </PropertyGroup>
              <ItemGroup>
                <CondaPackageFile Include="{good}" />
                {item}
              </ItemGroup>
            """);
        var first = _package.Build(Project(""));
        Assert.True(first.Succeeded, first.ToString());
        var channel = Path.Combine(appDir, "bin", "Debug", "net10.0", "conda-channel");
        var before = FileTreeSnapshot.Take(channel);
        Assert.Contains(before.Entries, e => e.StartsWith("noarch/good-1.0-0.conda ", StringComparison.Ordinal));

        // Each zip also holds a sound package: all or nothing, it never reaches the channel either.
        var sound = ("sound/extra-1.0-0.conda", File.ReadAllBytes(extra));
        var cases = new (string Item, string Code, string Names)[]
        {
            ($"""<CondaPackageFile Include="{Zip(work.Combine("traversal.zip"), sound, ("../../escape-1.0-0.conda", File.ReadAllBytes(extra)))}" />""", "CMIR241", "../../escape-1.0-0.conda"),
            ($"""<CondaPackageFile Include="{Zip(work.Combine("bomb.zip"), sound, ("bomb-1.0-0.conda", new byte[64 << 20]))}" />""", "CMIR244", "bomb-1.0-0.conda"),
            ($"""<CondaPackageFile Include="{Zip(work.Combine("fake.zip"), sound, ("out/fake-1.0-0.conda", "not a package"u8.ToArray()))}" />""", "CMIR245", "out/fake-1.0-0.conda"),
            ($"""<CondaPackageFile Include="{server.UrlFor("alpha-1.0-0.conda")}" Sha256="{new string('0', 64)}" />""", "CMIR541", "alpha-1.0-0.conda"),
        };
        foreach (var (item, code, names) in cases)
        {
            var build = _package.Build(Project(item), "--no-restore");
            Assert.False(build.Succeeded, $"{code}: {build}");
            var error = Assert.Single(Errors(build.Output));
            Assert.StartsWith($"error {code}", error);
            Assert.Contains(names, error);
            Assert.DoesNotContain("CMIR899", build.Output);
            Assert.Equal(before, FileTreeSnapshot.Take(channel));
        }
        // The wrong hash left nothing in the cache under the package's name either.
        Assert.DoesNotContain(Directory.EnumerateFiles(work.Combine("cache"), "*", SearchOption.AllDirectories), f => Path.GetFileName(f) == "alpha-1.0-0.conda");
        Assert.DoesNotContain(Directory.EnumerateFiles(work.Combine("cache"), "*", SearchOption.AllDirectories), f => Path.GetFileName(f) == "extra-1.0-0.conda");
    }
}
