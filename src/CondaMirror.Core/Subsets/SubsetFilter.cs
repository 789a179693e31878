using CondaMirror.Core.Errors;
using CondaMirror.Core.Records;
using CondaMirror.Core.Specs;

namespace CondaMirror.Core.Subsets;

/// <summary>
/// A CondaChannelSubset's Whitelist and Blacklist: a record is kept when it matches any whitelist entry (an empty
/// whitelist keeps everything) and no blacklist entry. An entry is a conda MatchSpec (<c>python &gt;=3.10</c>) or
/// <c>field=glob</c> over name, version, build, license or depends (a depends glob matches any one entry).
/// </summary>
public sealed class SubsetFilter
{
    public static SubsetFilter All { get; } = new(Array.Empty<Entry>(), Array.Empty<Entry>());

    private readonly IReadOnlyList<Entry> _whitelist;
    private readonly IReadOnlyList<Entry> _blacklist;

    private SubsetFilter(IReadOnlyList<Entry> whitelist, IReadOnlyList<Entry> blacklist)
    {
        _whitelist = whitelist;
        _blacklist = blacklist;
    }

    /// <summary>The fields a <c>field=glob</c> entry may name.</summary>
    public static readonly IReadOnlyList<string> Fields = new[] { "name", "version", "build", "license", "depends" };

    /// <param name="where">What error messages name: the item.</param>
    public static SubsetFilter Parse(IEnumerable<string> whitelist, IEnumerable<string> blacklist, string where) =>
        new(whitelist.Select(e => Entry.Parse(e, "Whitelist", where)).ToList(), blacklist.Select(e => Entry.Parse(e, "Blacklist", where)).ToList());

    public bool Keep(PackageRecord record) =>
        (_whitelist.Count == 0 || _whitelist.Any(e => e.Matches(record))) && !Blacklisted(record);

    /// <summary>Dependencies added by WithDependencies ignore the whitelist, never the blacklist.</summary>
    public bool Blacklisted(PackageRecord record) => _blacklist.Any(e => e.Matches(record));

    private sealed class Entry
    {
        private readonly MatchSpec? _spec;
        private readonly string? _field;
        private readonly string _glob = "";

        private Entry(MatchSpec? spec, string? field, string glob)
        {
            _spec = spec;
            _field = field;
            _glob = glob;
        }

        public static Entry Parse(string text, string list, string where)
        {
            text = text.Trim();
            var eq = text.IndexOf('=');
            // "build=py3*" is a field glob; "python=3.10" and "python==3.10" stay MatchSpecs.
            if (eq > 0 && eq + 1 < text.Length && text[eq + 1] != '=' && Fields.Contains(text[..eq].Trim(), StringComparer.Ordinal))
                return new Entry(null, text[..eq].Trim(), text[(eq + 1)..].Trim());
            if (eq > 0 && eq + 1 == text.Length && Fields.Contains(text[..eq].Trim(), StringComparer.Ordinal))
                throw new CondaMirrorException(ErrorCodes.SubsetFilterInvalid,
                    $"{where}: the {list} entry '{text}' has no glob after '='. Write e.g. '{text}*'.");
            if (!MatchSpec.TryParse(text, out var spec, out var error))
                throw new CondaMirrorException(ErrorCodes.SubsetFilterInvalid,
                    $"{where}: the {list} entry '{text}' is neither a conda MatchSpec ({error}) nor field=glob with a field of {string.Join(", ", Fields)}.");
            return new Entry(spec, null, "");
        }

        public bool Matches(PackageRecord r) => _spec is not null ? _spec.Matches(r) : _field switch
        {
            "name" => Glob(_glob, r.Name),
            "version" => Glob(_glob, r.Version),
            "build" => Glob(_glob, r.Build),
            "license" => r.License is { } license && Glob(_glob, license),
            _ => r.Depends.Any(d => Glob(_glob, d)),
        };
    }

    /// <summary>Whole-string glob (<c>*</c>, <c>?</c>), ordinal; at most pattern × text steps.</summary>
    internal static bool Glob(string pattern, string text)
    {
        int p = 0, t = 0, star = -1, mark = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || pattern[p] == text[t])) { p++; t++; }
            else if (p < pattern.Length && pattern[p] == '*') { star = p++; mark = t; }
            else if (star >= 0) { p = star + 1; t = ++mark; }
            else return false;
        }
        while (p < pattern.Length && pattern[p] == '*') p++;
        return p == pattern.Length;
    }
}
