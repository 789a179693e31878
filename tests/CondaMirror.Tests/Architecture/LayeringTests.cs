using System.Reflection;
using System.Text.RegularExpressions;
using CondaMirror.TestKit;
using Xunit;

namespace CondaMirror.Tests.Architecture;

/// <summary>
/// Keeps the layering docs/architecture.md describes: Core knows nothing of MSBuild, its concept namespaces depend on
/// each other without cycles, and the folder table in the architecture document names folders and identifiers that
/// exist where it says. Read from the sources (not from the code under test), so a new dependency fails here first.
/// </summary>
public sealed partial class LayeringTests
{
    private const string CoreRoot = "CondaMirror.Core";

    private static string CoreDir => Path.Combine(TestData.RepoRoot, "src", CoreRoot);

    [Fact]
    public void Core_has_no_MSBuild_reference()
    {
        var core = typeof(CondaMirror.Core.Errors.CondaMirrorException).Assembly;
        var msbuild = core.GetReferencedAssemblies()
            .Where(a => a.Name!.StartsWith("Microsoft.Build", StringComparison.Ordinal)).Select(a => a.Name).ToList();
        Assert.Empty(msbuild);

        var project = File.ReadAllText(Path.Combine(CoreDir, CoreRoot + ".csproj"));
        Assert.DoesNotMatch(new Regex(@"Include=""Microsoft\.Build"), project);
        foreach (var file in CoreSources())
            Assert.DoesNotMatch(MSBuildNamespace(), File.ReadAllText(file));
    }

