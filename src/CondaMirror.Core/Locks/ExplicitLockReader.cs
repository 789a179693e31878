using CondaMirror.Core.Networking;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Platforms;
using CondaMirror.Core.Records;

namespace CondaMirror.Core.Locks;

/// <summary>
/// conda's <c>@EXPLICIT</c> files: comment lines, the <c>@EXPLICIT</c> marker, then one archive URL per line, optionally
/// with a <c>#&lt;md5&gt;</c>, <c>#&lt;sha256&gt;</c> or <c>#sha256=&lt;hex&gt;</c> fragment. Records are partial (name,
/// version, build from the file name; subdir and channel from the URL).
/// </summary>
internal static class ExplicitLockReader
{
    /// <summary>Longest line accepted. Package URLs are a few hundred characters; this bounds every per-line step.</summary>
    public const int MaxLineChars = 64 * 1024;

    public static LockFile Read(string text, string path, string environment, SubdirNaming subdirs = SubdirNaming.KnownOnly)
    {
        if (environment != "default")
            throw new CondaMirrorException(ErrorCodes.LockEnvironmentNotFound,
                $"environment '{environment}' is not in the lock file; @EXPLICIT files have a single environment: default.", path);

        string? declaredPlatform = null;
        var headerSeen = false;
        var entries = new List<(string Url, int Line)>();
        var lineNo = 0;
        foreach (var raw in text.Split('\n'))
        {
            lineNo++;
            if (raw.Length > MaxLineChars)
                throw new CondaMirrorException(ErrorCodes.LockLineTooLong,
                    $"line {lineNo} is {raw.Length} characters long, over the {MaxLineChars}-character limit; a package URL is never that long, so the file is damaged.", path)
                { Line = lineNo };
            var line = raw.Trim();
            if (line.Length == 0) continue;
            if (line[0] == '#')
            {
                var comment = line.TrimStart('#').Trim();
                if (comment.StartsWith("platform:", StringComparison.OrdinalIgnoreCase))
                    declaredPlatform = comment["platform:".Length..].Trim();
                continue;
            }
            if (line == "@EXPLICIT") { headerSeen = true; continue; }
            if (!headerSeen)
                throw new CondaMirrorException(ErrorCodes.ExplicitHeaderMissing,
                    $"line {lineNo}: '{UrlRedaction.Redact(line)}' comes before the '@EXPLICIT' line; an explicit lock must start with '@EXPLICIT' (conda list --explicit writes it).", path);
            entries.Add((line, lineNo));
        }
        if (!headerSeen)
            throw new CondaMirrorException(ErrorCodes.ExplicitHeaderMissing, "no '@EXPLICIT' line; this is not an explicit lock file.", path);

        var records = new List<RepodataRecord>(entries.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (line, no) in entries)
        {
            var record = ToRecord(line, no, path);
            if (seen.Add(record.Url)) records.Add(record);
        }

        var platform = declaredPlatform ?? InferPlatform(records, path);
        if (!Subdirs.IsAllowed(platform, subdirs) || platform == "noarch")
            throw new CondaMirrorException(ErrorCodes.ExplicitPlatformUnknown,
                $"'# platform: {platform}' is not a conda platform; use one of {string.Join(", ", Platforms.Platforms.Known.Where(p => p != "noarch"))}.", path);
        // Archives outside a <subdir>/ folder: the file's platform is the best guess until the indexer reads index.json.
        foreach (var r in records) r.Record.Subdir ??= platform;
        foreach (var r in records) Subdirs.Validate(r.Record.Subdir, subdirs, $"package {r.FileName}", path);
        foreach (var r in records) PackageName.Validate(r.Record.Name, $"package {r.FileName}", path);
        foreach (var r in records) (r.Record.Arch, r.Record.Platform) = Platforms.Platforms.RecordArchAndPlatform(r.Record.Subdir);

        var channels = records.Select(r => r.Channel).Where(c => c is not null).Select(c => c!).Distinct(StringComparer.Ordinal).ToList();
        var byPlatform = new Dictionary<string, IReadOnlyList<RepodataRecord>>(StringComparer.Ordinal) { [platform] = records };
        return new LockFile(LockFileFormat.Explicit, 0, path, "default", channels, byPlatform, Array.Empty<string>());
    }

    private static string InferPlatform(List<RepodataRecord> records, string path)
    {
        var subdirs = records.Select(r => r.Record.Subdir).Where(s => s is not null && s != "noarch").Distinct().ToList();
        return subdirs.Count switch
        {
            1 => subdirs[0]!,
            0 => throw new CondaMirrorException(ErrorCodes.ExplicitPlatformUnknown,
                "cannot tell the target platform: there is no '# platform: <subdir>' line and no package URL names a platform subdir. Add e.g. '# platform: linux-64' above @EXPLICIT.", path),
            _ => throw new CondaMirrorException(ErrorCodes.ExplicitPlatformUnknown,
                $"cannot tell the target platform: package URLs name several ({string.Join(", ", subdirs)}). Add '# platform: <subdir>' above @EXPLICIT.", path),
        };
    }

    private static RepodataRecord ToRecord(string line, int lineNo, string path)
    {
        string url = line, fragment = "";
        var hashAt = line.IndexOf('#');
        if (hashAt >= 0)
        {
            url = line[..hashAt];
            fragment = line[(hashAt + 1)..].Trim();
        }
        if (!LocationFields.IsHierarchical(url))
            throw new CondaMirrorException(ErrorCodes.LockEntryInvalid,
                $"line {lineNo}: '{UrlRedaction.Redact(line)}' is not an http(s) or file URL; @EXPLICIT lines must be package URLs.", path);
        var derived = LocationFields.FromUrl(url);
        if (derived.Archive is null)
            throw new CondaMirrorException(ErrorCodes.LockEntryInvalid,
                $"line {lineNo}: '{UrlRedaction.Redact(url)}' does not end in a .conda or .tar.bz2 package file name.", path);
        var a = derived.Archive.Value;
        var r = new PackageRecord
        {
            Name = a.Name,
            Version = a.Version,
            Build = a.Build,
            BuildNumber = LocationFields.BuildNumberFromBuild(a.Build) ?? 0,
            Subdir = derived.Subdir,
        };
        ParseFragment(fragment, r, lineNo, path);
        var channel = derived.Channel is null ? null : UrlRedaction.StripCredentials(derived.Channel);
        var fileName = ArchiveFileName.ValidateSafe(derived.FileName, $"line {lineNo}", path);
        return new RepodataRecord(r, url, fileName, channel) { HasFullRecord = false };
    }

    private static void ParseFragment(string fragment, PackageRecord r, int lineNo, string path)
    {
        if (fragment.Length == 0) return;
        var value = fragment;
        string? algorithm = null;
        var sep = fragment.IndexOfAny(new[] { '=', ':' });
        if (sep > 0)
        {
            algorithm = fragment[..sep].ToLowerInvariant();
            value = fragment[(sep + 1)..];
        }
        var isHex = value.All(char.IsAsciiHexDigit);
        if (isHex && value.Length == 32 && algorithm is null or "md5") r.Md5 = value.ToLowerInvariant();
        else if (isHex && value.Length == 64 && algorithm is null or "sha256") r.Sha256 = value.ToLowerInvariant();
        else
            throw new CondaMirrorException(ErrorCodes.LockEntryInvalid,
                $"line {lineNo}: unrecognised hash '#{fragment}'; expected #<md5>, #<sha256> or #sha256=<hex>.", path);
    }
}
