using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using CondaMirror.MSBuild;
using CondaMirror.TestKit;

namespace CondaMirror.Tests.Incremental;

/// <summary>One thing a user can change, and the steps whose record takes it as an input.</summary>
public sealed record IncrementalInput(string Kind, string Name, IReadOnlyList<string> Steps, string How);

/// <summary>
/// The table of docs/incremental.md, generated from what decides it: the step targets' task calls in build/*.targets
/// (which property or item reaches which parameter, internal properties followed back to the public ones) and the
/// task classes (which parameters are inputs, which are read by content). Nothing here is a hand-kept list of inputs.
/// </summary>
public static class IncrementalInputs
{
    /// <summary>Step tasks and their step names, in pipeline order.</summary>
    public static readonly IReadOnlyList<(string Task, string Step)> Steps = new[]
    {
        (nameof(CheckCondaMirrorProject), "check"), (nameof(ResolveCondaLock), "resolve"), (nameof(DownloadCondaPackages), "download"),
        (nameof(MirrorPyPIPackages), "pypi"), (nameof(FetchCondaPackageFiles), "packagefiles"), (nameof(IndexCondaChannel), "index"), (nameof(BundleCondaChannel), "bundle"),
        (nameof(ImportCondaBundle), "import"),
    };

    /// <summary>The subset step's output that the index step reads.</summary>
    public const string SubsetSelectionInput = "the channel subset selection (obj/…/condamirror/subset.selection.json, written by the subset step)";

    private static readonly Regex Reference = new(@"[$@]\(([A-Za-z_][A-Za-z0-9_]*)", RegexOptions.CultureInvariant);

