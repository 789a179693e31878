using System.Text;
using CondaMirror.Core.Archives;
using CondaMirror.Core.Errors;
using Xunit;
using static CondaMirror.Tests.Archives.ArchiveFixtures;

namespace CondaMirror.Tests.Archives;

public class TarStreamReaderTests
{
    private static List<TarEntry> ReadAll(byte[] tar)
    {
        var reader = new TarStreamReader(new MemoryStream(tar), "test.tar");
        var entries = new List<TarEntry>();
        while (reader.Next() is { } e) entries.Add(e);
        return entries;
    }

    private static byte[] Pax(params (string Key, string Value)[] records)
    {
        var sb = new StringBuilder();
        foreach (var (key, value) in records)
        {
            // The length prefix counts UTF-8 bytes, including its own digits.
            var body = Encoding.UTF8.GetByteCount($" {key}={value}\n");
            var length = body + 1;
            while (length.ToString().Length + body != length) length++;
            sb.Append(length).Append($" {key}={value}\n");
        }
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    [SkippableFact]
    public void Ustar_prefix_field_is_joined_to_the_name()
    {
        var header = TarHeader("module.py", 0);
        Encoding.ASCII.GetBytes("lib/python3.12/site-packages/pkg").CopyTo(header, 345);
        FixChecksum(header);

        Assert.Equal("lib/python3.12/site-packages/pkg/module.py", Assert.Single(ReadAll(Tar((header, Array.Empty<byte>())))).Name);
    }

    [SkippableFact]
    public void Gnu_header_ignores_the_prefix_area()
    {
        // GNU tar keeps atime/ctime where ustar has the prefix; reading it as a prefix would corrupt names.
        var header = TarHeader("file", 0, magic: "ustar ", version: " \0");
        Encoding.ASCII.GetBytes("14567123456").CopyTo(header, 345);
        FixChecksum(header);

        Assert.Equal("file", Assert.Single(ReadAll(Tar((header, Array.Empty<byte>())))).Name);
    }

    [SkippableFact]
    public void Pax_path_linkpath_and_size_override_the_header()
    {
        var payload = new byte[700];
        var pax = Pax(("path", "ü/" + new string('n', 150)), ("size", "700"), ("mtime", "1.5"));
        var link = Pax(("linkpath", "target/" + new string('t', 120)));
        var entries = ReadAll(Tar(
            (TarHeader("PaxHeader/x", pax.Length, 'x'), pax),
            (TarHeader("short", 1), payload), // header size is wrong on purpose: the pax size wins
            (TarHeader("PaxHeader/y", link.Length, 'x'), link),
            (TarHeader("link", 0, '2', linkName: "short-target"), Array.Empty<byte>()),
            Member("after", "x")));

        Assert.Equal(3, entries.Count);
        Assert.Equal("ü/" + new string('n', 150), entries[0].Name);
        Assert.Equal(700, entries[0].Size);
        Assert.Equal(TarEntryKind.SymbolicLink, entries[1].Kind);
        Assert.Equal("target/" + new string('t', 120), entries[1].LinkName);
        Assert.Equal("after", entries[2].Name);
    }

    [SkippableFact]
    public void Global_pax_header_is_not_a_member()
    {
        var global = Pax(("comment", "made by a test"));
        var entries = ReadAll(Tar((TarHeader("pax_global_header", global.Length, 'g'), global), Member("a", "1"), Member("b", "2")));

        Assert.Equal(new[] { "a", "b" }, entries.Select(e => e.Name));
    }

    [SkippableFact]
    public void Gnu_long_link_sets_the_link_target()
    {
        var target = Encoding.UTF8.GetBytes(new string('t', 130) + "\0");
        var entries = ReadAll(Tar(
            (TarHeader("././@LongLink", target.Length, 'K'), target),
            (TarHeader("lib/link", 0, '2', linkName: "truncated"), Array.Empty<byte>())));

        Assert.Equal(new string('t', 130), Assert.Single(entries).LinkName);
    }

    [SkippableFact]
    public void Base256_size_is_understood()
    {
        var header = TarHeader("big", 0);
        Array.Clear(header, 124, 12);
        header[124] = 0x80;
        header[135] = 0x05; // size 5 in GNU base-256
        FixChecksum(header);

        var entry = Assert.Single(ReadAll(Tar((header, "12345"u8.ToArray()))));
        Assert.Equal(5, entry.Size);
    }

    [SkippableFact]
    public void Directories_symlinks_and_hardlinks_are_classified()
    {
        var entries = ReadAll(Tar(
            (TarHeader("dir/", 0, '5'), Array.Empty<byte>()),
            (TarHeader("old-style-dir/", 0, '0'), Array.Empty<byte>()),
            (TarHeader("sym", 0, '2', linkName: "dir"), Array.Empty<byte>()),
            (TarHeader("hard", 0, '1', linkName: "sym"), Array.Empty<byte>()),
            (TarHeader("fifo", 0, '6'), Array.Empty<byte>())));

        Assert.Equal(new[] { TarEntryKind.Directory, TarEntryKind.Directory, TarEntryKind.SymbolicLink, TarEntryKind.HardLink, TarEntryKind.Other },
            entries.Select(e => e.Kind));
    }

    [SkippableFact]
    public void End_of_stream_at_a_member_boundary_is_a_clean_end()
    {
        var tar = Tar(Member("a", "1"));
        Assert.Single(ReadAll(tar[..1024])); // header + data block, no end-of-archive blocks
    }

    [SkippableTheory]
    [InlineData(300)]  // inside the header
    [InlineData(600)]  // inside the data (member has 1000 bytes)
    public void Stream_ending_inside_a_member_is_truncated(int cut)
    {
        var tar = Tar(Member("a", new string('x', 1000)));
        var reader = new TarStreamReader(new MemoryStream(tar[..cut]), "cut.tar");

        var e = Assert.Throws<CondaMirrorException>(() =>
        {
            while (reader.Next() is { } entry) reader.ReadContent();
        });
        Assert.Equal(ErrorCodes.ArchiveTruncated, e.Code);
        Assert.Equal("cut.tar", e.File);
    }

    [SkippableTheory]
    [InlineData(124, "0000000009a\0")] // size: not octal
    [InlineData(100, "06x4\0\0\0\0")] // mode: not octal
    public void Malformed_numeric_fields_are_corrupt(int offset, string value)
    {
        var header = TarHeader("a", 0);
        Encoding.ASCII.GetBytes(value).CopyTo(header, offset);
        FixChecksum(header);

        var e = Assert.Throws<CondaMirrorException>(() => ReadAll(Tar((header, Array.Empty<byte>()))));
        Assert.Equal(ErrorCodes.ArchiveTarCorrupt, e.Code);
    }

    [SkippableFact]
    public void Malformed_pax_record_is_corrupt()
    {
        var pax = Encoding.UTF8.GetBytes("99 path=x\n");
        var e = Assert.Throws<CondaMirrorException>(() => ReadAll(Tar((TarHeader("p", pax.Length, 'x'), pax), Member("a", "1"))));
        Assert.Equal(ErrorCodes.ArchiveTarCorrupt, e.Code);
    }

    [SkippableFact]
    public void Hostile_long_name_size_is_refused_before_buffering()
    {
        var e = Assert.Throws<CondaMirrorException>(() => ReadAll(TarHeader("././@LongLink", 1L << 32, 'L')));
        Assert.Equal(ErrorCodes.ArchiveTarCorrupt, e.Code);
    }

    private static void FixChecksum(byte[] header)
    {
        for (var i = 148; i < 156; i++) header[i] = (byte)' ';
        var sum = header.Sum(b => b);
        Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ").CopyTo(header, 148);
    }
}
