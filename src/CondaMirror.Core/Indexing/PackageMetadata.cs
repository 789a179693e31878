using System.Text.Json;
using CondaMirror.Core.Errors;

namespace CondaMirror.Core.Indexing;

/// <summary>
/// What channeldata.json and index.html show about a package, taken from its <c>info/about.json</c>. Only these
/// strings are kept (not the whole document, which may hold megabytes of extra keys), each cut to
/// <see cref="MaxFieldChars"/> so a hostile package cannot inflate every output it appears in.
/// </summary>
public sealed record PackageAbout
{
    public const int MaxFieldChars = 16 * 1024;
    public const int MaxSourceUrls = 32;

    public string? Summary { get; init; }
    public string? Description { get; init; }
    public string? Home { get; init; }
    public string? DevUrl { get; init; }
    public string? DocUrl { get; init; }
    public string? DocSourceUrl { get; init; }
    public string? License { get; init; }
    public IReadOnlyList<string> SourceUrls { get; init; } = Array.Empty<string>();

    public static PackageAbout? FromJson(JsonElement? about)
    {
        if (about is not { ValueKind: JsonValueKind.Object } doc) return null;
        return new PackageAbout
        {
            Summary = Text(doc, "summary"),
            Description = Text(doc, "description"),
            Home = Text(doc, "home"),
            DevUrl = Text(doc, "dev_url"),
            DocUrl = Text(doc, "doc_url"),
            DocSourceUrl = Text(doc, "doc_source_url"),
            License = Text(doc, "license"),
            SourceUrls = Texts(doc, "source_url"),
        };
    }

    // conda-build writes either a string or a list for several about.json keys; anything else is not shown.
    private static string? Text(JsonElement doc, string key)
    {
        if (!doc.TryGetProperty(key, out var v)) return null;
        var s = v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Array => string.Join(" ", v.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString())),
            _ => null,
        };
        if (string.IsNullOrWhiteSpace(s)) return null;
        return s.Length > MaxFieldChars ? s[..MaxFieldChars] : s;
    }

    private static IReadOnlyList<string> Texts(JsonElement doc, string key)
    {
        if (!doc.TryGetProperty(key, out var v)) return Array.Empty<string>();
        IEnumerable<string?> items = v.ValueKind switch
        {
            JsonValueKind.String => new[] { v.GetString() },
            JsonValueKind.Array => v.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()),
            _ => Array.Empty<string?>(),
        };
        return items.Where(s => !string.IsNullOrWhiteSpace(s)).Take(MaxSourceUrls)
            .Select(s => s!.Length > MaxFieldChars ? s[..MaxFieldChars] : s!).ToList();
    }
}

/// <summary>The run_exports of one package (CEP 12), normalised to the object form.</summary>
public static class RunExports
{
    /// <summary>An empty run_exports object, what CEP 12 asks for when a package defines none.</summary>
    public static readonly JsonElement Empty = JsonDocument.Parse("{}").RootElement.Clone();

    /// <summary>
    /// <c>info/run_exports.json</c> (or a record's run_exports) as an object. Old conda-build wrote a bare list,
    /// which meant weak exports. Anything else is CMIR307: the file is what CEP 12 says the channel must mirror, so it
    /// is not silently dropped.
    /// </summary>
    public static JsonElement Normalize(JsonElement? value, string where)
    {
        if (value is null) return Empty;
        var v = value.Value;
        switch (v.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var kind in v.EnumerateObject())
                    if (kind.Value.ValueKind != JsonValueKind.Array || kind.Value.EnumerateArray().Any(s => s.ValueKind != JsonValueKind.String))
                        throw Invalid(where, $"'{kind.Name}' is not a list of strings");
                return v.Clone();
            case JsonValueKind.Array:
                if (v.EnumerateArray().Any(s => s.ValueKind != JsonValueKind.String)) throw Invalid(where, "the list holds something other than strings");
                using (var doc = JsonDocument.Parse("{\"weak\":" + v.GetRawText() + "}"))
                    return doc.RootElement.Clone();
            case JsonValueKind.Null:
                return Empty;
            default:
                throw Invalid(where, $"it is a JSON {v.ValueKind.ToString().ToLowerInvariant()}, not an object");
        }
    }

    private static CondaMirrorException Invalid(string where, string problem) => new(
        ErrorCodes.RunExportsInvalid,
        $"The run_exports of {Path.GetFileName(where)} cannot be published: {problem}. run_exports maps weak/strong/noarch/weak_constrains/strong_constrains to lists of specs; rebuild the package or remove it.",
        where);
}
