using System.Buffers;
using System.Text;
using CondaMirror.Core.Errors;

namespace CondaMirror.Core.Archives;

internal enum TarEntryKind
{
    File,
    Directory,
    SymbolicLink,
    HardLink,
    Other,
}

/// <summary>One tar member as the reader resolved it (long-name and pax records already applied).</summary>
internal sealed record TarEntry(string Name, TarEntryKind Kind, long Size, string? LinkName, int Mode);

/// <summary>
/// A forward-only tar reader over a non-seekable stream (a bzip2 or zstd decoder). Strict on purpose: every
/// header checksum is verified, numeric fields must parse, and a stream that stops inside a member is reported
/// as truncated instead of silently yielding a short file. Understands ustar, old v7, GNU long names
/// (<c>././@LongLink</c>, type L/K) and pax extended headers (type x/g: <c>path</c>, <c>linkpath</c>, <c>size</c>).
/// </summary>
internal sealed class TarStreamReader
{
    internal const int BlockSize = 512;

    // Metadata records (long names, pax headers) are tiny in practice; a cap stops a hostile size field
    // from making us buffer gigabytes before the real member is reached.
    private const int MaxMetadataRecordBytes = 1 << 20;

    private readonly Stream _source;
    private readonly string _file;
    private readonly byte[] _header = new byte[BlockSize];
    private readonly Dictionary<string, string> _globalPax = new(StringComparer.Ordinal);
    private long _unreadDataBytes; // data + padding of the current member not consumed yet
    private long _currentSize;
    private bool _currentConsumed = true;
    private bool _finished;
    private readonly Func<string, CondaMirrorException>? _damaged;

    /// <param name="damaged">Turns a truncation or corruption detail into the caller's error (a bundle is not a
    /// package archive); the package-archive errors when null.</param>
    public TarStreamReader(Stream source, string file, Func<string, CondaMirrorException>? damaged = null)
    {
        _source = source;
        _file = file;
        _damaged = damaged;
    }

    /// <summary>Advances to the next member (skipping any unread data of the current one); null at the end.</summary>
    public TarEntry? Next()
    {
        if (_finished) return null;
        Skip(_unreadDataBytes);
        _unreadDataBytes = 0;

        string? longName = null, longLink = null;
        Dictionary<string, string>? pax = null;
        while (true)
        {
            if (!ReadHeaderBlock())
            {
                _finished = true;
                if (longName is not null || longLink is not null || pax is not null)
                    throw Truncated("the tar stream ends right after an extended header");
                return null;
            }
            var type = (char)_header[156];
            var size = ParseSize();
            switch (type)
            {
                case 'L':
                    longName = ReadMetadataString(size, "GNU long name");
                    continue;
                case 'K':
                    longLink = ReadMetadataString(size, "GNU long link name");
                    continue;
                case 'x':
                    pax = ParsePax(ReadMetadataBytes(size, "pax header"));
                    continue;
                case 'g':
                    foreach (var (k, v) in ParsePax(ReadMetadataBytes(size, "global pax header"))) _globalPax[k] = v;
                    continue;
            }

            var name = ResolveName(longName, pax);
            var link = longLink ?? Lookup(pax, "linkpath") ?? ReadString(157, 100);
            if (Lookup(pax, "size") is { } paxSize)
            {
                if (!long.TryParse(paxSize, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out size))
                    throw Corrupt($"pax size \"{paxSize}\" of member '{name}' is not a number");
            }
            var kind = type switch
            {
                '0' or '\0' or '7' => TarEntryKind.File,
                '5' => TarEntryKind.Directory,
                '2' => TarEntryKind.SymbolicLink,
                '1' => TarEntryKind.HardLink,
                _ => TarEntryKind.Other,
            };
            // Old v7 archives mark directories only by a trailing slash on a regular-file entry.
            if (kind == TarEntryKind.File && name.EndsWith('/')) kind = TarEntryKind.Directory;
            // Links and directories carry no data in the stream whatever their size field says.
            if (kind is TarEntryKind.SymbolicLink or TarEntryKind.HardLink or TarEntryKind.Directory) size = 0;

            _currentSize = size;
            _unreadDataBytes = Padded(size);
            _currentConsumed = false;
            var mode = (int)(ParseNumber(100, 8, "mode") & 0xFFF);
            return new TarEntry(name, kind, size, kind is TarEntryKind.SymbolicLink or TarEntryKind.HardLink ? link : null, mode);
        }
    }

