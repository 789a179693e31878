using System.Globalization;
using System.Text.RegularExpressions;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Versions;

namespace CondaMirror.Core.Specs;

/// <summary>
/// The <c>build_number</c> part of a match spec (conda 25.11 <c>BuildNumberMatch</c>): an integer (<c>3</c>),
/// <c>*</c>, a relation compared like versions (<c>&gt;=3</c>, <c>!=0</c>, <c>=1</c> is a prefix match), or a
/// regex <c>^...$</c> over the decimal text. Anything else is kept but, as in conda, never matches.
/// </summary>
public sealed class BuildNumberSpec
{
    private readonly Func<long, bool> _matcher;
    private readonly string _text;

    private BuildNumberSpec(string text, long? exact, Func<long, bool> matcher)
    {
        _text = text;
        Exact = exact;
        _matcher = matcher;
    }

    /// <summary>The build number when the spec is a plain integer.</summary>
    public long? Exact { get; }

    public bool Matches(long buildNumber) => _matcher(buildNumber);

    /// <summary>conda's string: the integer normalized (<c>03</c> gives <c>3</c>), anything else as written (trimmed).</summary>
    public override string ToString() => _text;

    /// <summary>Parses a build-number spec; throws <see cref="CondaMirrorException"/> (CMIR106) where conda would.</summary>
    public static BuildNumberSpec Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        SpecRegex.CheckLength(text, ErrorCodes.InvalidBuildNumberSpec, "build number spec");
        if (TryParsePythonInt(text, out var exact))
            return new BuildNumberSpec(exact.ToString(CultureInfo.InvariantCulture), exact, n => n == exact);

        var spec = text.Trim();
        if (spec == "*") return new BuildNumberSpec(spec, null, _ => true);
        if (spec.Length > 0 && spec[0] is '=' or '<' or '>' or '!')
        {
            var m = VersionSpec.Relation().Match(spec);
            if (!m.Success) throw Invalid(text, "invalid operator");
            var op = m.Groups[1].Value; // never "~=": a spec starting with '~' is not a relation here
            if (!CondaVersion.TryParseCore(m.Groups[2].Value, out var target, out var reason))
                throw Invalid(text, $"'{m.Groups[2].Value}' is not a valid number ({reason})");
            Func<CondaVersion, bool> compare = op switch
            {
                "==" => v => v == target,
                "!=" => v => v != target,
                "<" => v => v < target,
                "<=" => v => v <= target,
                ">" => v => v > target,
                ">=" => v => v >= target,
                _ => v => v.StartsWith(target!),
            };
            // conda compares the build number as a version string.
            return new BuildNumberSpec(spec, null,
                n => CondaVersion.TryParse(n.ToString(CultureInfo.InvariantCulture), out var v) && compare(v!));
        }
        if (spec.Length > 0 && (spec[0] == '^' || spec[^1] == '$'))
        {
            if (spec[0] != '^' || spec[^1] != '$') throw Invalid(text, "regex specs must start with '^' and end with '$'");
            Regex regex;
            try
            {
                regex = SpecRegex.Compile(spec);
            }
            catch (ArgumentException ex)
            {
                throw Invalid(text, $"invalid regular expression ({ex.Message})");
            }
            return new BuildNumberSpec(spec, null, n => SpecRegex.IsMatch(regex, n.ToString(CultureInfo.InvariantCulture), spec, ErrorCodes.InvalidBuildNumberSpec));
        }
        // conda compares this string with the integer build number, which is never equal.
        return new BuildNumberSpec(spec, null, _ => false);
    }

    // Python's int(str): surrounding whitespace, an optional sign, digits with single '_' between them.
    private static bool TryParsePythonInt(string text, out long value)
    {
        value = 0;
        var s = text.Trim();
        var start = s.Length > 0 && s[0] is '+' or '-' ? 1 : 0;
        if (start == s.Length) return false;
        for (var i = start; i < s.Length; i++)
        {
            if (char.IsAsciiDigit(s[i])) continue;
            if (s[i] == '_' && i > start && i + 1 < s.Length && char.IsAsciiDigit(s[i - 1]) && char.IsAsciiDigit(s[i + 1])) continue;
            return false;
        }
        return long.TryParse(s.Replace("_", ""), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
    }

    private static CondaMirrorException Invalid(string text, string reason) =>
        new(ErrorCodes.InvalidBuildNumberSpec,
            $"invalid build number spec '{text}': {reason}. Use an integer (3) or a comparison such as >=3 or !=0.");
}
