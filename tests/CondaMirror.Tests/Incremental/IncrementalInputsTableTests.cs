using CondaMirror.TestKit;
using Xunit;

namespace CondaMirror.Tests.Incremental;

public class IncrementalInputsTableTests
{
    private static string DocPath => Path.Combine(TestData.RepoRoot, "docs", "incremental.md");

    [Fact]
    public void Docs_incremental_md_is_the_table_the_targets_and_tasks_give()
    {
        var generated = IncrementalInputs.Markdown();
        if (Environment.GetEnvironmentVariable("CONDAMIRROR_WRITE_DOCS") == "1") File.WriteAllText(DocPath, generated);
        Assert.Equal(generated, File.ReadAllText(DocPath).Replace("\r", ""));
    }

    [Fact]
    public void Every_step_has_inputs_and_the_policy_items_reach_resolve_with_their_metadata()
    {
        var rows = IncrementalInputs.Generate();
        foreach (var (_, step) in IncrementalInputs.Steps)
            Assert.Contains(rows, r => r.Steps.Contains(step));
        Assert.Contains(rows, r => r.Name == "CondaExclude" && r.Steps.SequenceEqual(new[] { "resolve" }) && r.How.Contains("every metadata value"));
        Assert.Contains(rows, r => r.Name == "CondaAllowLicense" && r.Steps.SequenceEqual(new[] { "resolve" }));
        Assert.Contains(rows, r => r.Name == "CondaLockFile" && r.Steps.Contains("download") && r.Steps.Contains("index") && r.How == "its files' bytes");
        Assert.Contains(rows, r => r.Name == "CondaBundleImport" && r.How.Contains("local files by their bytes") && r.How.Contains("every metadata value"));
        // URLs and zips are fetched by the packagefiles step; the index step reads the archives it hands on.
        Assert.Contains(rows, r => r.Name == "CondaPackageFile" && r.Steps.SequenceEqual(new[] { "packagefiles", "index" }) && r.How.Contains("every metadata value"));
        Assert.Contains(rows, r => r.Name == "CondaLock" && r.Steps.SequenceEqual(new[] { "download", "pypi", "index" }) && r.How.Contains("every metadata value"));
        Assert.Contains(rows, r => r.Name == "CondaEnvironmentFile" && r.Steps.SequenceEqual(new[] { "resolve" }));
    }
}
