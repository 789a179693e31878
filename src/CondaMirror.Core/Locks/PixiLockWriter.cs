using CondaMirror.Core.Networking;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Records;

namespace CondaMirror.Core.Locks;

/// <summary>
/// Writes a <see cref="LockDocument"/> as pixi.lock <b>version 6</b>, shaped the way rattler_lock writes it so pixi,
/// pixi-pack and other rattler tools read it: environments in name order; per platform the selectors sorted by file
/// name then URL; one top-level entry per archive sorted by package name then URL; entry keys in rattler's order,
/// fields derivable from the URL omitted. URLs and channels are written without credentials. Same document, same bytes.
/// <para>Given the lock's folder, local (file://) packages and channels are written as paths relative to it
/// (<see cref="LockPaths"/>): rattler_lock resolves such paths against the lock's folder, so the lock stays valid in
/// another checkout. rattler derives neither subdir nor channel from a path, so the subdir is then always written;
/// the channel is left out, since it would name this machine's folder and readers derive it from the location.</para>
/// </summary>
public static partial class PixiLockWriter
{
    public const int Version = 6;

    public static void Write(string path, LockDocument doc)
    {
        var yaml = ToYaml(doc);
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        // Write beside and move over, so a crash never leaves a half-written lock.
        var temp = path + ".tmp";
        File.WriteAllText(temp, yaml, new UTF8Encoding(false));
        File.Move(temp, path, overwrite: true);
    }

    /// <param name="lockDirectory">The folder the lock is written to; null keeps local locations as absolute file:// URLs.</param>
    public static string ToYaml(LockDocument doc, string? lockDirectory = null)
    {
        var packages = new Dictionary<string, RepodataRecord>(StringComparer.Ordinal);
        var sb = new StringBuilder(64 * 1024);
        sb.Append("version: ").Append(Version).Append('\n');
        if (doc.Environments.Count == 0) sb.Append("environments: {}\n");
        else sb.Append("environments:\n");
        foreach (var (name, env) in doc.Environments)
        {
            sb.Append("  ").Append(Scalar(name)).Append(":\n");
            if (env.Channels.Count == 0) sb.Append("    channels: []\n");
            else
            {
                sb.Append("    channels:\n");
                foreach (var channel in env.Channels)
                {
                    var url = UrlRedaction.StripCredentials(channel).TrimEnd('/') + "/";
                    sb.Append("    - url: ").Append(Scalar(lockDirectory is null ? url : LockPaths.ToLockLocation(url, lockDirectory))).Append('\n');
                }
            }
            if (env.Packages.Count == 0) { sb.Append("    packages: {}\n"); continue; }
            sb.Append("    packages:\n");
            foreach (var (platform, records) in env.Packages)
            {
                if (!Platforms.Platforms.IsKnown(platform))
                    throw Invalid($"environment '{name}': '{platform}' is not a conda platform");
                var urls = new SortedSet<string>(SelectorOrder.Instance);
                foreach (var record in records)
                {
                    urls.Add(Register(packages, record, lockDirectory));
                }
                if (urls.Count == 0) { sb.Append("      ").Append(Scalar(platform)).Append(": []\n"); continue; }
                sb.Append("      ").Append(Scalar(platform)).Append(":\n");
                foreach (var url in urls) sb.Append("      - conda: ").Append(Scalar(url)).Append('\n');
            }
        }

        var sorted = packages.OrderBy(p => p.Value.Record.Name, StringComparer.Ordinal)
            .ThenBy(p => p.Key, StringComparer.Ordinal).ToList();
        if (sorted.Count == 0) sb.Append("packages: []\n");
        else sb.Append("packages:\n");
        foreach (var (url, record) in sorted) WritePackage(sb, url, record);
        return sb.ToString();
    }

