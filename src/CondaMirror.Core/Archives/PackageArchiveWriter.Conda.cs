using System.IO.Compression;
using System.Text;
using CondaMirror.Core.Zstd;

namespace CondaMirror.Core.Archives;

public static partial class PackageArchiveWriter
{
    // 1980-01-01 is the earliest DOS timestamp a zip can hold; a constant keeps the output reproducible.
    private static readonly DateTimeOffset ZipEpoch = new(1980, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// CEP 35 layout as conda-package-handling writes it: an uncompressed zip holding metadata.json, then
    /// pkg-&lt;stem&gt;.tar.zst, then info-&lt;stem&gt;.tar.zst (info last so it can be range-read).
    /// </summary>
    private static void WriteConda(Stream output, string stem, List<PackageFileEntry> info, List<PackageFileEntry> payload, PackageWriteOptions options)
    {
        using var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true, entryNameEncoding: Encoding.UTF8);
        AddStored(zip, "metadata.json", s => s.Write("{\"conda_pkg_format_version\": 2}"u8));
        AddStored(zip, $"pkg-{stem}.tar.zst", s => WriteTarZst(s, payload, options));
        AddStored(zip, $"info-{stem}.tar.zst", s => WriteTarZst(s, info, options));
    }

    private static void WriteTarZst(Stream destination, List<PackageFileEntry> members, PackageWriteOptions options)
    {
        using var zstd = ZstdCodec.Compress(destination, null, leaveOpen: true);
        WriteTar(zstd, members, options);
    }

    private static void AddStored(ZipArchive zip, string name, Action<Stream> write)
    {
        var entry = zip.CreateEntry(name, CompressionLevel.NoCompression);
        entry.LastWriteTime = ZipEpoch;
        using var stream = entry.Open();
        write(stream);
    }
}
