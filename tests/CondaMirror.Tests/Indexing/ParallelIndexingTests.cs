using System.Security.Cryptography;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Indexing;
using CondaMirror.Core.Records;
using CondaMirror.TestKit;
using CondaMirror.TestKit.Channels;
using Xunit;

namespace CondaMirror.Tests.Indexing;

/// <summary>Local packages read on several threads (<see cref="ArchiveEntries.FromArchives"/>): same channel, same error, whatever the parallelism.</summary>
public class ParallelIndexingTests
{
    // Both formats, every subdir kind, about.json and run_exports.json on some, so every output has content.
    private static IReadOnlyList<string> WritePackages(string directory, int count)
    {
        var subdirs = new[] { "linux-64", "win-64", "osx-arm64", "noarch" };
        return Enumerable.Range(0, count).Select(i => ChannelBuilder.WritePackage(Path.Combine(directory, subdirs[i % 4]),
            new PackageSpec($"pkg{i:D2}", $"1.{i % 5}", $"h{i}_0", subdirs[i % 4])
            {
                Format = i % 3 == 2 ? ArchiveFormat.TarBz2 : ArchiveFormat.Conda,
                Depends = new[] { $"pkg{(i + 1) % count:D2}" },
                PayloadBytes = 2_000 + 97 * i,
                AboutJson = $$"""{"summary": "package {{i}}", "home": "https://example.org/{{i}}", "license": "MIT"}""",
                RunExportsJson = i % 2 == 0 ? $$"""{"weak": ["pkg{{i:D2}} >=1"]}""" : null,
            })).ToList();
    }

    [SkippableFact]
    public void Parallel_and_serial_reads_give_byte_identical_channels()
    {
        using var source = new TempDirectory();
        using var serial = new TempDirectory();
        using var parallel = new TempDirectory();
        var files = WritePackages(source.Path, 40);

        var one = ArchiveEntries.FromArchives(files, maxParallelism: 1);
        var many = ArchiveEntries.FromArchives(files, maxParallelism: 8);
        // The same folder name in both: index.html and the SBOM are titled after it.
        ChannelIndexer.Write(serial.Combine("channel"), one);
        ChannelIndexer.Write(parallel.Combine("channel"), many);

        // Entries come back in input order.
        Assert.Equal(files.Select(Path.GetFileName), many.Select(e => e.FileName));
        var serialFiles = Snapshot(serial.Combine("channel"));
        Assert.Equal(serialFiles, Snapshot(parallel.Combine("channel")));
        // Every output is there, so the comparison covered them all: per subdir repodata, .zst, run_exports, index.html, shards; root files.
        Assert.Contains(Path.Combine("linux-64", "run_exports.json"), serialFiles.Keys);
        Assert.Contains("channeldata.json", serialFiles.Keys);
        Assert.Contains(Path.Combine("noarch", ChannelIndexer.ShardIndexFileName), serialFiles.Keys);
        Assert.Equal(40, serialFiles.Keys.Count(k => k.EndsWith(".conda", StringComparison.Ordinal) || k.EndsWith(".tar.bz2", StringComparison.Ordinal)));
    }

    [SkippableFact]
    public void The_first_corrupt_package_in_input_order_fails_with_its_code_and_the_channel_stays_as_it_was()
    {
        using var source = new TempDirectory();
        using var channel = new TempDirectory();
        var files = WritePackages(source.Path, 30).ToList();
        ChannelIndexer.Write(channel.Path, ArchiveEntries.FromArchives(files));
        var before = Snapshot(channel.Path);

        // Two damaged copies among the good ones: a .tar.bz2 cut in half at position 8 and a .conda whose zip directory is gone at 21.
        var cut = files[8];
        Assert.EndsWith(".tar.bz2", cut);
        var damaged = files.ToList();
        damaged[8] = Damage(source.Combine("damaged"), cut, bytes => bytes[..(bytes.Length / 2)]);
        Assert.EndsWith(".conda", files[21]);
        damaged[21] = Damage(source.Combine("damaged"), files[21], bytes => bytes[..^30]);

        foreach (var threads in new[] { 1, 2, 8 })
        {
            var error = Assert.Throws<CondaMirrorException>(() => ChannelIndexer.Write(channel.Path, ArchiveEntries.FromArchives(damaged, maxParallelism: threads)));
            Assert.Equal(ErrorCodes.ArchiveTruncated, error.Code);
            Assert.Equal(damaged[8], error.File);
            Assert.Equal(before, Snapshot(channel.Path));
        }
        // Alone, the later one fails with its own code, so the first is reported because it comes first, not because it is the only one.
        var later = Assert.Throws<CondaMirrorException>(() => ArchiveEntries.FromArchives(new[] { files[0], damaged[21] }, maxParallelism: 2));
        Assert.Equal(damaged[21], later.File);
        Assert.Equal(ErrorCodes.ArchiveTruncated, later.Code);
    }

