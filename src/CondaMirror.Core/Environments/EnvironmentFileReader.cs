using CondaMirror.Core.Errors;
using CondaMirror.Core.Specs;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace CondaMirror.Core.Environments;

/// <summary>
/// Reads conda's environment.yml (<c>name</c>, <c>channels</c>, <c>dependencies</c> with an optional <c>pip:</c>
/// sub-list). Bounded like the lock readers: the file's size, no aliases (refused at their parser event, before
/// anything is expanded), a nesting depth far beyond what the format uses, and a cap on entries.
/// </summary>
public static class EnvironmentFileReader
{
    /// <summary>Largest environment file read; real ones are well under 10 KB.</summary>
    public const long MaxBytes = 1024 * 1024;

    /// <summary>Deepest nesting accepted; the format is three levels deep (dependencies → pip → entry).</summary>
    public const int MaxDepth = 16;

    /// <summary>Most YAML nodes accepted (keys, values, list items).</summary>
    public const int MaxNodes = 100_000;

    /// <summary>conda's own keys that choose no package: ignored with a message.</summary>
    private static readonly HashSet<string> KnownIgnored = new(StringComparer.Ordinal) { "prefix", "variables", "description" };

    public static EnvironmentFile Read(string path)
    {
        string text;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            if (stream.CanSeek && stream.Length > MaxBytes) throw TooLarge(path);
            using var reader = new StreamReader(stream, detectEncodingFromByteOrderMarks: true);
            var buffer = new char[MaxBytes + 1];
            var total = 0;
            int read;
            // Counted as it streams, for pipes and devices; a char is at least one byte.
            while ((read = reader.Read(buffer, total, buffer.Length - total)) > 0)
            {
                total += read;
                if (total > MaxBytes) throw TooLarge(path);
            }
            text = new string(buffer, 0, total);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new CondaMirrorException(ErrorCodes.EnvironmentFileUnreadable,
                $"cannot read the environment file: {ex.Message} Point the CondaEnvironmentFile item at an existing environment.yml.", path, ex);
        }
        return Parse(text, path);
    }

    public static EnvironmentFile Parse(string text, string path)
    {
        if (text.Length > MaxBytes) throw TooLarge(path);
        var root = new TreeReader(path).Load(text);
        if (root is null || root is Scalar { IsNull: true })
            throw Invalid(path, 1, "the file is empty; an environment file is a mapping with 'channels' and 'dependencies'.");
        if (root is not Map map) throw Invalid(path, root.Line, "an environment file is a mapping with 'name', 'channels' and 'dependencies'.");

        string? name = null;
        var channels = new List<EnvironmentEntry>();
        var dependencies = new List<EnvironmentEntry>();
        var pip = new List<string>();
        var pipLine = 0;
        var ignored = new List<IgnoredEnvironmentKey>();
        foreach (var (key, keyLine, value) in map.Entries)
        {
            switch (key)
            {
                case "name":
                    name = value is Scalar { IsNull: false } s ? s.Value
                        : value is Scalar ? null : throw Invalid(path, value.Line, "'name' must be a single value.");
                    break;
                case "channels":
                    foreach (var item in List(path, value, "channels"))
                    {
                        var channel = ScalarText(path, item, "a channel (a name such as conda-forge, or a URL)");
                        if (channel == "nodefaults") continue;
                        if (channel == "defaults")
                            throw new CondaMirrorException(ErrorCodes.EnvironmentDefaultsChannel,
                                "the 'defaults' channel is conda's configured default set (Anaconda's main and r channels, whose terms of service apply), which a build cannot see. " +
                                "Name the channels instead, e.g. https://repo.anaconda.com/pkgs/main, or conda-forge.", path) { Line = item.Line };
                        channels.Add(new EnvironmentEntry(channel, item.Line));
                    }
                    break;
                case "dependencies":
                    foreach (var item in List(path, value, "dependencies"))
                    {
                        if (item is Map sub)
                        {
                            foreach (var (subKey, subLine, subValue) in sub.Entries)
                            {
                                if (subKey != "pip")
                                    throw Invalid(path, subLine, $"'{subKey}:' in 'dependencies': only a 'pip:' sub-list may appear there.");
                                if (pipLine == 0) pipLine = subLine;
                                foreach (var entry in List(path, subValue, "pip"))
                                    pip.Add(ScalarText(path, entry, "a pip requirement"));
                            }
                            continue;
                        }
                        var spec = ScalarText(path, item, "a conda MatchSpec such as 'numpy>=1.26'");
                        if (!MatchSpec.TryParse(spec, out var parsed, out var error))
                            throw new CondaMirrorException(ErrorCodes.EnvironmentSpecInvalid,
                                $"'{spec}' is not a conda MatchSpec: {error} Write it as conda does, e.g. 'python=3.11', 'numpy>=1.26', 'pkg=1.2=build_0' or 'conda-forge::pkg'.", path) { Line = item.Line };
                        dependencies.Add(new EnvironmentEntry(spec, item.Line));
                        // conda adds the channel a pinned dependency names; so do we, after the listed ones.
                        if (PinnedChannel(spec, parsed!) is { } pinned && pinned != "defaults" && !channels.Any(c => Names(c.Value, pinned)))
                            channels.Add(new EnvironmentEntry(pinned, item.Line));
                    }
                    break;
                default:
                    ignored.Add(new IgnoredEnvironmentKey(key, keyLine, KnownIgnored.Contains(key)));
                    break;
            }
        }
        if (dependencies.Count == 0)
            throw Invalid(path, map.Line, "the file lists no conda dependencies; add them under 'dependencies:'.");
        return new EnvironmentFile(path, name, channels, dependencies, pip, pipLine, ignored);
    }

    // The channel as written before "::" (a URL stays a URL; MatchSpec keeps only its name), else the spec's [channel=].
    private static string? PinnedChannel(string spec, MatchSpec parsed)
    {
        var separator = spec.IndexOf("::", StringComparison.Ordinal);
        return separator > 0 ? spec[..separator].Trim() : parsed.Channel;
    }

    // A listed channel a pin names: the same text, or a URL ending in the pinned name (".../conda-forge" for conda-forge),
    // the rule the solver applies to pins.
    private static bool Names(string listed, string pinned)
    {
        var l = listed.TrimEnd('/');
        var p = pinned.Trim('/');
        return l == pinned.TrimEnd('/') || l.EndsWith("/" + p, StringComparison.Ordinal);
    }

    private static IEnumerable<Node> List(string path, Node value, string key) => value switch
    {
        Seq seq => seq.Items,
        Scalar { IsNull: true } => Array.Empty<Node>(),
        _ => throw Invalid(path, value.Line, $"'{key}' must be a list."),
    };

    private static string ScalarText(string path, Node node, string what)
    {
        if (node is Scalar { IsNull: false } s && s.Value.Trim().Length > 0) return s.Value.Trim();
        throw Invalid(path, node.Line, $"expected {what} here.");
    }

    private static CondaMirrorException Invalid(string path, int line, string message) =>
        new(ErrorCodes.EnvironmentYamlInvalid, $"line {line}: {message}", path) { Line = line };

    private static CondaMirrorException TooLarge(string path) =>
        new(ErrorCodes.EnvironmentFileTooLarge,
            $"the environment file is larger than {MaxBytes} bytes; environment files are a few KB, so this one is not one.", path);

    private abstract record Node(int Line);

    private sealed record Scalar(string Value, bool Plain, int Line) : Node(Line)
    {
        public bool IsNull => Plain && Value is "" or "~" or "null" or "Null" or "NULL";
    }

    private sealed record Seq(List<Node> Items, int Line) : Node(Line);

    private sealed record Map(List<(string Key, int KeyLine, Node Value)> Entries, int Line) : Node(Line);

    /// <summary>A small tree straight from YamlDotNet's parser events, with every bound checked as it is built.</summary>
    private sealed class TreeReader(string path)
    {
        private int _nodes;

        public Node? Load(string text)
        {
            var parser = new Parser(new StringReader(text));
            try
            {
                parser.Consume<StreamStart>();
                if (parser.TryConsume<StreamEnd>(out _)) return null;
                parser.Consume<DocumentStart>();
                var root = ReadNode(parser, 1);
                parser.Consume<DocumentEnd>();
                if (!parser.TryConsume<StreamEnd>(out _))
                    throw Invalid(path, (int)(parser.Current?.Start.Line ?? 0), "a second YAML document; an environment file is one document.");
                return root;
            }
            catch (YamlException ex)
            {
                throw new CondaMirrorException(ErrorCodes.EnvironmentYamlInvalid,
                    $"line {ex.Start.Line}: not valid YAML: {ex.Message}", path, ex) { Line = (int)ex.Start.Line };
            }
            catch (InvalidOperationException ex)
            {
                // YamlDotNet's scanner reports some malformed input this way instead of a YamlException.
                var line = (int)(parser.Current?.Start.Line ?? 0);
                throw new CondaMirrorException(ErrorCodes.EnvironmentYamlInvalid, $"line {line}: not valid YAML: {ex.Message}", path, ex) { Line = line };
            }
        }

        private Node ReadNode(IParser parser, int depth)
        {
            var ev = parser.Consume<ParsingEvent>();
            var line = (int)ev.Start.Line;
            if (++_nodes > MaxNodes)
                throw new CondaMirrorException(ErrorCodes.EnvironmentFileTooLarge,
                    $"line {line}: more than {MaxNodes} YAML values; environment files hold a few dozen.", path) { Line = line };
            switch (ev)
            {
                case AnchorAlias alias:
                    throw new CondaMirrorException(ErrorCodes.EnvironmentYamlAlias,
                        $"line {line}: YAML alias *{alias.Value.Value}. Environment files need no aliases, and expanding them can take unbounded memory; write the value out.", path) { Line = line };
                case YamlDotNet.Core.Events.Scalar s:
                    return new Scalar(s.Value, s.Style == ScalarStyle.Plain, line);
                case SequenceStart:
                    CheckDepth(depth, line);
                    var items = new List<Node>();
                    while (!parser.TryConsume<SequenceEnd>(out _)) items.Add(ReadNode(parser, depth + 1));
                    return new Seq(items, line);
                case MappingStart:
                    CheckDepth(depth, line);
                    var entries = new List<(string, int, Node)>();
                    var seen = new HashSet<string>(StringComparer.Ordinal);
                    while (!parser.TryConsume<MappingEnd>(out _))
                    {
                        var key = ReadNode(parser, depth + 1);
                        if (key is not Scalar k) throw Invalid(path, key.Line, "mapping keys must be plain strings.");
                        var value = ReadNode(parser, depth + 1);
                        if (!seen.Add(k.Value)) throw Invalid(path, k.Line, $"duplicate key '{k.Value}'.");
                        entries.Add((k.Value, k.Line, value));
                    }
                    return new Map(entries, line);
                default:
                    throw Invalid(path, line, $"unexpected YAML event {ev.GetType().Name}.");
            }
        }

        private void CheckDepth(int depth, int line)
        {
            if (depth > MaxDepth)
                throw new CondaMirrorException(ErrorCodes.EnvironmentYamlTooDeep,
                    $"line {line}: the YAML nests more than {MaxDepth} levels deep; an environment file is three levels deep.", path) { Line = line };
        }
    }
}
