using System.Globalization;
using System.Text.Json;
using CondaMirror.Core.Errors;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace CondaMirror.Core.Locks;

/// <summary>
/// A small read-only YAML tree built straight from YamlDotNet's parser events. Lock files are large (MBs) but
/// shallow, so a list-backed map with linear lookup beats the representation model's per-node dictionaries,
/// and building the tree ourselves lets us reject duplicate keys with a line number (serde does the same).
/// </summary>
internal abstract class YNode
{
    protected YNode(int line) => Line = line;

    /// <summary>1-based line of the node's first token, for error messages.</summary>
    public int Line { get; }
}

internal sealed class YScalar : YNode
{
    public YScalar(string value, bool plain, int line) : base(line)
    {
        Value = value;
        IsPlain = plain;
    }

    public string Value { get; }

    /// <summary>Unquoted; only plain scalars can mean null, a number or a boolean.</summary>
    public bool IsPlain { get; }

    public bool IsNull => IsPlain && Value is "" or "~" or "null" or "Null" or "NULL";
}

internal sealed class YSeq : YNode
{
    public YSeq(int line) : base(line) { }
    public List<YNode> Items { get; } = new();
}

internal sealed class YMap : YNode
{
    public YMap(int line) : base(line) { }
    public List<KeyValuePair<string, YNode>> Entries { get; } = new();

    public YNode? this[string key]
    {
        get
        {
            foreach (var e in Entries)
                if (e.Key == key) return e.Value;
            return null;
        }
    }

    public bool Has(string key) => this[key] is not null;
}

internal static class YamlTree
{
    /// <summary>
    /// Deepest nesting accepted. Locks are about six levels deep; the bound keeps the recursive reader (and
    /// <see cref="ToJson"/>, whose JsonDocument allows 64) far from a stack overflow on hostile input.
    /// </summary>
    public const int MaxDepth = 64;

    /// <summary>
    /// Builds the tree in one pass over the parser's events. Aliases are refused at their event, before anything
    /// is expanded: pixi and conda-lock never write them, and a tree shared through aliases turns a 1 KB file into
    /// gigabytes once a reader walks it ("billion laughs"). Anchors alone are harmless and ignored.
    /// </summary>
    public static YNode? Load(string text, string file)
    {
        var parser = new Parser(new StringReader(text));
        try
        {
            parser.Consume<StreamStart>();
            if (parser.TryConsume<StreamEnd>(out _)) return null;
            parser.Consume<DocumentStart>();
            var root = ReadNode(parser, file, 1);
            parser.Consume<DocumentEnd>();
            return root;
        }
        catch (YamlException ex)
        {
            throw new CondaMirrorException(ErrorCodes.LockYamlInvalid,
                $"not valid YAML at line {ex.Start.Line}: {ex.Message}. Regenerate the lock file or fix it by hand.", file, ex);
        }
        catch (InvalidOperationException ex)
        {
            // YamlDotNet's scanner fails on some malformed input (e.g. "package:\n{\ne") with this instead of a YamlException.
            throw new CondaMirrorException(ErrorCodes.LockYamlInvalid,
                $"not valid YAML near line {parser.Current?.Start.Line ?? 0}: {ex.Message} Regenerate the lock file or fix it by hand.", file, ex);
        }
    }

    private static YNode ReadNode(IParser parser, string file, int depth)
    {
        var ev = parser.Consume<ParsingEvent>();
        var line = (int)ev.Start.Line;
        switch (ev)
        {
            case AnchorAlias alias:
                throw new CondaMirrorException(ErrorCodes.LockYamlAlias,
                    $"line {line}: YAML alias *{alias.Value.Value}. Lock files are written without anchors and aliases, and expanding them can take unbounded memory; regenerate the lock or write the value out.", file);
            case Scalar s:
                return new YScalar(s.Value, s.Style == ScalarStyle.Plain, line);
            case SequenceStart:
                CheckDepth(depth, line, file);
                var seq = new YSeq(line);
                while (!parser.TryConsume<SequenceEnd>(out _)) seq.Items.Add(ReadNode(parser, file, depth + 1));
                return seq;
            case MappingStart:
                CheckDepth(depth, line, file);
                var map = new YMap(line);
                HashSet<string>? seen = null;
                while (!parser.TryConsume<MappingEnd>(out _))
                {
                    var keyNode = ReadNode(parser, file, depth + 1);
                    if (keyNode is not YScalar key)
                        throw new CondaMirrorException(ErrorCodes.LockYamlInvalid, $"line {keyNode.Line}: mapping keys must be plain strings", file);
                    var value = ReadNode(parser, file, depth + 1);
                    if (IsDuplicate(map, key.Value, ref seen))
                        throw new CondaMirrorException(ErrorCodes.LockYamlInvalid,
                            $"line {key.Line}: duplicate key '{key.Value}'. A lock file must not repeat a key; regenerate it.", file);
                    map.Entries.Add(new(key.Value, value));
                }
                return map;
            default:
                throw new CondaMirrorException(ErrorCodes.LockYamlInvalid, $"line {line}: unexpected YAML event {ev.GetType().Name}", file);
        }
    }

    private static void CheckDepth(int depth, int line, string file)
    {
        if (depth > MaxDepth)
            throw new CondaMirrorException(ErrorCodes.LockYamlTooDeep,
                $"line {line}: the YAML nests more than {MaxDepth} levels deep; a lock file is a few levels deep, so this one is damaged.", file);
    }

    // Small maps (almost all of them) are checked linearly; big ones switch to a set.
    private static bool IsDuplicate(YMap map, string key, ref HashSet<string>? seen)
    {
        if (seen is null && map.Entries.Count < 16)
        {
            foreach (var e in map.Entries)
                if (e.Key == key) return true;
            return false;
        }
        if (seen is null)
        {
            seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var e in map.Entries) seen.Add(e.Key);
        }
        return !seen.Add(key);
    }

    /// <summary>YAML → JSON for fields kept verbatim in <see cref="Records.PackageRecord.Extra"/>.</summary>
    public static JsonElement ToJson(YNode node)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer)) Write(w, node);
        using var doc = JsonDocument.Parse(buffer.WrittenMemory);
        return doc.RootElement.Clone();
    }

    private static void Write(Utf8JsonWriter w, YNode node)
    {
        switch (node)
        {
            case YScalar s when s.IsNull: w.WriteNullValue(); break;
            case YScalar s when s.IsPlain && s.Value is "true" or "True" or "TRUE": w.WriteBooleanValue(true); break;
            case YScalar s when s.IsPlain && s.Value is "false" or "False" or "FALSE": w.WriteBooleanValue(false); break;
            case YScalar s when s.IsPlain && long.TryParse(s.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l): w.WriteNumberValue(l); break;
            case YScalar s: w.WriteStringValue(s.Value); break;
            case YSeq seq:
                w.WriteStartArray();
                foreach (var item in seq.Items) Write(w, item);
                w.WriteEndArray();
                break;
            case YMap map:
                w.WriteStartObject();
                foreach (var (k, v) in map.Entries)
                {
                    w.WritePropertyName(k);
                    Write(w, v);
                }
                w.WriteEndObject();
                break;
        }
    }
}
