using CondaMirror.Core.IO;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CondaMirror.Core.Archives;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Records;
using CondaMirror.TestKit;
using CondaMirror.TestKit.Channels;
using Xunit;

namespace CondaMirror.Tests.Archives;

public class PackageArchiveRoundTripTests
{
    [SkippableTheory]
    [InlineData(".tar.bz2", ArchiveFormat.TarBz2)]
    [InlineData(".conda", ArchiveFormat.Conda)]
    public void Written_package_reads_back_with_all_info_members(string extension, ArchiveFormat format)
    {
        using var dir = new TempDirectory();
        var record = ArchiveFixtures.Record();
        record.Noarch = "python";
        record.TrackFeatures = "feat1";
        record.Extra["purls"] = JsonDocument.Parse("""["pkg:pypi/demo"]""").RootElement.Clone();
        var path = dir.Combine("demo-1.2.3-h1234_0" + extension);

        PackageArchiveWriter.Write(path, record, ArchiveFixtures.Files());
        var info = PackageArchive.ReadInfo(path, InfoMembers.All);

        Assert.Equal(format, info.Format);
        Assert.Equal("demo", info.Index.Name);
        Assert.Equal("1.2.3", info.Index.Version);
        Assert.Equal("h1234_0", info.Index.Build);
        Assert.Equal("linux-64", info.Index.Subdir);
        Assert.Equal("python", info.Index.Noarch);
        Assert.Equal("feat1", info.Index.TrackFeatures);
        Assert.Equal(1_700_000_000_000, info.Index.Timestamp);
        Assert.Equal(record.Depends, info.Index.Depends);
        Assert.Equal(record.Constrains, info.Index.Constrains);
        Assert.Equal("pkg:pypi/demo", info.Index.Extra["purls"][0].GetString());
        // The raw index.json, read with System.Text.Json: sorted keys, no archive checksums.
        using (var raw = JsonDocument.Parse(info.IndexJsonBytes))
        {
            var keys = raw.RootElement.EnumerateObject().Select(p => p.Name).ToList();
            Assert.Equal(keys.OrderBy(k => k, StringComparer.Ordinal), keys);
            Assert.Equal("demo", raw.RootElement.GetProperty("name").GetString());
            Assert.Equal("feat1", raw.RootElement.GetProperty("track_features").GetString());
            Assert.DoesNotContain("md5", keys);
        }

        Assert.Equal("BSD-3-Clause", info.About!.Value.GetProperty("license").GetString());
        Assert.Equal("demo >=1.2.3,<2.0a0", info.RunExports!.Value.GetProperty("weak")[0].GetString());

        var paths = info.Paths!.Value;
        Assert.Equal(1, paths.GetProperty("paths_version").GetInt32());
        var entries = paths.GetProperty("paths").EnumerateArray().ToList();
        Assert.Equal(new[] { "lib/libdemo.so", "share/demo/readme.txt" }, entries.Select(e => e.GetProperty("_path").GetString()));
        var readme = entries[1];
        Assert.Equal("hardlink", readme.GetProperty("path_type").GetString());
        Assert.Equal(6, readme.GetProperty("size_in_bytes").GetInt64());
        Assert.Equal(Convert.ToHexString(SHA256.HashData("hello\n"u8)).ToLowerInvariant(), readme.GetProperty("sha256").GetString());
    }

