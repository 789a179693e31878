// Compiled into both sides of the out-of-process route: the .NET Framework tasks (CondaMirror.MSBuild.NetFramework,
// net472) and the .NET runner (CondaMirror.MSBuild.TaskRunner). Keep it to APIs .NET Framework 4.7.2 has.
using System.Collections;
using System.Globalization;
using System.Text;
using Microsoft.Build.Framework;

namespace CondaMirror.MSBuild.TaskRunner.Wire;

/// <summary>
/// The runner's protocol: one record per line of UTF-8 text, its fields separated by tabs. Inside a field a backslash,
/// tab, carriage return and line feed are written <c>\\</c>, <c>\t</c>, <c>\r</c>, <c>\n</c>; a null field is <c>\0</c>.
/// The parent writes the request to the runner's standard input (never to a file: parameters can carry credentials)
/// and later, on cancellation, <c>cancel</c>; the runner answers on its standard output.
/// <code>
/// parent → runner   request &lt;version&gt;
///                   task &lt;task assembly&gt; &lt;task type&gt;
///                   node &lt;project file of the task node&gt; &lt;line&gt; &lt;column&gt; &lt;continue on error&gt; &lt;lowest importance logged&gt;
///                   param &lt;name&gt; &lt;value&gt;…            (once per parameter the build set)
///                   execute
///                   cancel                                (at any time after execute)
/// runner → parent   ready &lt;version&gt; &lt;runtime&gt;              (first, before the request is read)
///                   message &lt;importance&gt; &lt;subcategory&gt; &lt;code&gt; &lt;file&gt; &lt;line&gt; &lt;column&gt; &lt;end line&gt; &lt;end column&gt; &lt;text&gt;
///                   warning|error &lt;subcategory&gt; &lt;code&gt; &lt;help keyword&gt; &lt;file&gt; &lt;line&gt; &lt;column&gt; &lt;end line&gt; &lt;end column&gt; &lt;text&gt;
///                   output &lt;name&gt; &lt;value&gt;…
///                   done &lt;True|False&gt;
/// </code>
/// A value is a kind and its fields (<see cref="WireValue"/>).
/// </summary>
internal static class WireRecord
{
    public const string Version = "1";

    public static string Join(IReadOnlyList<string?> fields)
    {
        var text = new StringBuilder();
        for (var i = 0; i < fields.Count; i++)
        {
            if (i > 0) text.Append('\t');
            var field = fields[i];
            if (field is null)
            {
                text.Append("\\0");
                continue;
            }
            foreach (var c in field)
                switch (c)
                {
                    case '\\': text.Append("\\\\"); break;
                    case '\t': text.Append("\\t"); break;
                    case '\r': text.Append("\\r"); break;
                    case '\n': text.Append("\\n"); break;
                    default: text.Append(c); break;
                }
        }
        return text.ToString();
    }

    public static string?[] Split(string line)
    {
        var fields = new List<string?>();
        var field = new StringBuilder();
        var isNull = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (c == '\t')
            {
                fields.Add(isNull ? null : field.ToString());
                field.Clear();
                isNull = false;
            }
            else if (c == '\\' && i + 1 < line.Length)
            {
                var next = line[++i];
                switch (next)
                {
                    case 't': field.Append('\t'); break;
                    case 'r': field.Append('\r'); break;
                    case 'n': field.Append('\n'); break;
                    case '0': isNull = true; break;
                    default: field.Append(next); break;
                }
            }
            else field.Append(c);
        }
        fields.Add(isNull ? null : field.ToString());
        return fields.ToArray();
    }

    public static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);

    public static int ParseInt(string? value) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : 0;
}

/// <summary>
/// Parameter and output values on the wire. Kinds: <c>null</c>; <c>s</c> a scalar (string, bool, number; numbers in
/// the invariant culture, round-trip form) and its text; <c>a</c> an array of scalars: count, texts; <c>i</c> one item;
/// <c>I</c> an item array: count, items. An item is its include (MSBuild-escaped), the count of its custom metadata,
/// name/value pairs (values escaped), then the count of its defining-project values and their name/value pairs
/// (<c>DefiningProjectFullPath</c> and its kin, which only the build that defined the item knows).
/// </summary>
internal static class WireValue
{
    public static readonly string[] DefiningProjectNames =
        { "DefiningProjectFullPath", "DefiningProjectDirectory", "DefiningProjectName", "DefiningProjectExtension" };

    public static void Append(List<string?> fields, object? value)
    {
        switch (value)
        {
            case null:
                fields.Add("null");
                break;
            case ITaskItem item:
                fields.Add("i");
                AppendItem(fields, item);
                break;
            case ITaskItem[] items:
                fields.Add("I");
                fields.Add(WireRecord.Number(items.Length));
                foreach (var item in items) AppendItem(fields, item);
                break;
            case Array array:
                fields.Add("a");
                fields.Add(WireRecord.Number(array.Length));
                foreach (var element in array) fields.Add(Scalar(element));
                break;
            default:
                fields.Add("s");
                fields.Add(Scalar(value));
                break;
        }
    }

    private static string? Scalar(object? value) => value switch
    {
        null => null,
        string s => s,
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };

