using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Platforms;
using CondaMirror.Core.Records;
using CondaMirror.Core.Zstd;

namespace CondaMirror.Core.Repodata;

/// <summary>
/// One subdir's repodata.json, indexed lazily. Loading makes ONE pass over the bytes that only records, per
/// package name, where each record object and its file-name key sit; records are parsed the first time a
/// name is asked for (a solver touches a few hundred names out of tens of thousands). Loaded from a file
/// (<see cref="LoadFile"/>), the JSON is read in windows of a few MB and never held: memory is 16 bytes per record
/// and one string per distinct name, and a touched name's records are read back from the file. Loaded from bytes,
/// the bytes are kept.
/// </summary>
public sealed class SparseRepodata : ISubdirRepodata, IDisposable
{
    private readonly byte[]? _json;
    private readonly Microsoft.Win32.SafeHandles.SafeFileHandle? _file;
    private readonly long _length;
    private readonly RecordSpan[] _spans;          // grouped by name; group i is _spans[_groupStart[i].._groupStart[i+1]]
    private readonly int[] _groupStart;
    private readonly string[] _names;
    private readonly Dictionary<string, int> _nameIds;
    private readonly RepodataRecord[]?[] _materialised;
    private readonly string? _path;
    private readonly SubdirNaming _subdirPolicy;

    private SparseRepodata(byte[]? json, Microsoft.Win32.SafeHandles.SafeFileHandle? file, long length, string? path, Uri channelBase, string requestedSubdir, RepodataOutline index, SubdirNaming subdirs)
    {
        _subdirPolicy = subdirs;
        _json = json;
        _file = file;
        _length = length;
        _path = path;
        _spans = index.Spans;
        _groupStart = index.GroupStart;
        _names = index.Names;
        _nameIds = new Dictionary<string, int>(_names.Length, StringComparer.Ordinal);
        for (var i = 0; i < _names.Length; i++) _nameIds[_names[i]] = i;
        _materialised = new RepodataRecord[_names.Length][];

        ChannelBase = channelBase;
        // info.subdir becomes the subdir of records that omit theirs, and so a folder of the mirror.
        Subdir = index.InfoSubdir is null ? requestedSubdir
            : Subdirs.Validate(index.InfoSubdir, subdirs, "repodata info.subdir", path ?? channelBase.AbsoluteUri);
        RepodataVersion = index.RepodataVersion;
        BaseUrl = index.BaseUrl;
        Channel = channelBase.AbsoluteUri.TrimEnd('/');
        PackageBaseUrl = ResolvePackageBase(channelBase, requestedSubdir, index.BaseUrl, path);
    }

    /// <summary>The channel root the repodata was fetched from (public, credential-free).</summary>
    public Uri ChannelBase { get; }

    /// <summary>info.subdir, or the subdir it was fetched as when the file does not say.</summary>
    public string Subdir { get; }

    /// <summary>repodata_version (1 when absent; 2 means CEP 15 base_url may be set).</summary>
    public int RepodataVersion { get; }

    /// <summary>info.base_url as written (CEP 15), or null.</summary>
    public string? BaseUrl { get; }

    /// <summary>Folder the archives are downloaded from: base_url when present, else channel/subdir/. Ends with '/'.</summary>
    public Uri PackageBaseUrl { get; }

    /// <summary>Channel as stored in <see cref="RepodataRecord.Channel"/> (no trailing slash).</summary>
    public string Channel { get; }

    public IEnumerable<string> PackageNames => _names;

    public int NameCount => _names.Length;

    public int RecordCount => _spans.Length;

    /// <summary>Size of the JSON this index was built over.</summary>
    public long JsonLength => _length;

    /// <summary>Closes the file a <see cref="LoadFile"/> index reads records from; records already read stay usable.</summary>
    public void Dispose()
    {
        if (Volatile.Read(ref _shared) == 0) _file?.Dispose();
    }

    private int _shared;

    /// <summary>Owned by a <see cref="ParsedRepodataCache"/> from now on: <see cref="Dispose"/> leaves the file open.</summary>
    internal void MarkShared() => Volatile.Write(ref _shared, 1);

    internal void CloseShared() => _file?.Dispose();

    public bool Contains(string name) => _nameIds.ContainsKey(name);

    /// <summary>
    /// The records of one package name (both .tar.bz2 and .conda; the solver prefers .conda), parsed on first
    /// request and cached. Unknown names give an empty list. Safe to call from several threads.
    /// </summary>
    public IReadOnlyList<RepodataRecord> Records(string name)
    {
        if (!_nameIds.TryGetValue(name, out var id)) return Array.Empty<RepodataRecord>();
        var cached = Volatile.Read(ref _materialised[id]);
        if (cached is not null) return cached;
        var built = Materialise(id);
        return Interlocked.CompareExchange(ref _materialised[id], built, null) ?? built;
    }