    [SkippableTheory]
    [InlineData(".tar.bz2")]
    [InlineData(".conda")]
    public void Written_package_reads_the_same_with_an_independent_reader(string extension)
    {
        // Our writer's output checked by System.IO.Compression, Debian's zstd/bzip2 and System.Formats.Tar: a mistake
        // our own reader shares with our writer cannot hide here.
        using var dir = new TempDirectory();
        var path = dir.Combine("demo-1.2.3-h1234_0" + extension);
        PackageArchiveWriter.Write(path, ArchiveFixtures.Record(), ArchiveFixtures.Files());

        if (extension == ".conda")
            Assert.Equal(new[] { ("metadata.json", true), ("pkg-demo-1.2.3-h1234_0.tar.zst", true), ("info-demo-1.2.3-h1234_0.tar.zst", true) },
                IndependentPackageReader.ZipEntries(path));
        var members = IndependentPackageReader.Members(path).ToDictionary(m => m.Path);
        Assert.Equal(new[] { "info/about.json", "info/index.json", "info/paths.json", "info/run_exports.json", "lib/libdemo.so", "share/demo/readme.txt" },
            members.Keys.Order(StringComparer.Ordinal));
        Assert.All(members.Values, m => Assert.True(m.Type is System.Formats.Tar.TarEntryType.RegularFile or System.Formats.Tar.TarEntryType.V7RegularFile, $"{m.Path} is a {m.Type}"));
        Assert.Equal("hello\n"u8.ToArray(), members["share/demo/readme.txt"].Content);
        Assert.True(members["lib/libdemo.so"].Mode.HasFlag(UnixFileMode.UserExecute));
        Assert.False(members["share/demo/readme.txt"].Mode.HasFlag(UnixFileMode.UserExecute));

        using var index = JsonDocument.Parse(members["info/index.json"].Content);
        var keys = index.RootElement.EnumerateObject().Select(p => p.Name).ToList();
        Assert.Equal(keys.OrderBy(k => k, StringComparer.Ordinal), keys);
        Assert.Equal("demo", index.RootElement.GetProperty("name").GetString());
        Assert.Equal("1.2.3", index.RootElement.GetProperty("version").GetString());
        Assert.Equal("h1234_0", index.RootElement.GetProperty("build").GetString());
        Assert.Equal(0, index.RootElement.GetProperty("build_number").GetInt64());
        Assert.Equal("linux-64", index.RootElement.GetProperty("subdir").GetString());
        Assert.Equal(new[] { "libzlib >=1.2.13,<2.0a0", "python >=3.8" }, index.RootElement.GetProperty("depends").EnumerateArray().Select(d => d.GetString()));
        Assert.Equal(new[] { "demo-extras ==1.2.3" }, index.RootElement.GetProperty("constrains").EnumerateArray().Select(d => d.GetString()));
        Assert.Equal(1_700_000_000_000, index.RootElement.GetProperty("timestamp").GetInt64());

        using var paths = JsonDocument.Parse(members["info/paths.json"].Content);
        var listed = paths.RootElement.GetProperty("paths").EnumerateArray().ToDictionary(p => p.GetProperty("_path").GetString()!);
        Assert.Equal(new[] { "lib/libdemo.so", "share/demo/readme.txt" }, listed.Keys);
        foreach (var (file, entry) in listed)
        {
            Assert.Equal(Convert.ToHexString(SHA256.HashData(members[file].Content)).ToLowerInvariant(), entry.GetProperty("sha256").GetString());
            Assert.Equal(members[file].Content.Length, entry.GetProperty("size_in_bytes").GetInt64());
        }
    }

    [SkippableTheory]
    [InlineData(".tar.bz2")]
    [InlineData(".conda")]
    public void Index_json_never_carries_archive_checksums(string extension)
    {
        using var dir = new TempDirectory();
        var record = ArchiveFixtures.Record();
        record.Md5 = "0123456789abcdef0123456789abcdef";
        record.Size = 12345;
        var path = dir.Combine("demo-1.2.3-h1234_0" + extension);

        PackageArchiveWriter.Write(path, record, ArchiveFixtures.Files());
        var info = PackageArchive.ReadInfo(path);

        Assert.Null(info.Index.Md5);
        Assert.Null(info.Index.Size);
        Assert.Null(info.About); // not requested
        Assert.Null(info.Paths);
    }

    [SkippableTheory]
    [InlineData(".tar.bz2")]
    [InlineData(".conda")]
    public void Same_input_gives_identical_bytes(string extension)
    {
        using var dir = new TempDirectory();
        var first = dir.Combine("a", "demo-1.2.3-h1234_0" + extension);
        var second = dir.Combine("b", "demo-1.2.3-h1234_0" + extension);

        PackageArchiveWriter.Write(first, ArchiveFixtures.Record(), ArchiveFixtures.Files());
        // Same files in another order: output must not depend on enumeration order.
        PackageArchiveWriter.Write(second, ArchiveFixtures.Record(), Enumerable.Reverse(ArchiveFixtures.Files()));

        Assert.Equal(File.ReadAllBytes(first), File.ReadAllBytes(second));
    }

