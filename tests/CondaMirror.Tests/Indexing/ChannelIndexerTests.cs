using System.Security.Cryptography;
using System.Text.Json;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Indexing;
using CondaMirror.Core.IO;
using CondaMirror.Core.Records;
using CondaMirror.TestKit;
using CondaMirror.TestKit.Channels;
using Xunit;

namespace CondaMirror.Tests.Indexing;

public class ChannelIndexerTests
{
    private static ChannelBuilder SampleChannel() => new ChannelBuilder()
        .Add(new PackageSpec("alpha", "1.0", "h1_0", "linux-64") { Depends = new[] { "beta >=2" } })
        .Add(new PackageSpec("alpha", "1.0", "h1_0", "linux-64") { Format = ArchiveFormat.TarBz2 })
        .Add(new PackageSpec("beta", "2.1", "pyh_0", "noarch") { Noarch = "python", Constrains = new[] { "gamma <3" } })
        .Add(new PackageSpec("delta", "0.5", "h2_3", "win-64") { TrackFeatures = "vc14" });

    [SkippableFact]
    public void Indexes_packages_into_their_subdirs_with_hashes_from_the_files()
    {
        using var source = new TempDirectory();
        using var channel = new TempDirectory();
        var files = SampleChannel().WriteTo(source.Path);

        var result = ChannelIndexer.Write(channel.Path, files.Select(f => ArchiveEntries.FromArchive(f)), new IndexOptions { Subdirs = new[] { "osx-arm64" } });

        Assert.Equal(new[] { "linux-64", "noarch", "osx-arm64", "win-64" }, result.PackagesPerSubdir.Keys.OrderBy(k => k));
        Assert.Equal(0, result.PackagesPerSubdir["osx-arm64"]);
        Assert.Equal(files.Sum(f => new FileInfo(f).Length), result.PackageBytes);
        using var linux = JsonDocument.Parse(File.ReadAllBytes(channel.Combine("linux-64", "repodata.json")));
        var conda = linux.RootElement.GetProperty("packages.conda").GetProperty("alpha-1.0-h1_0.conda");
        var bz2 = linux.RootElement.GetProperty("packages").GetProperty("alpha-1.0-h1_0.tar.bz2");
        // Expected hashes from the BCL over the bytes, not from Core's FileHashes (which the indexer uses).
        var bytes = File.ReadAllBytes(channel.Combine("linux-64", "alpha-1.0-h1_0.conda"));
        Assert.Equal(Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant(), conda.GetProperty("sha256").GetString());
        Assert.Equal(Convert.ToHexString(MD5.HashData(bytes)).ToLowerInvariant(), conda.GetProperty("md5").GetString());
        Assert.Equal(bytes.Length, conda.GetProperty("size").GetInt64());
        // The upstream's own repodata (written independently) lists the same file with the same hashes.
        using var upstream = JsonDocument.Parse(File.ReadAllBytes(source.Combine("linux-64", "repodata.json")));
        var listed = upstream.RootElement.GetProperty("packages.conda").GetProperty("alpha-1.0-h1_0.conda");
        Assert.Equal(listed.GetProperty("sha256").GetString(), conda.GetProperty("sha256").GetString());
        Assert.Equal("beta >=2", conda.GetProperty("depends")[0].GetString());
        Assert.Equal("linux-64", conda.GetProperty("subdir").GetString());
        Assert.False(conda.TryGetProperty("noarch", out _));
        Assert.NotEqual(conda.GetProperty("sha256").GetString(), bz2.GetProperty("sha256").GetString());
        Assert.Equal("linux-64", linux.RootElement.GetProperty("info").GetProperty("subdir").GetString());
        Assert.Equal(1, linux.RootElement.GetProperty("repodata_version").GetInt32());
        Assert.Equal(0, linux.RootElement.GetProperty("removed").GetArrayLength());

        using var noarch = JsonDocument.Parse(File.ReadAllBytes(channel.Combine("noarch", "repodata.json")));
        var beta = noarch.RootElement.GetProperty("packages.conda").GetProperty("beta-2.1-pyh_0.conda");
        Assert.Equal("python", beta.GetProperty("noarch").GetString());
        Assert.Equal("gamma <3", beta.GetProperty("constrains")[0].GetString());
        var keys = beta.EnumerateObject().Select(p => p.Name).ToList();
        Assert.Equal(keys.OrderBy(k => k, StringComparer.Ordinal), keys);
        Assert.True(File.Exists(channel.Combine("noarch", "beta-2.1-pyh_0.conda")));
        Assert.Equal("{\"info\":{\"subdir\":\"osx-arm64\"},\"packages\":{},\"packages.conda\":{},\"removed\":[],\"repodata_version\":1}",
            File.ReadAllText(channel.Combine("osx-arm64", "repodata.json")));
    }

