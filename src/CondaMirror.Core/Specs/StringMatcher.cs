using System.Text.RegularExpressions;
using CondaMirror.Core.Errors;

namespace CondaMirror.Core.Specs;

/// <summary>
/// conda's string matchers for match-spec fields: <c>^...$</c> is a regex, a value with <c>*</c> is a glob,
/// anything else must be equal. Names are lower-cased in the spec only (conda's GlobLowerStrMatch); licenses
/// compare case-insensitively on both sides.
/// </summary>
internal sealed class StringMatcher
{
    private readonly Regex? _regex;
    private readonly bool _lowerCandidate;

    private StringMatcher(string value, Regex? regex, bool lowerCandidate)
    {
        Value = value;
        _regex = regex;
        _lowerCandidate = lowerCandidate;
    }

    /// <summary>The value as conda prints it (lower-cased for names and licenses).</summary>
    public string Value { get; }

    /// <summary>The value when it is a literal, null for globs and regexes.</summary>
    public string? ExactValue => _regex is null ? Value : null;

    public bool MatchesAll => Value == "*";

    /// <summary>Exact value, glob or regex (build strings, subdirs and other plain fields).</summary>
    public static StringMatcher Glob(string value, string spec) => new(value, CompileGlob(value, spec), false);

    /// <summary>Package names: the spec is lower-cased, the record's name is compared as is.</summary>
    public static StringMatcher LowerGlob(string value, string spec) => Glob(value.ToLowerInvariant(), spec);

    /// <summary>Licenses: case-insensitive on both sides.</summary>
    public static StringMatcher CaseInsensitive(string value, string spec)
    {
        var lower = value.ToLowerInvariant();
        return new(lower, CompileGlob(lower, spec), true);
    }

    /// <summary>A ready-made regex shown as <paramref name="display"/> (conda's channel globs).</summary>
    public static StringMatcher Pattern(string display, string pattern, string spec) =>
        new(display, CompileRegex(pattern, spec), false);

    /// <summary>Exact equality only, no glob (md5, sha256, url, fn).</summary>
    public static StringMatcher Exact(string value) => new(value, null, false);

    public bool Matches(string? candidate)
    {
        if (candidate is null) return false;
        if (_lowerCandidate) candidate = candidate.ToLowerInvariant();
        return _regex?.IsMatch(candidate) ?? string.Equals(Value, candidate, StringComparison.Ordinal);
    }

    public override string ToString() => Value;

    private static Regex? CompileGlob(string value, string spec)
    {
        string pattern;
        if (value.StartsWith('^') && value.EndsWith('$')) pattern = value;
        else if (value.Contains('*')) pattern = "^(?:" + string.Join(".*", value.Split('*').Select(Regex.Escape)) + ")$";
        else return null;
        return CompileRegex(pattern, spec);
    }

    internal static Regex CompileRegex(string pattern, string spec)
    {
        try
        {
            return new Regex(pattern, RegexOptions.CultureInvariant);
        }
        catch (ArgumentException ex)
        {
            throw new CondaMirrorException(ErrorCodes.InvalidMatchSpec,
                $"invalid match spec '{spec}': '{pattern}' is not a valid regular expression ({ex.Message}).");
        }
    }
}
