using System.IO.Compression;
using System.Text;

namespace CondaMirror.TestKit.Channels;

/// <summary>One tar member exactly as given: any name, type ('0' file, '1' hard link, '2' symbolic link, '5' folder) and link target.</summary>
public sealed record RawTarMember(string Name, byte[] Content, char Type = '0', string? LinkName = null)
{
    public static RawTarMember File(string name, string content) => new(name, Encoding.UTF8.GetBytes(content));
    public static RawTarMember Symlink(string name, string target) => new(name, Array.Empty<byte>(), '2', target);
    public static RawTarMember Hardlink(string name, string target) => new(name, Array.Empty<byte>(), '1', target);
}

/// <summary>
/// Writes packages the project's own writer refuses to write: members with absolute or <c>..</c> paths, links
/// pointing anywhere, and zstd decompression bombs. For tests of hostile input only. The tar is assembled here byte by
/// byte; compression is Debian's zstd and bzip2 (<see cref="ExternalCodec"/>), never the project's own codecs.
/// </summary>
public static class RawPackageWriter
{
    /// <summary>Writes a .conda or .tar.bz2 (by extension) with info/index.json from <paramref name="indexJson"/> and the given payload members.</summary>
    public static string Write(string path, string indexJson, IEnumerable<RawTarMember> payload, IEnumerable<RawTarMember>? extraInfo = null)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var info = new List<RawTarMember> { RawTarMember.File("info/index.json", indexJson) };
        info.AddRange(extraInfo ?? Array.Empty<RawTarMember>());
        var fileName = Path.GetFileName(path);
        using var output = new FileStream(path, FileMode.Create, FileAccess.ReadWrite);
        if (fileName.EndsWith(".conda", StringComparison.Ordinal))
        {
            var stem = fileName[..^".conda".Length];
            WriteConda(output, stem, ExternalCodec.Zstd(Tar(payload)), ExternalCodec.Zstd(Tar(info)));
        }
        else
        {
            output.Write(ExternalCodec.Bzip2(Tar(info.Concat(payload))));
        }
        return path;
    }

    /// <summary>A .conda whose pkg part is a zstd stream that unpacks to <paramref name="unpackedBytes"/> of tar
    /// (one member of zeros) while the file stays tiny: RLE blocks of 128 KB take 4 bytes each.</summary>
    public static string WriteZstdBomb(string path, string indexJson, long unpackedBytes)
    {
        var stem = Path.GetFileName(path)[..^".conda".Length];
        var dataBytes = unpackedBytes - 512;
        var header = Tar(new[] { new RawTarMember("share/zeros.bin", Array.Empty<byte>()) })[..512];
        WriteSize(header, dataBytes);
        var frame = new MemoryStream();
        frame.Write([0x28, 0xB5, 0x2F, 0xFD]); // magic
        frame.WriteByte(0x00); // frame header: no content size, no checksum, not single segment
        frame.WriteByte(0x38); // window descriptor: 2^17 = 128 KB
        WriteBlockHeader(frame, last: false, type: 0, size: 512);
        frame.Write(header);
        const int Block = 128 * 1024;
        for (var left = dataBytes; left > 0; left -= Block)
        {
            WriteBlockHeader(frame, last: false, type: 1, size: (int)Math.Min(Block, left));
            frame.WriteByte(0);
        }
        WriteBlockHeader(frame, last: true, type: 1, size: 1024); // the two zero blocks that end a tar
        frame.WriteByte(0);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        using var output = new FileStream(path, FileMode.Create, FileAccess.ReadWrite);
        WriteConda(output, stem, frame.ToArray(), ExternalCodec.Zstd(Tar(new[] { RawTarMember.File("info/index.json", indexJson) })));
        return path;
    }

    /// <summary>A ustar stream of the members, with a pax <c>path</c>/<c>linkpath</c> record where a name is too long.</summary>
    public static byte[] Tar(IEnumerable<RawTarMember> members)
    {
        var tar = new MemoryStream();
        foreach (var m in members)
        {
            if (Encoding.UTF8.GetByteCount(m.Name) > 100 || Encoding.UTF8.GetByteCount(m.LinkName ?? "") > 100)
            {
                var pax = Pax("path", m.Name).Concat(m.LinkName is null ? Array.Empty<byte>() : Pax("linkpath", m.LinkName)).ToArray();
                tar.Write(Header("PaxHeader", pax.Length, 'x', null));
                Pad(tar, pax);
            }
            tar.Write(Header(m.Name, m.Content.Length, m.Type, m.LinkName));
            Pad(tar, m.Content);
        }
        tar.Write(new byte[1024]);
        return tar.ToArray();
    }

    private static void WriteConda(Stream output, string stem, byte[] pkgZst, byte[] infoZst)
    {
        using var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true);
        Add(zip, "metadata.json", "{\"conda_pkg_format_version\": 2}"u8.ToArray());
        Add(zip, $"pkg-{stem}.tar.zst", pkgZst);
        Add(zip, $"info-{stem}.tar.zst", infoZst);
    }

    private static void Add(ZipArchive zip, string name, byte[] content)
    {
        using var s = zip.CreateEntry(name, CompressionLevel.NoCompression).Open();
        s.Write(content);
    }

    private static byte[] Header(string name, long size, char type, string? linkName)
    {
        var h = new byte[512];
        Ascii(h, 0, 100, name);
        Ascii(h, 100, 8, type is '2' or '5' ? "0000755" : "0000644");
        Ascii(h, 108, 8, "0000000");
        Ascii(h, 116, 8, "0000000");
        WriteSize(h, size);
        Ascii(h, 136, 12, "00000000000");
        h[156] = (byte)type;
        if (linkName is not null) Ascii(h, 157, 100, linkName);
        "ustar\0"u8.CopyTo(h.AsSpan(257));
        "00"u8.CopyTo(h.AsSpan(263));
        Checksum(h);
        return h;
    }

    private static void WriteSize(byte[] header, long size)
    {
        Ascii(header, 124, 12, Convert.ToString(size, 8).PadLeft(11, '0'));
        Checksum(header);
    }

    private static void Checksum(byte[] h)
    {
        h.AsSpan(148, 8).Fill((byte)' ');
        var sum = h.Sum(b => (int)b);
        Ascii(h, 148, 8, Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ");
    }

    private static void Ascii(byte[] h, int offset, int length, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        h.AsSpan(offset, length).Clear();
        bytes.AsSpan(0, Math.Min(bytes.Length, length)).CopyTo(h.AsSpan(offset));
    }

    private static byte[] Pax(string key, string value)
    {
        var body = Encoding.UTF8.GetByteCount(key) + Encoding.UTF8.GetByteCount(value) + 3;
        var length = body + 1;
        while (length.ToString().Length + body != length) length = length.ToString().Length + body;
        return Encoding.UTF8.GetBytes($"{length} {key}={value}\n");
    }

    private static void Pad(Stream tar, byte[] data)
    {
        tar.Write(data);
        var pad = (512 - data.Length % 512) % 512;
        tar.Write(new byte[pad]);
    }

    private static void WriteBlockHeader(Stream s, bool last, int type, int size)
    {
        var value = (last ? 1 : 0) | (type << 1) | (size << 3);
        s.WriteByte((byte)value);
        s.WriteByte((byte)(value >> 8));
        s.WriteByte((byte)(value >> 16));
    }

    /// <summary>A minimal info/index.json.</summary>
    public static string IndexJson(string name, string version, string build, string subdir) =>
        $$"""{"name": "{{name}}", "version": "{{version}}", "build": "{{build}}", "build_number": 0, "subdir": "{{subdir.Replace("\\", "\\\\")}}", "depends": []}""";
}
