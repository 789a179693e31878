using System.Text.Json;
using CondaMirror.Core.Records;

namespace CondaMirror.Core.Indexing;

/// <summary>
/// One archive to publish: its final repodata record and file name, and where to take the bytes from.
/// <paramref name="SourceFile"/> is null when the archive is already in place in the channel (downloads put it there).
/// </summary>
public sealed record ChannelEntry(PackageRecord Record, string FileName, string? SourceFile = null)
{
    public string Subdir => Record.Subdir!;

    /// <summary>The archive's info/about.json fields, when read (null: not read yet, or the package has none).</summary>
    public PackageAbout? About { get; init; }

    /// <summary>The archive's run_exports (CEP 12) as an object; null when not read yet.</summary>
    public JsonElement? RunExports { get; init; }

    /// <summary>Where the archive came from upstream (a lock's URL), for the SBOM; null for local package files.</summary>
    public string? Url { get; init; }

    /// <summary>The upstream channel's base URL, when known.</summary>
    public string? Channel { get; init; }

    /// <summary>
    /// The record's JSON exactly as upstream's repodata served it (a channel subset), written to repodata.json as is, so
    /// patched fields and keys this project does not know survive; null: <see cref="Record"/> is written.
    /// </summary>
    public byte[]? RawJson { get; init; }

    /// <summary>True once <see cref="About"/> and <see cref="RunExports"/> hold what the archive says.</summary>
    public bool HasMetadata => RunExports is not null;
}
