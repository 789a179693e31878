using CondaMirror.Core.Records;

namespace CondaMirror.Core.Indexing;

/// <summary>
/// One archive to publish: its final repodata record and file name, and where to take the bytes from.
/// <paramref name="SourceFile"/> is null when the archive is already in place in the channel (downloads put it there).
/// </summary>
public sealed record ChannelEntry(PackageRecord Record, string FileName, string? SourceFile = null)
{
    public string Subdir => Record.Subdir!;
}
