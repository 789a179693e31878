using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace CondaMirror.Core.PyPI;

/// <summary>One file of a project page: a wheel under <c>files/</c>.</summary>
/// <param name="Size">Bytes; PEP 700 (API 1.1) makes it required in the JSON form.</param>
/// <param name="MetadataSha256">The sha256 of <c>&lt;file&gt;.metadata</c> served beside it (PEP 658/714), when there is one.</param>
public sealed record SimpleFile(string FileName, string Version, string? Sha256, string? RequiresPython, long Size, string? MetadataSha256 = null);

/// <summary>One project of the repository: its normalized name and its files, in the order they are listed.</summary>
public sealed record SimpleProject(string Name, IReadOnlyList<SimpleFile> Files);

/// <summary>
/// The pages of a static simple repository, as bytes: PEP 503 HTML and PEP 691 JSON (API version 1.1, PEP 700), the
/// root listing every project and one page per project whose links point at <c>../../files/&lt;file&gt;</c> with a
/// <c>#sha256=</c> fragment, <c>data-requires-python</c> where the lock has them, and the core metadata's hash where
/// it is served beside the wheel. Deterministic: the same input
/// gives the same bytes, so unchanged pages are never rewritten.
/// </summary>
public static class SimpleIndexWriter
{
    public const string ApiVersion = "1.1";

    private static readonly JsonWriterOptions JsonOptions = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The href of a file as a project page (<c>simple/&lt;name&gt;/</c>) links it, hash fragment included.</summary>
    public static string FileHref(SimpleFile file) =>
        "../../files/" + Uri.EscapeDataString(file.FileName) + (file.Sha256 is null ? "" : "#sha256=" + file.Sha256);

    public static byte[] RootHtml(IEnumerable<SimpleProject> projects)
    {
        var html = new StringBuilder();
        Head(html, "Simple index");
        foreach (var p in projects)
            html.Append("    <a href=\"").Append(Escape(Uri.EscapeDataString(p.Name))).Append("/\">").Append(Escape(p.Name)).Append("</a><br/>\n");
        html.Append("  </body>\n</html>\n");
        return Encoding.UTF8.GetBytes(html.ToString());
    }

    public static byte[] ProjectHtml(SimpleProject project)
    {
        var html = new StringBuilder();
        Head(html, "Links for " + project.Name);
        html.Append("    <h1>Links for ").Append(Escape(project.Name)).Append("</h1>\n");
        foreach (var f in project.Files)
        {
            html.Append("    <a href=\"").Append(Escape(FileHref(f))).Append('"');
            if (!string.IsNullOrEmpty(f.RequiresPython)) html.Append(" data-requires-python=\"").Append(Escape(f.RequiresPython)).Append('"');
            // PEP 714's name and PEP 658's original one, for installers of either generation.
            if (f.MetadataSha256 is not null)
                html.Append(" data-dist-info-metadata=\"sha256=").Append(f.MetadataSha256).Append("\" data-core-metadata=\"sha256=").Append(f.MetadataSha256).Append('"');
            html.Append('>').Append(Escape(f.FileName)).Append("</a><br/>\n");
        }
        html.Append("  </body>\n</html>\n");
        return Encoding.UTF8.GetBytes(html.ToString());
    }

    public static byte[] RootJson(IEnumerable<SimpleProject> projects) => Json(w =>
    {
        w.WriteStartArray("projects");
        foreach (var p in projects)
        {
            w.WriteStartObject();
            w.WriteString("name", p.Name);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    });

    public static byte[] ProjectJson(SimpleProject project) => Json(w =>
    {
        w.WriteString("name", project.Name);
        w.WriteStartArray("versions");
        foreach (var v in project.Files.Select(f => f.Version).Distinct(StringComparer.Ordinal)) w.WriteStringValue(v);
        w.WriteEndArray();
        w.WriteStartArray("files");
        foreach (var f in project.Files)
        {
            w.WriteStartObject();
            w.WriteString("filename", f.FileName);
            w.WriteString("url", "../../files/" + Uri.EscapeDataString(f.FileName));
            w.WriteStartObject("hashes");
            if (f.Sha256 is not null) w.WriteString("sha256", f.Sha256);
            w.WriteEndObject();
            if (!string.IsNullOrEmpty(f.RequiresPython)) w.WriteString("requires-python", f.RequiresPython);
            w.WriteNumber("size", f.Size);
            if (f.MetadataSha256 is not null)
                foreach (var key in new[] { "core-metadata", "dist-info-metadata" })
                {
                    w.WriteStartObject(key);
                    w.WriteString("sha256", f.MetadataSha256);
                    w.WriteEndObject();
                }
            w.WriteEndObject();
        }
        w.WriteEndArray();
    });

    /// <summary>Text and attribute values escaped for HTML: a lock's requires_python such as <c>&gt;=3.8</c> or a hostile
    /// <c>"&gt;&lt;script&gt;</c> stays a value.</summary>
    public static string Escape(string value)
    {
        var sb = new StringBuilder(value.Length + 16);
        foreach (var c in value)
        {
            sb.Append(c switch
            {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&quot;",
                '\'' => "&#39;",
                _ => c.ToString(CultureInfo.InvariantCulture),
            });
        }
        return sb.ToString();
    }

    private static void Head(StringBuilder html, string title)
    {
        html.Append("<!DOCTYPE html>\n<html>\n  <head>\n")
            .Append("    <meta name=\"pypi:repository-version\" content=\"").Append(ApiVersion).Append("\">\n")
            .Append("    <title>").Append(Escape(title)).Append("</title>\n  </head>\n  <body>\n");
    }

    private static byte[] Json(Action<Utf8JsonWriter> body)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, JsonOptions))
        {
            w.WriteStartObject();
            w.WriteStartObject("meta");
            w.WriteString("api-version", ApiVersion);
            w.WriteEndObject();
            body(w);
            w.WriteEndObject();
        }
        stream.WriteByte((byte)'\n');
        return stream.ToArray();
    }
}
