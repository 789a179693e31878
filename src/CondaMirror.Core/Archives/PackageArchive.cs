using System.Text.Json;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Records;
using ICSharpCode.SharpZipLib;

namespace CondaMirror.Core.Archives;

/// <summary>
/// Reads the <c>info/</c> metadata of conda packages without extracting them. A .conda is opened as a zip
/// and only its <c>info-&lt;stem&gt;.tar.zst</c> member is decompressed (never the payload); a .tar.bz2 is
/// decompressed only until every wanted <c>info/</c> file has been seen. Every way an archive can be bad
/// ends in a <see cref="CondaMirrorException"/> naming the file (codes CMIR200–CMIR249).
/// </summary>
public static partial class PackageArchive
{
    /// <summary>Upper bounds for buffering info files: far above any real package, far below a memory exhaustion.</summary>
    internal const long MaxIndexJsonBytes = 16L << 20;
    internal const long MaxPathsJsonBytes = 256L << 20;
    internal const long MaxOtherInfoBytes = 64L << 20;

    private const string IndexJsonPath = "info/index.json";
    private const string AboutJsonPath = "info/about.json";
    private const string RunExportsJsonPath = "info/run_exports.json";
    private const string PathsJsonPath = "info/paths.json";

    /// <summary>The archive format implied by the file name; CMIR214 for anything but .conda and .tar.bz2.</summary>
    public static ArchiveFormat DetectFormat(string path)
    {
        if (ArchiveFileName.TryGetFormat(Path.GetFileName(path), out var format)) return format;
        throw new CondaMirrorException(ErrorCodes.ArchiveUnknownExtension,
            $"'{Path.GetFileName(path)}' is not a conda package file name: it must end in .conda or .tar.bz2. Rename it or remove it from the folder.",
            path);
    }