    [Fact]
    public void Core_concepts_are_acyclic()
    {
        // Concepts are the top-level folders; a sub-namespace (Solving.Sat, Repodata.Shards) is its
        // concept's own split and may use its parent, so the graph is checked between concepts.
        var graph = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var (ns, uses) in NamespaceGraph())
        {
            var from = TopFolder(ns) ?? ns;
            if (!graph.TryGetValue(from, out var set)) graph[from] = set = new HashSet<string>(StringComparer.Ordinal);
            foreach (var to in uses.Select(u => TopFolder(u) ?? u).Where(t => t != from)) set.Add(to);
        }
        Assert.True(graph.Count >= 10, "expected one namespace per concept folder, found " + graph.Count);
        var cycle = FindCycle(graph);
        Assert.True(cycle is null, "namespace cycle: " + string.Join(" -> ", cycle ?? []));
    }

    [Fact]
    public void Every_folder_uses_only_what_the_architecture_document_allows()
    {
        var allowed = AllowedDependencies();
        Assert.True(allowed.Count >= 10, "the 'What may depend on what' table of docs/architecture.md was not found");
        var violations = new List<string>();
        foreach (var (ns, uses) in NamespaceGraph())
        {
            var folder = TopFolder(ns);
            if (folder is null) continue;
            Assert.True(allowed.ContainsKey(folder), $"Core folder `{folder}/` is missing from the 'What may depend on what' table");
            foreach (var used in uses.Select(TopFolder).Where(u => u is not null && u != folder).Distinct())
                if (!allowed[folder].Contains(used!))
                    violations.Add($"{ns} uses {used}, which the table does not allow for {folder}/");
        }
        Assert.True(violations.Count == 0, string.Join("\n", violations));
    }

    private static string? TopFolder(string ns) =>
        ns.StartsWith(CoreRoot + ".", StringComparison.Ordinal) ? ns[(CoreRoot.Length + 1)..].Split('.')[0] : null;

    /// <summary>The 'What may depend on what' table: `| `A/`, `B/` | X, Y |` rows.</summary>
    private static Dictionary<string, HashSet<string>> AllowedDependencies()
    {
        var doc = File.ReadAllText(Path.Combine(TestData.RepoRoot, "docs", "architecture.md"));
        var start = doc.IndexOf("## What may depend on what", StringComparison.Ordinal);
        var result = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        if (start < 0) return result;
        var end = doc.IndexOf("\n## ", start + 5, StringComparison.Ordinal);
        foreach (var line in doc[start..(end < 0 ? doc.Length : end)].Split('\n'))
        {
            var cells = line.Split('|', StringSplitOptions.TrimEntries);
            if (cells.Length < 4 || !cells[1].StartsWith('`')) continue;
            var uses = cells[2] == "nothing" ? [] : cells[2].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                .Select(u => u.Split(' ')[0]).ToHashSet(StringComparer.Ordinal); // "Networking (redaction)": the note is for readers
            foreach (var folder in Backticked().Matches(cells[1]).Select(m => m.Groups[1].Value.TrimEnd('/')))
                result[folder] = uses;
        }
        return result;
    }

    [Fact]
    public void Cycle_finder_finds_a_planted_cycle()
    {
        // The finder itself must be able to fail: a graph with a cycle through three nodes.
        var graph = new Dictionary<string, HashSet<string>>
        {
            ["A"] = ["B"], ["B"] = ["C"], ["C"] = ["A"], ["D"] = ["A"],
        };
        var cycle = FindCycle(graph);
        Assert.NotNull(cycle);
        Assert.Equal(cycle![0], cycle[^1]);
        Assert.Equal(4, cycle.Count);
    }

    [Fact]
    public void Every_namespace_is_its_folder()
    {
        foreach (var file in CoreSources())
        {
            var declared = NamespaceOf(File.ReadAllText(file));
            var folder = Path.GetDirectoryName(Path.GetRelativePath(CoreDir, file))!;
            var expected = CoreRoot + (folder.Length == 0 ? "" : "." + folder.Replace(Path.DirectorySeparatorChar, '.'));
            Assert.True(declared == expected, $"{Path.GetRelativePath(CoreDir, file)} declares {declared}, expected {expected}");
        }
    }

    [Fact]
    public void Architecture_document_names_the_Core_folders_that_exist()
    {
        var rows = FolderRows();
        Assert.NotEmpty(rows);
        var named = rows.SelectMany(r => r.Folders).ToHashSet(StringComparer.Ordinal);

        foreach (var folder in named)
            Assert.True(Directory.Exists(Path.Combine(CoreDir, folder)), $"docs/architecture.md names `{folder}/`, which Core does not have");

        var topLevel = Directory.GetDirectories(CoreDir).Select(Path.GetFileName)
            .Where(d => d is not ("bin" or "obj") && Directory.EnumerateFiles(Path.Combine(CoreDir, d!), "*.cs", SearchOption.AllDirectories).Any());
        foreach (var folder in topLevel)
            Assert.True(named.Contains(folder!), $"Core folder `{folder}/` is missing from the folder table of docs/architecture.md");

        // Each identifier a row names must exist in that row's folders (a type, member or file name).
        foreach (var row in rows)
        {
            var text = string.Join("\n", row.Folders.SelectMany(f =>
                Directory.EnumerateFiles(Path.Combine(CoreDir, f), "*.cs", SearchOption.AllDirectories)).Select(File.ReadAllText));
            foreach (var identifier in row.Identifiers)
                Assert.True(Regex.IsMatch(text, @"\b" + Regex.Escape(identifier) + @"\b"),
                    $"docs/architecture.md says `{identifier}` is in {string.Join(", ", row.Folders)}, but it is not there");
        }
    }

    private sealed record FolderRow(IReadOnlyList<string> Folders, IReadOnlyList<string> Identifiers);

    /// <summary>The rows of the Core folder table: `| `A/`, `B/` | text naming `Identifiers` |`.</summary>
    private static List<FolderRow> FolderRows()
    {
        var doc = File.ReadAllLines(Path.Combine(TestData.RepoRoot, "docs", "architecture.md"));
        var rows = new List<FolderRow>();
        foreach (var line in doc)
        {
            var cells = line.Split('|', StringSplitOptions.TrimEntries);
            if (cells.Length < 4 || !cells[1].StartsWith('`') || !cells[1].Contains("/`"))
                continue;
            var folders = Backticked().Matches(cells[1]).Select(m => m.Groups[1].Value.TrimEnd('/')).ToList();
            var identifiers = Backticked().Matches(cells[2]).Select(m => m.Groups[1].Value)
                .Where(v => TypeLike().IsMatch(v)).ToList();
            rows.Add(new FolderRow(folders, identifiers));
        }
        return rows;
    }

    private static IEnumerable<string> CoreSources() =>
        Directory.EnumerateFiles(CoreDir, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}")
                        && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"));

    private static string NamespaceOf(string source) => FileNamespace().Match(source).Groups[1].Value;

    /// <summary>
    /// namespace → namespaces its files use: explicit usings, qualified names, and (since C# resolves simple names in
    /// enclosing namespaces without a using) types of enclosing namespaces mentioned by name.
    /// </summary>
    private static Dictionary<string, HashSet<string>> NamespaceGraph()
    {
        var files = CoreSources().Select(f => (Text: File.ReadAllText(f), Path: f)).ToList();
        var namespaces = files.Select(f => NamespaceOf(f.Text)).Where(n => n.Length > 0).ToHashSet(StringComparer.Ordinal);
        var typesOf = files.GroupBy(f => NamespaceOf(f.Text))
            .ToDictionary(g => g.Key, g => g.SelectMany(f => TypeDeclaration().Matches(f.Text).Select(m => m.Groups[1].Value)).ToHashSet());

        var graph = namespaces.ToDictionary(n => n, _ => new HashSet<string>(StringComparer.Ordinal));
        foreach (var (text, _) in files)
        {
            var ns = NamespaceOf(text);
            var code = CommentOrString().Replace(text, " ");
            foreach (Match m in QualifiedCore().Matches(code))
            {
                // The longest declared namespace that prefixes the qualified name.
                var parts = m.Value.Split('.');
                for (int n = parts.Length; n >= 2; n--)
                {
                    var candidate = string.Join('.', parts.Take(n));
                    if (namespaces.Contains(candidate)) { if (candidate != ns) graph[ns].Add(candidate); break; }
                }
            }
            // Names qualified relative to CondaMirror.Core ("Networking.UrlRedaction.Redact"), which C# resolves
            // from any namespace below it without a using.
            foreach (Match m in RelativeQualified().Matches(code))
            {
                var candidate = CoreRoot + "." + m.Groups[1].Value;
                if (namespaces.Contains(candidate) && candidate != ns && typesOf.TryGetValue(candidate, out var declared) && declared.Contains(m.Groups[2].Value))
                    graph[ns].Add(candidate);
            }
            var words = Word().Matches(code).Select(w => w.Value).ToHashSet(StringComparer.Ordinal);
            for (var enclosing = Parent(ns); enclosing is not null; enclosing = Parent(enclosing))
                if (typesOf.TryGetValue(enclosing, out var types) && types.Overlaps(words))
                    graph[ns].Add(enclosing);
        }
        return graph;
    }

    private static string? Parent(string ns) => ns.LastIndexOf('.') is var i and > 0 ? ns[..i] : null;

    /// <summary>A cycle as a path that starts and ends at the same node, or null.</summary>
    private static List<string>? FindCycle(Dictionary<string, HashSet<string>> graph)
    {
        var state = new Dictionary<string, int>(); // 1 on the stack, 2 done
        var stack = new List<string>();
        List<string>? Visit(string node)
        {
            state[node] = 1;
            stack.Add(node);
            foreach (var next in graph.GetValueOrDefault(node) ?? [])
            {
                if (state.GetValueOrDefault(next) == 1)
                    return [.. stack.Skip(stack.IndexOf(next)), next];
                if (state.GetValueOrDefault(next) == 0 && Visit(next) is { } found)
                    return found;
            }
            stack.RemoveAt(stack.Count - 1);
            state[node] = 2;
            return null;
        }
        foreach (var node in graph.Keys.Order(StringComparer.Ordinal))
            if (state.GetValueOrDefault(node) == 0 && Visit(node) is { } cycle)
                return cycle;
        return null;
    }

    [GeneratedRegex(@"^\s*namespace\s+([\w.]+)\s*;", RegexOptions.Multiline)]
    private static partial Regex FileNamespace();

    [GeneratedRegex(@"\b(?:class|struct|interface|enum|record(?:\s+(?:class|struct))?|delegate\s+[\w<>\[\],.?]+)\s+([A-Z]\w*)")]
    private static partial Regex TypeDeclaration();

    [GeneratedRegex(@"\bCondaMirror\.Core(?:\.[A-Z]\w*)+")]
    private static partial Regex QualifiedCore();

    [GeneratedRegex(@"(?<![\w.])([A-Z]\w*)\.([A-Z]\w*)")]
    private static partial Regex RelativeQualified();

    [GeneratedRegex(@"\bMicrosoft\.Build\b")]
    private static partial Regex MSBuildNamespace();

    [GeneratedRegex(@"//[^\n]*|/\*.*?\*/|@""(?:[^""]|"""")*""|""(?:\\.|[^""\\\n])*""", RegexOptions.Singleline)]
    private static partial Regex CommentOrString();

    [GeneratedRegex(@"\b[A-Z]\w*\b")]
    private static partial Regex Word();

    [GeneratedRegex(@"`([^`]+)`")]
    private static partial Regex Backticked();

    [GeneratedRegex(@"^[A-Z][A-Za-z0-9]+$")]
    private static partial Regex TypeLike();
}
