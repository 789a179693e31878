namespace CondaMirror.TestKit;

/// <summary>
/// Locates the shared real-world test data (repodata, packages, locks). The path comes from
/// CONDAMIRROR_TESTDATA, else ../shared/testdata beside the repository root. On a user's machine the folder
/// is usually absent and conformance tests are skipped with that reason; with CI=true (or
/// CONDAMIRROR_REQUIRE_TESTDATA=1) a missing folder is a failure instead.
/// </summary>
public static class TestData
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string? Root
    {
        get
        {
            var configured = Environment.GetEnvironmentVariable("CONDAMIRROR_TESTDATA");
            var path = string.IsNullOrEmpty(configured)
                ? Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "testdata"))
                : Path.GetFullPath(configured);
            return Directory.Exists(path) ? path : null;
        }
    }

    /// <summary>Whether a missing requirement fails rather than skips (<see cref="Requirement.IsCi"/>).</summary>
    public static bool Required => Requirement.IsCi;

    /// <summary>Returns the test-data root, or skips the calling [SkippableFact]/[SkippableTheory] test (fails under CI).</summary>
    public static string Require()
    {
        var root = Root;
        if (root is null) Requirement.Missing("conformance test data not found (set CONDAMIRROR_TESTDATA or place it at ../shared/testdata)");
        return root;
    }

    public static string PathOf(params string[] parts) => Path.Combine(new[] { Require() }.Concat(parts).ToArray());

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !System.IO.File.Exists(Path.Combine(dir.FullName, "CondaMirror.MSBuild.sln")))
            dir = dir.Parent;
        return dir?.FullName ?? Directory.GetCurrentDirectory();
    }
}
