using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Records;
using ICSharpCode.SharpZipLib.BZip2;

namespace CondaMirror.Core.Archives;

/// <summary>One file of a package, with its path relative to the install prefix (e.g. <c>lib/foo.txt</c> or <c>info/recipe/meta.yaml</c>).</summary>
public sealed record PackageFileEntry(string Path, byte[] Content, int Mode = 0b110_100_100);

public sealed class PackageWriteOptions
{
    /// <summary>Modification time (Unix seconds) stamped on every tar member; fixed so output is reproducible.</summary>
    public long MtimeSeconds { get; init; }

    /// <summary>bzip2 block size in 100 kB units (1–9) for .tar.bz2 output; 9 is what conda-build uses.</summary>
    public int Bzip2BlockSize { get; init; } = 9;
}

/// <summary>
/// Writes conda packages (.conda or .tar.bz2, chosen by the file extension) from in-memory files. The output
/// is reproducible: tar members are sorted and anonymised, and nothing depends on the clock or the machine.
/// Used for test fixtures and generated sample channels, so it also writes the info files conda expects:
/// <c>info/index.json</c> (from the record), and <c>info/paths.json</c>, <c>info/about.json</c> unless given.
/// </summary>
public static partial class PackageArchiveWriter
{
    public static void Write(string path, PackageRecord index, IEnumerable<PackageFileEntry> files, PackageWriteOptions? options = null)
    {
        options ??= new PackageWriteOptions();
        var fileName = System.IO.Path.GetFileName(path);
        if (!ArchiveFileName.TryGetFormat(fileName, out var format))
            throw new CondaMirrorException(ErrorCodes.ArchiveWriteInvalid,
                $"Cannot write '{fileName}': a conda package file name must end in .conda or .tar.bz2.", path);
        var stem = fileName[..^(format == ArchiveFormat.Conda ? ".conda".Length : ".tar.bz2".Length)];
        var (info, payload) = Layout(path, index, files);

        var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
        if (directory is not null) Directory.CreateDirectory(directory);
        // Write beside the target and move into place, so a crash never leaves a half-written package behind.
        var temporary = $"{path}.{Guid.NewGuid():N}.partial";
        try
        {
            using (var output = new FileStream(temporary, FileMode.Create, FileAccess.ReadWrite, FileShare.None))
            {
                if (format == ArchiveFormat.Conda) WriteConda(output, stem, info, payload, options);
                else WriteTarBz2(output, info.Concat(payload), options);
            }
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }

    private static void WriteTarBz2(Stream output, IEnumerable<PackageFileEntry> members, PackageWriteOptions options)
    {
        using var bzip2 = new BZip2OutputStream(output, options.Bzip2BlockSize) { IsStreamOwner = false };
        WriteTar(bzip2, members, options);
    }

    internal static void WriteTar(Stream output, IEnumerable<PackageFileEntry> members, PackageWriteOptions options)
    {
        var tar = new TarStreamWriter(output, options.MtimeSeconds);
        foreach (var m in members) tar.AddFile(m.Path, m.Content, m.Mode);
        tar.Finish();
    }

    /// <summary>
    /// Validates the caller's files and adds the generated info files. Returns info/ members and payload members,
    /// each sorted ordinally (the .tar.bz2 puts info/ first so readers can stop early).
    /// </summary>
    private static (List<PackageFileEntry> Info, List<PackageFileEntry> Payload) Layout(string archive, PackageRecord index, IEnumerable<PackageFileEntry> files)
    {
        var byPath = new Dictionary<string, PackageFileEntry>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            ValidateEntryPath(archive, file.Path);
            if (file.Path == "info/index.json")
                throw new CondaMirrorException(ErrorCodes.ArchiveWriteInvalid,
                    "info/index.json is generated from the package record; pass the metadata as the record instead of as a file.", archive);
            if (!byPath.TryAdd(file.Path, file))
                throw new CondaMirrorException(ErrorCodes.ArchiveWriteInvalid, $"The package lists '{file.Path}' twice.", archive);
        }

        var payload = byPath.Values.Where(f => !IsInfo(f.Path)).OrderBy(f => f.Path, StringComparer.Ordinal).ToList();
        var info = byPath.Values.Where(f => IsInfo(f.Path)).ToList();
        info.Add(new PackageFileEntry("info/index.json", IndexJson(index)));
        if (!byPath.ContainsKey("info/paths.json")) info.Add(new PackageFileEntry("info/paths.json", PathsJson(payload)));
        if (!byPath.ContainsKey("info/about.json")) info.Add(new PackageFileEntry("info/about.json", AboutJson(index)));
        info.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        return (info, payload);
    }

    private static bool IsInfo(string path) => path.StartsWith("info/", StringComparison.Ordinal);

    private static void ValidateEntryPath(string archive, string path)
    {
        string? problem = null;
        if (string.IsNullOrEmpty(path)) problem = "is empty";
        else if (path[0] == '/' || path.Contains('\\') || path.Contains(':')) problem = "must be relative and use '/' separators";
        else if (path.Split('/').Any(s => s is "" or "." or "..")) problem = "has an empty, '.' or '..' segment";
        else if (path.Contains('\0')) problem = "contains a NUL character";
        if (problem is not null)
            throw new CondaMirrorException(ErrorCodes.ArchiveWriteInvalid, $"Package member path '{path}' {problem}.", archive);
    }

    /// <summary>index.json as conda-build writes it: sorted keys, two-space indent, no archive checksums.</summary>
    private static byte[] IndexJson(PackageRecord index)
    {
        // md5/sha256/size describe the archive file, so they cannot live inside it.
        var record = index.Clone();
        record.Md5 = null;
        record.Sha256 = null;
        record.Size = null;
        return Json(w => PackageRecordJson.Write(w, record));
    }

    private static byte[] PathsJson(List<PackageFileEntry> payload) => Json(w =>
    {
        w.WriteStartObject();
        w.WriteStartArray("paths");
        foreach (var file in payload)
        {
            w.WriteStartObject();
            w.WriteString("_path", file.Path);
            w.WriteString("path_type", "hardlink");
            w.WriteString("sha256", Convert.ToHexString(SHA256.HashData(file.Content)).ToLowerInvariant());
            w.WriteNumber("size_in_bytes", file.Content.Length);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteNumber("paths_version", 1);
        w.WriteEndObject();
    });

    private static byte[] AboutJson(PackageRecord index) => Json(w =>
    {
        w.WriteStartObject();
        if (index.License is not null) w.WriteString("license", index.License);
        if (index.LicenseFamily is not null) w.WriteString("license_family", index.LicenseFamily);
        w.WriteString("summary", $"{index.Name} {index.Version}");
        w.WriteEndObject();
    });

    private static byte[] Json(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = RepodataJsonEncoder.Instance }))
            write(w);
        // net8's indented writer uses the OS newline; packages must not differ between Windows and Linux.
        // Safe on raw output: a CR inside a JSON string is always escaped.
        return Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(buffer.WrittenSpan).Replace("\r\n", "\n"));
    }
}
