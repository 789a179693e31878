using System.Formats.Tar;
using System.IO.Compression;

namespace CondaMirror.TestKit.Channels;

/// <summary>One member of a package as an independent reader sees it.</summary>
public sealed record IndependentMember(string Path, byte[] Content, TarEntryType Type, UnixFileMode Mode, string LinkName);

/// <summary>
/// Reads a .conda or .tar.bz2 with none of the project's code: System.IO.Compression for the zip, Debian's zstd and
/// bzip2 for decompression (<see cref="ExternalCodec"/>), System.Formats.Tar for the tars. The oracle for tests of
/// the project's own package writer and readers.
/// </summary>
public static class IndependentPackageReader
{
    /// <summary>The outer zip's entry names in stored order, each with whether it is stored uncompressed (.conda only).</summary>
    public static IReadOnlyList<(string Name, bool Stored)> ZipEntries(string condaPath)
    {
        using var zip = ZipFile.OpenRead(condaPath);
        // Deflate never gives exactly the input length for a non-empty member (stored blocks add 5 bytes each).
        return zip.Entries.Select(e => (e.FullName, e.CompressedLength == e.Length)).ToList();
    }

    /// <summary>Every member of the package (info and payload), in archive order; for .conda, the pkg part first.</summary>
    public static IReadOnlyList<IndependentMember> Members(string path)
    {
        if (path.EndsWith(".tar.bz2", StringComparison.Ordinal))
            return Tar(ExternalCodec.Bunzip2(File.ReadAllBytes(path)));
        using var zip = ZipFile.OpenRead(path);
        var members = new List<IndependentMember>();
        foreach (var prefix in new[] { "pkg-", "info-" })
        {
            var entry = zip.Entries.Single(e => e.FullName.StartsWith(prefix, StringComparison.Ordinal) && e.FullName.EndsWith(".tar.zst", StringComparison.Ordinal));
            using var stream = entry.Open();
            var compressed = new MemoryStream();
            stream.CopyTo(compressed);
            members.AddRange(Tar(ExternalCodec.Unzstd(compressed.ToArray())));
        }
        return members;
    }

    /// <summary>The content of one member, e.g. <c>info/index.json</c>; fails when the package does not hold it.</summary>
    public static byte[] Member(string path, string member) =>
        Members(path).SingleOrDefault(m => m.Path == member)?.Content ?? throw new InvalidOperationException($"{path} has no member {member}");

    private static List<IndependentMember> Tar(byte[] tar)
    {
        var members = new List<IndependentMember>();
        using var reader = new TarReader(new MemoryStream(tar));
        while (reader.GetNextEntry() is { } entry)
        {
            var content = new MemoryStream();
            entry.DataStream?.CopyTo(content);
            members.Add(new IndependentMember(entry.Name, content.ToArray(), entry.EntryType, entry.Mode, entry.LinkName));
        }
        return members;
    }
}
