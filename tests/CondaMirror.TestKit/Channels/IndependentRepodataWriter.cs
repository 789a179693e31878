using System.Security.Cryptography;

namespace CondaMirror.TestKit.Channels;

/// <summary>One archive file of a channel, its hashes and size (computed by the BCL from its bytes) and the index.json it
/// carries (what conda-index reads from it). Only the hashes are kept, so a large channel is not held in memory.</summary>
public sealed record IndexedArchive(string Subdir, string FileName, string Md5, string Sha256, long Size, IReadOnlyDictionary<string, object?> IndexJson)
{
    public static IndexedArchive Of(string subdir, string fileName, byte[] bytes, IReadOnlyDictionary<string, object?> indexJson) =>
        new(subdir, fileName, Convert.ToHexString(MD5.HashData(bytes)).ToLowerInvariant(), Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant(),
            bytes.LongLength, indexJson);
}

/// <summary>
/// Writes <c>&lt;subdir&gt;/repodata.json</c> as conda-index does, with none of the project's code: each record is the
/// archive's info/index.json plus md5, sha256 and size of the file (computed here by the BCL), under
/// <c>packages</c> (.tar.bz2) or <c>packages.conda</c>; then <c>info.subdir</c>, <c>removed</c> and
/// <c>repodata_version</c> 1, keys sorted, two-space indent. Every subdir given gets a file (noarch always, as
/// conda-index does), and a <c>repodata.json.zst</c> beside it made by Debian's <c>zstd</c>.
/// </summary>
public static class IndependentRepodataWriter
{
    /// <summary>Writes the repodata of <paramref name="archives"/> (and empty repodata for the other <paramref name="subdirs"/>); returns the repodata.json paths.</summary>
    public static IReadOnlyList<string> Write(string channelDirectory, IEnumerable<IndexedArchive> archives, IEnumerable<string> subdirs, bool writeZst = true)
    {
        var bySubdir = archives.GroupBy(a => a.Subdir).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var all = subdirs.Concat(bySubdir.Keys).Append("noarch").Distinct(StringComparer.Ordinal).OrderBy(s => s, StringComparer.Ordinal);
        var written = new List<string>();
        foreach (var subdir in all)
        {
            var json = Repodata(subdir, bySubdir.GetValueOrDefault(subdir) ?? new List<IndexedArchive>());
            var dir = Path.Combine(channelDirectory, subdir);
            Directory.CreateDirectory(dir);
            var path = Path.Combine(dir, "repodata.json");
            File.WriteAllBytes(path, json);
            if (writeZst) File.WriteAllBytes(path + ".zst", ExternalCodec.Zstd(json));
            written.Add(path);
        }
        return written;
    }

    /// <summary>The repodata.json bytes of one subdir.</summary>
    public static byte[] Repodata(string subdir, IEnumerable<IndexedArchive> archives)
    {
        var packages = FixtureJson.Object();
        var conda = FixtureJson.Object();
        foreach (var archive in archives)
        {
            var record = FixtureJson.Object();
            foreach (var (key, value) in archive.IndexJson) record[key] = value;
            record["md5"] = archive.Md5;
            record["sha256"] = archive.Sha256;
            record["size"] = archive.Size;
            var map = archive.FileName.EndsWith(".conda", StringComparison.Ordinal) ? conda : packages;
            if (map.TryGetValue(archive.FileName, out var listed) && !Equals(((IDictionary<string, object?>)listed!)["sha256"], record["sha256"]))
                throw new InvalidOperationException($"The channel lists {subdir}/{archive.FileName} twice, with different bytes.");
            map[archive.FileName] = record;
        }
        var info = FixtureJson.Object();
        info["subdir"] = subdir;
        var repodata = FixtureJson.Object();
        repodata["info"] = info;
        repodata["packages"] = packages;
        repodata["packages.conda"] = conda;
        repodata["removed"] = new List<string>();
        repodata["repodata_version"] = 1;
        return FixtureJson.Bytes(repodata);
    }
}
