using System.Text.Encodings.Web;
using System.Text.Json;

namespace CondaMirror.TestKit.Channels;

/// <summary>
/// JSON for fixtures as conda's Python tools write it (<c>json.dumps(indent=2, sort_keys=True)</c>): keys sorted
/// ordinally at every level, two-space indent, "\n" line ends. Serialised by System.Text.Json from plain
/// dictionaries and lists, not by Core's record writer, so a fixture does not repeat Core's mistakes.
/// </summary>
public static class FixtureJson
{
    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        IndentSize = 2,
        NewLine = "\n",
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, // '>' stays '>', as Python writes it
    };

    /// <summary>A new object whose keys serialise in ordinal order.</summary>
    public static SortedDictionary<string, object?> Object() => new(StringComparer.Ordinal);

    public static byte[] Bytes(object? value) => JsonSerializer.SerializeToUtf8Bytes(Sort(value), Options);

    public static string Text(object? value) => JsonSerializer.Serialize(Sort(value), Options);

    /// <summary>Copies nested dictionaries into ordinally sorted ones (a caller may pass any dictionary).</summary>
    private static object? Sort(object? value) => value switch
    {
        IDictionary<string, object?> map => new SortedDictionary<string, object?>(map.ToDictionary(kv => kv.Key, kv => Sort(kv.Value)), StringComparer.Ordinal),
        string s => s,
        System.Collections.IEnumerable list => list.Cast<object?>().Select(Sort).ToList(),
        _ => value,
    };
}
