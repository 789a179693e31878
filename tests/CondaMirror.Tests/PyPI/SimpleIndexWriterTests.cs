using System.Text;
using System.Text.Json;
using System.Xml.Linq;
using CondaMirror.Core.PyPI;
using Xunit;

namespace CondaMirror.Tests.PyPI;

public class SimpleIndexWriterTests
{
    private const string Sha = "526a04eadab8b4ee719ce68f204172ead1027549089702d99b9059f129ff1308";

    private static SimpleProject Project(string? requiresPython = ">=3.8") => new("foo-bar", new[]
    {
        new SimpleFile("foo_bar-1.0-py3-none-any.whl", "1.0", Sha, requiresPython, 1234),
        new SimpleFile("foo_bar-1.0+local-py3-none-any.whl", "1.0+local", null, null, 99),
    });

    [Fact]
    public void Project_page_links_each_file_with_its_hash_and_escaped_requires_python()
    {
        var html = Encoding.UTF8.GetString(SimpleIndexWriter.ProjectHtml(Project()));
        Assert.Contains($"<a href=\"../../files/foo_bar-1.0-py3-none-any.whl#sha256={Sha}\" data-requires-python=\"&gt;=3.8\">foo_bar-1.0-py3-none-any.whl</a>", html);
        // '+' is escaped in the URL; a file without sha256 has no fragment and no data-requires-python.
        Assert.Contains("<a href=\"../../files/foo_bar-1.0%2Blocal-py3-none-any.whl\">foo_bar-1.0+local-py3-none-any.whl</a>", html);
        Assert.Contains("<meta name=\"pypi:repository-version\" content=\"1.1\">", html);
        // Well-formed once the doctype is dropped, so an independent XML parser reads the same anchors.
        var doc = XDocument.Parse(html[html.IndexOf("<html>", StringComparison.Ordinal)..].Replace("\">\n", "\"/>\n").Replace("<br/>", ""));
        var anchors = doc.Descendants("a").ToList();
        Assert.Equal(2, anchors.Count);
        Assert.Equal(">=3.8", anchors[0].Attribute("data-requires-python")!.Value);
    }

    [Fact]
    public void Hostile_requires_python_stays_an_attribute_value()
    {
        var html = Encoding.UTF8.GetString(SimpleIndexWriter.ProjectHtml(Project("\"><script>alert('x')</script>&")));
        Assert.DoesNotContain("<script>", html);
        Assert.Contains("data-requires-python=\"&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;\"", html);
        var json = JsonDocument.Parse(SimpleIndexWriter.ProjectJson(Project("\"><script>&"))).RootElement;
        Assert.Equal("\"><script>&", json.GetProperty("files")[0].GetProperty("requires-python").GetString());
    }

    [Fact]
    public void Project_json_is_pep_691_api_1_1()
    {
        var json = JsonDocument.Parse(SimpleIndexWriter.ProjectJson(Project())).RootElement;
        Assert.Equal("1.1", json.GetProperty("meta").GetProperty("api-version").GetString());
        Assert.Equal("foo-bar", json.GetProperty("name").GetString());
        Assert.Equal(new[] { "1.0", "1.0+local" }, json.GetProperty("versions").EnumerateArray().Select(v => v.GetString()));
        var files = json.GetProperty("files").EnumerateArray().ToList();
        Assert.Equal("foo_bar-1.0-py3-none-any.whl", files[0].GetProperty("filename").GetString());
        Assert.Equal("../../files/foo_bar-1.0-py3-none-any.whl", files[0].GetProperty("url").GetString());
        Assert.Equal(Sha, files[0].GetProperty("hashes").GetProperty("sha256").GetString());
        Assert.Equal(1234, files[0].GetProperty("size").GetInt64());
        Assert.Equal(">=3.8", files[0].GetProperty("requires-python").GetString());
        Assert.Empty(files[1].GetProperty("hashes").EnumerateObject());
        Assert.False(files[1].TryGetProperty("requires-python", out _));
    }

    [Fact]
    public void Root_lists_every_project_in_both_forms()
    {
        var projects = new[] { Project(), new SimpleProject("zed", Array.Empty<SimpleFile>()) };
        var html = Encoding.UTF8.GetString(SimpleIndexWriter.RootHtml(projects));
        Assert.Contains("<a href=\"foo-bar/\">foo-bar</a>", html);
        Assert.Contains("<a href=\"zed/\">zed</a>", html);
        var json = JsonDocument.Parse(SimpleIndexWriter.RootJson(projects)).RootElement;
        Assert.Equal(new[] { "foo-bar", "zed" }, json.GetProperty("projects").EnumerateArray().Select(p => p.GetProperty("name").GetString()));
    }

    [Fact]
    public void Pages_do_not_depend_on_the_machines_culture()
    {
        // Comparing a pure function's output with itself proves nothing; what can differ between two build machines
        // is the culture (sizes, digits). The pages must be the same bytes under any of them.
        var invariant = RunIn(System.Globalization.CultureInfo.InvariantCulture);
        foreach (var culture in new[] { "de-DE", "ar-SA", "fa-IR", "hi-IN" })
        {
            var local = RunIn(new System.Globalization.CultureInfo(culture));
            Assert.Equal(invariant.Html, local.Html);
            Assert.Equal(invariant.Json, local.Json);
        }
        Assert.Contains("1234", Encoding.UTF8.GetString(invariant.Json));

        static (byte[] Html, byte[] Json) RunIn(System.Globalization.CultureInfo culture)
        {
            var saved = (System.Globalization.CultureInfo.CurrentCulture, System.Globalization.CultureInfo.CurrentUICulture);
            System.Globalization.CultureInfo.CurrentCulture = System.Globalization.CultureInfo.CurrentUICulture = culture;
            try { return (SimpleIndexWriter.ProjectHtml(Project()), SimpleIndexWriter.ProjectJson(Project())); }
            finally { (System.Globalization.CultureInfo.CurrentCulture, System.Globalization.CultureInfo.CurrentUICulture) = saved; }
        }
    }
}