    [SkippableTheory]
    [InlineData(".tar.bz2")]
    [InlineData(".conda")]
    public void Mtime_option_changes_the_output(string extension)
    {
        using var dir = new TempDirectory();
        var first = dir.Combine("a", "demo-1.2.3-h1234_0" + extension);
        var second = dir.Combine("b", "demo-1.2.3-h1234_0" + extension);

        PackageArchiveWriter.Write(first, ArchiveFixtures.Record(), ArchiveFixtures.Files());
        PackageArchiveWriter.Write(second, ArchiveFixtures.Record(), ArchiveFixtures.Files(), new PackageWriteOptions { MtimeSeconds = 1_700_000_000 });

        Assert.NotEqual(File.ReadAllBytes(first), File.ReadAllBytes(second));
    }

    [SkippableTheory]
    [InlineData(".tar.bz2")]
    [InlineData(".conda")]
    public void Long_and_non_ascii_paths_round_trip_through_pax_headers(string extension)
    {
        using var dir = new TempDirectory();
        var longPath = "lib/python3.12/site-packages/" + string.Join("/", Enumerable.Repeat("deeply_nested_directory", 6)) + "/module.py";
        Assert.True(longPath.Length > 100);
        var files = new List<PackageFileEntry>
        {
            new(longPath, "x = 1\n"u8.ToArray()),
            new("share/dé mo/ü.txt", "u"u8.ToArray()),
        };
        var path = dir.Combine("demo-1.2.3-h1234_0" + extension);

        PackageArchiveWriter.Write(path, ArchiveFixtures.Record(), files);
        var info = PackageArchive.ReadInfo(path, InfoMembers.Paths);

        var listed = info.Paths!.Value.GetProperty("paths").EnumerateArray().Select(e => e.GetProperty("_path").GetString()).ToList();
        Assert.Equal(new[] { longPath, "share/dé mo/ü.txt" }, listed);
    }

    [SkippableFact]
    public void Tar_writer_output_is_read_back_member_by_member()
    {
        var ms = new MemoryStream();
        var longName = new string('a', 120) + "/b.txt";
        PackageArchiveWriter.WriteTar(ms, new[]
        {
            new PackageFileEntry("info/index.json", "{}"u8.ToArray()),
            new PackageFileEntry(longName, new byte[513], 0b111_101_101),
            new PackageFileEntry("empty", Array.Empty<byte>()),
        }, new PackageWriteOptions());
        Assert.Equal(0, ms.Length % 512);
        ms.Position = 0;

        var reader = new TarStreamReader(ms, "test.tar");
        var names = new List<(string, long, int)>();
        while (reader.Next() is { } entry) names.Add((entry.Name, entry.Size, entry.Mode));

        Assert.Equal(new[] { ("info/index.json", 2L, 0b110_100_100), (longName, 513L, 0b111_101_101), ("empty", 0L, 0b110_100_100) }, names);
    }

    [SkippableFact]
    public void Stream_overload_reads_a_non_seekable_stream()
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("demo-1.2.3-h1234_0.tar.bz2");
        PackageArchiveWriter.Write(path, ArchiveFixtures.Record(), ArchiveFixtures.Files());

        using var stream = new ForwardOnlyStream(File.ReadAllBytes(path));
        var info = PackageArchive.ReadInfo(stream, "demo-1.2.3-h1234_0.tar.bz2", ArchiveFormat.TarBz2, InfoMembers.RunExports);

