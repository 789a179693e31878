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
/// name is asked for (a solver touches a few hundred names out of tens of thousands). Memory is the raw
/// JSON plus 16 bytes per record and one string per distinct name.
/// </summary>
public sealed class SparseRepodata : ISubdirRepodata
{
    private readonly byte[] _json;
    private readonly RecordSpan[] _spans;          // grouped by name; group i is _spans[_groupStart[i].._groupStart[i+1]]
    private readonly int[] _groupStart;
    private readonly string[] _names;
    private readonly Dictionary<string, int> _nameIds;
    private readonly RepodataRecord[]?[] _materialised;
    private readonly string? _path;
    private readonly SubdirPolicy _subdirPolicy;

    private SparseRepodata(byte[] json, string? path, Uri channelBase, string requestedSubdir, RepodataIndex index, SubdirPolicy subdirs)
    {
        _subdirPolicy = subdirs;
        _json = json;
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
    public long JsonLength => _json.Length;

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

    /// <summary>Every record, name by name (materialises everything: for indexing and tests, not the solver).</summary>
    public IEnumerable<RepodataRecord> AllRecords()
    {
        foreach (var name in _names)
            foreach (var record in Records(name))
                yield return record;
    }

    /// <param name="subdirs">Whether records may name subdirs other than conda's platforms; <c>info.subdir</c> is
    /// checked here, each record's subdir and file name when it is first materialised (CMIR120–CMIR122).</param>
    public static SparseRepodata Load(string? path, byte[] json, Uri channelBase, string subdir, SubdirPolicy subdirs = SubdirPolicy.KnownOnly)
    {
        var index = RepodataIndexer.Build(json, path);
        return new SparseRepodata(json, path, channelBase, subdir, index, subdirs);
    }

    public static SparseRepodata LoadFile(string path, Uri channelBase, string subdir, SubdirPolicy subdirs = SubdirPolicy.KnownOnly) =>
        Load(path, ReadAllBytes(path), channelBase, subdir, subdirs);

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
    public static SparseRepodata LoadZstd(string? path, byte[] zst, Uri channelBase, string subdir, Func<byte[], byte[]> decompress, SubdirPolicy subdirs = SubdirPolicy.KnownOnly) =>
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

    private RepodataRecord[] Materialise(int id)
    {
        var start = _groupStart[id];
        var end = _groupStart[id + 1];
        var result = new RepodataRecord[end - start];
        for (var i = start; i < end; i++)
        {
            ref readonly var span = ref _spans[i];
            string fileName = "";
            PackageRecord record;
            try
            {
                fileName = DecodeString(_json.AsSpan(span.KeyStart, span.KeyLength));
                var reader = new Utf8JsonReader(_json.AsSpan(span.RecordStart, span.RecordLength));
                reader.Read();
                record = PackageRecordJson.Read(ref reader);
            }
            // GetString reports invalid UTF-8 as InvalidOperationException, not JsonException.
            catch (Exception e) when (e is JsonException or InvalidOperationException)
            {
                if (fileName.Length == 0) fileName = Encoding.UTF8.GetString(_json.AsSpan(span.KeyStart + 1, span.KeyLength - 2)); // lossy, for the message
                throw new CondaMirrorException(ErrorCodes.RepodataRecordInvalid,
                    $"The repodata record '{fileName}' is malformed: {e.Message}", _path ?? PackageBaseUrl.AbsoluteUri, e);
            }
            // Records normally repeat their subdir; conda fills it from the file when one does not.
            record.Subdir ??= Subdir;
            var where = $"repodata record '{fileName}'";
            Subdirs.Validate(record.Subdir, _subdirPolicy, where, _path ?? PackageBaseUrl.AbsoluteUri);
            ArchiveFileName.ValidateSafe(fileName, where, _path ?? PackageBaseUrl.AbsoluteUri);
            if (record.Name.Length == 0) record.Name = _names[id];
            result[i - start] = new RepodataRecord(record, PackageBaseUrl.AbsoluteUri + fileName, fileName, Channel);
        }
        return result;
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
        return resolved.AbsolutePath.EndsWith('/') ? resolved : new UriBuilder(resolved) { Path = resolved.AbsolutePath + "/" }.Uri;
    }
}

/// <summary>Where one record sits in the JSON: its quoted file-name key and its object.</summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly record struct RecordSpan(int KeyStart, int KeyLength, int RecordStart, int RecordLength);

internal sealed class RepodataIndex
{
    public required RecordSpan[] Spans { get; init; }
    public required int[] GroupStart { get; init; }
    public required string[] Names { get; init; }
    public string? InfoSubdir { get; init; }
    public string? BaseUrl { get; init; }
    public int RepodataVersion { get; init; } = 1;
}