    [SkippableFact]
    public void Same_inputs_give_byte_identical_repodata()
    {
        // The indexer's output, twice, from the same archives given in different orders (the fixture's own
        // repodata.json beside the archives is not what is compared).
        using var source = new TempDirectory();
        using var a = new TempDirectory();
        using var b = new TempDirectory();
        var files = SampleChannel().WriteTo(source.Path);
        ChannelIndexer.Write(a.Path, files.Select(f => ArchiveEntries.FromArchive(f)));
        ChannelIndexer.Write(b.Path, files.Reverse().Select(f => ArchiveEntries.FromArchive(f)));
        foreach (var subdir in new[] { "linux-64", "noarch", "win-64" })
            Assert.Equal(File.ReadAllBytes(Path.Combine(a.Path, subdir, "repodata.json")), File.ReadAllBytes(Path.Combine(b.Path, subdir, "repodata.json")));
        foreach (var file in Directory.GetFiles(a.Path, "*.conda", SearchOption.AllDirectories))
            Assert.Equal(File.ReadAllBytes(file), File.ReadAllBytes(file.Replace(a.Path, b.Path)));
    }

    [SkippableFact]
    public void A_failing_run_leaves_the_previous_channel_intact()
    {
        using var source = new TempDirectory();
        using var channel = new TempDirectory();
        var files = SampleChannel().WriteTo(source.Path);
        ChannelIndexer.Write(channel.Path, files.Select(f => ArchiveEntries.FromArchive(f)));
        var before = Snapshot(channel.Path);

        var good = files.Select(f => ArchiveEntries.FromArchive(f)).ToList();
        var clash = good[0] with { Record = good[0].Record.Clone() };
        clash.Record.Sha256 = new string('0', 64);
        var error = Assert.Throws<CondaMirrorException>(() => ChannelIndexer.Write(channel.Path, good.Append(clash)));

        Assert.Equal(ErrorCodes.IndexDuplicateFileName, error.Code);
        Assert.Equal(before, Snapshot(channel.Path));
    }

    [SkippableFact]
    public void Packages_no_longer_listed_are_pruned()
    {
        using var source = new TempDirectory();
        using var channel = new TempDirectory();
        var files = SampleChannel().WriteTo(source.Path);
        ChannelIndexer.Write(channel.Path, files.Select(f => ArchiveEntries.FromArchive(f)));
        File.WriteAllText(channel.Combine("noarch", "notes.txt"), "not ours");

        var result = ChannelIndexer.Write(channel.Path, files.Where(f => !f.Contains("delta")).Select(f => ArchiveEntries.FromArchive(f)));

        Assert.False(Directory.Exists(channel.Combine("win-64")));
        // win-64's archive, its five index files (repodata.json, .json.zst, run_exports.json, index.html, the shard
        // index) and its one shard.
        Assert.Equal(7, result.FilesPruned);
        Assert.DoesNotContain(Directory.EnumerateFiles(channel.Path, "*", SearchOption.AllDirectories), f => f.Contains("win-64"));
        Assert.True(File.Exists(channel.Combine("noarch", "notes.txt")));
    }

    [SkippableFact]
    public void A_file_name_that_does_not_match_its_record_is_rejected()
    {
        using var source = new TempDirectory();
        // .tar.bz2 has no inner name to check (a renamed .conda is already rejected by the archive reader).
        var path = ChannelBuilder.WritePackage(source.Path, new PackageSpec("alpha", "1.0", "0") { Format = ArchiveFormat.TarBz2 });
        var renamed = Path.Combine(source.Path, "alpha-2.0-0.tar.bz2");
        File.Move(path, renamed);
        var error = Assert.Throws<CondaMirrorException>(() => ChannelIndexer.Write(source.Combine("out"), new[] { ArchiveEntries.FromArchive(renamed) }));
        Assert.Equal(ErrorCodes.IndexFileNameMismatch, error.Code);
        Assert.Contains("alpha-1.0-0", error.Message);
        Assert.Equal(renamed, error.File);
    }

    private static Dictionary<string, string> Snapshot(string dir) =>
        Directory.GetFiles(dir, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(dir, f), f => FileHashes.Compute(f).Sha256);
}
