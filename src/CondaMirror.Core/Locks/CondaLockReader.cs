using CondaMirror.Core.Networking;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Platforms;
using CondaMirror.Core.Records;

namespace CondaMirror.Core.Locks;

/// <summary>
/// The conda-lock shaped files: <c>metadata:</c> plus a flat <c>package:</c> list with one row per (package, target platform).
/// <list type="bullet">
/// <item>conda-lock.yml v1 (CEP 37): dependencies are a name→spec map, no subdir/size/license — partial records.</item>
/// <item>pixi.lock v2/v3 (rattler's legacy format, same skeleton): dependencies are a list and rows carry the full
/// repodata fields, so records are complete.</item>
/// </list>
/// <c>platform</c> is the environment's platform, not the package's subdir: noarch rows say linux-64 while their URL says /noarch/.
/// </summary>
internal static class CondaLockReader
{
    public static LockFile Read(YMap root, int version, LockFileFormat format, string path, string environment, YamlFields y, SubdirNaming subdirs = SubdirNaming.KnownOnly)
    {
        if (environment != "default")
            throw new CondaMirrorException(ErrorCodes.LockEnvironmentNotFound,
                $"environment '{environment}' is not in the lock file; {(format == LockFileFormat.CondaLockV1 ? "conda-lock" : "this pixi.lock")} files have a single environment: default.", path);
        var full = format == LockFileFormat.PixiLock;

        var channels = new List<string>();
        if (y.OptMap(root, "metadata") is { } metadata)
            channels = PixiLockReader.ReadChannels(metadata, y, PixiLockReader.LockDirectoryOf(path));

        var byPlatform = new Dictionary<string, List<RepodataRecord>>(StringComparer.Ordinal);
        var seenUrls = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        var pypi = new PypiCollector(PixiLockReader.LockDirectoryOf(path), y);
        foreach (var platform in y.OptMap(root, "metadata") is { } m ? y.StringList(m, "platforms") : new())
            byPlatform.TryAdd(Subdirs.Validate(platform, subdirs, "metadata.platforms", path), new List<RepodataRecord>());

        foreach (var node in y.OptSeq(root, "package")?.Items ?? new())
        {
            var e = y.Map(node, "package entry");
            var name = Required(y, e, "name", "?");
            var manager = Required(y, e, "manager", name);
            if (manager is "pip" or "pypi")
            {
                // One row per (package, platform); the platform is the environment's, as for conda rows.
                var pipPlatform = Subdirs.Validate(Required(y, e, "platform", name), subdirs, $"line {e.Line}: package '{name}' platform", path);
                var location = Required(y, e, "url", name);
                pypi.Use(location, pipPlatform, e, () => PipFields(e, name, y));
                continue;
            }
            if (manager != "conda")
                throw y.Entry(e, $"package '{name}' has unknown manager '{manager}' (expected conda or pip)");
            // The platform names the environment and, for archives outside a subdir folder, the subdir they are placed in.
            var platform = Subdirs.Validate(Required(y, e, "platform", name), subdirs, $"line {e.Line}: package '{name}' platform", path);
            var url = Required(y, e, "url", name);
            if (!seenUrls.TryGetValue(platform, out var seen)) seenUrls[platform] = seen = new HashSet<string>(StringComparer.Ordinal);
            if (!seen.Add(url)) continue; // conda-lock repeats a package once per category
            if (!byPlatform.TryGetValue(platform, out var list)) byPlatform[platform] = list = new List<RepodataRecord>();
            list.Add(ToRecord(e, name, platform, url, full, y, subdirs));
        }

        var result = byPlatform.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<RepodataRecord>)kv.Value, StringComparer.Ordinal);
        return new LockFile(format, version, path, "default", channels, result, pypi.Names, pypi.Entries());
    }

    /// <summary>A pip row: name and version, <c>hash.sha256</c>/<c>hash.md5</c> (or pip's <c>#sha256=</c> URL fragment),
    /// pixi v2/v3's requires_python. conda-lock records no index.</summary>
    private static PypiCollector.Fields PipFields(YMap e, string name, YamlFields y)
    {
        var hash = y.OptMap(e, "hash");
        return new PypiCollector.Fields(
            Name: name,
            Version: y.OptString(e, "version"),
            Sha256: hash is null ? null : y.OptString(hash, "sha256"),
            Md5: hash is null ? null : y.OptString(hash, "md5"),
            RequiresPython: y.OptString(e, "requires_python"),
            IndexUrl: null,
            Editable: false);
    }

    private static RepodataRecord ToRecord(YMap e, string name, string platform, string url, bool full, YamlFields y, SubdirNaming subdirs)
    {
        if (!LocationFields.IsHierarchical(url))
            throw y.Entry(e, $"package '{name}' has URL '{UrlRedaction.Redact(url)}', which is not an http(s) or file URL");
        var derived = LocationFields.FromUrl(url);
        if (derived.Archive is null)
            throw y.Entry(e, $"package '{name}': URL '{UrlRedaction.Redact(url)}' does not end in a .conda or .tar.bz2 file name");
        var archive = derived.Archive.Value;

        string? md5, sha256;
        if (y.OptMap(e, "hash") is { } hash)
        {
            md5 = PixiLockReader.Hash(y, hash, "md5", 32);
            sha256 = PixiLockReader.Hash(y, hash, "sha256", 64);
        }
        else if (full)
        {
            md5 = null;
            sha256 = null;
        }
        else throw y.Entry(e, $"package '{name}' has no 'hash' (md5/sha256); conda-lock v1 requires one. Regenerate the lock file.");

        var r = new PackageRecord
        {
            Name = name,
            Version = Required(y, e, "version", name),
            Build = y.OptString(e, "build") is { Length: > 0 } b ? b : archive.Build,
            Md5 = md5,
            Sha256 = sha256,
        };
        // The URL's subdir wins (old pixi wrote the environment platform as 'subdir' of noarch rows). Without one, the
        // row's subdir or platform is the best guess; for partial records the indexer reads the real one from the archive.
        r.Subdir = derived.Subdir ?? (full ? y.OptString(e, "subdir") : null) ?? platform;
        Subdirs.Validate(r.Subdir, subdirs, $"line {e.Line}: package '{name}'", y.File);
        PackageName.Validate(r.Name, $"line {e.Line}", y.File);
        r.BuildNumber = y.OptLong(e, "build_number") ?? LocationFields.BuildNumberFromBuild(r.Build) ?? 0;
        r.Depends = Dependencies(e, y);
        var (arch, os) = Platforms.Platforms.RecordArchAndPlatform(r.Subdir);
        if (full)
        {
            r.Constrains = y.StringList(e, "constrains");
            r.Noarch = PixiLockReader.NormalizeNoarch(y.OptString(e, "noarch"));
            r.License = y.OptString(e, "license");
            r.LicenseFamily = y.OptString(e, "license_family");
            r.Size = y.OptLong(e, "size");
            var ts = y.OptLong(e, "timestamp");
            r.Timestamp = ts is null ? null : YamlFields.NormalizeTimestamp(ts.Value);
            r.Features = y.OptString(e, "features");
            r.TrackFeatures = e["track_features"] is YSeq ? string.Join(" ", y.StringList(e, "track_features")) : y.OptString(e, "track_features");
            if (string.IsNullOrEmpty(r.TrackFeatures)) r.TrackFeatures = null;
            if (e["purls"] is YSeq purls) r.Extra["purls"] = YamlTree.ToJson(purls);
            r.Arch = y.OptString(e, "arch") ?? arch;
        }
        else r.Arch = arch;
        r.Platform = os; // the row's 'platform' is the environment platform, never the record's os field

        var channel = y.OptString(e, "channel") ?? derived.Channel;
        var fileName = ArchiveFileName.ValidateSafe(derived.FileName, $"line {e.Line}: package '{name}'", y.File);
        var record = new RepodataRecord(r, url, fileName, channel is null ? null : UrlRedaction.StripCredentials(channel).TrimEnd('/'))
        {
            HasFullRecord = full,
        };
        return record;
    }

    /// <summary>conda-lock: {name: spec} → "name spec"; pixi v2/v3: already a list of match specs.</summary>
    private static List<string> Dependencies(YMap e, YamlFields y)
    {
        var node = e["dependencies"];
        switch (node)
        {
            case null or YScalar { IsNull: true }: return new List<string>();
            case YSeq: return y.StringList(e, "dependencies");
            case YMap map:
                var list = new List<string>(map.Entries.Count);
                foreach (var (dep, specNode) in map.Entries)
                {
                    var spec = specNode is YScalar s && !s.IsNull ? s.Value.Trim() : "";
                    list.Add(spec.Length == 0 ? dep : $"{dep} {spec}");
                }
                return list;
            default: throw y.Invalid(node, "'dependencies' must be a map or a list");
        }
    }

    private static string Required(YamlFields y, YMap e, string key, string name) =>
        y.OptString(e, key) is { Length: > 0 } value
            ? value
            : throw y.Entry(e, $"package '{name}' is missing '{key}'; the lock file is incomplete, regenerate it.");
}