    /// <summary>Reads the whole data of the member returned by the last <see cref="Next"/>.</summary>
    public byte[] ReadContent()
    {
        if (_currentConsumed) throw new InvalidOperationException("the current member's data was already read");
        if (_currentSize > Array.MaxLength) throw new InvalidOperationException("member too large to buffer");
        var data = new byte[_currentSize];
        ReadExactly(data, "member data");
        _currentConsumed = true;
        _unreadDataBytes -= _currentSize;
        return data;
    }

    /// <summary>Streams the data of the member returned by the last <see cref="Next"/> into <paramref name="destination"/>.</summary>
    public void CopyContentTo(Stream destination, CancellationToken ct = default)
    {
        if (_currentConsumed) throw new InvalidOperationException("the current member's data was already read");
        var buffer = ArrayPool<byte>.Shared.Rent(81920);
        try
        {
            var left = _currentSize;
            while (left > 0)
            {
                ct.ThrowIfCancellationRequested();
                var n = _source.Read(buffer, 0, (int)Math.Min(left, buffer.Length));
                if (n == 0) throw Truncated("the tar stream ends inside a member's data");
                destination.Write(buffer, 0, n);
                left -= n;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        _currentConsumed = true;
        _unreadDataBytes -= _currentSize;
    }

    /// <summary>Reads whatever follows the end-of-archive marker (padding, compressor trailer) and discards it.</summary>
    public void DrainSource()
    {
        var buffer = ArrayPool<byte>.Shared.Rent(16384);
        try
        {
            while (_source.Read(buffer, 0, buffer.Length) > 0) { }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private string ResolveName(string? longName, Dictionary<string, string>? pax)
    {
        var paxPath = Lookup(pax, "path");
        if (paxPath is not null) return paxPath;
        if (longName is not null) return longName;
        var name = ReadString(0, 100);
        // Only POSIX ustar ("ustar\0" + "00") has a prefix field; GNU ("ustar  \0") reuses those bytes.
        var isPosixUstar = _header.AsSpan(257, 6).SequenceEqual("ustar\0"u8);
        if (isPosixUstar)
        {
            var prefix = ReadString(345, 155);
            if (prefix.Length > 0) name = prefix + "/" + name;
        }
        return name;
    }

    private string? Lookup(Dictionary<string, string>? pax, string key) =>
        pax is not null && pax.TryGetValue(key, out var v) ? v : _globalPax.TryGetValue(key, out var g) ? g : null;

    /// <summary>Reads one header block; false on a clean end (zero block or end of stream at a block boundary).</summary>
    private bool ReadHeaderBlock()
    {
        var read = ReadUpTo(_header);
        if (read == 0) return false; // some writers omit the two zero end blocks; a member boundary is a clean end
        if (read < BlockSize) throw Truncated("the tar stream ends inside a member header");
        if (_header.AsSpan().IndexOfAnyExcept((byte)0) < 0) return false;
        VerifyChecksum();
        return true;
    }

    private void VerifyChecksum()
    {
        long unsignedSum = 0, signedSum = 0;
        for (var i = 0; i < BlockSize; i++)
        {
            var b = i is >= 148 and < 156 ? (byte)' ' : _header[i];
            unsignedSum += b;
            signedSum += (sbyte)b;
        }
        var stored = ParseNumber(148, 8, "checksum");
        // Historic writers summed signed chars; accept either like GNU tar does.
        if (stored != unsignedSum && stored != signedSum)
            throw Corrupt($"a tar header checksum does not match (stored {stored}, computed {unsignedSum}); the archive is damaged");
    }

    private long ParseSize()
    {
        var size = ParseNumber(124, 12, "size");
        if (size < 0) throw Corrupt("a tar member has a negative size");
        return size;
    }

    private long ParseNumber(int offset, int length, string field)
    {
        var span = _header.AsSpan(offset, length);
        if ((span[0] & 0x80) != 0)
        {
            // GNU base-256: big-endian, marker bit in the first byte; negative values are never valid here.
            if ((span[0] & 0x40) != 0) return -1;
            long value = span[0] & 0x3F;
            foreach (var b in span[1..])
            {
                if (value > (long.MaxValue >> 8)) throw Corrupt($"the tar {field} field is too large");
                value = (value << 8) | b;
            }
            return value;
        }
        long result = 0;
        var i = 0;
        while (i < span.Length && (span[i] == (byte)' ' || span[i] == 0)) i++;
        for (; i < span.Length; i++)
        {
            var c = span[i];
            if (c is (byte)' ' or 0) break;
            if (c is < (byte)'0' or > (byte)'7')
                throw Corrupt($"the tar {field} field holds '{Encoding.ASCII.GetString(span).TrimEnd('\0')}', not an octal number");
            result = (result << 3) + (c - '0');
        }
        for (; i < span.Length; i++)
            if (span[i] is not ((byte)' ' or 0))
                throw Corrupt($"the tar {field} field has trailing garbage");
        return result;
    }

    private string ReadString(int offset, int length)
    {
        var span = _header.AsSpan(offset, length);
        var end = span.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? span : span[..end]);
    }

    private byte[] ReadMetadataBytes(long size, string what)
    {
        if (size > MaxMetadataRecordBytes)
            throw Corrupt($"a {what} of {size} bytes exceeds the {MaxMetadataRecordBytes / 1024} KB limit");
        var data = new byte[size];
        ReadExactly(data, what);
        Skip(Padded(size) - size);
        return data;
    }

    private string ReadMetadataString(long size, string what)
    {
        var data = ReadMetadataBytes(size, what);
        var end = Array.IndexOf(data, (byte)0);
        return Encoding.UTF8.GetString(data, 0, end < 0 ? data.Length : end);
    }

    /// <summary>Parses pax records "LEN key=value\n", where LEN counts the whole record including itself.</summary>
    private Dictionary<string, string> ParsePax(byte[] data)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        var pos = 0;
        while (pos < data.Length)
        {
            if (data[pos] == 0) break; // zero padding after the last record
            var space = Array.IndexOf(data, (byte)' ', pos);
            if (space < 0 || !int.TryParse(data.AsSpan(pos, space - pos), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var length)
                || length <= space - pos + 1 || pos + length > data.Length || data[pos + length - 1] != (byte)'\n')
                throw Corrupt("a pax extended header record is malformed");
            var record = data.AsSpan(space + 1, pos + length - 1 - (space + 1));
            var eq = record.IndexOf((byte)'=');
            if (eq <= 0) throw Corrupt("a pax extended header record has no key");
            result[Encoding.UTF8.GetString(record[..eq])] = Encoding.UTF8.GetString(record[(eq + 1)..]);
            pos += length;
        }
        return result;
    }

    private static long Padded(long size) => (size + BlockSize - 1) / BlockSize * BlockSize;

    private void ReadExactly(byte[] buffer, string what)
    {
        if (ReadUpTo(buffer) < buffer.Length) throw Truncated($"the tar stream ends inside {what}");
    }

    private int ReadUpTo(Span<byte> buffer)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var n = _source.Read(buffer[total..]);
            if (n == 0) break;
            total += n;
        }
        return total;
    }

    private void Skip(long count)
    {
        if (count <= 0) return;
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(count, 81920));
        try
        {
            while (count > 0)
            {
                var n = _source.Read(buffer, 0, (int)Math.Min(count, buffer.Length));
                if (n == 0) throw Truncated("the tar stream ends inside a member's data");
                count -= n;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private CondaMirrorException Truncated(string detail) => _damaged?.Invoke(detail) ?? new(ErrorCodes.ArchiveTruncated,
        $"Package archive is truncated: {detail}. The file is incomplete; re-download it or remove it from the folder.", _file);

    private CondaMirrorException Corrupt(string detail) => _damaged?.Invoke(detail) ?? new(ErrorCodes.ArchiveTarCorrupt,
        $"Package archive is corrupt: {detail}. Re-download it or remove it from the folder.", _file);
}