    // One entry per archive; two different records for the same URL would make the lock ambiguous. Returns the
    // location as written (the URL, or a path relative to the lock's folder).
    private static string Register(Dictionary<string, RepodataRecord> packages, RepodataRecord record, string? lockDirectory)
    {
        var url = UrlRedaction.StripCredentials(record.Url);
        var r = record.Record;
        if (string.IsNullOrEmpty(r.Name) || string.IsNullOrEmpty(r.Version) || string.IsNullOrEmpty(r.Build) || string.IsNullOrEmpty(r.Subdir))
            throw Invalid($"record for '{UrlRedaction.Redact(record.Url)}' lacks name, version, build or subdir");
        if (!LocationFields.IsHierarchical(url) || LocationFields.FromUrl(url).Archive is null)
            throw Invalid($"'{UrlRedaction.Redact(record.Url)}' is not an http(s)/oci/file URL ending in a .conda or .tar.bz2 file");
        if (lockDirectory is not null) url = LockPaths.ToLockLocation(url, lockDirectory);
        if (packages.TryGetValue(url, out var existing))
        {
            if (!ReferenceEquals(existing, record) && existing.Record != record.Record &&
                PackageRecordJson.ToJson(existing.Record) != PackageRecordJson.ToJson(record.Record))
                throw Invalid($"two different records share the URL '{UrlRedaction.Redact(url)}'");
        }
        else packages[url] = record;
        return url;
    }

