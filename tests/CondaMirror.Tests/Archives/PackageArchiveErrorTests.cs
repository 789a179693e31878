using System.Security.Cryptography;
using System.Text;
using CondaMirror.Core.Archives;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Records;
using CondaMirror.TestKit;
using Xunit;
using static CondaMirror.Tests.Archives.ArchiveFixtures;

namespace CondaMirror.Tests.Archives;

public class PackageArchiveErrorTests
{
    private static CondaMirrorException ReadFails(string path, InfoMembers wanted = InfoMembers.IndexJson)
    {
        var e = Assert.Throws<CondaMirrorException>(() => PackageArchive.ReadInfo(path, wanted));
        Assert.Equal(path, e.File);
        Assert.StartsWith("CMIR2", e.Code);
        return e;
    }

    private static string WriteBz2Tar(TempDirectory dir, byte[] tar, string name = "demo-1.2.3-h1234_0.tar.bz2")
    {
        var path = dir.Combine(name);
        File.WriteAllBytes(path, Bzip2(tar));
        return path;
    }

    [SkippableTheory]
    [InlineData("demo-1.0-0.tar.bz2")]
    [InlineData("demo-1.0-0.conda")]
    public void Empty_file_is_reported_as_empty(string name)
    {
        using var dir = new TempDirectory();
        var path = dir.Combine(name);
        File.WriteAllBytes(path, Array.Empty<byte>());

        var e = ReadFails(path);

        Assert.Equal(ErrorCodes.ArchiveEmpty, e.Code);
        Assert.Contains("re-download", e.Message, StringComparison.OrdinalIgnoreCase);
    }

    [SkippableFact]
    public void Tar_bz2_cut_in_half_is_reported_as_truncated()
    {
        using var dir = new TempDirectory();
        var good = dir.Combine("good", "demo-1.2.3-h1234_0.tar.bz2");
        PackageArchiveWriter.Write(good, Record(), Files());
        var bytes = File.ReadAllBytes(good);
        var path = dir.Combine("demo-1.2.3-h1234_0.tar.bz2");
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);

