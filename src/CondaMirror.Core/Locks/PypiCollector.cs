using CondaMirror.Core.Networking;

namespace CondaMirror.Core.Locks;

/// <summary>
/// Gathers the PyPI entries one environment uses while a reader walks its platforms: one entry per location (the
/// same wheel serves several platforms), in the order first met, with the platforms that use it.
/// </summary>
internal sealed class PypiCollector
{
    private readonly Dictionary<string, (PypiLockEntry Entry, SortedSet<string> Platforms)> _byLocation = new(StringComparer.Ordinal);
    private readonly List<string> _order = new();
    private readonly List<string> _names = new();
    private readonly HashSet<string> _seenNames = new(StringComparer.Ordinal);
    private readonly string _lockDirectory;
    private readonly YamlFields _y;

    public PypiCollector(string lockDirectory, YamlFields y)
    {
        _lockDirectory = lockDirectory;
        _y = y;
    }

    /// <summary>Distinct names (as the lock writes them) in first-use order: what CMIR804 lists when PyPI is not mirrored.</summary>
    public IReadOnlyList<string> Names => _names;

    public bool Contains(string location) => _byLocation.ContainsKey(location);

    /// <summary>Records that <paramref name="platform"/> uses the entry at <paramref name="location"/>, parsing it the first time.</summary>
    /// <param name="read">Reads the entry's fields: name, version, sha256, md5, requires_python, index, editable.</param>
    public void Use(string location, string platform, YNode at, Func<Fields> read)
    {
        if (!_byLocation.TryGetValue(location, out var found))
        {
            var fields = read();
            var name = PypiLocations.Normalize(fields.Name) ?? throw PypiLocations.InvalidName(_y, at, fields.Name);
            var kind = PypiLocations.KindOf(location, fields.Editable);
            // A git entry's "hash" is the commit (conda-lock writes it as sha256): it names no bytes, so it is not kept.
            var sha256 = kind == PypiDistributionKind.Git ? null : Hex(NullIfEmpty(fields.Sha256) ?? PypiLocations.Sha256FromFragment(location), 64, "sha256", fields.Name, at);
            var md5 = kind == PypiDistributionKind.Git ? null : Hex(NullIfEmpty(fields.Md5), 32, "md5", fields.Name, at);
            var url = PypiLocations.UrlOf(location, _lockDirectory);
            var index = string.IsNullOrEmpty(fields.IndexUrl) ? null : UrlRedaction.StripCredentials(fields.IndexUrl);
            var entry = new PypiLockEntry(name, fields.Version, location, url, sha256, md5,
                fields.RequiresPython, index, kind, Array.Empty<string>(), at.Line);
            _byLocation[location] = found = (entry, new SortedSet<string>(StringComparer.Ordinal));
            _order.Add(location);
            if (_seenNames.Add(fields.Name!)) _names.Add(fields.Name!);
        }
        found.Platforms.Add(platform);
    }

    private string? Hex(string? value, int length, string what, string? name, YNode at)
    {
        if (value is null) return null;
        if (value.Length != length || !value.All(char.IsAsciiHexDigit))
            throw _y.Entry(at, $"PyPI package '{name}': '{what}' must be {length} hex digits, found '{value}'");
        return value.ToLowerInvariant();
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    public IReadOnlyList<PypiLockEntry> Entries() =>
        _order.Select(l => _byLocation[l]).Select(x => x.Entry with { Platforms = x.Platforms.ToArray() }).ToList();

    /// <summary>The fields of one entry as the format spells them.</summary>
    internal readonly record struct Fields(string? Name, string? Version, string? Sha256, string? Md5, string? RequiresPython, string? IndexUrl, bool Editable);
}