    [SkippableFact]
    public void Subdirs_written_in_parallel_or_one_at_a_time_give_byte_identical_channels_and_the_same_report()
    {
        using var source = new TempDirectory();
        using var serial = new TempDirectory();
        using var parallel = new TempDirectory();
        var entries = ArchiveEntries.FromArchives(WritePackages(source.Path, 40));

        var one = ChannelIndexer.Write(serial.Combine("channel"), entries, new IndexOptions { MaxParallelism = 1 });
        var many = ChannelIndexer.Write(parallel.Combine("channel"), entries, new IndexOptions { MaxParallelism = 4 });

        Assert.Equal(Snapshot(serial.Combine("channel")), Snapshot(parallel.Combine("channel")));
        // The report lists files in the same order whatever the scheduling: subdirs in name order, the channel's files last.
        Assert.Equal(Relative(serial.Combine("channel"), one.ChangedFiles), Relative(parallel.Combine("channel"), many.ChangedFiles));
        Assert.Equal(Relative(serial.Combine("channel"), one.IndexFiles), Relative(parallel.Combine("channel"), many.IndexFiles));
        Assert.Equal(Relative(serial.Combine("channel"), one.RepodataFiles), Relative(parallel.Combine("channel"), many.RepodataFiles));
        var changed = Relative(parallel.Combine("channel"), many.ChangedFiles);
        Assert.Equal(Path.Combine("linux-64", "repodata.json.zst"), changed[0]);
        Assert.Equal(new[] { "channeldata.json", "index.html", "sbom.cdx.json" }, changed[^3..]);
        // Nothing changed: nothing written, on either path.
        Assert.Empty(ChannelIndexer.Write(parallel.Combine("channel"), entries, new IndexOptions { MaxParallelism = 4 }).ChangedFiles);
        Assert.Empty(ChannelIndexer.Write(serial.Combine("channel"), entries, new IndexOptions { MaxParallelism = 1 }).ChangedFiles);
    }

    [SkippableFact]
    public void A_subdir_that_cannot_be_written_fails_the_run_with_one_error_before_the_channel_files_are_written()
    {
        using var source = new TempDirectory();
        var entries = ArchiveEntries.FromArchives(WritePackages(source.Path, 16));
        foreach (var threads in new[] { 1, 4 })
        {
            using var channel = new TempDirectory();
            // A folder where win-64's repodata.json goes: its atomic replace cannot succeed.
            Directory.CreateDirectory(Path.Combine(channel.Path, "win-64", "repodata.json", "blocker"));
            var error = Assert.Throws<CondaMirrorException>(() => ChannelIndexer.Write(channel.Path, entries, new IndexOptions { MaxParallelism = threads }));
            Assert.Equal(ErrorCodes.IndexWriteFailed, error.Code);
            Assert.Equal(channel.Path, error.File);
            // The channel's own files come after every subdir: a failed run leaves none that lists the unwritten subdir.
            Assert.False(File.Exists(Path.Combine(channel.Path, "channeldata.json")));
            Assert.False(File.Exists(Path.Combine(channel.Path, "sbom.cdx.json")));

            // Two subdirs failing: the first in name order is the one reported, whatever ran first.
            File.Delete(Path.Combine(channel.Path, "linux-64", "repodata.json"));
            Directory.CreateDirectory(Path.Combine(channel.Path, "linux-64", "repodata.json", "blocker"));
            var first = Assert.Throws<CondaMirrorException>(() => ChannelIndexer.Write(channel.Path, entries, new IndexOptions { MaxParallelism = threads }));
            Assert.Equal(ErrorCodes.IndexWriteFailed, first.Code);
            Assert.Contains(Path.Combine("linux-64", "repodata.json"), first.Message);
        }
    }

    private static List<string> Relative(string dir, IEnumerable<string> paths) => paths.Select(p => Path.GetRelativePath(dir, p)).ToList();

    [SkippableFact]
    public void Cancellation_stops_the_reads()
    {
        using var source = new TempDirectory();
        var files = WritePackages(source.Path, 8);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => ArchiveEntries.FromArchives(files, ct: cancelled.Token));
    }

    private static string Damage(string directory, string file, Func<byte[], byte[]> change)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, Path.GetFileName(file));
        File.WriteAllBytes(path, change(File.ReadAllBytes(file)));
        return path;
    }

    // SHA-256 of every file by relative path, by the BCL (not Core's FileHashes, which the indexer uses).
    private static Dictionary<string, string> Snapshot(string dir) =>
        Directory.GetFiles(dir, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(dir, f), f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))));
}
