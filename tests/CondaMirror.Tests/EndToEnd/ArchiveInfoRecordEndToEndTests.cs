using System.Text.Json;
using System.Text.RegularExpressions;
using CondaMirror.Core.Downloads;
using CondaMirror.Core.Locks;
using CondaMirror.Core.Records;
using CondaMirror.TestKit;
using CondaMirror.TestKit.Channels;
using Xunit;

namespace CondaMirror.Tests.EndToEnd;

/// <summary>
/// The download step's member check keeps each new archive's about.json and run_exports.json beside it in the package
/// cache, and the index step reads them from there instead of decoding the archive again. Through real `dotnet build`s
/// of a pixi.lock: the channel's outputs are byte for byte the same whether the records are used, missing (the
/// archives are read) or tampered with (not trusted: the archive is read), and they hold what the upstream packages
/// say (the specs given to TestKit's independent writer).
/// </summary>
[Collection(EndToEndSecondLaneCollection.Name)]
public class ArchiveInfoRecordEndToEndTests
{
    private static readonly string[] Outputs =
    {
        "channeldata.json", "index.html",
        "linux-64/repodata.json", "linux-64/run_exports.json", "linux-64/index.html",
        "noarch/repodata.json", "noarch/run_exports.json", "noarch/index.html",
    };

    private static readonly string[] Detailed = { "-v:d", "-tl:off" };

    private readonly PackedPackage _package;

    public ArchiveInfoRecordEndToEndTests(PackedPackage package) => _package = package;

    private static ChannelBuilder Upstream() => new ChannelBuilder()
        .Add(new PackageSpec("tool", "1.2.0", "h1_0", "linux-64")
        {
            PayloadBytes = 100_000,
            RunExportsJson = """{"weak": ["tool >=1.2.0,<2"]}""",
            AboutJson = """{"summary": "the tool", "home": "https://example.org/tool", "license": "MIT"}""",
        })
        .Add(new PackageSpec("zlib", "1.3", "h2_0", "linux-64")
        {
            PayloadBytes = 100_000,
            Format = ArchiveFormat.TarBz2,
            RunExportsJson = """{"strong": ["zlib >=1.3,<1.4"]}""",
            AboutJson = """{"summary": "compression library", "license": "Zlib"}""",
        })
        .Add(new PackageSpec("helper", "1.0", "pyh_0") { Noarch = "python", Format = ArchiveFormat.TarBz2 });

    [SkippableFact]
    public async Task Channel_outputs_are_identical_with_the_kept_info_records_without_them_and_with_a_tampered_one()
    {
        using var work = new TempDirectory("condamirror-e2e");
        Upstream().WriteTo(work.Combine("upstream"));
        await using var server = new LoopbackChannelServer(work.Combine("upstream"));
        var records = ChannelRecords.Read(work.Combine("upstream"), server.BaseUri);
        var document = new LockDocument();
        document.Environment("default", new[] { records[0].Channel! }).AddRange("linux-64", records);
        var lockPath = work.Combine("pixi.lock");
        PixiLockWriter.Write(lockPath, document);
        var cache = work.Combine("cache");
        var project = _package.WriteProject(work.Combine("app"), $"""
              <PropertyGroup>
                <CondaLockFile>{lockPath}</CondaLockFile>
                <CondaPackageCachePath>{cache}</CondaPackageCachePath>
              </PropertyGroup>
            """);
        var channel = work.Combine("app", "bin", "Debug", "net10.0", "conda-channel");
        var state = work.Combine("app", "obj", "Debug", "net10.0", "condamirror");
        void ForgetChannel()
        {
            foreach (var dir in new[] { channel, state })
                if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
        (int FromRecords, int Read) Build()
        {
            var build = _package.BuildWithLogger(project, Detailed);
            Assert.True(build.Succeeded, build.ToString());
            var line = Regex.Match(build.Output, @"Archive metadata: (\d+) of (\d+) from the cache, (\d+) from the package cache's info records, (\d+) archive\(s\) read");
            Assert.True(line.Success, build.ToString());
            Assert.Equal("0", line.Groups[1].Value); // obj/ was deleted: nothing from the index step's own cache
            Assert.Equal("3", line.Groups[2].Value);
            return (int.Parse(line.Groups[3].Value), int.Parse(line.Groups[4].Value));
        }
        Dictionary<string, byte[]> Snapshot() => Outputs.ToDictionary(f => f, f => File.ReadAllBytes(Path.Combine(channel, f)));

        // Cold: every archive is downloaded and checked once; the index step decodes none of them.
        Assert.Equal((3, 0), Build());
        var expected = Snapshot();
        var infoRecords = Directory.GetFiles(cache, "*" + ArchiveInfoRecord.Suffix, SearchOption.AllDirectories);
        Assert.Equal(3, infoRecords.Length);

        // What the channel says comes from the upstream packages (the specs), not from anything of ours.
        using (var runExports = JsonDocument.Parse(expected["linux-64/run_exports.json"]))
        {
            var root = runExports.RootElement;
            Assert.Equal("tool >=1.2.0,<2", root.GetProperty("packages.conda").GetProperty("tool-1.2.0-h1_0.conda").GetProperty("run_exports").GetProperty("weak")[0].GetString());
            Assert.Equal("zlib >=1.3,<1.4", root.GetProperty("packages").GetProperty("zlib-1.3-h2_0.tar.bz2").GetProperty("run_exports").GetProperty("strong")[0].GetString());
        }
        using (var channeldata = JsonDocument.Parse(expected["channeldata.json"]))
        {
            var packages = channeldata.RootElement.GetProperty("packages");
            Assert.Equal("the tool", packages.GetProperty("tool").GetProperty("summary").GetString());
            Assert.Equal("compression library", packages.GetProperty("zlib").GetProperty("summary").GetString());
        }

        // Cache hits on a fresh channel: the records are used again, the same bytes come out.
        ForgetChannel();
        Assert.Equal((3, 0), Build());
        Assert.Equal(expected, Snapshot());

        // Records gone (a cache from before they were kept): every archive is read, the same bytes come out.
        foreach (var record in infoRecords) File.Delete(record);
        ForgetChannel();
        Assert.Equal((0, 3), Build());
        Assert.Equal(expected, Snapshot());

        // Records written again by a cold download, then one edited with other valid content: not trusted, that archive
        // is read, and nothing of the edit reaches the channel.
        Directory.Delete(cache, recursive: true);
        ForgetChannel();
        Assert.Equal((3, 0), Build());
        Assert.Equal(expected, Snapshot());
        var zlibRecord = Assert.Single(Directory.GetFiles(cache, "zlib-1.3-h2_0.tar.bz2" + ArchiveInfoRecord.Suffix, SearchOption.AllDirectories));
        var text = File.ReadAllText(zlibRecord);
        Assert.Contains("compression library", text);
        File.WriteAllText(zlibRecord, text.Replace("compression library", "tampered summary").Replace("zlib >=1.3,<1.4", "evil >=0"));
        ForgetChannel();
        Assert.Equal((2, 1), Build());
        Assert.Equal(expected, Snapshot());
        Assert.DoesNotContain("tampered", File.ReadAllText(Path.Combine(channel, "channeldata.json")));
    }
}
