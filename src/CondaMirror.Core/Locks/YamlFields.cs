using System.Globalization;
using CondaMirror.Core.Errors;

namespace CondaMirror.Core.Locks;

/// <summary>Typed access to YAML nodes that turns every shape mismatch into a CMIR error naming file and line.</summary>
internal sealed class YamlFields
{
    public YamlFields(string file) => File = file;

    public string File { get; }

    public CondaMirrorException Invalid(YNode? at, string message) =>
        new(ErrorCodes.LockYamlInvalid, at is null ? message : $"line {at.Line}: {message}", File);

    public CondaMirrorException Entry(YNode? at, string message) =>
        new(ErrorCodes.LockEntryInvalid, at is null ? message : $"line {at.Line}: {message}", File);

    public YMap Map(YNode? node, string what) =>
        node as YMap ?? throw Invalid(node, $"'{what}' must be a mapping");

    public YMap? OptMap(YMap parent, string key)
    {
        var node = parent[key];
        if (node is null || node is YScalar { IsNull: true }) return null;
        return node as YMap ?? throw Invalid(node, $"'{key}' must be a mapping");
    }

    public YSeq? OptSeq(YMap parent, string key)
    {
        var node = parent[key];
        if (node is null || node is YScalar { IsNull: true }) return null;
        return node as YSeq ?? throw Invalid(node, $"'{key}' must be a list");
    }

    public string? OptString(YMap parent, string key)
    {
        var node = parent[key];
        if (node is null) return null;
        if (node is not YScalar s) throw Invalid(node, $"'{key}' must be a single value");
        return s.IsNull ? null : s.Value;
    }

    public long? OptLong(YMap parent, string key)
    {
        var s = OptString(parent, key);
        if (s is null) return null;
        if (long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)) return l;
        if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)) return (long)d;
        throw Entry(parent[key], $"'{key}' must be an integer, found '{s}'");
    }

    public List<string> StringList(YMap parent, string key)
    {
        var seq = OptSeq(parent, key);
        var list = new List<string>(seq?.Items.Count ?? 0);
        if (seq is null) return list;
        foreach (var item in seq.Items)
        {
            if (item is not YScalar s) throw Invalid(item, $"'{key}' must be a list of strings");
            list.Add(s.Value);
        }
        return list;
    }

    /// <summary>pixi.lock and repodata store milliseconds; values that fit in seconds up to year 9999 are seconds (rattler's rule).</summary>
    public static long NormalizeTimestamp(long value) => value > 253_402_300_799L ? value : value * 1000;
}