    /// <summary>
    /// The records of one name with each record's JSON exactly as the file holds it, read afresh and not cached, so a
    /// pass over every name keeps nothing behind (a whole-channel subset reads each name once).
    /// </summary>
    public IReadOnlyList<(RepodataRecord Record, byte[] Json)> RecordsWithJson(string name)
    {
        if (!_nameIds.TryGetValue(name, out var id)) return Array.Empty<(RepodataRecord, byte[])>();
        var json = new List<byte[]>();
        var records = Materialise(id, json);
        var result = new (RepodataRecord, byte[])[records.Length];
        for (var i = 0; i < records.Length; i++) result[i] = (records[i], json[i]);
        return result;
    }

    /// <summary>Every record, name by name (materialises everything: for indexing and tests, not the solver).</summary>
    public IEnumerable<RepodataRecord> AllRecords()
    {
        foreach (var name in _names)
            foreach (var record in Records(name))
                yield return record;
    }

    /// <param name="subdirs">Whether records may name subdirs other than conda's platforms; <c>info.subdir</c> is
    /// checked here, each record's subdir and file name when it is first materialised (CMIR120–CMIR122).</param>
    public static SparseRepodata Load(string? path, byte[] json, Uri channelBase, string subdir, SubdirNaming subdirs = SubdirNaming.KnownOnly)
    {
        var index = RepodataParser.Build(json, path);
        return new SparseRepodata(json, null, json.Length, path, channelBase, subdir, index, subdirs);
    }

