using System.Text.RegularExpressions;
using CondaMirror.Core.Errors;

namespace CondaMirror.Core.Specs;

/// <summary>
/// Bounds on spec text and on the regular expressions specs carry (<c>^1\.2.*$</c>, <c>1.*.2</c> globs, channel
/// globs). Specs come from package metadata in locks and repodata, so both the pattern and what it is matched
/// against can be hostile.
/// </summary>
internal static class SpecRegex
{
    /// <summary>
    /// Longest spec parsed. Real ones are under 100 characters; the parsing expressions (conda's, some of them
    /// quadratic in the length) stay in the milliseconds below this.
    /// </summary>
    public const int MaxSpecChars = 4096;

    /// <summary>
    /// Budget for one match on the backtracking engine, used only for constructs the linear one lacks. Wall time,
    /// so generous: a busy machine or a GC pause must not fail a legitimate match.
    /// </summary>
    public static readonly TimeSpan MatchTimeout = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The linear-time engine when the pattern allows it, so a match takes time linear in the candidate whatever
    /// the pattern; backreferences, lookarounds and atomic groups need the backtracking engine, under a timeout.
    /// Throws <see cref="ArgumentException"/> for an invalid pattern, as the constructor does.
    /// </summary>
    public static Regex Compile(string pattern)
    {
        try
        {
            return new Regex(pattern, RegexOptions.CultureInvariant | RegexOptions.NonBacktracking);
        }
        catch (NotSupportedException)
        {
            return new Regex(pattern, RegexOptions.CultureInvariant, MatchTimeout);
        }
    }

    /// <summary><see cref="Regex.IsMatch(string)"/>, with a timed-out match reported under <paramref name="code"/>.</summary>
    public static bool IsMatch(Regex regex, string candidate, string spec, string code)
    {
        try
        {
            return regex.IsMatch(candidate);
        }
        catch (RegexMatchTimeoutException ex)
        {
            throw new CondaMirrorException(code,
                $"the regular expression in spec '{Shorten(spec)}' took longer than {MatchTimeout.TotalSeconds:0} s to match '{Shorten(candidate)}'; " +
                "write the spec without backreferences or lookarounds, or with a simpler pattern.", inner: ex);
        }
    }

    /// <summary>Throws under <paramref name="code"/> when the spec is longer than <see cref="MaxSpecChars"/>.</summary>
    public static void CheckLength(string spec, string code, string kind)
    {
        if (spec.Length > MaxSpecChars)
            throw new CondaMirrorException(code,
                $"invalid {kind} '{Shorten(spec)}': it is {spec.Length} characters long, over the {MaxSpecChars}-character limit; real specs are far shorter.");
    }

    /// <summary>The head of a long value, for messages.</summary>
    public static string Shorten(string value) => value.Length <= 200 ? value : value[..200] + $"... ({value.Length} characters)";
}
