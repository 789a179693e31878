using System.Text;

namespace CondaMirror.Core.Archives;

/// <summary>
/// Writes anonymised POSIX ustar members (uid/gid 0, empty owner names, one fixed mtime) so that identical
/// input gives identical bytes. Paths that do not fit the 100-byte name field, or are not ASCII, get a pax
/// <c>path</c> record, which every tar reader conda uses (Python tarfile, libarchive, GNU tar) understands.
/// </summary>
internal sealed class TarStreamWriter
{
    private const int BlockSize = TarStreamReader.BlockSize;
    private static readonly byte[] Zeros = new byte[BlockSize * 2];

    private readonly Stream _output;
    private readonly long _mtime;

    public TarStreamWriter(Stream output, long mtimeSeconds)
    {
        _output = output;
        _mtime = mtimeSeconds;
    }

    public void AddFile(string path, ReadOnlySpan<byte> content, int mode)
    {
        var nameBytes = Encoding.UTF8.GetBytes(path);
        var needsPax = nameBytes.Length > 100 || nameBytes.AsSpan().IndexOfAnyInRange((byte)0x80, (byte)0xFF) >= 0;
        if (needsPax)
        {
            var record = PaxRecord("path", path);
            // The pax header's own name is informational; keep it short, ASCII and deterministic.
            WriteHeader(AsciiTruncated("PaxHeaders/" + Path.GetFileName(path)), record.Length, 'x', 0b110_100_100);
            WriteData(record);
        }
        WriteHeader(needsPax ? AsciiTruncated(path) : nameBytes, content.Length, '0', mode);
        WriteData(content);
    }

    /// <summary>Writes the two zero blocks that end a tar archive.</summary>
    public void Finish() => _output.Write(Zeros);

    private void WriteHeader(byte[] name, long size, char type, int mode)
    {
        Span<byte> h = stackalloc byte[BlockSize];
        h.Clear();
        name.AsSpan(0, Math.Min(name.Length, 100)).CopyTo(h);
        Octal(h.Slice(100, 8), mode & 0xFFF);
        Octal(h.Slice(108, 8), 0); // uid
        Octal(h.Slice(116, 8), 0); // gid
        Octal(h.Slice(124, 12), size);
        Octal(h.Slice(136, 12), _mtime);
        h[156] = (byte)type;
        "ustar\0"u8.CopyTo(h[257..]);
        "00"u8.CopyTo(h[263..]);
        Octal(h.Slice(329, 8), 0); // devmajor
        Octal(h.Slice(337, 8), 0); // devminor

        h.Slice(148, 8).Fill((byte)' ');
        var sum = 0;
        foreach (var b in h) sum += b;
        // Checksum: six octal digits, NUL, space (the historic layout every reader accepts).
        Octal(h.Slice(148, 7), sum);
        h[155] = (byte)' ';
        _output.Write(h);
    }

    private void WriteData(ReadOnlySpan<byte> data)
    {
        _output.Write(data);
        var pad = (BlockSize - data.Length % BlockSize) % BlockSize;
        if (pad > 0) _output.Write(Zeros.AsSpan(0, pad));
    }

    /// <summary>Zero-padded octal digits followed by one NUL, filling the field exactly.</summary>
    private static void Octal(Span<byte> field, long value)
    {
        var digits = field.Length - 1;
        if (value < 0 || value >= 1L << (3 * digits))
            throw new ArgumentOutOfRangeException(nameof(value), value, "does not fit a ustar numeric field");
        for (var i = digits - 1; i >= 0; i--)
        {
            field[i] = (byte)('0' + (value & 7));
            value >>= 3;
        }
        field[digits] = 0;
    }

    private static byte[] PaxRecord(string key, string value)
    {
        // "LEN key=value\n" where LEN includes its own digits: iterate until the digit count is stable.
        var body = Encoding.UTF8.GetByteCount(key) + Encoding.UTF8.GetByteCount(value) + 3; // ' ', '=', '\n'
        var length = body + 1;
        while (length.ToString(System.Globalization.CultureInfo.InvariantCulture).Length + body != length)
            length = length.ToString(System.Globalization.CultureInfo.InvariantCulture).Length + body;
        return Encoding.UTF8.GetBytes($"{length} {key}={value}\n");
    }

    private static byte[] AsciiTruncated(string text)
    {
        var ascii = new StringBuilder(Math.Min(text.Length, 100));
        foreach (var c in text)
        {
            if (ascii.Length == 100) break;
            ascii.Append(c < 0x80 ? c : '_');
        }
        return Encoding.ASCII.GetBytes(ascii.ToString());
    }
}
