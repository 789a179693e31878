using CondaMirror.Core.Versions;

namespace CondaMirror.Core.Solving;

/// <summary>
/// The solver's view of a MatchSpec: its package name and a test against a candidate (whose version is parsed
/// once). The solver caches one instance per spec text.
/// </summary>
internal sealed class SpecMatcher
{
    private readonly Func<CondaVersion, bool> _version;
    private readonly string? _build;

    private SpecMatcher(string text, string name, Func<CondaVersion, bool> version, string? build)
    {
        Text = text;
        Name = name;
        _version = version;
        _build = build;
    }

    public string Text { get; }
    public string Name { get; }

    public bool Matches(Candidate c) =>
        c.Name == Name && _version(c.Version) && (_build is null || Glob(_build, c.Package.Build));

    public override string ToString() => Text;

    public static bool TryParse(string text, out SpecMatcher? spec, out string? error)
    {
        spec = null;
        error = null;
        var parts = text.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0 || parts.Length > 3) { error = "expected 'name [version [build]]'"; return false; }
        var name = parts[0];
        string? versionText = parts.Length > 1 ? parts[1] : null;
        var eq = name.IndexOf('=');
        if (eq > 0 && versionText is null)
        {
            var rest = name[(eq + 1)..];
            name = name[..eq];
            versionText = rest.StartsWith('=') ? rest : rest + ".*";
        }
        Func<CondaVersion, bool> version = _ => true;
        if (versionText is not null && versionText != "*")
        {
            var alternatives = new List<List<Func<CondaVersion, bool>>>();
            foreach (var alt in versionText.Split('|'))
            {
                var all = new List<Func<CondaVersion, bool>>();
                foreach (var atom in alt.Split(','))
                {
                    var test = ParseAtom(atom.Trim(), out error);
                    if (test is null) return false;
                    all.Add(test);
                }
                alternatives.Add(all);
            }
            version = v => alternatives.Any(all => all.All(t => t(v)));
        }
        spec = new SpecMatcher(text, name.ToLowerInvariant(), version, parts.Length > 2 ? parts[2] : null);
        return true;
    }

    private static Func<CondaVersion, bool>? ParseAtom(string atom, out string? error)
    {
        error = null;
        foreach (var op in new[] { ">=", "<=", "==", "!=", ">", "<", "=" })
        {
            if (!atom.StartsWith(op, StringComparison.Ordinal)) continue;
            var operand = atom[op.Length..];
            var prefix = operand.EndsWith(".*", StringComparison.Ordinal) ? operand[..^2] : operand.TrimEnd('*');
            if (!CondaVersion.TryParse(prefix, out var v)) { error = $"invalid version '{operand}'"; return null; }
            return op switch
            {
                ">=" => x => x >= v,
                "<=" => x => x <= v,
                ">" => x => x > v,
                "<" => x => x < v,
                "!=" => operand.EndsWith('*') ? x => !x.StartsWith(v!) : x => x != v,
                "=" => x => x.StartsWith(v!),
                _ => operand.EndsWith('*') ? x => x.StartsWith(v!) : x => x == v,
            };
        }
        if (atom.EndsWith('*'))
        {
            var prefix = atom.EndsWith(".*", StringComparison.Ordinal) ? atom[..^2] : atom[..^1];
            if (!CondaVersion.TryParse(prefix, out var p)) { error = $"invalid version '{atom}'"; return null; }
            return x => x.StartsWith(p!);
        }
        if (!CondaVersion.TryParse(atom, out var exact)) { error = $"invalid version '{atom}'"; return null; }
        return x => x == exact;
    }

    private static bool Glob(string pattern, string value)
    {
        if (!pattern.Contains('*')) return pattern == value;
        var pieces = pattern.Split('*');
        if (!value.StartsWith(pieces[0], StringComparison.Ordinal)) return false;
        var pos = pieces[0].Length;
        for (var i = 1; i < pieces.Length - 1; i++)
        {
            var at = value.IndexOf(pieces[i], pos, StringComparison.Ordinal);
            if (at < 0) return false;
            pos = at + pieces[i].Length;
        }
        return value.Length - pos >= pieces[^1].Length && value.EndsWith(pieces[^1], StringComparison.Ordinal);
    }
}
