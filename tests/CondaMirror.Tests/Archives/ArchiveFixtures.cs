using System.Text;
using CondaMirror.Core.Archives;
using CondaMirror.Core.Records;

namespace CondaMirror.Tests.Archives;

/// <summary>Builders for package fixtures, including hand-made tar bytes that our own writer would refuse to produce.</summary>
internal static class ArchiveFixtures
{
    public static PackageRecord Record(string name = "demo", string version = "1.2.3", string build = "h1234_0") => new()
    {
        Name = name,
        Version = version,
        Build = build,
        BuildNumber = 0,
        Subdir = "linux-64",
        Depends = { "libzlib >=1.2.13,<2.0a0", "python >=3.8" },
        Constrains = { "demo-extras ==1.2.3" },
        License = "BSD-3-Clause",
        Timestamp = 1_700_000_000_000,
    };

    public static List<PackageFileEntry> Files() => new()
    {
        new("lib/libdemo.so", Encoding.UTF8.GetBytes("not really an ELF"), 0b111_101_101),
        new("share/demo/readme.txt", Encoding.UTF8.GetBytes("hello\n")),
        new("info/run_exports.json", Encoding.UTF8.GetBytes("""{"weak": ["demo >=1.2.3,<2.0a0"]}""")),
    };

    /// <summary>One ustar header block (checksum filled in) for crafting archives by hand.</summary>
    public static byte[] TarHeader(string name, long size, char type = '0', string linkName = "", string magic = "ustar\0", string version = "00")
    {
        var h = new byte[512];
        Encoding.UTF8.GetBytes(name).AsSpan(0, Math.Min(100, Encoding.UTF8.GetByteCount(name))).CopyTo(h);
        Encoding.ASCII.GetBytes("0000644\0").CopyTo(h, 100);
        Encoding.ASCII.GetBytes("0000000\0").CopyTo(h, 108);
        Encoding.ASCII.GetBytes("0000000\0").CopyTo(h, 116);
        Encoding.ASCII.GetBytes(Convert.ToString(size, 8).PadLeft(11, '0') + "\0").CopyTo(h, 124);
        Encoding.ASCII.GetBytes("00000000000\0").CopyTo(h, 136);
        h[156] = (byte)type;
        Encoding.UTF8.GetBytes(linkName).CopyTo(h, 157);
        Encoding.ASCII.GetBytes(magic).CopyTo(h, 257);
        Encoding.ASCII.GetBytes(version).CopyTo(h, 263);
        for (var i = 148; i < 156; i++) h[i] = (byte)' ';
        var sum = h.Sum(b => b);
        Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ").CopyTo(h, 148);
        return h;
    }

    /// <summary>A tar stream from (header, data) pairs: data padded to 512 bytes, two zero blocks at the end.</summary>
    public static byte[] Tar(params (byte[] Header, byte[] Data)[] members)
    {
        var ms = new MemoryStream();
        foreach (var (header, data) in members)
        {
            ms.Write(header);
            ms.Write(data);
            ms.Write(new byte[(512 - data.Length % 512) % 512]);
        }
        ms.Write(new byte[1024]);
        return ms.ToArray();
    }

    public static (byte[], byte[]) Member(string name, string content)
    {
        var data = Encoding.UTF8.GetBytes(content);
        return (TarHeader(name, data.Length), data);
    }

    public static (byte[], byte[]) IndexJson(string name = "info/index.json") =>
        Member(name, """{"name": "demo", "version": "1.2.3", "build": "h1234_0", "build_number": 0, "depends": []}""");

    /// <summary>Debian's bzip2, not SharpZipLib (the library our reader decodes with), so the reader meets an independent encoder.</summary>
    public static byte[] Bzip2(byte[] data, int blockSize = 9) => CondaMirror.TestKit.ExternalCodec.Bzip2(data, blockSize);
}
