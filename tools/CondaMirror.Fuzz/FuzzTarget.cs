using CondaMirror.Core.Errors;

namespace CondaMirror.Fuzz;

/// <summary>
/// One parser under test. <see cref="Run"/> feeds it one input; it may return or throw an exception the API
/// documents (<see cref="IsExpected"/>); anything else is a crash.
/// </summary>
public abstract class FuzzTarget
{
    public abstract string Name { get; }

    public abstract string Description { get; }

    /// <summary>Text targets also get line/token mutations; their input is decoded as UTF-8.</summary>
    public virtual bool IsText => false;

    /// <summary>Mutants are cut to this size, so a run stays about parsing, not about copying huge buffers.</summary>
    public virtual int MaxInputBytes => 1 << 20;

    /// <summary>Valid (or interesting) inputs built in code. <paramref name="scratch"/> is a private temp folder.</summary>
    public abstract IEnumerable<byte[]> Seeds(string scratch);

    /// <summary>Real-world files from the shared test data, when CONDAMIRROR_TESTDATA points at it.</summary>
    public virtual IEnumerable<byte[]> TestDataSeeds(string root) => Array.Empty<byte[]>();

    /// <summary>Called once before the first input, with the same scratch folder as <see cref="Seeds"/>.</summary>
    public virtual void Prepare(string scratch) { }

    public abstract void Run(byte[] input);

    /// <summary>The failures the API promises: every Core parser reports bad input as a coded exception.</summary>
    public virtual bool IsExpected(Exception e) => e is CondaMirrorException;

    /// <summary>Files of the test data with one of the extensions, smallest first, at most <paramref name="max"/> of them under <paramref name="maxBytes"/>.</summary>
    protected static IEnumerable<byte[]> Files(string root, string folder, string[] extensions, int max = 50, long maxBytes = 4 << 20)
    {
        var dir = Path.Combine(root, folder);
        if (!Directory.Exists(dir)) return Array.Empty<byte[]>();
        return Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories)
            .Where(f => extensions.Any(e => f.EndsWith(e, StringComparison.OrdinalIgnoreCase)))
            .Select(f => new FileInfo(f))
            .Where(f => f.Length <= maxBytes)
            .OrderBy(f => f.Length).ThenBy(f => f.FullName, StringComparer.Ordinal)
            .Take(max)
            .Select(f => File.ReadAllBytes(f.FullName))
            .ToList();
    }
}
