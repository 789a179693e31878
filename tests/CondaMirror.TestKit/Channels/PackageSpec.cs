using CondaMirror.Core.Records;

namespace CondaMirror.TestKit.Channels;

/// <summary>
/// One package to generate: its repodata fields, optional info files, and a deterministic payload. Both writers take
/// it: <see cref="ChannelBuilder"/> (independent of the project's code, for tests) and <see cref="CoreChannelBuilder"/>
/// (the project's own writer, for samples and benchmarks).
/// </summary>
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

    /// <summary>The zstd level of a .conda's two tarballs (conda-package-handling writes 19; benchmarks generating
    /// hundreds of megabytes use less, which changes the ratio a little and the decompression work hardly at all).</summary>
    public int ZstdLevel { get; init; } = 19;

    /// <summary>Files installed into the prefix besides <c>share/&lt;name&gt;/README.txt</c> and the payload (paths as in the
    /// archive: <c>site-packages/...</c> for a noarch: python package); listed in info/paths.json like every member.</summary>
    public IReadOnlyList<Core.Archives.PackageFileEntry> Files { get; init; } = Array.Empty<Core.Archives.PackageFileEntry>();

    public string FileName => $"{Name}-{Version}-{Build}{(Format == ArchiveFormat.Conda ? ".conda" : ".tar.bz2")}";

    /// <summary>The noarch value written: as given, else "generic" in the noarch subdir, else none.</summary>
    public string? EffectiveNoarch => Noarch ?? (Subdir == "noarch" ? "generic" : null);

    /// <summary>The record as Core models it (for the project's own writer, and for tests comparing with Core's reading).</summary>
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
        Noarch = EffectiveNoarch,
        License = License,
        Timestamp = Timestamp,
    };

    /// <summary>The payload files (paths relative to the prefix): a README naming the package, and <see cref="PayloadBytes"/> of seeded random bytes.</summary>
    public IReadOnlyList<(string Path, byte[] Content)> PayloadFiles()
    {
        var files = new List<(string, byte[])>
        {
            ($"share/{Name}/README.txt", System.Text.Encoding.UTF8.GetBytes($"{Name} {Version} ({Build}) for {Subdir}\n")),
        };
        if (PayloadBytes > 0)
        {
            var bytes = new byte[PayloadBytes];
            // Seeded from the file name with a stable hash (string.GetHashCode is randomised per process).
            var seed = BitConverter.ToInt32(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(FileName)));
            new Random(seed).NextBytes(bytes);
            files.Add(($"share/{Name}/payload.bin", bytes));
        }
        return files;
    }

    private static long ParseBuildNumber(string build)
    {
        var i = build.Length;
        while (i > 0 && char.IsAsciiDigit(build[i - 1])) i--;
        return i < build.Length && long.TryParse(build[i..], out var n) ? n : 0;
    }
}
