namespace CondaMirror.Core.Records;

/// <summary>
/// A <see cref="PackageRecord"/> plus where its archive lives: the unit that flows through the pipeline
/// (solver output, lock entries, download requests, index input). Same idea as rattler's RepoDataRecord.
/// </summary>
/// <param name="Record">The repodata record (for conda-lock v1 and @EXPLICIT inputs only partially known; see <see cref="HasFullRecord"/>).</param>
/// <param name="Url">Absolute URL (http, https or file) of the archive, without credentials.</param>
/// <param name="FileName">Archive file name, e.g. <c>numpy-1.26.4-py312h1_0.conda</c>.</param>
/// <param name="Channel">Channel base URL the package came from, when known.</param>
public sealed record RepodataRecord(PackageRecord Record, string Url, string FileName, string? Channel = null)
{
    /// <summary>
    /// False when the source (conda-lock v1, @EXPLICIT) lacks fields a channel needs (depends, size, ...):
    /// the indexer then reads info/index.json from the downloaded archive instead.
    /// </summary>
    public bool HasFullRecord { get; init; } = true;

    public string Subdir => Record.Subdir ?? "noarch";

    public override string ToString() => $"{Subdir}/{FileName}";
}
