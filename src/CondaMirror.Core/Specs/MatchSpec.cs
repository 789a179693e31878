using System.Text;
using System.Text.RegularExpressions;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Records;
using CondaMirror.Core.Versions;

namespace CondaMirror.Core.Specs;

/// <summary>
/// A conda package match spec, parsed and printed as conda 25.11's <c>MatchSpec</c> does.
/// <para>
/// Accepted forms: <c>name</c>, <c>name 1.2</c>, <c>name 1.2 build*</c>, <c>name=1.2</c> (prefix),
/// <c>name=1.2=build</c>, <c>name==1.2</c>, <c>name &gt;=1,&lt;2</c>, <c>channel::name</c>,
/// <c>channel/subdir::name</c>, bracket keys (<c>name[version='&gt;=1', build=py*, build_number='&gt;3']</c>;
/// keys: version, build, build_number, channel, subdir, md5, sha256, license, license_family, fn, url, features,
/// track_features), package file names/URLs (<c>.conda</c>, <c>.tar.bz2</c>), <c>feature@</c> and
/// <c># comments</c>. Bracket values override values outside the brackets, except the name.
/// </para>
/// <para>
/// Conditions: a trailing <c> if ...</c> clause is ignored, as conda 25.11 ignores it (the dependency is then
/// unconditional, never fewer packages). The newer bracket form <c>[when="..."]</c> is rejected with CMIR104,
/// as conda 25.11 rejects it; mirrors that need it should pin the packages explicitly.
/// </para>
/// <para>
/// Deliberate differences from conda: an empty spec is an error (conda would match every package), and a nested
/// or-group keeps its parentheses in <see cref="ToString"/> (see <see cref="VersionSpec"/>).
/// </para>
/// </summary>
public sealed partial class MatchSpec
{
    // conda's expressions. Those that can take quadratic time in the spec's length have a timeout (mapped to CMIR103
    // in ParseCore) as a backstop; the length limit already keeps them in the milliseconds. The timeout is generous
    // because it counts wall time, which a busy machine or a GC pause stretches.
    [GeneratedRegex(@"\A.*(\[.*\])", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 5000)]
    private static partial Regex BracketsPart();

    [GeneratedRegex(@"\A.*(\(.*\))", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 5000)]
    private static partial Regex ParensPart();

    [GeneratedRegex(@"([a-zA-Z0-9_-]+?)=([""']?)([^'""]*?)(\2)(?:[, ]|$)", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 5000)]
    private static partial Regex KeyValue();

    [GeneratedRegex(@"\A([^ =<>!~]+)?([><!=~ ].+)?", RegexOptions.CultureInvariant)]
    private static partial Regex NameAndRest();

    [GeneratedRegex(@"((?:.+?)[^><!,|]?)(?:(?<![=!|,<>~])(?:[ =])([^-=,|<>~]+?))?$", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 5000)]
    private static partial Regex VersionPlusBuild();

    // conda's MatchSpec.FIELD_NAMES, in the order the canonical string lists bracket keys.
    private static readonly string[] BracketKeyOrder =
        { "build_number", "track_features", "features", "url", "md5", "sha256", "license", "license_family", "fn" };

    private readonly StringMatcher _name;
    private readonly StringMatcher? _build;
    private readonly StringMatcher? _channel;
    private readonly StringMatcher? _subdir;
    private readonly StringMatcher? _md5;
    private readonly StringMatcher? _sha256;
    private readonly StringMatcher? _license;
    private readonly StringMatcher? _licenseFamily;
    private readonly StringMatcher? _fn;
    private readonly StringMatcher? _url;
    private readonly SortedSet<string>? _features;
    private readonly SortedSet<string>? _trackFeatures;

