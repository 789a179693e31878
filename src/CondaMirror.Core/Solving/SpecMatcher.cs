using CondaMirror.Core.Specs;

namespace CondaMirror.Core.Solving;

/// <summary>
/// The solver's view of a <see cref="MatchSpec"/>: its exact package name and a test against a candidate whose
/// version is parsed once. Specs that only constrain name/version/build/build number (nearly all depends) take
/// MatchSpec's fast path; the rest (channel::, subdir, md5, ...) are checked against the full record.
/// </summary>
internal sealed class SpecMatcher
{
    private readonly MatchSpec _spec;
    private readonly bool _needsFullRecord;

    private SpecMatcher(string text, MatchSpec spec)
    {
        Text = text;
        _spec = spec;
        Name = spec.Name;
        _needsFullRecord = spec.Channel is not null || spec.Subdir is not null || spec.Md5 is not null || spec.Sha256 is not null ||
                           spec.License is not null || spec.LicenseFamily is not null || spec.FileName is not null || spec.Url is not null ||
                           spec.Features is not null || spec.TrackFeatures is not null;
    }

    /// <summary>The text as written (the cache key; also what error messages quote).</summary>
    public string Text { get; }

    public string Name { get; }

    public bool Matches(Candidate c) =>
        _needsFullRecord
            ? _spec.Matches(c.Record)
            : _spec.Matches(c.Name, c.Version, c.Package.Build, c.Package.BuildNumber);

    public override string ToString() => Text;

    public static bool TryParse(string text, out SpecMatcher? matcher, out string? error)
    {
        matcher = null;
        if (!MatchSpec.TryParse(text, out var spec, out error)) return false;
        if (spec!.Name == "*")
        {
            error = "the package name must be given exactly (no wildcards)";
            return false;
        }
        // The channel of "channel::name" decides which records become candidates (see CondaSolver's channel pins);
        // matching then only looks at the package itself.
        var separator = text.IndexOf("::", StringComparison.Ordinal);
        if (spec.Channel is not null && separator >= 0 && !MatchSpec.TryParse(text[(separator + 2)..], out spec, out error)) return false;
        matcher = new SpecMatcher(text, spec!);
        return true;
    }
}