    private static void WritePackage(StringBuilder sb, string location, RepodataRecord record)
    {
        var r = record.Record;
        var isPath = !LocationFields.IsUrl(location);
        var derived = isPath ? LocationFields.FromPath(location) : LocationFields.FromUrl(location);
        var archive = derived.Archive!.Value;
        sb.Append("- conda: ").Append(Scalar(location)).Append('\n');
        if (r.Name != archive.Name) Field(sb, "name", r.Name);
        if (r.Version != archive.Version) Field(sb, "version", r.Version);
        if (r.Build != archive.Build) Field(sb, "build", r.Build);
        if (r.BuildNumber != (LocationFields.BuildNumberFromBuild(r.Build) ?? 0)) Field(sb, "build_number", r.BuildNumber.ToString(CultureInfo.InvariantCulture), plain: true);
        if (r.Subdir != derived.Subdir) Field(sb, "subdir", r.Subdir!);
        var derivedNoarch = LocationFields.NoarchFrom(derived.Subdir ?? r.Subdir!, archive.Build);
        if (r.Noarch is not null && r.Noarch != derivedNoarch) Field(sb, "noarch", r.Noarch);
        if (r.Sha256 is not null) Field(sb, "sha256", r.Sha256);
        if (r.Md5 is not null) Field(sb, "md5", r.Md5);
        ExtraString(sb, r, "legacy_bz2_md5");
        List(sb, "depends", r.Depends, "");
        List(sb, "constrains", r.Constrains, "");
        if (r.Extra.TryGetValue("extra_depends", out var extraDepends) && extraDepends.ValueKind == JsonValueKind.Object &&
            extraDepends.EnumerateObject().Any())
        {
            sb.Append("  extra_depends:\n");
            foreach (var group in extraDepends.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal))
            {
                var items = group.Value.ValueKind == JsonValueKind.Array ? group.Value.EnumerateArray().Select(i => i.ToString()).ToList() : new List<string>();
                if (items.Count == 0) { sb.Append("    ").Append(Scalar(group.Name)).Append(": []\n"); continue; }
                sb.Append("    ").Append(Scalar(group.Name)).Append(":\n");
                foreach (var item in items) sb.Append("    - ").Append(Scalar(item)).Append('\n');
            }
        }
        var channel = record.Channel is null ? null : UrlRedaction.StripCredentials(record.Channel).TrimEnd('/');
        // A path's channel is the folder two levels up, which every reader of this lock derives on its own machine.
        var impliedChannel = isPath ? LocationFields.ChannelOf(UrlRedaction.StripCredentials(record.Url)) : derived.Channel;
        if (channel is not null && channel != impliedChannel) Field(sb, "channel", channel);
        if (!string.IsNullOrEmpty(r.Features)) Field(sb, "features", r.Features);
        List(sb, "track_features", r.TrackFeatureNames.ToList(), "");
        if (record.FileName != derived.FileName) Field(sb, "file_name", record.FileName);
        if (r.License is not null) Field(sb, "license", r.License);
        if (r.LicenseFamily is not null) Field(sb, "license_family", r.LicenseFamily);
        if (r.Extra.TryGetValue("purls", out var purls) && purls.ValueKind == JsonValueKind.Array)
        {
            // rattler keeps purls in a sorted set; an empty list still means "known to have none".
            var items = purls.EnumerateArray().Select(p => p.ToString()).Distinct().Order(StringComparer.Ordinal).ToList();
            if (items.Count == 0) sb.Append("  purls: []\n");
            else List(sb, "purls", items, "");
        }
        if (r.Size is not null) Field(sb, "size", r.Size.Value.ToString(CultureInfo.InvariantCulture), plain: true);
        if (r.Extra.TryGetValue("legacy_bz2_size", out var bz2Size) && bz2Size.ValueKind == JsonValueKind.Number)
            Field(sb, "legacy_bz2_size", bz2Size.GetRawText(), plain: true);
        if (r.Timestamp is not null)
        {
            // rattler: milliseconds, shortened to seconds when they are whole seconds.
            var ms = YamlFields.NormalizeTimestamp(r.Timestamp.Value);
            Field(sb, "timestamp", (ms % 1000 == 0 ? ms / 1000 : ms).ToString(CultureInfo.InvariantCulture), plain: true);
        }
        ExtraString(sb, r, "python_site_packages_path");
    }

    private static void ExtraString(StringBuilder sb, PackageRecord r, string key)
    {
        if (r.Extra.TryGetValue(key, out var value) && value.ValueKind == JsonValueKind.String)
            Field(sb, key, value.GetString()!);
    }

    private static void Field(StringBuilder sb, string key, string value, bool plain = false) =>
        sb.Append("  ").Append(key).Append(": ").Append(plain ? value : Scalar(value)).Append('\n');

    private static void List(StringBuilder sb, string key, List<string> items, string indent)
    {
        if (items.Count == 0) return;
        sb.Append(indent).Append("  ").Append(key).Append(":\n");
        foreach (var item in items) sb.Append(indent).Append("  - ").Append(Scalar(item)).Append('\n');
    }

    /// <summary>
    /// A YAML scalar that reads back as the same string: plain when unambiguous, else single-quoted (like serde_yaml),
    /// double-quoted only for control characters.
    /// </summary>
    internal static string Scalar(string value)
    {
        if (NeedsDoubleQuotes(value)) return JsonSerializer.Serialize(value);
        if (CanBePlain(value)) return value;
        return "'" + value.Replace("'", "''") + "'";
    }

    private static bool NeedsDoubleQuotes(string s)
    {
        foreach (var c in s)
            if (char.IsControl(c) || c is '\u2028' or '\u2029' or '\uFEFF') return true;
        return false;
    }

    private static bool CanBePlain(string s)
    {
        if (s.Length == 0 || s[0] == ' ' || s[^1] == ' ' || s[^1] == ':') return false;
        if ("-?:,[]{}#&*!|>'\"%@`".Contains(s[0])) return false;
        if (s.Contains(": ", StringComparison.Ordinal) || s.Contains(" #", StringComparison.Ordinal)) return false;
        return !ResolvesToNonString().IsMatch(s);
    }

    // YAML 1.1 and 1.2 null/bool/number forms: any of these must be quoted to stay a string.
    [GeneratedRegex(@"^(~|null|Null|NULL|true|True|TRUE|false|False|FALSE|y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF|[-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?|0x[0-9a-fA-F_]+|0o[0-7_]+|0b[01_]+|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)|[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?)$")]
    private static partial Regex ResolvesToNonString();

    private static CondaMirrorException Invalid(string message) =>
        new(ErrorCodes.LockWriteInvalid, $"cannot write the lock file: {message}.");

    /// <summary>rattler's selector order: file name (case-insensitive) first, then the whole URL.</summary>
    private sealed class SelectorOrder : IComparer<string>
    {
        public static readonly SelectorOrder Instance = new();

        public int Compare(string? a, string? b)
        {
            var byName = string.CompareOrdinal(FileNameOf(a!).ToLowerInvariant(), FileNameOf(b!).ToLowerInvariant());
            return byName != 0 ? byName : string.CompareOrdinal(a, b);
        }

        private static string FileNameOf(string url) => url[(url.LastIndexOf('/') + 1)..];
    }
}
