using CondaMirror.Core.Networking;
using System.Text.RegularExpressions;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Platforms;
using CondaMirror.Core.Records;

namespace CondaMirror.Core.Locks;

/// <summary>
/// pixi.lock v4–v7 (rattler_lock). v4/v5 list packages as <c>kind: conda</c> maps with explicit fields and a
/// <c>url</c>; v6 makes the location the key (<c>- conda: URL</c>) and omits fields derivable from it; v7 adds
/// relative paths, a top-level <c>platforms:</c> list and <c>conda_source:</c> entries.
/// </summary>
internal static partial class PixiLockReader
{
    public const int NewestVersion = 7;

    // Fields turned into typed PackageRecord properties (or used for identity); everything else goes to Extra.
    private static readonly HashSet<string> TypedKeys = new(StringComparer.Ordinal)
    {
        "conda", "kind", "url", "name", "version", "build", "build_number", "subdir", "noarch", "sha256", "md5",
        "depends", "constrains", "license", "license_family", "size", "timestamp", "features", "track_features",
        "arch", "platform", "channel", "file_name",
    };

    // Keys only source packages carry.
    private static readonly string[] SourceKeys = { "package_build_source", "sources", "source_depends", "input", "build_packages", "host_packages", "variants" };

    public static LockFile Read(YMap root, int version, string path, string environment, YamlFields y, SubdirNaming subdirs = SubdirNaming.KnownOnly)
    {
        if (version > NewestVersion)
            throw new CondaMirrorException(ErrorCodes.LockVersionUnsupported,
                $"pixi.lock version {version} is newer than the newest version this build reads ({NewestVersion}). Update CondaMirror.MSBuild, or write the lock with an older pixi.", path);
        if (version < 4)
            throw new CondaMirrorException(ErrorCodes.LockVersionUnsupported,
                $"unsupported pixi.lock version {version} with 'environments'; regenerate it with a newer pixi (pixi lock).", path);

        var declaredPlatforms = version >= 7 ? ReadPlatforms(root, y, subdirs) : null;
        var environments = y.Map(root["environments"] ?? throw y.Invalid(root, "missing 'environments'"), "environments");
        var env = environments[environment];
        if (env is null)
        {
            var names = string.Join(", ", environments.Entries.Select(e => e.Key));
            throw new CondaMirrorException(ErrorCodes.LockEnvironmentNotFound,
                $"environment '{environment}' is not in the lock file; it has: {(names.Length == 0 ? "(none)" : names)}. Set the environment to one of these.", path);
        }
        var envMap = y.Map(env, $"environments.{environment}");
        var lockDir = LockDirectoryOf(path);
        var channels = ReadChannels(envMap, y, lockDir);

        var index = new PackageIndex(root, version, y);
        var byPlatform = new Dictionary<string, IReadOnlyList<RepodataRecord>>(StringComparer.Ordinal);
        // Index URLs only; an entry of another shape (a future map form) is not ours to refuse the lock for.
        var pypiIndexes = (y.OptSeq(envMap, "indexes")?.Items ?? new()).OfType<YScalar>().Where(i => !i.IsNull)
            .Select(i => UrlRedaction.StripCredentials(i.Value)).ToList();
        var pypi = new PypiCollector(lockDir, y);
        var sources = new List<string>();
        var cache = new Dictionary<YMap, (RepodataRecord? Record, string? Source)>(ReferenceEqualityComparer.Instance);

        var packages = y.OptMap(envMap, "packages");
        foreach (var (platform, listNode) in packages?.Entries ?? new())
        {
            ValidatePlatformKey(platform, declaredPlatforms, listNode, path, subdirs);
            var list = new List<RepodataRecord>();
            var seenUrls = new HashSet<string>(StringComparer.Ordinal);
            if (listNode is YScalar { IsNull: true }) { byPlatform[platform] = list; continue; }
            var selectors = listNode as YSeq ?? throw y.Invalid(listNode, $"packages of platform '{platform}' must be a list");
            foreach (var selNode in selectors.Items)
            {
                var sel = y.Map(selNode, "package selector");
                if (y.OptString(sel, "pypi") is { } pypiLocation)
                {
                    var pypiEntry = index.FindPypi(pypiLocation)
                        ?? throw y.Entry(sel, $"environment '{environment}' ({platform}) refers to PyPI package '{pypiLocation}', which is not in the top-level 'packages' list; the lock file is inconsistent, regenerate it.");
                    pypi.Use(pypiLocation, platform, pypiEntry, () => ReadPypiFields(pypiEntry, sel, y, pypiIndexes.FirstOrDefault()));
                    continue;
                }
                if (y.OptString(sel, "conda_source") is { } sourceRef)
                {
                    sources.Add($"{platform}: {sourceRef}");
                    continue;
                }
                var location = y.OptString(sel, "conda") ?? throw y.Invalid(sel, "a package selector needs 'conda', 'pypi' or 'conda_source'");
                var entry = index.FindConda(location, sel)
                    ?? throw y.Entry(sel, $"environment '{environment}' ({platform}) refers to '{location}', which is not in the top-level 'packages' list; the lock file is inconsistent, regenerate it.");
                if (!cache.TryGetValue(entry, out var converted))
                    cache[entry] = converted = ToRecord(entry, location, version, lockDir, y, subdirs);
                if (converted.Source is not null) { sources.Add($"{platform}: {converted.Source}"); continue; }
                if (seenUrls.Add(converted.Record!.Url)) list.Add(converted.Record);
            }
            byPlatform[platform] = list;
        }

        if (sources.Count > 0)
            throw new CondaMirrorException(ErrorCodes.LockSourcePackages,
                $"environment '{environment}' contains {sources.Count} source package(s) that have no archive to mirror: {string.Join("; ", sources.Distinct().Take(20))}" +
                $"{(sources.Count > 20 ? "; ..." : "")}. Build them into .conda files (e.g. pixi build), publish or reference the files, and lock again.", path);

        return new LockFile(LockFileFormat.PixiLock, version, path, environment, channels, byPlatform, pypi.Names, pypi.Entries(), pypiIndexes);
    }