        Assert.Equal(ErrorCodes.ArchiveTruncated, ReadFails(path).Code);
    }

    [SkippableTheory]
    [InlineData("demo-1.0-0.tar.bz2", "<html>404 Not Found</html>")]
    [InlineData("demo-1.0-0.conda", "<html>404 Not Found</html>")]
    [InlineData("demo-1.0-0.tar.bz2", "PK\u0003\u0004 a zip, not bzip2")]
    [InlineData("demo-1.0-0.conda", "BZh91AY&SY a bzip2, not a zip")]
    [InlineData("demo-1.0-0.conda", "P")]
    public void Wrong_magic_is_reported(string name, string content)
    {
        using var dir = new TempDirectory();
        var path = dir.Combine(name);
        File.WriteAllText(path, content);

        var e = ReadFails(path);

        Assert.Equal(ErrorCodes.ArchiveWrongMagic, e.Code);
    }

    [SkippableTheory]
    [InlineData("../evil")]
    [InlineData("info/../../evil")]
    [InlineData("/abs/path")]
    [InlineData("C:/Windows/evil.dll")]
    [InlineData("lib\\..\\..\\evil")]
    public void Unsafe_member_paths_are_rejected(string memberName)
    {
        using var dir = new TempDirectory();
        var path = WriteBz2Tar(dir, Tar(IndexJson(), Member(memberName, "boom")));

        // All members are wanted so the reader has to walk past index.json to the hostile member.
        var e = ReadFails(path, InfoMembers.All);

        Assert.Equal(ErrorCodes.ArchiveUnsafeMemberPath, e.Code);
        Assert.Contains(memberName, e.Message);
    }

    [SkippableFact]
    public void Unsafe_pax_path_is_rejected_even_when_the_header_name_looks_harmless()
    {
        using var dir = new TempDirectory();
        var record = Encoding.UTF8.GetBytes("19 path=../../evil\n");
        var path = WriteBz2Tar(dir, Tar(IndexJson(), (TarHeader("PaxHeaders/x", record.Length, 'x'), record), Member("harmless", "boom")));

        Assert.Equal(ErrorCodes.ArchiveUnsafeMemberPath, ReadFails(path, InfoMembers.All).Code);
    }

    [SkippableFact]
    public void Gnu_long_name_and_dot_slash_prefixes_are_understood()
    {
        using var dir = new TempDirectory();
        var longName = Encoding.UTF8.GetBytes("./info/index.json\0");
        var (header, data) = IndexJson("././@LongLink-placeholder-name");
        var path = WriteBz2Tar(dir, Tar(
            (TarHeader("././@LongLink", longName.Length, 'L', magic: "ustar ", version: " \0"), longName),
            (header, data)));

        var info = PackageArchive.ReadInfo(path);

        Assert.Equal("demo", info.Index.Name);
    }

    [SkippableFact]
    public void Missing_index_json_is_reported()
    {
        using var dir = new TempDirectory();
        var path = WriteBz2Tar(dir, Tar(Member("info/about.json", "{}"), Member("lib/x", "x")));

        var e = ReadFails(path);

        Assert.Equal(ErrorCodes.IndexJsonMissing, e.Code);
        Assert.Contains("info/index.json", e.Message);
    }

    [SkippableTheory]
    [InlineData("{\"name\": \"demo\", ")]
    [InlineData("[1, 2]")]
    [InlineData("{\"name\": \"demo\", \"version\": \"1\"}")]
    public void Invalid_index_json_is_reported(string json)
    {
        using var dir = new TempDirectory();
        var path = WriteBz2Tar(dir, Tar(Member("info/index.json", json)));

        Assert.Equal(ErrorCodes.IndexJsonInvalid, ReadFails(path).Code);
    }

    [SkippableFact]
    public void Invalid_optional_info_json_is_reported()
    {
        using var dir = new TempDirectory();
        var path = WriteBz2Tar(dir, Tar(IndexJson(), Member("info/run_exports.json", "{weak: nope")));

        Assert.Equal(ErrorCodes.InfoJsonInvalid, ReadFails(path, InfoMembers.RunExports).Code);
        Assert.Equal("demo", PackageArchive.ReadInfo(path).Index.Name); // not requested, not parsed
    }

    [SkippableFact]
    public void Index_json_symlink_is_rejected()
    {
        using var dir = new TempDirectory();
        var path = WriteBz2Tar(dir, Tar((TarHeader("info/index.json", 0, '2', linkName: "/etc/passwd"), Array.Empty<byte>())));

        var e = ReadFails(path);

        Assert.Equal(ErrorCodes.InfoMemberNotRegularFile, e.Code);
        Assert.Contains("symbolic link", e.Message);
    }

    [SkippableFact]
    public void Oversized_index_json_is_rejected_before_buffering()
    {
        using var dir = new TempDirectory();
        // The header claims 17 MB; the data is not even there, which proves nothing was read.
        var tar = TarHeader("info/index.json", PackageArchive.MaxIndexJsonBytes + 1);
        var path = WriteBz2Tar(dir, tar);

        var e = ReadFails(path);

        Assert.Equal(ErrorCodes.InfoMemberTooLarge, e.Code);
        Assert.Contains("16 MB", e.Message);
    }

    [SkippableFact]
    public void Damaged_tar_header_checksum_is_reported()
    {
        using var dir = new TempDirectory();
        var tar = Tar(IndexJson());
        tar[10] ^= 0x20; // flip a name character without fixing the checksum

        Assert.Equal(ErrorCodes.ArchiveTarCorrupt, ReadFails(WriteBz2Tar(dir, tar)).Code);
    }

    [SkippableFact]
    public void Tar_member_cut_short_inside_a_valid_bzip2_stream_is_truncated()
    {
        using var dir = new TempDirectory();
        var tar = Tar(Member("lib/big", new string('x', 3000)), IndexJson());
        var path = WriteBz2Tar(dir, tar[..2000]);

        Assert.Equal(ErrorCodes.ArchiveTruncated, ReadFails(path).Code);
    }

    [SkippableFact]
    public void Bzip2_block_crc_mismatch_is_reported_as_corrupt()
    {
        using var dir = new TempDirectory();
        var bytes = Bzip2(Tar(IndexJson()));
        bytes[11] ^= 0xFF; // "BZh9", 6-byte block magic, then the block CRC at offset 10
        var path = dir.Combine("demo-1.2.3-h1234_0.tar.bz2");
        File.WriteAllBytes(path, bytes);

        // The CRC is checked at the end of the block, so ask for a member that forces reading to the end.
        var e = ReadFails(path, InfoMembers.RunExports);

        Assert.Equal(ErrorCodes.ArchiveBzip2Corrupt, e.Code);
    }

    [SkippableFact]
    public void Scrambled_bzip2_data_is_reported_as_damaged()
    {
        using var dir = new TempDirectory();
        var bytes = Bzip2(Tar(IndexJson()));
        for (var i = 20; i < bytes.Length - 20; i++) bytes[i] ^= 0x5A;
        var path = dir.Combine("demo-1.2.3-h1234_0.tar.bz2");
        File.WriteAllBytes(path, bytes);

        var e = ReadFails(path);

        // Scrambled Huffman data can make the decoder run off the end, which looks exactly like truncation.
        Assert.True(e.Code is ErrorCodes.ArchiveBzip2Corrupt or ErrorCodes.ArchiveTruncated, $"{e.Code}: {e.Message}");
    }

    [SkippableFact]
    public void Tar_bz2_reading_stops_once_the_wanted_info_members_are_found()
    {
        using var dir = new TempDirectory();
        // info/ first, then 400 kB of incompressible payload: with 100 kB bzip2 blocks that spans several blocks.
        var payload = new byte[400_000];
        new Random(42).NextBytes(payload);
        var tar = Tar(Member("info/about.json", "{}"), IndexJson(), (TarHeader("lib/blob.bin", payload.Length), payload));
        var bytes = Bzip2(tar, blockSize: 1);
        // Garbage over the tail: any attempt to decompress the later blocks fails.
        RandomNumberGenerator.Fill(bytes.AsSpan(bytes.Length - 50_000));
        var path = dir.Combine("demo-1.2.3-h1234_0.tar.bz2");
        File.WriteAllBytes(path, bytes);

        using (var stream = new PackageArchiveRoundTripTests.ForwardOnlyStream(bytes))
        {
            var info = PackageArchive.ReadInfo(stream, path, ArchiveFormat.TarBz2, InfoMembers.IndexJson | InfoMembers.About);
            Assert.Equal("demo", info.Index.Name);
            Assert.NotNull(info.About);
            Assert.True(stream.BytesRead < bytes.Length / 2, $"read {stream.BytesRead} of {bytes.Length} bytes");
        }
        // Asking for a member the package lacks forces a read to the end, which meets the garbage.
        var e = ReadFails(path, InfoMembers.RunExports);
        Assert.True(e.Code is ErrorCodes.ArchiveBzip2Corrupt or ErrorCodes.ArchiveTruncated, $"{e.Code}: {e.Message}");
    }

    [SkippableFact]
    public void Concatenated_bzip2_streams_are_read_as_one()
    {
        using var dir = new TempDirectory();
        // pbzip2-style: the tar is split across two bzip2 streams, in the middle of a member.
        var tar = Tar(Member("lib/x", new string('x', 2000)), IndexJson());
        var path = dir.Combine("demo-1.2.3-h1234_0.tar.bz2");
        File.WriteAllBytes(path, Bzip2(tar[..1000]).Concat(Bzip2(tar[1000..])).ToArray());

        Assert.Equal("demo", PackageArchive.ReadInfo(path).Index.Name);
    }

    [SkippableFact]
    public void Unknown_extension_is_reported_by_DetectFormat_and_ReadInfo()
    {
        var e = Assert.Throws<CondaMirrorException>(() => PackageArchive.DetectFormat("/x/demo-1.0-0.zip"));
        Assert.Equal(ErrorCodes.ArchiveUnknownExtension, e.Code);
        Assert.Equal("/x/demo-1.0-0.zip", e.File);
        Assert.Equal(ArchiveFormat.Conda, PackageArchive.DetectFormat("/x/demo-1.0-0.conda"));
        Assert.Equal(ArchiveFormat.TarBz2, PackageArchive.DetectFormat("demo-1.0-0.tar.bz2"));
        Assert.Equal(ErrorCodes.ArchiveUnknownExtension,
            Assert.Throws<CondaMirrorException>(() => PackageArchive.ReadInfo("demo-1.0-0.tar.gz")).Code);
    }

    [SkippableFact]
    public void Missing_file_is_reported_as_unreadable()
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("absent-1.0-0.conda");

        Assert.Equal(ErrorCodes.ArchiveUnreadable, ReadFails(path).Code);
    }
}
