using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Records;

namespace CondaMirror.Core.Repodata;

/// <summary>
/// The single pass behind <see cref="SparseRepodata"/>: walks the top-level object with Utf8JsonReader, and for
/// every entry of "packages" and "packages.conda" notes the key and object byte ranges and the value of the
/// record's "name" key; every other value is skipped without being decoded. The only allocations are the
/// index arrays and one string per distinct package name.
/// </summary>
internal static class RepodataParser
{
    // The pass runs once per process over hundreds of MB: its methods are compiled optimised from the first call, since
    // tiered compilation would run the first subdir's whole pass (a build's only one) in unoptimised code.
    private const MethodImplOptions Hot = MethodImplOptions.AggressiveOptimization;

    /// <summary>Largest single value (one record, or a skipped top-level value such as "removed") a window may have to hold.</summary>
    internal const int MaxWindowBytes = 256 << 20;

    // 1 MiB, not more: noarch and a platform are indexed at once, each pass holding its own window.
    internal const int InitialWindowBytes = 1 << 20;

    public static RepodataOutline Build(byte[] json, string? path) =>
        Build(new ArrayWindows(json), json.Length, path, InitialWindowBytes, CancellationToken.None);

    /// <summary>
    /// Indexes a file without holding it: the file is read in windows of a few MB, and only the index arrays stay.
    /// Offsets in the index are file offsets.
    /// </summary>
    public static RepodataOutline Build(Microsoft.Win32.SafeHandles.SafeFileHandle file, long length, string? path, CancellationToken cancellationToken = default) =>
        Build(file, length, path, InitialWindowBytes, cancellationToken);

    /// <param name="initialWindow">The first window's size (tests use tiny ones so that every unit meets an edge).</param>
    /// <param name="cancellationToken">Checked once per window, so a cancelled build stops within a few MB.</param>
    internal static RepodataOutline Build(Microsoft.Win32.SafeHandles.SafeFileHandle file, long length, string? path, int initialWindow, CancellationToken cancellationToken = default)
    {
        if (length > Array.MaxLength) throw Invalid(path, $"the file is {length:N0} bytes, more than can be indexed");
        return Build(new FileWindows(file, length, initialWindow), length, path, initialWindow, cancellationToken);
    }

    /// <summary>Bytes from a position: as many as the source gives at once (at least <c>minimum</c> unless at the end).</summary>
    internal interface IWindows
    {
        ReadOnlySpan<byte> Window(long position, int minimum);
    }

    private sealed class ArrayWindows(byte[] json) : IWindows
    {
        public ReadOnlySpan<byte> Window(long position, int minimum) => json.AsSpan((int)position);
    }

    private sealed class FileWindows(Microsoft.Win32.SafeHandles.SafeFileHandle file, long length, int initialWindow) : IWindows
    {
        private byte[] _buffer = Array.Empty<byte>();

        public ReadOnlySpan<byte> Window(long position, int minimum)
        {
            var size = (int)Math.Min(Math.Max(minimum, initialWindow), length - position);
            if (_buffer.Length < size) _buffer = new byte[size];
            var filled = 0;
            while (filled < size)
            {
                var n = RandomAccess.Read(file, _buffer.AsSpan(filled, size - filled), position + filled);
                if (n == 0) throw new IOException($"the file ended at byte {position + filled} while {length} were expected (changed while being read)");
                filled += n;
            }
            return _buffer.AsSpan(0, size);
        }
    }

    private enum Stage { BeforeRoot, Top, InPackages, Done }

