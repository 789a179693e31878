using System.IO.Compression;
using System.Text;
using CondaMirror.Core.Archives;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Records;
using CondaMirror.Core.Zstd;
using CondaMirror.TestKit;
using Xunit;
using static CondaMirror.Tests.Archives.ArchiveFixtures;

namespace CondaMirror.Tests.Archives;

public class CondaFormatTests
{
    private const string Stem = "demo-1.2.3-h1234_0";

    /// <summary>A .conda zip with the given members (stored, in order).</summary>
    private static string WriteZip(TempDirectory dir, string fileName, params (string Name, byte[] Data)[] members)
    {
        var path = dir.Combine(fileName);
        using var zip = new ZipArchive(File.Create(path), ZipArchiveMode.Create);
        foreach (var (name, data) in members)
        {
            using var s = zip.CreateEntry(name, CompressionLevel.NoCompression).Open();
            s.Write(data);
        }
        return path;
    }

    // Debian's zstd, not our encoder: the reader meets frames it did not make itself.
    private static byte[] Zst(byte[] data) => CondaMirror.TestKit.ExternalCodec.Zstd(data);

    private static CondaMirrorException ReadFails(string path, InfoMembers wanted = InfoMembers.IndexJson)
    {
        var e = Assert.Throws<CondaMirrorException>(() => PackageArchive.ReadInfo(path, wanted));
        Assert.Equal(path, e.File);
        return e;
    }

    [SkippableFact]
    public void Written_conda_has_the_cep35_layout_and_stored_members()
    {
        using var dir = new TempDirectory();
        var path = dir.Combine(Stem + ".conda");
        PackageArchiveWriter.Write(path, Record(), Files());

        using var zip = ZipFile.OpenRead(path);
        Assert.Equal(new[] { "metadata.json", $"pkg-{Stem}.tar.zst", $"info-{Stem}.tar.zst" }, zip.Entries.Select(e => e.FullName));
        Assert.All(zip.Entries, e => Assert.Equal(e.Length, e.CompressedLength));
        using (var reader = new StreamReader(zip.Entries[0].Open()))
            Assert.Equal("""{"conda_pkg_format_version": 2}""", reader.ReadToEnd());

        // The info tarball holds info/ only, the pkg tarball everything else.
        Assert.Equal(new[] { "info/about.json", "info/index.json", "info/paths.json", "info/run_exports.json" }, TarNames(zip.Entries[2]));
        Assert.Equal(new[] { "lib/libdemo.so", "share/demo/readme.txt" }, TarNames(zip.Entries[1]));
    }

    private static List<string> TarNames(ZipArchiveEntry entry)
    {
        using var zst = ZstdCodec.Decompress(entry.Open());
        var reader = new TarStreamReader(zst, entry.FullName);
        var names = new List<string>();
        while (reader.Next() is { } e) names.Add(e.Name);
        return names;
    }

    [SkippableFact]
    public void Payload_member_is_never_decompressed()
    {
        using var dir = new TempDirectory();
        var info = Zst(Tar(IndexJson()));
        var path = WriteZip(dir, Stem + ".conda",
            ("metadata.json", """{"conda_pkg_format_version": 2}"""u8.ToArray()),
            ($"pkg-{Stem}.tar.zst", Encoding.ASCII.GetBytes("garbage, not zstd at all")),
            ($"info-{Stem}.tar.zst", info));

        Assert.Equal("demo", PackageArchive.ReadInfo(path, InfoMembers.All).Index.Name);
    }

    [SkippableFact]
    public void Conda_cut_in_half_is_reported_as_truncated()
    {
        using var dir = new TempDirectory();
        var good = dir.Combine("good", Stem + ".conda");
        PackageArchiveWriter.Write(good, Record(), Files());
        var bytes = File.ReadAllBytes(good);
        var path = dir.Combine(Stem + ".conda");
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);