    /// <summary>
    /// Indexes a repodata.json file without reading it into memory; the file stays open (shared for reading and
    /// deletion, so the cache may replace it) until <see cref="Dispose"/> or finalisation, and touched names' records
    /// are read from it.
    /// </summary>
    /// <param name="source">What messages name (the URL it was fetched from); the path when null.</param>
    /// <param name="cancellationToken">Stops the indexing pass (checked every few MB).</param>
    public static SparseRepodata LoadFile(string path, Uri channelBase, string subdir, SubdirNaming subdirs = SubdirNaming.KnownOnly, string? source = null,
        CancellationToken cancellationToken = default)
    {
        source ??= path;
        Microsoft.Win32.SafeHandles.SafeFileHandle file;
        long length;
        try
        {
            file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, FileOptions.RandomAccess);
            length = RandomAccess.GetLength(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CondaMirrorException(ErrorCodes.RepodataReadFailed,
                $"Could not read {path}: {e.Message} Check that the file exists and is readable.", path, e);
        }
        try
        {
            var index = RepodataParser.Build(file, length, source, cancellationToken);
            return new SparseRepodata(null, file, length, source, channelBase, subdir, index, subdirs);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    internal static byte[] ReadAllBytes(string path)
    {
        try { return File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CondaMirrorException(ErrorCodes.RepodataReadFailed,
                $"Could not read {path}: {e.Message} Check that the file exists and is readable.", path, e);
        }
    }

    /// <summary>Loads repodata.json.zst bytes with the built-in zstd decoder.</summary>
    public static SparseRepodata LoadZstd(string? path, byte[] zst, Uri channelBase, string subdir) =>
        LoadZstd(path, zst, channelBase, subdir, static bytes => ZstdCodec.Decompress(bytes));

    /// <summary>Loads repodata.json.zst bytes; <paramref name="decompress"/> is the zstd decoder.</summary>
    public static SparseRepodata LoadZstd(string? path, byte[] zst, Uri channelBase, string subdir, Func<byte[], byte[]> decompress, SubdirNaming subdirs = SubdirNaming.KnownOnly) =>
        Load(path, Decompress(path, zst, decompress), channelBase, subdir, subdirs);

    internal static byte[] Decompress(string? path, byte[] zst, Func<byte[], byte[]> decompress)
    {
        try { return decompress(zst); }
        catch (Exception e) when (e is not CondaMirrorException and not OutOfMemoryException)
        {
            throw new CondaMirrorException(ErrorCodes.RepodataDecompressFailed,
                $"repodata.json.zst could not be decompressed ({e.Message}). The download may be damaged; retry the build.",
                path, e);
        }
    }

    /// <summary>An empty subdir (the channel does not publish it).</summary>
    public static SparseRepodata Empty(Uri channelBase, string subdir) =>
        Load(null, "{\"packages\":{},\"packages.conda\":{}}"u8.ToArray(), channelBase, subdir);

    private RepodataRecord[] Materialise(int id, List<byte[]>? json = null)
    {
        var start = _groupStart[id];
        var end = _groupStart[id + 1];
        var result = new RepodataRecord[end - start];
        byte[]? buffer = null;
        for (var i = start; i < end; i++)
        {
            ref readonly var span = ref _spans[i];
            // Key and record sit together ("file": {...}); from a file they are read back as one range.
            ReadOnlySpan<byte> bytes;
            int keyStart, recordStart;
            if (_json is not null)
            {
                bytes = _json;
                keyStart = span.KeyStart;
                recordStart = span.RecordStart;
            }
            else
            {
                var length = span.RecordStart + span.RecordLength - span.KeyStart;
                if (buffer is null || buffer.Length < length) buffer = new byte[Math.Max(length, 1 << 16)];
                ReadRange(span.KeyStart, buffer.AsSpan(0, length));
                bytes = buffer.AsSpan(0, length);
                keyStart = 0;
                recordStart = span.RecordStart - span.KeyStart;
            }
            string fileName = "";
            PackageRecord record;
            try
            {
                fileName = DecodeString(bytes.Slice(keyStart, span.KeyLength));
                var reader = new Utf8JsonReader(bytes.Slice(recordStart, span.RecordLength));
                reader.Read();
                record = PackageRecordJson.Read(ref reader);
                json?.Add(bytes.Slice(recordStart, span.RecordLength).ToArray());
            }
            // GetString reports invalid UTF-8 as InvalidOperationException, not JsonException.
            catch (Exception e) when (e is JsonException or InvalidOperationException)
            {
                if (fileName.Length == 0) fileName = Encoding.UTF8.GetString(bytes.Slice(keyStart + 1, span.KeyLength - 2)); // lossy, for the message
                throw new CondaMirrorException(ErrorCodes.RepodataRecordInvalid,
                    $"The repodata record '{fileName}' is malformed: {e.Message}", _path ?? PackageBaseUrl.AbsoluteUri, e);
            }
            // Records normally repeat their subdir; conda fills it from the file when one does not.
            record.Subdir ??= Subdir;
            var where = $"repodata record '{fileName}'";
            Subdirs.Validate(record.Subdir, _subdirPolicy, where, _path ?? PackageBaseUrl.AbsoluteUri);
            ArchiveFileName.ValidateSafe(fileName, where, _path ?? PackageBaseUrl.AbsoluteUri);
            if (record.Name.Length == 0) record.Name = _names[id];
            PackageName.Validate(record.Name, where, _path ?? PackageBaseUrl.AbsoluteUri);
            result[i - start] = new RepodataRecord(record, PackageBaseUrl.AbsoluteUri + fileName, fileName, Channel);
        }
        return result;
    }

    private void ReadRange(long offset, Span<byte> destination)
    {
        try
        {
            var filled = 0;
            while (filled < destination.Length)
            {
                var n = RandomAccess.Read(_file!, destination[filled..], offset + filled);
                if (n == 0) throw new IOException($"the file ended at byte {offset + filled}");
                filled += n;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ObjectDisposedException)
        {
            throw new CondaMirrorException(ErrorCodes.RepodataReadFailed,
                $"Could not read records back from {_path}: {e.Message}. The repodata cache changed while the build was running; build again.", _path, e);
        }
    }

    private static string DecodeString(ReadOnlySpan<byte> quoted)
    {
        var inner = quoted[1..^1];
        if (inner.IndexOf((byte)'\\') < 0) return Encoding.UTF8.GetString(inner);
        var reader = new Utf8JsonReader(quoted);
        reader.Read();
        return reader.GetString()!;
    }

    private static Uri ResolvePackageBase(Uri channelBase, string subdir, string? baseUrl, string? path)
    {
        var subdirUrl = new Uri(channelBase, subdir.Trim('/') + "/");
        if (string.IsNullOrEmpty(baseUrl)) return subdirUrl;
        // CEP 15: base_url is absolute or relative to the location of repodata.json.
        if (!Uri.TryCreate(new Uri(subdirUrl, "repodata.json"), baseUrl, out var resolved))
            throw new CondaMirrorException(ErrorCodes.RepodataInvalid,
                $"info.base_url '{baseUrl}' is not a valid URL.", path ?? subdirUrl.AbsoluteUri);
        Networking.RemoteLocation.Check(subdirUrl, resolved, "info.base_url", path ?? subdirUrl.AbsoluteUri);
        return resolved.AbsolutePath.EndsWith('/') ? resolved : new UriBuilder(resolved) { Path = resolved.AbsolutePath + "/" }.Uri;
    }
}

/// <summary>Where one record sits in the JSON: its quoted file-name key and its object.</summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly record struct RecordSpan(int KeyStart, int KeyLength, int RecordStart, int RecordLength);

internal sealed class RepodataOutline
{
    public required RecordSpan[] Spans { get; init; }
    public required int[] GroupStart { get; init; }
    public required string[] Names { get; init; }
    public string? InfoSubdir { get; init; }
    public string? BaseUrl { get; init; }
    public int RepodataVersion { get; init; } = 1;
}