    /// <summary>
    /// The pass, resumable between units (the root's start, one top-level property, one record): each window is read
    /// with the JSON reader state saved at the last finished unit, and a unit that runs past the window's end is read
    /// again from its start in the next window (twice as large when it did not fit at all).
    /// </summary>
    [MethodImpl(Hot)]
    private static RepodataOutline Build(IWindows windows, long length, string? path, int initialWindow, CancellationToken cancellationToken)
    {
        var names = new NameTable();
        var capacity = (int)Math.Clamp(length / 512, 16, 1 << 24);
        var spans = new RecordSpan[capacity];
        var nameOf = new int[capacity];
        var count = 0;
        string? subdir = null, baseUrl = null;
        var version = 1;

        var level = Stage.BeforeRoot;
        var state = new JsonReaderState(new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
        long position = 0;
        var minimum = initialWindow;
        long errorAt = 0;
        try
        {
            while (level != Stage.Done)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var window = windows.Window(position, minimum);
                var isFinal = position + window.Length >= length;
                var reader = new Utf8JsonReader(window, isFinal, state);
                var progressed = false;
                while (true)
                {
                    errorAt = position + reader.BytesConsumed;
                    var unit = reader; // a copy: the unit is read from here again if it does not complete
                    if (!Unit(ref unit, window, position, path, ref level, names, ref spans, ref nameOf, ref count, ref subdir, ref baseUrl, ref version))
                        break;
                    reader = unit;
                    progressed = true;
                    if (level == Stage.Done) break;
                }
                if (level == Stage.Done) break;
                if (isFinal) throw Invalid(path, $"the JSON ends early (near byte {position + reader.BytesConsumed})");
                if (!progressed)
                {
                    if (minimum >= MaxWindowBytes)
                        throw Invalid(path, $"one value near byte {position} is larger than {MaxWindowBytes / (1 << 20)} MiB");
                    minimum = Math.Min(MaxWindowBytes, Math.Max(minimum, window.Length) * 2);
                    continue;
                }
                position += reader.BytesConsumed;
                state = reader.CurrentState;
                minimum = initialWindow;
            }
        }
        // Utf8JsonReader reports invalid UTF-8 and broken \u escapes (GetString, ValueTextEquals) as InvalidOperationException.
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw Invalid(path, $"{e.Message.TrimEnd('.')} (near byte {errorAt})", e);
        }
        catch (IOException e)
        {
            throw new CondaMirrorException(ErrorCodes.RepodataReadFailed, $"Could not read {path}: {e.Message}", path, e);
        }