    private MatchSpec(string original, Dictionary<string, string> components, string? @namespace)
    {
        Original = original;
        Namespace = string.IsNullOrEmpty(@namespace) ? null : @namespace;
        _name = StringMatcher.LowerGlob(components["name"], original);
        foreach (var (key, value) in components)
        {
            switch (key)
            {
                case "name":
                    break;
                case "version":
                    Version = ParseVersion(value, original);
                    break;
                case "build":
                    _build = StringMatcher.Glob(value, original);
                    break;
                case "build_number":
                    BuildNumber = ParseBuildNumber(value, original);
                    break;
                case "channel":
                    _channel = ChannelMatcher(value, original);
                    break;
                case "subdir":
                    _subdir = StringMatcher.Exact(value);
                    break;
                case "md5":
                    _md5 = StringMatcher.Exact(value);
                    break;
                case "sha256":
                    _sha256 = StringMatcher.Exact(value);
                    break;
                case "license":
                    _license = StringMatcher.CaseInsensitive(value, original);
                    break;
                case "license_family":
                    _licenseFamily = StringMatcher.CaseInsensitive(value, original);
                    break;
                case "fn":
                    _fn = StringMatcher.Exact(value);
                    break;
                case "url":
                    _url = StringMatcher.Exact(value);
                    break;
                case "features":
                    _features = FeatureSet(value);
                    break;
                case "track_features":
                    _trackFeatures = FeatureSet(value);
                    break;
                case "optional" or "target":
                    break; // conda takes these as MatchSpec options, not as fields to match
                case "when":
                    throw new CondaMirrorException(ErrorCodes.UnsupportedConditionalSpec,
                        $"'{original}' uses a conditional dependency ([when=...]), which conda 25.11 does not support. " +
                        "Remove the condition or list the package for the platforms that need it.");
                default:
                    throw new CondaMirrorException(ErrorCodes.InvalidMatchSpec,
                        $"invalid match spec '{original}': cannot match on field '{key}'. Valid bracket keys: version, build, " +
                        "build_number, channel, subdir, md5, sha256, license, license_family, fn, url, features, track_features.");
            }
        }
    }

    /// <summary>The spec exactly as given.</summary>
    public string Original { get; }

    /// <summary>The package name (lower-cased), or <c>*</c> when the name is <c>*</c> or a glob (as conda's <c>name</c>).</summary>
    public string Name => _name.ExactValue ?? "*";

    /// <summary>The name as written in the spec (lower-cased), including globs such as <c>py*</c>.</summary>
    public string NamePattern => _name.Value;

    public VersionSpec? Version { get; }

    /// <summary>Build string: exact, glob (<c>py*</c>) or regex (<c>^...$</c>).</summary>
    public string? Build => _build?.Value;

    public BuildNumberSpec? BuildNumber { get; }

    /// <summary>Channel name (<c>conda-forge</c>), a channel URL, or a glob.</summary>
    public string? Channel => _channel?.Value;

    public string? Subdir => _subdir?.Value;

    /// <summary>The namespace between <c>channel:</c> and <c>:name</c>; parsed but, as in conda, never matched.</summary>
    public string? Namespace { get; }

    public string? Md5 => _md5?.Value;

    public string? Sha256 => _sha256?.Value;

    public string? License => _license?.Value;

    public string? LicenseFamily => _licenseFamily?.Value;

    public string? FileName => _fn?.Value;

    public string? Url => _url?.Value;

    public IReadOnlyCollection<string>? Features => _features;

    public IReadOnlyCollection<string>? TrackFeatures => _trackFeatures;

    /// <summary>
    /// Whether the record satisfies every constraint it carries. Channel, url and fn are location constraints a
    /// <see cref="PackageRecord"/> does not hold; use <see cref="Matches(RepodataRecord)"/> to check them too.
    /// </summary>
    public bool Matches(PackageRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (!_name.Matches(record.Name)) return false;
        if (Version is not null && !Version.Matches(record.Version)) return false;
        if (_build is not null && !_build.Matches(record.Build)) return false;
        if (BuildNumber is not null && !BuildNumber.Matches(record.BuildNumber)) return false;
        if (_subdir is not null && !_subdir.Matches(record.Subdir)) return false;
        if (_md5 is not null && !_md5.Matches(record.Md5)) return false;
        if (_sha256 is not null && !_sha256.Matches(record.Sha256)) return false;
        if (_license is not null && !_license.Matches(record.License)) return false;
        if (_licenseFamily is not null && !_licenseFamily.Matches(record.LicenseFamily)) return false;
        if (_features is not null && !_features.SetEquals(FeatureSet(record.Features))) return false;
        if (_trackFeatures is not null && !_trackFeatures.SetEquals(FeatureSet(record.TrackFeatures))) return false;
        return true;
    }

    /// <summary>Like <see cref="Matches(PackageRecord)"/>, plus channel, url and file name.</summary>
    public bool Matches(RepodataRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (!Matches(record.Record)) return false;
        if (_fn is not null && !_fn.Matches(record.FileName)) return false;
        if (_url is not null && !_url.Matches(record.Url)) return false;
        if (_channel is not null && !_channel.MatchesAll)
        {
            var channel = record.Channel is null ? null : ChannelName.Parse(record.Channel).Name;
            if (!_channel.Matches(channel)) return false;
        }
        return true;
    }

