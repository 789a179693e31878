using System.Buffers;
using MessagePack;

namespace CondaMirror.Tests.Repodata.Shards;

/// <summary>MessagePack fixtures built in code: whole documents, or raw bytes where a test needs malformed ones.</summary>
internal static class ShardFixtures
{
    public delegate void Build(ref MessagePackWriter w);

    public static byte[] Pack(Build build)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var w = new MessagePackWriter(buffer);
        build(ref w);
        w.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    public static byte[] Hash(byte seed) => Enumerable.Range(0, 32).Select(i => (byte)(seed + i)).ToArray();

    /// <summary>An index of two names, hashes as bin 32 (rattler-index today).</summary>
    public static byte[] IndexWithBinHashes() => Pack((ref MessagePackWriter w) =>
    {
        w.WriteMapHeader(3);
        w.Write("info");
        w.WriteMapHeader(5);
        w.Write("subdir"); w.Write("linux-64");
        w.Write("base_url"); w.Write("../packages/");
        w.Write("shards_base_url"); w.Write("./shards/");
        w.Write("created_at"); w.Write("2025-06-01T12:00:00Z");
        w.Write("mirror_of"); w.Write("conda-forge");
        w.Write("version"); w.Write(1);
        w.Write("shards");
        w.WriteMapHeader(2);
        w.Write("zlib"); w.Write(Hash(1));
        w.Write("python"); w.Write(Hash(100));
    });

    /// <summary>The same index with hashes as arrays of 32 integers (older rattler-index).</summary>
    public static byte[] IndexWithArrayHashes() => Pack((ref MessagePackWriter w) =>
    {
        w.WriteMapHeader(2);
        w.Write("info");
        w.WriteMapHeader(3);
        w.Write("subdir"); w.Write("linux-64");
        w.Write("base_url"); w.Write("../packages/");
        w.Write("shards_base_url"); w.Write("./shards/");
        w.Write("shards");
        w.WriteMapHeader(2);
        foreach (var (name, seed) in new[] { ("zlib", (byte)1), ("python", (byte)100) })
        {
            w.Write(name);
            w.WriteArrayHeader(32);
            foreach (var b in Hash(seed)) w.Write(b); // fixint for < 128, uint8 above: both integer encodings
        }
    });

    /// <summary>A shard of zlib: one .tar.bz2 and one .conda record with hashes as bytes, and one removed file.</summary>
    public static byte[] ZlibShard(Build? extraRecordFields = null, int extraCount = 0) => Pack((ref MessagePackWriter w) =>
    {
        w.WriteMapHeader(3);
        w.Write("packages");
        w.WriteMapHeader(1);
        w.Write("zlib-1.3.1-hb9d3cd8_2.tar.bz2");
        WriteZlibRecord(ref w, extraRecordFields, extraCount);
        w.Write("packages.conda");
        w.WriteMapHeader(1);
        w.Write("zlib-1.3.1-hb9d3cd8_2.conda");
        WriteZlibRecord(ref w, null, 0);
        w.Write("removed");
        w.WriteArrayHeader(1);
        w.Write("zlib-1.2.13-h0_0.tar.bz2");
    });

    public static readonly byte[] Md5 = Enumerable.Range(0, 16).Select(i => (byte)(0xa0 + i)).ToArray();
    public static readonly byte[] Sha256 = Enumerable.Range(0, 32).Select(i => (byte)(0x10 + i)).ToArray();

    private static void WriteZlibRecord(ref MessagePackWriter w, Build? extra, int extraCount)
    {
        w.WriteMapHeader(9 + extraCount);
        w.Write("build"); w.Write("hb9d3cd8_2");
        w.Write("build_number"); w.Write(2);
        w.Write("depends"); w.WriteArrayHeader(2); w.Write("__glibc >=2.17,<3.0.a0"); w.Write("libgcc >=13");
        w.Write("md5"); w.Write(Md5);
        w.Write("name"); w.Write("zlib");
        w.Write("sha256"); w.Write(Sha256);
        w.Write("size"); w.Write(92286);
        w.Write("timestamp"); w.Write(1727963453000UL);
        w.Write("version"); w.Write("1.3.1");
        extra?.Invoke(ref w);
    }
}