    public static IReadOnlyList<IncrementalInput> Generate()
    {
        var documents = Directory.GetFiles(Path.Combine(TestData.RepoRoot, "build"), "*.targets")
            .Concat(Directory.GetFiles(Path.Combine(TestData.RepoRoot, "build"), "*.props"))
            .Select(f => XDocument.Load(f)).ToList();
        // Every property definition, to follow _CondaMirror… properties back to what the user sets.
        var definitions = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var element in documents.SelectMany(d => d.Descendants()).Where(e => e.Parent?.Name.LocalName == "PropertyGroup"))
        {
            if (!definitions.TryGetValue(element.Name.LocalName, out var refs)) definitions[element.Name.LocalName] = refs = new HashSet<string>(StringComparer.Ordinal);
            foreach (Match m in Reference.Matches(element.Value)) if (m.Groups[1].Value != element.Name.LocalName) refs.Add(m.Groups[1].Value);
        }
        // Internal items a step task outputs (<Output ItemName="_X">): followed back to the items of that call's
        // content parameters, the files it turns into them (CondaPackageFile -> the archives the index step reads).
        var producedItems = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var output in documents.SelectMany(d => d.Descendants()).Where(e => e.Name.LocalName == "Output" && e.Attribute("ItemName") is not null))
            producedItems[output.Attribute("ItemName")!.Value] = output.Parent!.Name.LocalName;
        var taskTypes = typeof(CondaStepTask).Assembly.GetTypes().Where(t => typeof(CondaStepTask).IsAssignableFrom(t) && !t.IsAbstract).ToDictionary(t => t.Name, StringComparer.Ordinal);
        var rows = new SortedDictionary<(string Kind, string Name), (SortedSet<int> Steps, string How)>();
        void Add(string kind, string name, int step, string how)
        {
            if (!rows.TryGetValue((kind, name), out var row)) rows[(kind, name)] = row = (new SortedSet<int>(), how);
            row.Steps.Add(step);
        }
        for (var i = 0; i < Steps.Count; i++)
        {
            var (taskName, _) = Steps[i];
            var type = taskTypes[taskName];
            var parameters = CondaStepTask.Parameters(type).ToDictionary(p => p.Name, StringComparer.Ordinal);
            // The call that records (it has a StateDirectory); plan-mode calls of the same task write no record.
            var call = documents.SelectMany(d => d.Descendants()).Single(e => e.Name.LocalName == taskName && e.Attribute("StateDirectory") is not null);
            foreach (var attribute in call.Attributes())
            {
                if (!parameters.TryGetValue(attribute.Name.LocalName, out var parameter)) continue;
                var content = parameter.IsDefined(typeof(FileContentInputAttribute));
                if (content && attribute.Value.Contains("$(_CondaMirrorSubsetSelection)", StringComparison.Ordinal))
                {
                    Add("file", SubsetSelectionInput, i, "its bytes");
                    continue;
                }
                if (content && attribute.Value.Contains("$(_CondaMirrorStateDir)", StringComparison.Ordinal))
                {
                    Add("file", "the download and index steps' records (what the channel holds)", i, "their bytes");
                    continue;
                }
                foreach (var (kind, name) in Sources(FollowProduced(attribute.Value, producedItems, documents, taskTypes), definitions))
                    Add(kind, name, i, content ? kind == "item" ? "every item, every metadata value; local files by their bytes" : "its files' bytes"
                        : kind == "item" ? "every item, every metadata value" : "its value");
            }
            if (taskName == nameof(CheckCondaMirrorProject))
                Add("file", "the project file and the files it imports by a literal path", i, "their bytes");
            Add("file", "the task assemblies (a new CondaMirror.MSBuild version)", i, "their module id");
        }
        return rows.Select(r => new IncrementalInput(r.Key.Kind, r.Key.Name, r.Value.Steps.Select(s => Steps[s].Step).ToList(), r.Value.How)).ToList();
    }

    /// <summary>An attribute value with each internal item a task produced replaced by that task's content parameters' values.</summary>
    private static string FollowProduced(string value, Dictionary<string, string> producedItems, List<XDocument> documents, Dictionary<string, Type> taskTypes)
    {
        foreach (Match m in Reference.Matches(value))
        {
            var name = m.Groups[1].Value;
            if (!m.Value.StartsWith('@') || !producedItems.TryGetValue(name, out var producer) || !taskTypes.TryGetValue(producer, out var type)) continue;
            var call = documents.SelectMany(d => d.Descendants()).First(e => e.Name.LocalName == producer && e.Elements().Any(o => o.Attribute("ItemName")?.Value == name));
            var content = CondaStepTask.Parameters(type).Where(p => p.IsDefined(typeof(FileContentInputAttribute))).Select(p => call.Attribute(p.Name)?.Value).OfType<string>();
            value = value.Replace($"@({name})", string.Join(";", content), StringComparison.Ordinal);
        }
        return value;
    }

    /// <summary>The public properties and items an attribute value comes from, following internal properties.</summary>
    private static IEnumerable<(string Kind, string Name)> Sources(string value, Dictionary<string, HashSet<string>> definitions)
    {
        var found = new SortedSet<(string, string)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        void Visit(string text)
        {
            foreach (Match m in Reference.Matches(text))
            {
                var name = m.Groups[1].Value;
                var isItem = m.Value.StartsWith('@');
                if (isItem) { if (!name.StartsWith('_')) found.Add(("item", name)); continue; }
                if (!name.StartsWith("_", StringComparison.Ordinal))
                {
                    if (name.StartsWith("Conda", StringComparison.Ordinal) || name is "OutDir" or "OutputPath" or "IntermediateOutputPath")
                        found.Add(("property", name));
                    else if (name.StartsWith("MSBuild", StringComparison.Ordinal) || name.StartsWith("DirectoryBuild", StringComparison.Ordinal))
                        continue; // where the project is: not something a user changes between builds
                }
                if (seen.Add(name) && definitions.TryGetValue(name, out var refs))
                    foreach (var r in refs) Visit($"$({r})");
            }
        }
        Visit(value);
        return found;
    }

    public static string Markdown()
    {
        var rows = Generate();
        var text = new StringBuilder();
        text.Append("""
            # What makes a build step run again

            Generated from `build/*.targets` and the task classes by `tests/CondaMirror.Tests/Incremental/IncrementalInputs.cs`
            (`CONDAMIRROR_WRITE_DOCS=1 dotnet test --filter IncrementalInputsTableTests` rewrites it); a test fails when this
            file and the code disagree, and `IncrementalEndToEndTests` changes each input in a real `dotnet build` and checks
            that exactly these steps run again.

            Each step keeps a record in `obj/<configuration>/<tfm>/condamirror/<step>.step.json`: a hash of every input below as the
            last complete run saw it, and every file it wrote with its size, times and inode. A build skips a step only when
            every hash is equal and every recorded file is present and unchanged, so a deleted or edited channel file also
            makes its step run. Steps that read a file another step writes run again when those bytes change: the lock
            (written by resolve; read by download, pypi, index, bundle), the archives the packagefiles step hands to index
            (downloads and zip members in the package cache, by their bytes), the download and index records (read by
            bundle) and the channel subset selection (written by the subset step; read by index). A `CondaPackageFile`
            URL is read as its text: a rebuild with nothing changed makes no request.
            Publishing has no record: it compares with the remote store on every build. Nor does the subset step
            (CondaChannelSubset items) skip itself: following upstream is its job, so it revalidates each subdir's
            repodata on every build (a 304 when nothing changed), and it rewrites its selection, and so re-runs the
            index step, only when the selected records change.

            Items count with all their metadata: any metadata value added, removed or changed is a change, including
            metadata the build does not use today. Secrets in metadata (`BearerToken`) and in URLs are not hashed; only
            whether one is given (see `Networking/SecretRedaction`).


            """.Replace("\r", ""));
        text.Append("| input | kind | read as | " + string.Join(" | ", Steps.Select(s => s.Step)) + " |\n");
        text.Append("|---|---|---|" + string.Concat(Steps.Select(_ => "---|")) + "\n");
        foreach (var row in rows.OrderBy(r => r.Kind == "file" ? 2 : r.Kind == "item" ? 1 : 0).ThenBy(r => r.Name, StringComparer.Ordinal))
        {
            var name = row.Kind == "file" ? row.Name : $"`{row.Name}`";
            text.Append($"| {name} | {row.Kind} | {row.How} | " + string.Join(" | ", Steps.Select(s => row.Steps.Contains(s.Step) ? "runs" : "")) + " |\n");
        }
        return text.ToString();
    }
}