    /// <summary>
    /// The solver's fast path: checks name, version, build and build number only (other constraints such as
    /// md5 or subdir are not consulted).
    /// </summary>
    public bool Matches(string name, CondaVersion version, string build, long buildNumber)
    {
        if (!_name.Matches(name)) return false;
        if (Version is not null && !Version.Matches(version)) return false;
        if (_build is not null && !_build.Matches(build)) return false;
        return BuildNumber is null || BuildNumber.Matches(buildNumber);
    }

    /// <summary>Parses a match spec; throws <see cref="CondaMirrorException"/> (CMIR103, CMIR104) where conda would reject it.</summary>
    public static MatchSpec Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return ParseCore(text);
    }

    public static bool TryParse(string? text, out MatchSpec? spec, out string? error)
    {
        spec = null;
        error = null;
        if (text is null)
        {
            error = "the match spec is missing";
            return false;
        }
        try
        {
            spec = ParseCore(text);
            return true;
        }
        catch (CondaMirrorException ex)
        {
            error = ex.Message;
            return false;
        }
    }

    /// <summary>conda's canonical form, e.g. <c>libcurl==7.88.0=hdc1c0ab_0</c> or <c>r-survival[version='&gt;=2.37_5']</c>.</summary>
    public override string ToString()
    {
        var builder = new StringBuilder();
        var brackets = new List<string>();

        var channelExact = _channel?.ExactValue is not null;
        if (channelExact) builder.Append(_channel!.Value);
        else if (_channel is not null && !_channel.MatchesAll) brackets.Add("channel=" + _channel.Value);

        if (_subdir is not null)
        {
            if (channelExact) builder.Append('/').Append(_subdir.Value);
            else brackets.Add("subdir=" + _subdir.Value);
        }

        builder.Append(builder.Length > 0 ? "::" : "").Append(_name.Value);

        var versionExact = false;
        // conda 25.11 prints nothing for a "*" version ("blas * mkl" is "blas[build=mkl]").
        if (Version is not null && Version.ToString() != "*")
        {
            var version = Version.ToString();
            if (version.AsSpan().IndexOfAny("><$^|,") >= 0) brackets.Add($"version='{version}'");
            else if (version.StartsWith("!=", StringComparison.Ordinal) || version.StartsWith("~=", StringComparison.Ordinal))
            {
                if (_build is not null) brackets.Add($"version='{version}'");
                else builder.Append(version);
            }
            else if (version.EndsWith(".*", StringComparison.Ordinal)) builder.Append('=').Append(version[..^2]);
            else if (version.EndsWith('*')) builder.Append('=').Append(version[..^1]);
            else if (version.StartsWith("==", StringComparison.Ordinal))
            {
                builder.Append(version);
                versionExact = true;
            }
            else
            {
                builder.Append("==").Append(version);
                versionExact = true;
            }
        }

        if (_build is not null)
        {
            var build = _build.Value;
            if (build.AsSpan().IndexOfAny("><$^|,") >= 0) brackets.Add($"build='{build}'");
            else if (build.Contains('*')) brackets.Add("build=" + build);
            else if (versionExact) builder.Append('=').Append(build);
            else brackets.Add("build=" + build);
        }

        foreach (var key in BracketKeyOrder)
        {
            if (key == "fn" && _url is not null) continue;
            if (key == "url" && _channel is not null) continue; // the channel already says where it comes from
            var value = key switch
            {
                "build_number" => BuildNumber?.ToString(),
                "track_features" => _trackFeatures is null ? null : string.Join(" ", _trackFeatures),
                "features" => _features is null ? null : string.Join(" ", _features),
                "url" => _url?.Value,
                "md5" => _md5?.Value,
                "sha256" => _sha256?.Value,
                "license" => _license?.Value,
                "license_family" => _licenseFamily?.Value,
                _ => _fn?.Value,
            };
            if (value is null) continue;
            brackets.Add(value.AsSpan().IndexOfAny(", =") >= 0 ? $"{key}='{value}'" : $"{key}={value}");
        }

        if (brackets.Count > 0) builder.Append('[').Append(string.Join(",", brackets)).Append(']');
        return builder.ToString();
    }

    private static MatchSpec ParseCore(string original)
    {
        if (string.IsNullOrWhiteSpace(original))
            throw Invalid(original, "the spec is empty; give at least a package name");
        SpecRegex.CheckLength(original, ErrorCodes.InvalidMatchSpec, "match spec");
        try
        {
            return ParseLimited(original);
        }
        catch (RegexMatchTimeoutException ex)
        {
            throw new CondaMirrorException(ErrorCodes.InvalidMatchSpec,
                $"invalid match spec '{SpecRegex.Shorten(original)}': too complex to parse in time; real specs are short and simple.", inner: ex);
        }
    }

    private static MatchSpec ParseLimited(string original)
    {
        // Legacy "feature@" form: any package that tracks the feature.
        if (original.EndsWith('@'))
        {
            return new MatchSpec(original,
                new Dictionary<string, string> { ["name"] = "*", ["track_features"] = original[..^1] }, null);
        }

        var spec = original;
        var hash = spec.IndexOf('#');
        if (hash >= 0) spec = spec[..hash];

        var condition = spec.IndexOf(" if ", StringComparison.Ordinal);
        if (condition >= 0) spec = spec[..condition];

        if (IsPackageFile(spec)) return FromPackageFile(original, spec);

        var brackets = new Dictionary<string, string>(StringComparer.Ordinal);
        var bracketsMatch = spec.Contains('[') ? BracketsPart().Match(spec) : Match.Empty;
        if (bracketsMatch.Success)
        {
            var part = bracketsMatch.Groups[1].Value;
            spec = spec.Replace(part, "", StringComparison.Ordinal);
            foreach (Match kv in KeyValue().Matches(part[1..^1]))
            {
                var key = kv.Groups[1].Value;
                var value = kv.Groups[3].Value;
                if (value.Length == 0) throw Invalid(original, $"key-value mismatch in brackets (no value for '{key}')");
                brackets[key] = key == "version" ? SanitizeVersion(value, null) : value;
            }
        }

        // conda drops a parenthesised part outside the brackets (old "(optional)" markers) without using it.
        var parensMatch = spec.Contains('(') ? ParensPart().Match(spec) : Match.Empty;
        if (parensMatch.Success) spec = spec.Replace(parensMatch.Groups[1].Value, "", StringComparison.Ordinal);

        // channel:namespace:rest, split from the right.
        string? channelText = null, @namespace = null;
        var last = spec.LastIndexOf(':');
        if (last >= 0)
        {
            var before = spec.LastIndexOf(':', Math.Max(last - 1, 0));
            if (before >= 0 && before < last)
            {
                channelText = spec[..before];
                @namespace = spec[(before + 1)..last];
            }
            else
            {
                @namespace = spec[..last];
            }
            spec = spec[(last + 1)..];
        }

        var (channel, subdir) = ChannelName.ParseOptional(channelText);
        if (brackets.Remove("channel", out var bracketChannel))
        {
            var (name, sub) = ChannelName.ParseOptional(bracketChannel);
            if (!string.IsNullOrEmpty(name)) channel = name;
            if (!string.IsNullOrEmpty(sub)) subdir = sub;
        }
        if (brackets.Remove("subdir", out var bracketSubdir)) subdir = bracketSubdir;

        var nameMatch = NameAndRest().Match(spec);
        if (!nameMatch.Groups[1].Success) throw Invalid(original, $"no package name found in '{spec}'");
        var packageName = nameMatch.Groups[1].Value;
        var rest = nameMatch.Groups[2].Success ? nameMatch.Groups[2].Value.Trim() : "";

        string? version = null, build = null;
        if (rest.Length > 0)
        {
            if (rest.Contains('[')) throw Invalid(original, "multiple bracket sections are not allowed");
            (version, build) = SplitVersionAndBuild(rest);
            version = SanitizeVersion(version, build);
        }

        var components = new Dictionary<string, string>(StringComparer.Ordinal) { ["name"] = packageName };
        if (channel is not null) components["channel"] = channel;
        if (subdir is not null) components["subdir"] = subdir;
        if (version is not null) components["version"] = version;
        if (build is not null) components["build"] = build;
        brackets.Remove("name"); // a name inside brackets never overrides the one outside (conda warns)
        foreach (var (key, value) in brackets) components[key] = value;
        return new MatchSpec(original, components, @namespace);
    }

    // conda's _parse_version_plus_build: the build is the last word, separated by ' ' or '=' from the version.
    private static (string Version, string? Build) SplitVersionAndBuild(string text)
    {
        var m = VersionPlusBuild().Match(text);
        if (!m.Success) return (text.Replace(" ", ""), null);
        var build = m.Groups[2].Success ? m.Groups[2].Value.Trim() : null;
        return (m.Groups[1].Value.Replace(" ", ""), build);
    }

    // conda's _sanitize_version_str: "==1.2" without build is "1.2"; "=1.2" without build is "1.2*".
    private static string SanitizeVersion(string version, string? build)
    {
        if (version is "==" or "=") return version;
        if (!version.StartsWith('=')) return version;
        var withoutEquals = version.TrimStart('=');
        if (version.StartsWith("==", StringComparison.Ordinal) && build is null) return withoutEquals;
        if (withoutEquals.AsSpan().IndexOfAny("=,|") < 0)
            return build is null && !withoutEquals.EndsWith('*') ? withoutEquals + "*" : withoutEquals;
        return version;
    }

    private static bool IsPackageFile(string spec) =>
        spec.EndsWith(".conda", StringComparison.Ordinal) || spec.EndsWith(".tar.bz2", StringComparison.Ordinal);

    // A package file or URL: name, version and build come from the file name, channel and subdir from the URL.
    private static MatchSpec FromPackageFile(string original, string spec)
    {
        string url;
        try
        {
            url = spec.Contains("://", StringComparison.Ordinal) ? spec : LocalFileUrl(spec);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            // Path.GetFullPath rejects e.g. a NUL character.
            throw Invalid(original, $"'{spec}' is not a usable package file path ({e.Message})");
        }
        var slash = url.LastIndexOf('/');
        var fileName = Uri.UnescapeDataString(url[(slash + 1)..]);
        var location = ChannelName.Parse(url[..slash]);
        if (location.Subdir is null)
        {
            return new MatchSpec(original,
                new Dictionary<string, string> { ["name"] = "*", ["fn"] = fileName, ["url"] = url }, null);
        }
        var stem = fileName.EndsWith(".conda", StringComparison.Ordinal) ? fileName[..^6] : fileName[..^8];
        var parts = stem.Split('-');
        if (parts.Length < 3) throw Invalid(original, $"'{fileName}' is not a name-version-build package file name");
        var components = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["channel"] = location.Name,
            ["subdir"] = location.Subdir,
            ["name"] = string.Join("-", parts[..^2]),
            ["version"] = parts[^2],
            ["build"] = parts[^1],
            ["fn"] = fileName,
            ["url"] = url,
        };
        return new MatchSpec(original, components, null);
    }

    // conda's unquote(path_to_url(path)): file:// plus the absolute path with forward slashes, not percent-encoded.
    private static string LocalFileUrl(string path)
    {
        var full = Path.GetFullPath(path).Replace('\\', '/');
        return "file://" + (full.StartsWith('/') ? "" : "/") + full;
    }

    private static VersionSpec ParseVersion(string text, string original)
    {
        if (VersionSpec.TryParse(text, out var spec, out var error)) return spec!;
        throw Invalid(original, error!);
    }

    private static BuildNumberSpec ParseBuildNumber(string text, string original)
    {
        try
        {
            return BuildNumberSpec.Parse(text);
        }
        catch (CondaMirrorException ex)
        {
            throw Invalid(original, ex.Message);
        }
    }

    private static StringMatcher ChannelMatcher(string value, string original)
    {
        if (value.StartsWith('^') && value.EndsWith('$')) return StringMatcher.Glob(value, original);
        // conda turns '*' into '.*' without escaping anything else in channel globs.
        if (value.Contains('*'))
            return StringMatcher.Pattern(value, "^(?:" + value.Replace("*", ".*") + ")$", original);
        return StringMatcher.Exact(ChannelName.Parse(value).Name);
    }

    private static SortedSet<string> FeatureSet(string? value) =>
        new(string.IsNullOrEmpty(value)
                ? Array.Empty<string>()
                : value.Replace(' ', ',').Split(',').Select(f => f.Trim()).Where(f => f.Length > 0),
            StringComparer.Ordinal);

    private static CondaMirrorException Invalid(string spec, string reason) =>
        new(ErrorCodes.InvalidMatchSpec,
            $"invalid match spec '{spec}': {reason}. Examples: numpy, numpy >=1.20,<2, numpy=1.26, conda-forge::numpy==1.26.4=py312h1_0.");
}
