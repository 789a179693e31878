using System.Text;
using CondaMirror.Core.Archives;
using CondaMirror.Core.Indexing;

namespace CondaMirror.TestKit.Channels;

/// <summary>
/// The same specs as <see cref="ChannelBuilder"/>, written by the project's own code: archives by Core's
/// <see cref="PackageArchiveWriter"/>, the channel by Core's <see cref="ChannelIndexer"/> (every output: repodata.json
/// and .zst, shards, run_exports.json, channeldata.json, index.html, the SBOM). For the sample upstream (which shows
/// the project's writer at work) and for benchmarks (no process per archive). Tests use <see cref="ChannelBuilder"/>:
/// an upstream made by the code under test cannot catch that code's mistakes.
/// </summary>
public sealed class CoreChannelBuilder : ChannelBuilderBase<CoreChannelBuilder>
{
    public override IReadOnlyList<string> WriteTo(string channelDirectory, IEnumerable<string>? extraSubdirs = null)
    {
        var paths = new List<string>();
        var entries = new List<ChannelEntry>();
        foreach (var spec in Packages)
        {
            var path = WritePackage(Path.Combine(channelDirectory, spec.Subdir), spec);
            paths.Add(path);
            entries.Add(ArchiveEntries.FromArchive(path));
        }
        ChannelIndexer.Write(channelDirectory, entries, new IndexOptions { Subdirs = (extraSubdirs ?? Array.Empty<string>()).ToList() });
        return paths;
    }

    /// <summary>Writes one package archive with Core's writer into <paramref name="directory"/> and returns its path.</summary>
    public static string WritePackage(string directory, PackageSpec spec)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, spec.FileName);
        var files = spec.PayloadFiles().Select(f => new PackageFileEntry(f.Path, f.Content)).Concat(spec.Files).ToList();
        if (spec.AboutJson is not null) files.Add(new("info/about.json", Encoding.UTF8.GetBytes(spec.AboutJson)));
        if (spec.RunExportsJson is not null) files.Add(new("info/run_exports.json", Encoding.UTF8.GetBytes(spec.RunExportsJson)));
        if (spec.LinkJson is not null) files.Add(new("info/link.json", Encoding.UTF8.GetBytes(spec.LinkJson)));
        PackageArchiveWriter.Write(path, spec.ToIndexRecord(), files);
        return path;
    }
}
