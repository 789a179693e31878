using CondaMirror.Core.Records;

namespace CondaMirror.TestKit.Channels;

/// <summary>The package specs of a channel to generate; the writers differ in who writes the bytes.</summary>
public abstract class ChannelBuilderBase<TSelf> where TSelf : ChannelBuilderBase<TSelf>
{
    private readonly List<PackageSpec> _packages = new();

    public TSelf Add(PackageSpec spec)
    {
        _packages.Add(spec);
        return (TSelf)this;
    }

    public TSelf Add(string name, string version, string build = "0", string subdir = "noarch", params string[] depends) =>
        Add(new PackageSpec(name, version, build, subdir) { Depends = depends });

    public IReadOnlyList<PackageSpec> Packages => _packages;

    /// <summary>
    /// Writes every archive into <c>&lt;dir&gt;/&lt;subdir&gt;/</c> and a repodata.json into every subdir of a package,
    /// every one of <paramref name="extraSubdirs"/>, and noarch. Returns the archive paths in the order added.
    /// </summary>
    public abstract IReadOnlyList<string> WriteTo(string channelDirectory, IEnumerable<string>? extraSubdirs = null);
}

/// <summary>
/// The upstream channel of tests: real archives and repodata from package specs, written by an independent writer
/// (<see cref="IndependentPackageWriter"/>: System.Formats.Tar, Debian's zstd and bzip2, System.IO.Compression;
/// <see cref="IndependentRepodataWriter"/>), never by the project's PackageArchiveWriter or ChannelIndexer, so an
/// end-to-end test catches a mistake in either. Each subdir gets repodata.json and repodata.json.zst, as a
/// conda-index channel has; nothing else (no shards, run_exports.json or channeldata.json: add them in the test
/// that needs them). Deterministic: same specs, same bytes. Compression results are cached (<see cref="ExternalCodec"/>).
/// </summary>
public sealed class ChannelBuilder : ChannelBuilderBase<ChannelBuilder>
{
    public override IReadOnlyList<string> WriteTo(string channelDirectory, IEnumerable<string>? extraSubdirs = null) =>
        FixtureStats.Time(() => Write(channelDirectory, extraSubdirs));

    private IReadOnlyList<string> Write(string channelDirectory, IEnumerable<string>? extraSubdirs)
    {
        var paths = new List<string>();
        var archives = new List<IndexedArchive>();
        foreach (var spec in Packages)
        {
            var bytes = IndependentPackageWriter.Bytes(spec);
            var directory = Path.Combine(channelDirectory, spec.Subdir);
            Directory.CreateDirectory(directory);
            var path = Path.Combine(directory, spec.FileName);
            File.WriteAllBytes(path, bytes);
            paths.Add(path);
            archives.Add(IndexedArchive.Of(spec.Subdir, spec.FileName, bytes, IndependentPackageWriter.IndexJson(spec)));
        }
        IndependentRepodataWriter.Write(channelDirectory, archives, extraSubdirs ?? Array.Empty<string>());
        return paths;
    }

    /// <summary>
    /// As <see cref="WriteTo"/> for channels too large to hold in memory: package <c>i</c>'s spec is made by
    /// <paramref name="spec"/> only when it is written, <paramref name="parallelism"/> at a time, and only its hashes
    /// are kept for the repodata. Returns the archive paths in index order.
    /// </summary>
    public static IReadOnlyList<string> WriteStreaming(string channelDirectory, int count, Func<int, PackageSpec> spec, int parallelism) =>
        FixtureStats.Time(() =>
        {
            var paths = new string[count];
            var archives = new IndexedArchive[count];
            Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parallelism) }, i =>
            {
                var package = spec(i);
                var bytes = IndependentPackageWriter.Bytes(package);
                var directory = Path.Combine(channelDirectory, package.Subdir);
                Directory.CreateDirectory(directory);
                paths[i] = Path.Combine(directory, package.FileName);
                File.WriteAllBytes(paths[i], bytes);
                archives[i] = IndexedArchive.Of(package.Subdir, package.FileName, bytes, IndependentPackageWriter.IndexJson(package));
            });
            IndependentRepodataWriter.Write(channelDirectory, archives, Array.Empty<string>());
            return (IReadOnlyList<string>)paths;
        });

    /// <summary>Writes one package archive (independent writer) into <paramref name="directory"/> and returns its path.</summary>
    public static string WritePackage(string directory, PackageSpec spec) => FixtureStats.Time(() => IndependentPackageWriter.Write(directory, spec));
}
