using System.Text.Json;
using CondaMirror.Core.Records;

namespace CondaMirror.Core.Archives;

/// <summary>Which <c>info/</c> files <see cref="PackageArchive.ReadInfo(string, InfoMembers, CancellationToken)"/> reads.
/// <c>info/index.json</c> is always read: it is what makes a file a package.</summary>
[Flags]
public enum InfoMembers
{
    IndexJson = 1,
    About = 2,
    RunExports = 4,
    Paths = 8,
    All = IndexJson | About | RunExports | Paths,

    /// <summary>
    /// In a .tar.bz2, stop at the first member outside <c>info/</c> that follows <c>info/index.json</c>: conda-build,
    /// conda-package-handling and rattler-build write <c>info/</c> first, so optional files not seen by then are absent,
    /// and the payload need not be decompressed to find that out. Not part of <see cref="All"/>: callers that must see
    /// every member (or verify the whole stream) read on.
    /// </summary>
    StopAtPayload = 16,
}

/// <summary>The metadata read from a package's <c>info/</c> folder.</summary>
public sealed class PackageInfo
{
    public PackageInfo(PackageRecord index, byte[] indexJsonBytes, ArchiveFormat format)
    {
        Index = index;
        IndexJsonBytes = indexJsonBytes;
        Format = format;
    }

    /// <summary><c>info/index.json</c>, parsed with <see cref="PackageRecordJson"/>.</summary>
    public PackageRecord Index { get; }

    /// <summary>The exact bytes of <c>info/index.json</c> (for hashing or republishing verbatim).</summary>
    public byte[] IndexJsonBytes { get; }

    /// <summary><c>info/about.json</c>, when requested and present.</summary>
    public JsonElement? About { get; init; }

    /// <summary><c>info/run_exports.json</c>, when requested and present.</summary>
    public JsonElement? RunExports { get; init; }

    /// <summary><c>info/paths.json</c>, when requested and present.</summary>
    public JsonElement? Paths { get; init; }

    public ArchiveFormat Format { get; }
}
