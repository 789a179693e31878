using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using CondaMirror.Core.Records;

namespace CondaMirror.TestKit.Channels;

/// <summary>
/// Writes conda packages the way conda's own tools lay them out, with none of the project's code: tar by
/// System.Formats.Tar, compression by Debian's <c>zstd</c> and <c>bzip2</c> (<see cref="ExternalCodec"/>), the
/// <c>.conda</c> zip by System.IO.Compression, and the info files as JSON built here (<see cref="FixtureJson"/>).
/// <list type="bullet">
/// <item><c>.tar.bz2</c>: one GNU-format tar (as Python 2-era conda-build wrote), info/ members first, then the
/// payload, compressed by <c>bzip2 -9</c>.</item>
/// <item><c>.conda</c> (CEP 35, as conda-package-handling 2 writes it): a zip of stored entries, <c>metadata.json</c>
/// first, then <c>pkg-&lt;stem&gt;.tar.zst</c>, then <c>info-&lt;stem&gt;.tar.zst</c>; both tars ustar, as Python 3's tarfile
/// writes them (its PAX format adds an extended header only for a member ustar cannot describe; here such a member
/// gets GNU long-name records instead, since System.Formats.Tar puts the process id into PAX header names), compressed
/// by <c>zstd -19</c>.</item>
/// </list>
/// Info files, as conda-build writes them: <c>info/index.json</c> (sorted keys; arch and platform from the subdir,
/// null for noarch), <c>info/paths.json</c>, <c>info/files</c>, <c>info/about.json</c> and, when given,
/// <c>info/run_exports.json</c>. Members are anonymised (uid/gid 0, no names) and stamped with the record's timestamp,
/// so the same spec always gives the same bytes.
/// </summary>
public static class IndependentPackageWriter
{
    /// <summary>Writes <paramref name="spec"/>'s archive into <paramref name="directory"/>; returns its path.</summary>
    public static string Write(string directory, PackageSpec spec)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, spec.FileName);
        File.WriteAllBytes(path, Bytes(spec));
        return path;
    }

    /// <summary>The archive bytes of <paramref name="spec"/>.</summary>
    public static byte[] Bytes(PackageSpec spec)
    {
        var payload = spec.PayloadFiles().Concat(spec.Files.Select(f => (f.Path, f.Content))).OrderBy(f => f.Path, StringComparer.Ordinal).ToList();
        var info = InfoFiles(spec, payload);
        var mtime = DateTimeOffset.FromUnixTimeMilliseconds(spec.Timestamp);
        if (spec.Format == ArchiveFormat.TarBz2)
            return ExternalCodec.Bzip2(Tar(info.Concat(payload), TarEntryFormat.Gnu, mtime));
        var stem = spec.FileName[..^".conda".Length];
        return CondaZip(stem, ExternalCodec.Zstd(Tar(payload, TarEntryFormat.Ustar, mtime), spec.ZstdLevel), ExternalCodec.Zstd(Tar(info, TarEntryFormat.Ustar, mtime), spec.ZstdLevel), mtime);
    }

    /// <summary>info/index.json's content: what conda-build writes for this spec (and what conda-index copies into repodata).</summary>
    public static SortedDictionary<string, object?> IndexJson(PackageSpec spec)
    {
        var index = FixtureJson.Object();
        index["name"] = spec.Name;
        index["version"] = spec.Version;
        index["build"] = spec.Build;
        index["build_number"] = spec.BuildNumber;
        index["depends"] = spec.Depends.ToList();
        if (spec.Constrains.Count > 0) index["constrains"] = spec.Constrains.ToList();
        index["license"] = spec.License;
        index["subdir"] = spec.Subdir;
        index["timestamp"] = spec.Timestamp;
        if (spec.TrackFeatures is not null) index["track_features"] = spec.TrackFeatures;
        if (spec.EffectiveNoarch is { } noarch) index["noarch"] = noarch;
        if (ArchAndPlatform(spec.Subdir) is var (arch, platform))
        {
            index["arch"] = arch;
            index["platform"] = platform;
        }
        return index;
    }

    /// <summary>conda-build's arch and platform for a subdir: null for noarch, none for a subdir it does not know.</summary>
    private static (string? Arch, string? Platform)? ArchAndPlatform(string subdir)
    {
        if (subdir == "noarch") return (null, null);
        var dash = subdir.IndexOf('-');
        if (dash <= 0) return null;
        var platform = subdir[..dash];
        if (platform is not ("linux" or "osx" or "win" or "freebsd" or "emscripten" or "wasi" or "zos")) return null;
        var arch = subdir[(dash + 1)..] switch
        {
            "64" => "x86_64",
            "32" => "x86",
            var other => other,
        };
        return (arch, platform);
    }

    private static List<(string Path, byte[] Content)> InfoFiles(PackageSpec spec, List<(string Path, byte[] Content)> payload)
    {
        var paths = FixtureJson.Object();
        paths["paths"] = payload.Select(f =>
        {
            var entry = FixtureJson.Object();
            entry["_path"] = f.Path;
            entry["path_type"] = "hardlink";
            entry["sha256"] = Convert.ToHexString(SHA256.HashData(f.Content)).ToLowerInvariant();
            entry["size_in_bytes"] = f.Content.Length;
            return entry;
        }).ToList();
        paths["paths_version"] = 1;

        var about = FixtureJson.Object();
        about["license"] = spec.License;
        about["summary"] = $"{spec.Name} {spec.Version}";

        var info = new List<(string Path, byte[] Content)>
        {
            ("info/about.json", spec.AboutJson is null ? FixtureJson.Bytes(about) : Encoding.UTF8.GetBytes(spec.AboutJson)),
            ("info/files", Encoding.UTF8.GetBytes(string.Concat(payload.Select(f => f.Path + "\n")))),
            ("info/index.json", FixtureJson.Bytes(IndexJson(spec))),
            ("info/paths.json", FixtureJson.Bytes(paths)),
        };
        if (spec.RunExportsJson is not null) info.Add(("info/run_exports.json", Encoding.UTF8.GetBytes(spec.RunExportsJson)));
        if (spec.LinkJson is not null) info.Add(("info/link.json", Encoding.UTF8.GetBytes(spec.LinkJson)));
        return info.OrderBy(f => f.Path, StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// A tar of regular files (mode 0644, uid/gid 0, no user or group names) in the given format; in ustar, a member
    /// whose name does not fit (100 bytes, or a 155-byte prefix and 100-byte name split at '/') is written as GNU.
    /// </summary>
    public static byte[] Tar(IEnumerable<(string Path, byte[] Content)> files, TarEntryFormat format, DateTimeOffset mtime)
    {
        var output = new MemoryStream();
        using (var tar = new TarWriter(output, format, leaveOpen: true))
        {
            foreach (var (path, content) in files)
            {
                var memberFormat = format == TarEntryFormat.Ustar && !FitsUstar(path) ? TarEntryFormat.Gnu : format;
                TarEntry entry = memberFormat switch
                {
                    // No atime/ctime (.NET 10 writes none unless set): GNU keeps them where ustar keeps the name prefix,
                    // so Python's tarfile (conda, conda-index) would read every name as "<atime>/<name>".
                    TarEntryFormat.Gnu => new GnuTarEntry(TarEntryType.RegularFile, path),
                    TarEntryFormat.Pax => new PaxTarEntry(TarEntryType.RegularFile, path, new Dictionary<string, string>()),
                    TarEntryFormat.Ustar => new UstarTarEntry(TarEntryType.RegularFile, path),
                    _ => new V7TarEntry(TarEntryType.V7RegularFile, path),
                };
                entry.ModificationTime = mtime;
                entry.Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
                entry.Uid = 0;
                entry.Gid = 0;
                if (entry is PosixTarEntry posix)
                {
                    posix.UserName = "";
                    posix.GroupName = "";
                }
                entry.DataStream = new MemoryStream(content, writable: false);
                tar.WriteEntry(entry);
            }
        }
        return output.ToArray();
    }

    private static bool FitsUstar(string path)
    {
        var bytes = Encoding.UTF8.GetByteCount(path);
        if (bytes <= 100) return true;
        for (var i = path.IndexOf('/'); i >= 0; i = path.IndexOf('/', i + 1))
            if (Encoding.UTF8.GetByteCount(path[..i]) <= 155 && Encoding.UTF8.GetByteCount(path[(i + 1)..]) <= 100) return true;
        return false;
    }

    /// <summary>The outer zip of a .conda: stored entries, metadata.json, then the pkg and the info tarballs.</summary>
    public static byte[] CondaZip(string stem, byte[] pkgTarZst, byte[] infoTarZst, DateTimeOffset mtime)
    {
        // Zip times are local DOS times from 1980 on; a fixed value keeps the bytes the same on every machine.
        var stamp = new DateTimeOffset(Math.Max(1980, mtime.UtcDateTime.Year), 1, 1, 0, 0, 0, TimeSpan.Zero);
        var output = new MemoryStream();
        using (var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            void Add(string name, byte[] content)
            {
                var entry = zip.CreateEntry(name, CompressionLevel.NoCompression);
                entry.LastWriteTime = stamp;
                using var s = entry.Open();
                s.Write(content);
            }
            Add("metadata.json", "{\"conda_pkg_format_version\": 2}"u8.ToArray());
            Add($"pkg-{stem}.tar.zst", pkgTarZst);
            Add($"info-{stem}.tar.zst", infoTarZst);
        }
        return output.ToArray();
    }
}
