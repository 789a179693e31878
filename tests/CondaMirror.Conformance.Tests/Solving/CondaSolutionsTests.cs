using System.Text;
using System.Text.Json;
using CondaMirror.Core.Repodata;
using CondaMirror.Core.Solving;
using CondaMirror.TestKit;
using Xunit;
using Xunit.Abstractions;

namespace CondaMirror.Conformance.Tests.Solving;

/// <summary>
/// Our solutions compared with conda 25.11.1's classic solver, request by request
/// (<c>conda-semantics/conda-25.11.1/solutions.jsonl</c>; see the README beside it for how conda was run:
/// __glibc 2.28, __osx 13.0, no __cuda, pip not added to python, one channel with strict priority).
/// A row whose difference is deliberate is listed in docs/solver-deviations.md with the reason.
/// </summary>
public sealed class CondaSolutionsTests(ITestOutputHelper output)
{
    private const string SolutionsFile = "conda-semantics/conda-25.11.1/solutions.jsonl";

    public sealed record Row(int Line, string Channel, string Subdir, string[] Specs, string[]? Solution, string? Error)
    {
        public string Key => $"{Subdir} {string.Join(" + ", Specs)} @ {Path.GetFileName(Channel.TrimEnd('/'))}";
    }

    public static IEnumerable<object[]> Rows()
    {
        // Enumerated at discovery: without the data there is one placeholder row that skips (or fails under CI).
        var root = TestData.Root;
        if (root is null) { yield return [0]; yield break; }
        var count = File.ReadLines(Path.Combine(root, SolutionsFile)).Count(l => l.Length > 0);
        for (var line = 1; line <= count; line++) yield return [line];
    }

    [SkippableTheory]
    [MemberData(nameof(Rows))]
    public void Our_solution_equals_condas(int line)
    {
        var root = TestData.Require();
        var row = ReadRows(root).Single(r => r.Line == line);
        var deviation = Deviations().GetValueOrDefault(row.Key);

        var (ours, error) = SolveOurs(root, row);
        var theirs = row.Solution is null ? $"error {row.Error}" : string.Join(" ", row.Solution);
        var mine = ours is null ? $"error {error}" : string.Join(" ", ours);
        output.WriteLine($"{row.Key}\n conda: {theirs}\n ours:  {mine}");

        var same = row.Solution is null ? ours is null : ours is not null && ours.SequenceEqual(row.Solution);
        if (deviation is not null)
        {
            // A documented deviation must still be one, or its entry is stale.
            Assert.False(same, $"'{row.Key}' is listed in docs/solver-deviations.md but now equals conda's solution; remove the entry.");
            return;
        }
        Assert.True(same, $"{row.Key}\n conda: {theirs}\n ours:  {mine}");
    }

    private static (string[]? Stems, string? Error) SolveOurs(string root, Row row)
    {
        var source = LoadChannel(root, row);
        try
        {
            var result = new CondaSolver().Solve(new SolveRequest
            {
                Specs = row.Specs.Select(s => (s, (string?)null)).ToList(),
                Platform = row.Subdir,
                VirtualPackages = VirtualPackagesOf(row.Subdir),
            }, source);
            return (result.Packages.Select(p => p.Record.Stem).Order(StringComparer.Ordinal).ToArray(), null);
        }
        catch (SolveConflictException e)
        {
            return (null, e.Code);
        }
    }

    /// <summary>What conda saw: __glibc 2.28 on linux, __osx 13.0 on macOS, no __cuda.</summary>
    private static IReadOnlyList<VirtualPackage> VirtualPackagesOf(string subdir) =>
        VirtualPackages.Merge(VirtualPackages.DefaultsFor(subdir),
            subdir.StartsWith("osx", StringComparison.Ordinal) ? [new VirtualPackage("__osx", "13.0")] : [new VirtualPackage("__glibc", "2.28")]);

    private static readonly Dictionary<(string, string), RepodataPackageSource> Sources = new();

    private static RepodataPackageSource LoadChannel(string root, Row row)
    {
        lock (Sources)
        {
            if (Sources.TryGetValue((row.Channel, row.Subdir), out var cached)) return cached;
            var path = Path.Combine(root, row.Channel);
            List<SparseRepodata> subdirs;
            if (File.Exists(path))
            {
                // A bare dict of file name -> record (conda's test index): served to conda as linux-64 with an empty noarch.
                var channel = new Uri(Path.GetDirectoryName(path)! + "/");
                var json = "{\"info\":{\"subdir\":\"" + row.Subdir + "\"},\"packages\":" + File.ReadAllText(path) + "}";
                subdirs =
                [
                    SparseRepodata.Load(null, Encoding.UTF8.GetBytes(json), channel, row.Subdir),
                    SparseRepodata.Load(null, "{\"info\":{\"subdir\":\"noarch\"},\"packages\":{}}"u8.ToArray(), channel, "noarch"),
                ];
            }
            else
            {
                var channel = new Uri(Path.TrimEndingDirectorySeparator(path) + "/");
                subdirs = new[] { row.Subdir, "noarch" }
                    .Select(s => SparseRepodata.LoadFile(Path.Combine(path, s, "repodata.json"), channel, s)).ToList();
            }
            return Sources[(row.Channel, row.Subdir)] = new RepodataPackageSource(subdirs);
        }
    }

    private static List<Row> ReadRows(string root)
    {
        var rows = new List<Row>();
        var line = 0;
        foreach (var text in File.ReadLines(Path.Combine(root, SolutionsFile)))
        {
            if (text.Length == 0) continue;
            line++;
            using var doc = JsonDocument.Parse(text);
            var e = doc.RootElement;
            rows.Add(new Row(line, e.GetProperty("channel").GetString()!, e.GetProperty("subdir").GetString()!,
                e.GetProperty("specs").EnumerateArray().Select(s => s.GetString()!).ToArray(),
                e.TryGetProperty("solution", out var s) ? s.EnumerateArray().Select(x => x.GetString()!).Order(StringComparer.Ordinal).ToArray() : null,
                e.TryGetProperty("error", out var err) ? err.GetString() : null));
        }
        return rows;
    }

    /// <summary>Rows of the table in docs/solver-deviations.md: `| request key | reason |`.</summary>
    private static Dictionary<string, string> Deviations()
    {
        var path = Path.Combine(TestData.RepoRoot, "docs", "solver-deviations.md");
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!File.Exists(path)) return result;
        foreach (var line in File.ReadLines(path))
        {
            var cells = line.Split('|', StringSplitOptions.TrimEntries);
            if (cells.Length >= 4 && cells[1].StartsWith('`') && cells[1].EndsWith('`'))
                result[cells[1].Trim('`')] = cells[2];
        }
        return result;
    }
}