    /// <summary>A pypi package entry's fields (v4/v5: <c>kind: pypi</c> with url or path; v6+: <c>pypi:</c> location).
    /// The entry's own index (v7 <c>index_url</c>, or <c>index</c>) wins over the environment's first.</summary>
    private static PypiCollector.Fields ReadPypiFields(YMap e, YMap selector, YamlFields y, string? environmentIndex) => new(
        Name: y.OptString(e, "name"),
        Version: y.OptString(e, "version"),
        Sha256: y.OptString(e, "sha256"),
        Md5: y.OptString(e, "md5"),
        RequiresPython: y.OptString(e, "requires_python"),
        IndexUrl: y.OptString(e, "index_url") ?? y.OptString(e, "index") ?? environmentIndex,
        Editable: IsTrue(y.OptString(e, "editable")) || IsTrue(y.OptString(selector, "editable")));

    private static bool IsTrue(string? value) => value is "true" or "True" or "TRUE";

    private static Dictionary<string, string> ReadPlatforms(YMap root, YamlFields y, SubdirNaming subdirs)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        var seq = y.OptSeq(root, "platforms") ?? throw new CondaMirrorException(ErrorCodes.LockPlatformInvalid,
            "pixi.lock v7 requires a top-level 'platforms' list; regenerate the lock file.", y.File);
        foreach (var node in seq.Items)
        {
            var map = y.Map(node, "platforms entry");
            var name = y.OptString(map, "name") ?? throw new CondaMirrorException(ErrorCodes.LockPlatformInvalid, $"line {map.Line}: a platform needs a 'name'", y.File);
            if (!PlatformName().IsMatch(name))
                throw new CondaMirrorException(ErrorCodes.LockPlatformInvalid, $"line {map.Line}: invalid platform name '{name}' (letters, digits, '-', '_' and '.' only)", y.File);
            var subdir = y.OptString(map, "subdir") ?? name;
            if (!Subdirs.IsAllowed(subdir, subdirs))
                throw new CondaMirrorException(ErrorCodes.LockPlatformInvalid,
                    $"line {map.Line}: platform '{name}' has unknown subdir '{subdir}'; known: {string.Join(", ", Platforms.Platforms.Known)}", y.File);
            if (!result.TryAdd(name, subdir))
                throw new CondaMirrorException(ErrorCodes.LockPlatformInvalid, $"line {map.Line}: platform '{name}' is defined twice", y.File);
        }
        return result;
    }

    private static void ValidatePlatformKey(string platform, Dictionary<string, string>? declared, YNode at, string path, SubdirNaming subdirs)
    {
        if (declared is not null)
        {
            if (!declared.ContainsKey(platform))
                throw new CondaMirrorException(ErrorCodes.LockPlatformInvalid,
                    $"line {at.Line}: platform '{platform}' is used by an environment but not declared in 'platforms' ({string.Join(", ", declared.Keys)}); regenerate the lock file.", path);
        }
        else if (!Subdirs.IsAllowed(platform, subdirs))
        {
            throw new CondaMirrorException(ErrorCodes.LockPlatformInvalid,
                $"line {at.Line}: unknown platform '{platform}'; known: {string.Join(", ", Platforms.Platforms.Known)}", path);
        }
    }

    internal static string LockDirectoryOf(string lockPath) => System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(lockPath)) ?? ".";

    internal static List<string> ReadChannels(YMap env, YamlFields y, string lockDir)
    {
        var result = new List<string>();
        foreach (var node in y.OptSeq(env, "channels")?.Items ?? new())
        {
            var url = node switch
            {
                YScalar s => s.Value,
                YMap m => y.OptString(m, "url") ?? throw y.Invalid(m, "a channel needs a 'url'"),
                _ => throw y.Invalid(node, "a channel must be a URL or a map with 'url'"),
            };
            result.Add(NormalizeChannel(url, lockDir));
        }
        return result;
    }

    /// <summary>
    /// Channel names (conda-forge) become anaconda.org URLs; folder paths (relative ones against the lock's folder)
    /// become file:// URLs; credentials are removed; no trailing slash.
    /// </summary>
    internal static string NormalizeChannel(string channel, string lockDir)
    {
        var url = LocationFields.IsUrl(channel) ? channel
            : LockPaths.IsPath(channel) ? LockPaths.FromLockLocation(channel, lockDir)
            : "https://conda.anaconda.org/" + channel.Trim('/');
        return UrlRedaction.StripCredentials(url).TrimEnd('/');
    }

    private static (RepodataRecord? Record, string? Source) ToRecord(YMap e, string location, int version, string lockDir, YamlFields y, SubdirNaming subdirs)
    {
        var derivedRules = version >= 6;
        string url;
        var isPath = !LocationFields.IsUrl(location);
        if (!isPath)
        {
            if (!LocationFields.IsHierarchical(location)) return (null, location); // git+https://, etc.
            url = location;
        }
        else
        {
            // A path: a local archive is mirrorable (as a file:// URL); a directory is a source package.
            // Relative paths are relative to the lock's folder (rattler_lock), so they name this checkout's files.
            if (!ArchiveFileName.TryGetFormat(location, out _)) return (null, location);
            url = LockPaths.FromLockLocation(location, lockDir);
        }
        foreach (var key in SourceKeys)
            if (e.Has(key)) return (null, location);

        var derived = LocationFields.FromUrl(url);
        if (derived.Archive is null) return (null, location);
        var archive = derived.Archive.Value;

        var r = new PackageRecord
        {
            Name = y.OptString(e, "name") ?? archive.Name,
            Version = y.OptString(e, "version") ?? archive.Version,
        };
        var build = y.OptString(e, "build");
        r.Build = string.IsNullOrEmpty(build) ? archive.Build : build;
        r.BuildNumber = y.OptLong(e, "build_number") ?? (derivedRules ? LocationFields.BuildNumberFromBuild(r.Build) ?? 0 : 0);
        var subdir = y.OptString(e, "subdir");
        r.Subdir = string.IsNullOrEmpty(subdir) ? derived.Subdir : subdir;
        if (r.Subdir is null)
            throw y.Entry(e, $"package '{location}' has no 'subdir' and none can be derived from its location");
        Subdirs.Validate(r.Subdir, subdirs, $"line {e.Line}: package '{location}'", y.File);
        PackageName.Validate(r.Name, $"line {e.Line}: package '{location}'", y.File);
        r.Noarch = NormalizeNoarch(y.OptString(e, "noarch"))
            ?? (derivedRules ? LocationFields.NoarchFrom((isPath ? null : derived.Subdir) ?? r.Subdir, archive.Build) : null);
        r.Sha256 = Hash(y, e, "sha256", 64);
        r.Md5 = Hash(y, e, "md5", 32);
        r.Depends = y.StringList(e, "depends");
        r.Constrains = y.StringList(e, "constrains");
        r.License = y.OptString(e, "license");
        r.LicenseFamily = y.OptString(e, "license_family");
        r.Size = y.OptLong(e, "size");
        var ts = y.OptLong(e, "timestamp");
        r.Timestamp = ts is null ? null : YamlFields.NormalizeTimestamp(ts.Value);
        r.Features = y.OptString(e, "features");
        r.TrackFeatures = e["track_features"] switch
        {
            YSeq => NullIfEmpty(string.Join(" ", y.StringList(e, "track_features"))),
            _ => NullIfEmpty(y.OptString(e, "track_features")),
        };
        var (arch, os) = Platforms.Platforms.RecordArchAndPlatform(r.Subdir);
        r.Arch = derivedRules ? arch : y.OptString(e, "arch") ?? arch;
        r.Platform = derivedRules ? os : y.OptString(e, "platform") ?? os;
        foreach (var (key, value) in e.Entries)
            if (!TypedKeys.Contains(key) && value is not YScalar { IsNull: true })
                r.Extra[key] = YamlTree.ToJson(value);
        // rattler holds purls in a sorted set, so their order in the file carries no meaning.
        if (r.Extra.TryGetValue("purls", out var purls) && purls.ValueKind == System.Text.Json.JsonValueKind.Array)
            r.Extra["purls"] = System.Text.Json.JsonSerializer.SerializeToElement(
                purls.EnumerateArray().Select(p => p.ToString()).Distinct().Order(StringComparer.Ordinal).ToArray());

        var channel = y.OptString(e, "channel") ?? derived.Channel;
        var fileName = ArchiveFileName.ValidateSafe(y.OptString(e, "file_name") ?? derived.FileName ?? $"{r.Stem}.conda", $"line {e.Line}: package '{location}'", y.File);
        return (new RepodataRecord(r, url, fileName, channel is null ? null : UrlRedaction.StripCredentials(channel).TrimEnd('/')), null);
    }

    internal static string? Hash(YamlFields y, YMap e, string key, int hexLength)
    {
        var value = y.OptString(e, key);
        if (string.IsNullOrEmpty(value)) return null; // conda-lock writes md5: '' when it only knows the sha256
        if (value.Length != hexLength || !value.All(char.IsAsciiHexDigit))
            throw y.Entry(e[key], $"'{key}' must be {hexLength} hex digits, found '{value}'");
        return value.ToLowerInvariant();
    }

    internal static string? NormalizeNoarch(string? value) => value switch
    {
        null or "" or "false" or "False" => null,
        "true" or "True" => "generic",
        _ => value,
    };

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._\-]*$")]
    private static partial Regex PlatformName();

    /// <summary>The top-level package list, indexed by location (v6+) or url (v4/v5).</summary>
    private sealed class PackageIndex
    {
        private readonly Dictionary<string, List<YMap>> _conda = new(StringComparer.Ordinal);
        private readonly Dictionary<string, YMap> _pypi = new(StringComparer.Ordinal);
        private readonly YamlFields _y;

        public PackageIndex(YMap root, int version, YamlFields y)
        {
            _y = y;
            foreach (var node in y.OptSeq(root, "packages")?.Items ?? new())
            {
                var e = y.Map(node, "packages entry");
                if (version <= 5)
                {
                    var kind = y.OptString(e, "kind");
                    var location = y.OptString(e, "url") ?? y.OptString(e, "path");
                    if (location is null) throw y.Entry(e, "package entry has neither 'url' nor 'path'");
                    if (kind == "conda") Add(location, e);
                    else if (kind == "pypi") _pypi.TryAdd(location, e);
                    else throw y.Entry(e, $"unknown package kind '{kind}' (expected conda or pypi)");
                }
                else if (y.OptString(e, "conda") is { } conda) Add(conda, e);
                else if (y.OptString(e, "pypi") is { } pypi) _pypi.TryAdd(pypi, e);
                else if (!e.Has("conda_source")) throw y.Entry(e, "package entry has none of 'conda', 'pypi', 'conda_source'");
            }
        }

        private void Add(string location, YMap e)
        {
            if (!_conda.TryGetValue(location, out var list)) _conda[location] = list = new List<YMap>(1);
            list.Add(e);
        }

        public YMap? FindPypi(string location) => _pypi.TryGetValue(location, out var entry) ? entry : null;

        /// <summary>v6+ selectors may add name/version/build/subdir to pick one of several packages sharing a location.</summary>
        public YMap? FindConda(string location, YMap selector)
        {
            if (!_conda.TryGetValue(location, out var candidates)) return null;
            if (candidates.Count == 1) return candidates[0];
            var derived = LocationFields.FromUrl(LocationFields.IsUrl(location) ? location : "file:///" + location.TrimStart('/'));
            foreach (var c in candidates)
            {
                if (Matches(selector, c, "name", derived.Archive?.Name) && Matches(selector, c, "version", derived.Archive?.Version) &&
                    Matches(selector, c, "build", derived.Archive?.Build) && Matches(selector, c, "subdir", derived.Subdir))
                    return c;
            }
            return null;
        }

        private bool Matches(YMap selector, YMap candidate, string key, string? derivedValue)
        {
            var wanted = _y.OptString(selector, key);
            return wanted is null || wanted == (_y.OptString(candidate, key) ?? derivedValue);
        }
    }
}