    private static void AppendItem(List<string?> fields, ITaskItem? item)
    {
        if (item is null)
        {
            fields.Add(null);
            return;
        }
        string spec;
        var metadata = new List<KeyValuePair<string, string>>();
        if (item is ITaskItem2 escaped)
        {
            spec = escaped.EvaluatedIncludeEscaped;
            foreach (DictionaryEntry entry in escaped.CloneCustomMetadataEscaped())
                metadata.Add(new KeyValuePair<string, string>((string)entry.Key, (string?)entry.Value ?? ""));
        }
        else
        {
            spec = MSBuildEscaping.Escape(item.ItemSpec);
            foreach (DictionaryEntry entry in item.CloneCustomMetadata())
                metadata.Add(new KeyValuePair<string, string>((string)entry.Key, MSBuildEscaping.Escape((string?)entry.Value ?? "")));
        }
        fields.Add(spec);
        fields.Add(WireRecord.Number(metadata.Count));
        foreach (var pair in metadata)
        {
            fields.Add(pair.Key);
            fields.Add(pair.Value);
        }
        var defining = new List<KeyValuePair<string, string>>();
        foreach (var name in DefiningProjectNames)
        {
            string value;
            try { value = item.GetMetadata(name); }
            catch (ArgumentException) { continue; }
            if (!string.IsNullOrEmpty(value)) defining.Add(new KeyValuePair<string, string>(name, value));
        }
        fields.Add(WireRecord.Number(defining.Count));
        foreach (var pair in defining)
        {
            fields.Add(pair.Key);
            fields.Add(pair.Value);
        }
    }

    /// <summary>Reads the value at <paramref name="index"/> as <paramref name="type"/>; <paramref name="makeItem"/> builds this side's items.</summary>
    public static object? Read(string?[] fields, ref int index, Type type, Func<WireItem, ITaskItem> makeItem)
    {
        var kind = fields[index++];
        switch (kind)
        {
            case "null":
                return type.IsValueType ? Activator.CreateInstance(type) : null;
            case "s":
                return Convert(fields[index++], type);
            case "a":
            {
                var count = WireRecord.ParseInt(fields[index++]);
                var elementType = type.IsArray ? type.GetElementType()! : typeof(string);
                var array = Array.CreateInstance(elementType, count);
                for (var i = 0; i < count; i++) array.SetValue(Convert(fields[index++], elementType), i);
                return array;
            }
            case "i":
                return ReadItem(fields, ref index) is { } one ? makeItem(one) : null;
            case "I":
            {
                var count = WireRecord.ParseInt(fields[index++]);
                var items = new ITaskItem[count];
                for (var i = 0; i < count; i++)
                    items[i] = ReadItem(fields, ref index) is { } item ? makeItem(item) : null!;
                return items;
            }
            default:
                throw new FormatException($"unknown value kind '{kind}'");
        }
    }

    private static WireItem? ReadItem(string?[] fields, ref int index)
    {
        var spec = fields[index++];
        if (spec is null) return null;
        var metadata = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var count = WireRecord.ParseInt(fields[index++]);
        for (var i = 0; i < count; i++)
        {
            var name = fields[index++] ?? "";
            metadata[name] = fields[index++] ?? "";
        }
        var defining = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        count = WireRecord.ParseInt(fields[index++]);
        for (var i = 0; i < count; i++)
        {
            var name = fields[index++] ?? "";
            defining[name] = fields[index++] ?? "";
        }
        return new WireItem(spec, metadata, defining);
    }

    private static object? Convert(string? text, Type type)
    {
        if (type == typeof(string) || type == typeof(object)) return text;
        if (text is null || text.Length == 0) return type.IsValueType ? Activator.CreateInstance(type) : null;
        var target = Nullable.GetUnderlyingType(type) ?? type;
        if (target == typeof(bool)) return bool.Parse(text);
        return System.Convert.ChangeType(text, target, CultureInfo.InvariantCulture);
    }
}

/// <summary>An item as it travels: include and custom metadata MSBuild-escaped, defining-project values as the parent's item gave them.</summary>
internal sealed class WireItem
{
    public WireItem(string escapedSpec, IDictionary<string, string> escapedMetadata, IDictionary<string, string> definingProject)
    {
        EscapedSpec = escapedSpec;
        EscapedMetadata = escapedMetadata;
        DefiningProject = definingProject;
    }

    public string EscapedSpec { get; }
    public IDictionary<string, string> EscapedMetadata { get; }
    public IDictionary<string, string> DefiningProject { get; }
}

/// <summary>MSBuild's escaping: <c>% * ? @ $ ( ) ; '</c> as <c>%XX</c>.</summary>
internal static class MSBuildEscaping
{
    private const string Special = "%*?@$();'";

    public static string Escape(string value)
    {
        if (value.IndexOfAny(Special.ToCharArray()) < 0) return value;
        var text = new StringBuilder(value.Length + 8);
        foreach (var c in value)
            if (Special.IndexOf(c) >= 0) text.Append('%').Append(((int)c).ToString("X2", CultureInfo.InvariantCulture));
            else text.Append(c);
        return text.ToString();
    }

    public static string Unescape(string value)
    {
        if (value.IndexOf('%') < 0) return value;
        var text = new StringBuilder(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] == '%' && i + 2 < value.Length && IsHex(value[i + 1]) && IsHex(value[i + 2]))
            {
                text.Append((char)int.Parse(value.Substring(i + 1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                i += 2;
            }
            else text.Append(value[i]);
        }
        return text.ToString();
    }

    private static bool IsHex(char c) => (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