        Assert.Equal("demo", info.Index.Name);
        Assert.NotNull(info.RunExports);
    }

    [SkippableTheory]
    [InlineData(".tar.bz2")]
    [InlineData(".conda")]
    public void Cancelled_read_throws_OperationCanceledException(string extension)
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("demo-1.2.3-h1234_0" + extension);
        PackageArchiveWriter.Write(path, ArchiveFixtures.Record(), ArchiveFixtures.Files());

        Assert.ThrowsAny<OperationCanceledException>(() => PackageArchive.ReadInfo(path, InfoMembers.All, new CancellationToken(canceled: true)));
    }

    [SkippableFact]
    public void Writer_rejects_unsafe_or_duplicate_member_paths_and_unknown_extensions()
    {
        using var dir = new TempDirectory();
        var target = dir.Combine("demo-1.2.3-h1234_0.tar.bz2");
        foreach (var bad in new[] { "../evil", "/abs/path", "lib\\win.dll", "a//b", "info/index.json" })
        {
            var e = Assert.Throws<CondaMirrorException>(() =>
                PackageArchiveWriter.Write(target, ArchiveFixtures.Record(), new[] { new PackageFileEntry(bad, Array.Empty<byte>()) }));
            Assert.Equal(ErrorCodes.ArchiveWriteInvalid, e.Code);
        }
        var duplicate = Assert.Throws<CondaMirrorException>(() => PackageArchiveWriter.Write(target, ArchiveFixtures.Record(),
            new[] { new PackageFileEntry("a", Array.Empty<byte>()), new PackageFileEntry("a", Array.Empty<byte>()) }));
        Assert.Contains("twice", duplicate.Message);
        var zip = Assert.Throws<CondaMirrorException>(() => PackageArchiveWriter.Write(dir.Combine("demo.zip"), ArchiveFixtures.Record(), ArchiveFixtures.Files()));
        Assert.Equal(ErrorCodes.ArchiveWriteInvalid, zip.Code);
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    /// <summary>Mimics a network stream: no seeking, short reads.</summary>
    internal sealed class ForwardOnlyStream : ReadOnlyStream
    {
        private readonly MemoryStream _inner;
        public ForwardOnlyStream(byte[] data) => _inner = new MemoryStream(data);
        public long BytesRead { get; private set; }
        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = _inner.Read(buffer, offset, Math.Min(count, 1000));
            BytesRead += n;
            return n;
        }
    }
}

public class StopAtPayloadTests
{
    [SkippableFact]
    public void StopAtPayload_ends_a_tar_bz2_read_at_the_first_payload_member_after_index_json()
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("demo-1.2.3-h1234_0.tar.bz2");
        // info/ first, as packaging tools write it; a run_exports.json after the payload is only found by reading on.
        File.WriteAllBytes(path, ArchiveFixtures.Bzip2(ArchiveFixtures.Tar(
            ArchiveFixtures.IndexJson(),
            ArchiveFixtures.Member("info/about.json", "{\"summary\": \"s\"}"),
            ArchiveFixtures.Member("lib/payload.txt", "payload"),
            ArchiveFixtures.Member("info/run_exports.json", "{\"weak\": [\"demo\"]}"))));

        var stopped = PackageArchive.ReadInfo(path, InfoMembers.About | InfoMembers.RunExports | InfoMembers.StopAtPayload);
        var full = PackageArchive.ReadInfo(path, InfoMembers.About | InfoMembers.RunExports);

        Assert.Equal("s", stopped.About!.Value.GetProperty("summary").GetString());
        Assert.Null(stopped.RunExports);
        Assert.Equal("demo", full.RunExports!.Value.GetProperty("weak")[0].GetString());
    }

    [SkippableFact]
    public void StopAtPayload_still_reads_on_when_info_comes_last()
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("demo-1.2.3-h1234_0.tar.bz2");
        File.WriteAllBytes(path, ArchiveFixtures.Bzip2(ArchiveFixtures.Tar(
            ArchiveFixtures.Member("lib/payload.txt", "payload"),
            ArchiveFixtures.IndexJson(),
            ArchiveFixtures.Member("info/run_exports.json", "{\"weak\": [\"demo\"]}"))));

        var info = PackageArchive.ReadInfo(path, InfoMembers.RunExports | InfoMembers.StopAtPayload);

        Assert.Equal("demo", info.RunExports!.Value.GetProperty("weak")[0].GetString());
    }
}
