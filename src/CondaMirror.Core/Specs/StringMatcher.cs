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
    private readonly string[]? _globParts; // a '*' glob split at the stars, matched without a regex
    private readonly bool _lowerCandidate;

    private StringMatcher(string value, Regex? regex, string[]? globParts, bool lowerCandidate)
    {
        Value = value;
        _regex = regex;
        _globParts = globParts;
        _lowerCandidate = lowerCandidate;
    }

    /// <summary>The value as conda prints it (lower-cased for names and licenses).</summary>
    public string Value { get; }

    /// <summary>The value when it is a literal, null for globs and regexes.</summary>
    public string? ExactValue => _regex is null && _globParts is null ? Value : null;

    public bool MatchesAll => Value == "*";

    /// <summary>Exact value, glob or regex (build strings, subdirs and other plain fields).</summary>
    public static StringMatcher Glob(string value, string spec) => Create(value, spec, lowerCandidate: false);

    /// <summary>Package names: the spec is lower-cased, the record's name is compared as is.</summary>
    public static StringMatcher LowerGlob(string value, string spec) => Create(value.ToLowerInvariant(), spec, lowerCandidate: false);

    /// <summary>Licenses: case-insensitive on both sides.</summary>
    public static StringMatcher CaseInsensitive(string value, string spec) => Create(value.ToLowerInvariant(), spec, lowerCandidate: true);

    /// <summary>A ready-made regex shown as <paramref name="display"/> (conda's channel globs).</summary>
    public static StringMatcher Pattern(string display, string pattern, string spec) =>
        new(display, CompileRegex(pattern, spec), null, false);

    /// <summary>Exact equality only, no glob (md5, sha256, url, fn).</summary>
    public static StringMatcher Exact(string value) => new(value, null, null, false);

    public bool Matches(string? candidate)
    {
        if (candidate is null) return false;
        if (_lowerCandidate) candidate = candidate.ToLowerInvariant();
        if (_regex is not null) return SpecRegex.IsMatch(_regex, candidate, Value, ErrorCodes.InvalidMatchSpec);
        if (_globParts is not null) return MatchesGlob(_globParts, candidate);
        return string.Equals(Value, candidate, StringComparison.Ordinal);
    }

    public override string ToString() => Value;

    private static StringMatcher Create(string value, string spec, bool lowerCandidate)
    {
        if (value.StartsWith('^') && value.EndsWith('$')) return new(value, CompileRegex(value, spec), null, lowerCandidate);
        if (value.Contains('*')) return new(value, null, value.Split('*'), lowerCandidate);
        return new(value, null, null, lowerCandidate);
    }

    // Same as conda's ^(?:part0.*part1.*...)$ regex: the parts appear in order, the first and last anchored.
    private static bool MatchesGlob(string[] parts, string candidate)
    {
        var first = parts[0];
        var last = parts[^1];
        if (candidate.Length < first.Length + last.Length) return false;
        if (!candidate.StartsWith(first, StringComparison.Ordinal) || !candidate.EndsWith(last, StringComparison.Ordinal))
            return false;
        var position = first.Length;
        var limit = candidate.Length - last.Length;
        for (var i = 1; i < parts.Length - 1; i++)
        {
            if (parts[i].Length == 0) continue;
            var found = candidate.IndexOf(parts[i], position, limit - position, StringComparison.Ordinal);
            if (found < 0) return false;
            position = found + parts[i].Length;
        }
        return true;
    }

    internal static Regex CompileRegex(string pattern, string spec)
    {
        try
        {
            return SpecRegex.Compile(pattern);
        }
        catch (ArgumentException ex)
        {
            throw new CondaMirrorException(ErrorCodes.InvalidMatchSpec,
                $"invalid match spec '{spec}': '{pattern}' is not a valid regular expression ({ex.Message}).");
        }
    }
}