        return Group(spans, nameOf, count, names, subdir, baseUrl, version);
    }

    /// <summary>Reads one unit; false when the window ends inside it (nothing recorded then).</summary>
    [MethodImpl(Hot)]
    private static bool Unit(ref Utf8JsonReader reader, ReadOnlySpan<byte> window, long windowStart, string? path, ref Stage level, NameTable names,
        ref RecordSpan[] spans, ref int[] nameOf, ref int count, ref string? subdir, ref string? baseUrl, ref int version)
    {
        switch (level)
        {
            case Stage.BeforeRoot:
                if (!reader.Read()) return false;
                if (reader.TokenType != JsonTokenType.StartObject) throw Invalid(path, "the top level is not a JSON object");
                level = Stage.Top;
                return true;

            case Stage.Top:
                if (!reader.Read()) return false;
                if (reader.TokenType == JsonTokenType.EndObject)
                {
                    level = Stage.Done;
                    return true;
                }
                if (reader.TokenType != JsonTokenType.PropertyName) throw Invalid(path, "the top-level object is not terminated");
                if (reader.ValueTextEquals("packages"u8) || reader.ValueTextEquals("packages.conda"u8))
                {
                    if (!reader.Read()) return false;
                    if (reader.TokenType == JsonTokenType.Null) return true;
                    if (reader.TokenType != JsonTokenType.StartObject)
                        throw Invalid(path, "\"packages\" / \"packages.conda\" must be objects keyed by file name");
                    level = Stage.InPackages;
                    return true;
                }
                if (reader.ValueTextEquals("info"u8))
                {
                    if (!reader.Read()) return false;
                    if (reader.TokenType == JsonTokenType.StartObject) return ReadInfo(ref reader, ref subdir, ref baseUrl);
                    return reader.TrySkip();
                }
                if (reader.ValueTextEquals("repodata_version"u8))
                {
                    if (!reader.Read()) return false;
                    var probe = reader;
                    if (!probe.TrySkip()) return false;
                    if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var v)) version = v;
                    reader = probe;
                    return true;
                }
                // "removed", "signatures", "metadata", ...: not needed to resolve
                if (!reader.Read()) return false;
                return reader.TrySkip();

            case Stage.InPackages:
                if (!reader.Read()) return false;
                if (reader.TokenType == JsonTokenType.EndObject)
                {
                    level = Stage.Top;
                    return true;
                }
                var keyStart = (int)reader.TokenStartIndex;
                var keyLength = reader.ValueSpan.Length + 2; // raw (still escaped) bytes plus the quotes
                if (!reader.Read()) return false;
                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    var complete = reader;
                    if (!complete.TrySkip()) return false;
                    throw new CondaMirrorException(ErrorCodes.RepodataRecordInvalid,
                        $"The repodata entry {Encoding.UTF8.GetString(window.Slice(keyStart, keyLength))} is not a JSON object.", path);
                }
                var recordStart = (int)reader.TokenStartIndex;
                var nameId = -1;
                while (true)
                {
                    // Any Read that runs out of window abandons the unit (interning a name twice is harmless).
                    if (!reader.Read()) return false;
                    if (reader.TokenType != JsonTokenType.PropertyName) break;
                    var isName = reader.ValueIsEscaped ? reader.ValueTextEquals("name"u8) : reader.ValueSpan.SequenceEqual("name"u8);
                    if (!reader.Read()) return false;
                    if (isName && nameId < 0 && reader.TokenType == JsonTokenType.String)
                        nameId = InternValue(ref reader, names);
                    else if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray && !reader.TrySkip())
                        return false;
                }
                var recordLength = (int)reader.TokenStartIndex + 1 - recordStart;
                if (nameId < 0) nameId = NameFromFileName(window.Slice(keyStart, keyLength), names, path);

                if (count == spans.Length)
                {
                    Array.Resize(ref spans, spans.Length * 2);
                    Array.Resize(ref nameOf, nameOf.Length * 2);
                }
                spans[count] = new RecordSpan(checked((int)(windowStart + keyStart)), keyLength, checked((int)(windowStart + recordStart)), recordLength);
                nameOf[count] = nameId;
                count++;
                return true;

            default:
                return true;
        }
    }

    [MethodImpl(Hot)]
    private static int InternValue(ref Utf8JsonReader reader, NameTable names)
    {
        if (!reader.ValueIsEscaped) return names.Intern(reader.ValueSpan);
        Span<byte> buffer = stackalloc byte[256];
        if (reader.ValueSpan.Length <= buffer.Length)
        {
            var written = reader.CopyString(buffer);
            return names.Intern(buffer[..written]);
        }
        return names.Intern(Encoding.UTF8.GetBytes(reader.GetString()!));
    }

    // A record without "name" is broken, but its file name still says what it is (name-version-build.ext).
    private static int NameFromFileName(ReadOnlySpan<byte> quotedKey, NameTable names, string? path)
    {
        var keyReader = new Utf8JsonReader(quotedKey);
        keyReader.Read();
        var fileName = keyReader.GetString()!;
        if (!ArchiveFileName.TryParse(fileName, out var parsed))
            throw new CondaMirrorException(ErrorCodes.RepodataRecordInvalid,
                $"The repodata record '{fileName}' has no \"name\" and its key is not a package file name.", path);
        return names.Intern(Encoding.UTF8.GetBytes(parsed.Name));
    }

    /// <summary>Reads info's subdir and base_url; false when the window ends inside it (values set so far are set again on the retry).</summary>
    private static bool ReadInfo(ref Utf8JsonReader reader, ref string? subdir, ref string? baseUrl)
    {
        while (true)
        {
            if (!reader.Read()) return false;
            if (reader.TokenType != JsonTokenType.PropertyName) return true;
            var isSubdir = reader.ValueTextEquals("subdir"u8);
            var isBaseUrl = reader.ValueTextEquals("base_url"u8);
            if (!reader.Read()) return false;
            if (reader.TokenType == JsonTokenType.String)
            {
                if (isSubdir) subdir = reader.GetString();
                else if (isBaseUrl) baseUrl = reader.GetString();
            }
            else if (!reader.TrySkip()) return false;
        }
    }

    // Counting sort by name id: records of one name become contiguous, in file order.
    [MethodImpl(Hot)]
    private static RepodataOutline Group(RecordSpan[] spans, int[] nameOf, int count, NameTable names,
        string? subdir, string? baseUrl, int version)
    {
        var nameCount = names.Count;
        var groupStart = new int[nameCount + 1];
        for (var i = 0; i < count; i++) groupStart[nameOf[i] + 1]++;
        for (var n = 0; n < nameCount; n++) groupStart[n + 1] += groupStart[n];
        var cursor = groupStart[..nameCount];
        var grouped = new RecordSpan[count];
        for (var i = 0; i < count; i++) grouped[cursor[nameOf[i]]++] = spans[i];
        return new RepodataOutline
        {
            Spans = grouped,
            GroupStart = groupStart,
            Names = names.ToArray(),
            InfoSubdir = subdir,
            BaseUrl = baseUrl,
            RepodataVersion = version,
        };
    }

    private static CondaMirrorException Invalid(string? path, string detail, Exception? inner = null) =>
        new(ErrorCodes.RepodataInvalid,
            $"repodata is not valid: {detail}. The file may be truncated or not a repodata.json; delete the cached copy and retry.",
            path, inner);

    /// <summary>Interns package names keyed by their UTF-8 bytes, so a name costs one string however often it repeats.</summary>
    private sealed class NameTable
    {
        private int[] _slots = new int[4096]; // id + 1, 0 = empty; open addressing, linear probing
        private uint[] _hashes = new uint[1024];
        private byte[][] _bytes = new byte[1024][];
        private string[] _strings = new string[1024];

        public int Count { get; private set; }

        [MethodImpl(Hot)]
        public int Intern(ReadOnlySpan<byte> utf8)
        {
            var hash = Hash(utf8);
            var mask = _slots.Length - 1;
            var slot = (int)(hash & (uint)mask);
            while (true)
            {
                var entry = _slots[slot];
                if (entry == 0) break;
                var id = entry - 1;
                if (_hashes[id] == hash && utf8.SequenceEqual(_bytes[id])) return id;
                slot = (slot + 1) & mask;
            }
            var newId = Count++;
            if (newId == _strings.Length)
            {
                Array.Resize(ref _hashes, newId * 2);
                Array.Resize(ref _bytes, newId * 2);
                Array.Resize(ref _strings, newId * 2);
            }
            _hashes[newId] = hash;
            _bytes[newId] = utf8.ToArray();
            _strings[newId] = Encoding.UTF8.GetString(utf8);
            _slots[slot] = newId + 1;
            if (Count * 2 > _slots.Length) Rehash();
            return newId;
        }

        public string[] ToArray() => _strings[..Count];

        private void Rehash()
        {
            var slots = new int[_slots.Length * 2];
            var mask = slots.Length - 1;
            for (var id = 0; id < Count; id++)
            {
                var slot = (int)(_hashes[id] & (uint)mask);
                while (slots[slot] != 0) slot = (slot + 1) & mask;
                slots[slot] = id + 1;
            }
            _slots = slots;
        }

        // FNV-1a: names are short (5-30 bytes), so a simple byte loop beats anything vectorised here.
        [MethodImpl(Hot)]
        private static uint Hash(ReadOnlySpan<byte> bytes)
        {
            var h = 2166136261u;
            foreach (var b in bytes) h = (h ^ b) * 16777619u;
            return h;
        }
    }
}