        Assert.Equal(ErrorCodes.ArchiveTruncated, ReadFails(path).Code);
    }

    [SkippableFact]
    public void Zip_without_info_member_is_reported()
    {
        using var dir = new TempDirectory();
        var path = WriteZip(dir, Stem + ".conda",
            ("metadata.json", """{"conda_pkg_format_version": 2}"""u8.ToArray()),
            ($"pkg-{Stem}.tar.zst", Zst(Tar(Member("lib/x", "x")))));

        var e = ReadFails(path);

        Assert.Equal(ErrorCodes.CondaInfoMemberMissing, e.Code);
        Assert.Contains("metadata.json", e.Message);
    }

    [SkippableFact]
    public void Renamed_conda_is_reported_as_stem_mismatch()
    {
        using var dir = new TempDirectory();
        var original = dir.Combine("orig", Stem + ".conda");
        PackageArchiveWriter.Write(original, Record(), Files());
        var renamed = dir.Combine("demo-9.9-h1234_0.conda");
        File.Copy(original, renamed);

        var e = ReadFails(renamed);

        Assert.Equal(ErrorCodes.CondaStemMismatch, e.Code);
        Assert.Contains($"info-{Stem}.tar.zst", e.Message);
    }

    [SkippableFact]
    public void Zstd_frame_claiming_a_huge_window_is_rejected()
    {
        using var dir = new TempDirectory();
        // Magic, frame header descriptor 0x00 (no content size, not single segment, no checksum),
        // window descriptor 0xF0 (exponent 30, mantissa 0 → 2^40 bytes), then one empty raw last block.
        var frame = new byte[] { 0x28, 0xB5, 0x2F, 0xFD, 0x00, 0xF0, 0x01, 0x00, 0x00 };
        var path = WriteZip(dir, Stem + ".conda", ($"info-{Stem}.tar.zst", frame));

        var e = ReadFails(path);

        Assert.Equal(ErrorCodes.ArchiveZstdWindowTooLarge, e.Code);
        Assert.Contains("window larger than allowed", e.Message);
    }

    [SkippableFact]
    public void Corrupt_zstd_is_reported()
    {
        using var dir = new TempDirectory();
        var path = WriteZip(dir, Stem + ".conda", ($"info-{Stem}.tar.zst", Encoding.ASCII.GetBytes("definitely not zstd")));

        Assert.Equal(ErrorCodes.ArchiveZstdCorrupt, ReadFails(path).Code);
    }

    [SkippableFact]
    public void Zstd_stream_cut_short_is_reported_as_truncated()
    {
        using var dir = new TempDirectory();
        var info = Zst(Tar(IndexJson(), Member("info/about.json", new string('a', 4000))));
        var path = WriteZip(dir, Stem + ".conda", ($"info-{Stem}.tar.zst", info[..(info.Length - 100)]));

        Assert.Equal(ErrorCodes.ArchiveTruncated, ReadFails(path, InfoMembers.About).Code);
    }

    [SkippableFact]
    public void Info_tarball_member_outside_info_is_rejected()
    {
        using var dir = new TempDirectory();
        var path = WriteZip(dir, Stem + ".conda", ($"info-{Stem}.tar.zst", Zst(Tar(Member("lib/sneaky.so", "x"), IndexJson()))));

        var e = ReadFails(path);

        Assert.Equal(ErrorCodes.ArchiveUnsafeMemberPath, e.Code);
        Assert.Contains("lib/sneaky.so", e.Message);
    }

    [SkippableFact]
    public void Stream_overload_buffers_a_non_seekable_conda()
    {
        using var dir = new TempDirectory();
        var path = dir.Combine(Stem + ".conda");
        PackageArchiveWriter.Write(path, Record(), Files());

        using var stream = new PackageArchiveRoundTripTests.ForwardOnlyStream(File.ReadAllBytes(path));
        var info = PackageArchive.ReadInfo(stream, path, ArchiveFormat.Conda, InfoMembers.All);

        Assert.Equal("h1234_0", info.Index.Build);
        Assert.NotNull(info.RunExports);
    }
}