    /// <summary>Reads the package at <paramref name="path"/>; the format comes from its extension.</summary>
    public static PackageInfo ReadInfo(string path, InfoMembers wanted = InfoMembers.IndexJson, CancellationToken ct = default)
    {
        var format = DetectFormat(path);
        FileStream stream;
        try
        {
            // The decoders read large blocks (bzip2 64 KB, zstd 128 KB), which go past a FileStream's buffer; 4 KB serves
            // the zip directory's small reads without a 64 KB array per package.
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 4096);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CondaMirrorException(ErrorCodes.ArchiveUnreadable,
                $"Cannot open the package archive: {e.Message} Check that the file exists and is readable.", path, e);
        }
        using (stream)
            return ReadInfo(stream, path, format, wanted, ct);
    }

    /// <summary>
    /// Reads a package from a stream. <paramref name="displayName"/> is used in errors and, for .conda, its file
    /// name must match the stem of the info member. Non-seekable streams work; a .conda is then buffered in memory.
    /// </summary>
    public static PackageInfo ReadInfo(Stream stream, string displayName, ArchiveFormat format, InfoMembers wanted = InfoMembers.IndexJson, CancellationToken ct = default)
    {
        ct.ThrowIfCancellationRequested();
        var magic = new byte[4];
        int magicLength;
        try
        {
            magicLength = ReadUpTo(stream, magic);
        }
        catch (IOException e)
        {
            throw Unreadable(displayName, e);
        }
        if (magicLength == 0)
            throw new CondaMirrorException(ErrorCodes.ArchiveEmpty,
                "Package archive is empty (0 bytes), probably an interrupted download. Re-download it or remove it from the folder.", displayName);
        var magicBytes = magic.AsSpan(0, magicLength);
        Stream whole;
        if (stream.CanSeek)
        {
            stream.Seek(-magicLength, SeekOrigin.Current);
            whole = stream;
        }
        else
        {
            whole = new PrefixedStream(magicBytes.ToArray(), stream);
        }
        return format == ArchiveFormat.Conda
            ? ReadConda(whole, magicBytes, displayName, wanted, ct)
            : ReadTarBz2(whole, magicBytes, displayName, wanted, ct);
    }

    private static PackageInfo ReadTarBz2(Stream stream, ReadOnlySpan<byte> magic, string file, InfoMembers wanted, CancellationToken ct) =>
        ThroughBzip2(stream, magic, file, bzip2 => ReadInfoTar(bzip2, file, ArchiveFormat.TarBz2, infoTarOnly: false, wanted, ct));

    /// <summary>Runs <paramref name="read"/> over the decompressed tar of a .tar.bz2, mapping every bzip2 failure
    /// (bad magic, truncation, corrupt blocks, I/O) to its coded error.</summary>
    private static T ThroughBzip2<T>(Stream stream, ReadOnlySpan<byte> magic, string file, Func<Stream, T> read)
    {
        if (magic.Length < 4 || !magic[..3].SequenceEqual("BZh"u8) || magic[3] is < (byte)'1' or > (byte)'9')
            throw WrongMagic(file, "a bzip2 stream", magic);
        try
        {
            using var bzip2 = new Bzip2DecoderStream(stream);
            return read(bzip2);
        }
        catch (EndOfStreamException e)
        {
            throw Truncated(file, "the bzip2 stream ends before its end marker (the file is incomplete or damaged)", e);
        }
        catch (Exception e) when (e is SharpZipBaseException or InvalidDataException)
        {
            throw new CondaMirrorException(ErrorCodes.ArchiveBzip2Corrupt,
                $"Package archive is corrupt: the bzip2 data cannot be decompressed ({e.Message}). Re-download it or remove it from the folder.", file, e);
        }
        catch (IOException e)
        {
            throw Unreadable(file, e);
        }
    }

    /// <summary>
    /// Walks a tar stream, validating every member path it passes, and buffers the wanted info files.
    /// Stops reading as soon as all wanted files are found (the rest of the stream is never decompressed).
    /// </summary>
    private static PackageInfo ReadInfoTar(Stream tarStream, string file, ArchiveFormat format, bool infoTarOnly, InfoMembers wanted, CancellationToken ct)
    {
        var pending = InfoPaths(wanted);
        var found = new Dictionary<string, byte[]>(StringComparer.Ordinal);

        var reader = new TarStreamReader(tarStream, file);
        while (pending.Count > 0)
        {
            ct.ThrowIfCancellationRequested();
            var entry = reader.Next();
            if (entry is null)
            {
                // Reading to the end anyway: consume the compressor's trailer too, so its checksum is verified.
                reader.DrainSource();
                break;
            }
            var path = ValidateMemberPath(entry.Name, file, infoTarOnly);
            if (wanted.HasFlag(InfoMembers.StopAtPayload) && found.ContainsKey(IndexJsonPath) && path != "" && path != "info"
                && !path.StartsWith("info/", StringComparison.Ordinal))
                break;
            if (!pending.Contains(path)) continue;
            found[path] = ReadInfoMember(reader, entry, path, file);
            pending.Remove(path);
        }
        return BuildInfo(found, file, format);
    }

    /// <summary>The tar paths of the info/ files in <paramref name="wanted"/> (index.json always).</summary>
    private static HashSet<string> InfoPaths(InfoMembers wanted)
    {
        var paths = new HashSet<string>(StringComparer.Ordinal) { IndexJsonPath };
        if (wanted.HasFlag(InfoMembers.About)) paths.Add(AboutJsonPath);
        if (wanted.HasFlag(InfoMembers.RunExports)) paths.Add(RunExportsJsonPath);
        if (wanted.HasFlag(InfoMembers.Paths)) paths.Add(PathsJsonPath);
        return paths;
    }

    /// <summary>One wanted info/ file's bytes: a regular file within its size limit.</summary>
    private static byte[] ReadInfoMember(TarStreamReader reader, TarEntry entry, string path, string file)
    {
        if (entry.Kind != TarEntryKind.File)
            throw new CondaMirrorException(ErrorCodes.InfoMemberNotRegularFile,
                $"Package archive is malformed: '{path}' is a {Describe(entry)}, not a regular file. Rebuild the package or remove it from the folder.", file);
        var limit = path == IndexJsonPath ? MaxIndexJsonBytes : path == PathsJsonPath ? MaxPathsJsonBytes : MaxOtherInfoBytes;
        if (entry.Size > limit)
            throw new CondaMirrorException(ErrorCodes.InfoMemberTooLarge,
                $"Package archive has an implausibly large '{path}' ({entry.Size:N0} bytes; the limit is {limit >> 20} MB). The file is damaged or hostile; remove it from the folder.", file);
        return reader.ReadContent();
    }

    private static PackageInfo BuildInfo(Dictionary<string, byte[]> found, string file, ArchiveFormat format)
    {
        if (!found.TryGetValue(IndexJsonPath, out var indexBytes))
            throw new CondaMirrorException(ErrorCodes.IndexJsonMissing,
                "Not a conda package: the archive has no info/index.json. Remove it from the package folder (or rebuild the package).", file);
        return new PackageInfo(ParseIndex(indexBytes, file), indexBytes, format)
        {
            About = ParseOptional(found, AboutJsonPath, file),
            RunExports = ParseOptional(found, RunExportsJsonPath, file),
            Paths = ParseOptional(found, PathsJsonPath, file),
        };
    }

    /// <summary>
    /// Normalises a member path ("./info/x" → "info/x") and rejects paths that could escape the install prefix.
    /// In the .conda info tarball every member must live under info/.
    /// </summary>
    internal static string ValidateMemberPath(string rawName, string file, bool infoTarOnly)
    {
        var name = rawName;
        while (name.StartsWith("./", StringComparison.Ordinal)) name = name[2..];
        name = name.TrimEnd('/');
        if (name is "" or ".") return ""; // the archive root itself ("./")

        string? problem = null;
        if (name[0] is '/' or '\\' || (name.Length >= 2 && name[1] == ':' && char.IsAsciiLetter(name[0])))
            problem = "is an absolute path";
        else if (name.Split('/', '\\').Any(segment => segment == ".."))
            problem = "contains a '..' segment";
        else if (name.Contains('\0'))
            problem = "contains a NUL character";
        else if (infoTarOnly && name != "info" && !name.StartsWith("info/", StringComparison.Ordinal))
            problem = "lies outside info/ in the info part of a .conda";
        if (problem is not null)
            throw new CondaMirrorException(ErrorCodes.ArchiveUnsafeMemberPath,
                $"Package archive contains an unsafe member path '{rawName}' that {problem}; it could write outside the environment. Do not install it; remove it from the folder.", file);
        return name;
    }

    private static PackageRecord ParseIndex(byte[] bytes, string file)
    {
        PackageRecord record;
        try
        {
            record = PackageRecordJson.Parse(WithoutBom(bytes));
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new CondaMirrorException(ErrorCodes.IndexJsonInvalid,
                $"Package archive has an invalid info/index.json ({e.Message}). Rebuild or re-download the package, or remove it from the folder.", file, e);
        }
        var missing = new[] { ("name", record.Name), ("version", record.Version), ("build", record.Build) }
            .Where(f => string.IsNullOrEmpty(f.Item2)).Select(f => f.Item1).ToList();
        if (missing.Count > 0)
            throw new CondaMirrorException(ErrorCodes.IndexJsonInvalid,
                $"Package archive has an info/index.json without {string.Join(", ", missing)}. Rebuild the package or remove it from the folder.", file);
        return record;
    }

    private static JsonElement? ParseOptional(Dictionary<string, byte[]> found, string path, string file)
    {
        if (!found.TryGetValue(path, out var bytes)) return null;
        try
        {
            using var doc = JsonDocument.Parse(WithoutBom(bytes).ToArray(), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            return doc.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new CondaMirrorException(ErrorCodes.InfoJsonInvalid,
                $"Package archive has an invalid {path} ({e.Message}). Rebuild or re-download the package, or remove it from the folder.", file, e);
        }
    }

    private static ReadOnlySpan<byte> WithoutBom(byte[] bytes) =>
        bytes.AsSpan().StartsWith("\xEF\xBB\xBF"u8) ? bytes.AsSpan(3) : bytes;

    private static string Describe(TarEntry entry) => entry.Kind switch
    {
        TarEntryKind.Directory => "directory",
        TarEntryKind.SymbolicLink => $"symbolic link to '{entry.LinkName}'",
        TarEntryKind.HardLink => $"hard link to '{entry.LinkName}'",
        _ => "special file",
    };

    private static int ReadUpTo(Stream stream, Span<byte> buffer)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var n = stream.Read(buffer[total..]);
            if (n == 0) break;
            total += n;
        }
        return total;
    }

    private static CondaMirrorException WrongMagic(string file, string expected, ReadOnlySpan<byte> magic) => new(ErrorCodes.ArchiveWrongMagic,
        $"Package archive is not {expected} as its extension says (it starts with bytes {Convert.ToHexString(magic)}). " +
        "It is probably an error page or a different file saved under a package name; re-download it or remove it from the folder.", file);

    private static CondaMirrorException Truncated(string file, string detail, Exception? inner = null) => new(ErrorCodes.ArchiveTruncated,
        $"Package archive is truncated: {detail}. The file is incomplete; re-download it or remove it from the folder.", file, inner);

    private static CondaMirrorException Unreadable(string file, Exception e) => new(ErrorCodes.ArchiveUnreadable,
        $"Cannot read the package archive: {e.Message} Check the disk and file permissions.", file, e);
}
