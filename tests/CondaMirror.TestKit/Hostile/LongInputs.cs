namespace CondaMirror.TestKit;

/// <summary>
/// Long inputs shaped to drive a scanner or a regular expression into its worst case. Tests run them once at a
/// large size under <see cref="HangGuard"/>; benchmarks/CondaMirror.Benchmarks (scaling) measures how time grows with size.
/// </summary>
public static class LongInputs
{
    /// <summary>Prefixes that put a long tail after every kind of URL start (scheme, user info, /t/ token).</summary>
    public static readonly string[] UrlPrefixes = { "https://", "", "a", "/t/", "a://", "a://b/t/c" };

    /// <summary>
    /// URL-like texts of about <c>n</c> characters after <paramref name="prefix"/>: long runs, "://" and "@" repeated,
    /// /t/ segments repeated. UrlRedaction's former regular expressions took hours on most of them at 10 MB.
    /// </summary>
    public static IReadOnlyList<Func<int, string>> UrlShapes(string prefix) => new Func<int, string>[]
    {
        n => prefix + new string('a', n),
        n => prefix + new string('a', n / 2) + "://" + new string('b', n / 2),
        n => prefix + new string('a', n) + " x",
        n => prefix + string.Concat(Enumerable.Repeat("a-", n / 2)),
        n => prefix + string.Concat(Enumerable.Repeat("a://", n / 4)),
        n => prefix + string.Concat(Enumerable.Repeat("/t/a", n / 4)),
        n => prefix + string.Concat(Enumerable.Repeat("a://@", n / 5)),
    };
}
