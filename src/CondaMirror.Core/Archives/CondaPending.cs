namespace CondaMirror.Core.Archives;

// .conda support needs the zstd codec (CondaMirror.Core.Zstd), which is merged separately.
public static partial class PackageArchive
{
    private static PackageInfo ReadConda(Stream stream, ReadOnlySpan<byte> magic, string file, InfoMembers wanted, CancellationToken ct) =>
        throw new NotSupportedException(".conda reading needs the zstd decoder, which is not merged yet");
}

public static partial class PackageArchiveWriter
{
    private static void WriteConda(Stream output, string stem, List<PackageFileEntry> info, List<PackageFileEntry> payload, PackageWriteOptions options) =>
        throw new NotSupportedException(".conda writing needs the zstd encoder, which is not merged yet");
}
