using System.Text;
using CondaMirror.Core.Archives;
using CondaMirror.Core.Indexing;
using CondaMirror.Core.Records;

namespace CondaMirror.TestKit.Channels;

/// <summary>One package to generate: real archive bytes, written with Core's package writer.</summary>
public sealed record PackageSpec(string Name, string Version, string Build = "0", string Subdir = "noarch")
{
    public long BuildNumber { get; init; } = ParseBuildNumber(Build);
    public IReadOnlyList<string> Depends { get; init; } = Array.Empty<string>();
    public IReadOnlyList<string> Constrains { get; init; } = Array.Empty<string>();
    public string? TrackFeatures { get; init; }
    public string? Noarch { get; init; }
    public ArchiveFormat Format { get; init; } = ArchiveFormat.Conda;
    public long Timestamp { get; init; } = 1_700_000_000_000;
    public string License { get; init; } = "MIT";

    /// <summary>info/about.json verbatim; null for the writer's default (license and a summary).</summary>
    public string? AboutJson { get; init; }

    /// <summary>info/run_exports.json verbatim; null for none.</summary>
    public string? RunExportsJson { get; init; }

    /// <summary>info/link.json verbatim (conda reads a noarch: python package's entry points from it, and compiles
    /// its modules only when it is present); null for none.</summary>
    public string? LinkJson { get; init; }

    /// <summary>Approximate payload size; a deterministic pseudo-random file of this many bytes is included.</summary>
    public int PayloadBytes { get; init; } = 256;

    /// <summary>Files installed into the prefix besides <c>share/&lt;name&gt;/README.txt</c> and the payload (paths as in the
    /// archive: <c>site-packages/...</c> for a noarch: python package); listed in info/paths.json like every member.</summary>
    public IReadOnlyList<PackageFileEntry> Files { get; init; } = Array.Empty<PackageFileEntry>();

    public string FileName => $"{Name}-{Version}-{Build}{(Format == ArchiveFormat.Conda ? ".conda" : ".tar.bz2")}";

    public PackageRecord ToIndexRecord() => new()
    {
        Name = Name,
        Version = Version,
        Build = Build,
        BuildNumber = BuildNumber,
        Subdir = Subdir,
        Depends = Depends.ToList(),
        Constrains = Constrains.ToList(),
        TrackFeatures = TrackFeatures,
        Noarch = Noarch ?? (Subdir == "noarch" ? "generic" : null),
        License = License,
        Timestamp = Timestamp,
    };

    private static long ParseBuildNumber(string build)
    {
        var i = build.Length;
        while (i > 0 && char.IsAsciiDigit(build[i - 1])) i--;
        return i < build.Length && long.TryParse(build[i..], out var n) ? n : 0;
    }
}

/// <summary>
/// Generates a real conda channel (archives + repodata.json per subdir) from package specs: the upstream channel
/// of tests and samples. Deterministic: same specs, same bytes.
/// </summary>
public sealed class ChannelBuilder
{
    private readonly List<PackageSpec> _packages = new();

    public ChannelBuilder Add(PackageSpec spec) { _packages.Add(spec); return this; }

    public ChannelBuilder Add(string name, string version, string build = "0", string subdir = "noarch", params string[] depends) =>
        Add(new PackageSpec(name, version, build, subdir) { Depends = depends });

    public IReadOnlyList<PackageSpec> Packages => _packages;

    /// <summary>Writes every archive into <c>&lt;dir&gt;/&lt;subdir&gt;/</c> and indexes the folder. Returns the archive paths.</summary>
    public IReadOnlyList<string> WriteTo(string channelDirectory, IEnumerable<string>? extraSubdirs = null)
    {
        var paths = new List<string>();
        var entries = new List<ChannelEntry>();
        foreach (var spec in _packages)
        {
            var path = WritePackage(Path.Combine(channelDirectory, spec.Subdir), spec);
            paths.Add(path);
            entries.Add(ArchiveEntries.FromArchive(path));
        }
        ChannelIndexer.Write(channelDirectory, entries, new IndexOptions { Subdirs = (extraSubdirs ?? Array.Empty<string>()).ToList() });
        return paths;
    }

    /// <summary>Writes one package archive into <paramref name="directory"/> and returns its path.</summary>
    public static string WritePackage(string directory, PackageSpec spec)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, spec.FileName);
        var files = new List<PackageFileEntry>
        {
            new($"share/{spec.Name}/README.txt", Encoding.UTF8.GetBytes($"{spec.Name} {spec.Version} ({spec.Build}) for {spec.Subdir}\n")),
        };
        if (spec.PayloadBytes > 0) files.Add(new($"share/{spec.Name}/payload.bin", Payload(spec)));
        files.AddRange(spec.Files);
        if (spec.AboutJson is not null) files.Add(new("info/about.json", Encoding.UTF8.GetBytes(spec.AboutJson)));
        if (spec.RunExportsJson is not null) files.Add(new("info/run_exports.json", Encoding.UTF8.GetBytes(spec.RunExportsJson)));
        if (spec.LinkJson is not null) files.Add(new("info/link.json", Encoding.UTF8.GetBytes(spec.LinkJson)));
        PackageArchiveWriter.Write(path, spec.ToIndexRecord(), files);
        return path;
    }

    private static byte[] Payload(PackageSpec spec)
    {
        var bytes = new byte[spec.PayloadBytes];
        // Seeded from the file name with a stable hash (string.GetHashCode is randomised per process).
        var seed = BitConverter.ToInt32(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(spec.FileName)));
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
