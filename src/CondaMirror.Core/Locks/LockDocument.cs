using CondaMirror.Core.Records;

namespace CondaMirror.Core.Locks;

/// <summary>
/// What <see cref="PixiLockWriter"/> writes: environments, each with its channels and per-platform packages.
/// Re-solve metadata (input hashes) deliberately lives outside the lock, in a sidecar file owned by the resolve
/// step: rattler ignores unknown keys today, but nothing promises that, and pixi would drop them on its next write.
/// </summary>
public sealed class LockDocument
{
    /// <summary>Environment name → content; written in ordinal name order.</summary>
    public SortedDictionary<string, LockEnvironment> Environments { get; } = new(StringComparer.Ordinal);

    /// <summary>Returns the environment, creating it (with these channels) if needed.</summary>
    public LockEnvironment Environment(string name, IEnumerable<string>? channels = null)
    {
        if (!Environments.TryGetValue(name, out var env))
        {
            Environments[name] = env = new LockEnvironment();
            if (channels is not null) env.Channels.AddRange(channels);
        }
        return env;
    }

    /// <summary>A one-environment document from a parsed lock (e.g. to convert conda-lock or @EXPLICIT to pixi.lock).</summary>
    public static LockDocument FromLockFile(LockFile lockFile, string environment = "default")
    {
        var doc = new LockDocument();
        var env = doc.Environment(environment, lockFile.Channels);
        foreach (var (platform, records) in lockFile.PackagesByPlatform)
            env.AddRange(platform, records);
        return doc;
    }
}

/// <summary>One environment: channels in priority order and, per target platform, the conda packages it installs.</summary>
public sealed class LockEnvironment
{
    public List<string> Channels { get; } = new();

    /// <summary>Platform (a conda subdir such as linux-64) → packages, noarch ones included under each platform.</summary>
    public SortedDictionary<string, List<RepodataRecord>> Packages { get; } = new(StringComparer.Ordinal);

    public void Add(string platform, RepodataRecord record) => ListFor(platform).Add(record);

    public void AddRange(string platform, IEnumerable<RepodataRecord> records) => ListFor(platform).AddRange(records);

    private List<RepodataRecord> ListFor(string platform)
    {
        if (!Packages.TryGetValue(platform, out var list)) Packages[platform] = list = new List<RepodataRecord>();
        return list;
    }
}
