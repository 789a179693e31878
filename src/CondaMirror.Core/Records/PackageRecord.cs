using System.Text.Json;

namespace CondaMirror.Core.Records;

/// <summary>
/// One repodata record (CEP 36 / rattler's PackageRecord): the metadata a channel publishes for one archive.
/// Well-known fields are typed; every other key is kept verbatim in <see cref="Extra"/> so that records taken
/// from upstream repodata or a lock file are republished without losing anything (purls, run_exports, ...).
/// </summary>
public sealed class PackageRecord
{
    public string Name { get; set; } = "";
    public string Version { get; set; } = "";
    public string Build { get; set; } = "";
    public long BuildNumber { get; set; }
    public string? Subdir { get; set; }
    public List<string> Depends { get; set; } = new();
    public List<string> Constrains { get; set; } = new();

    /// <summary>"generic" or "python"; null when the package is not noarch (never the empty string).</summary>
    public string? Noarch { get; set; }

    public string? License { get; set; }
    public string? LicenseFamily { get; set; }
    public string? Md5 { get; set; }
    public string? Sha256 { get; set; }

    /// <summary>Archive size in bytes. conda crashes on records without it, so the indexer always fills it.</summary>
    public long? Size { get; set; }

    /// <summary>Milliseconds since the epoch, as written by current tools (kept as read).</summary>
    public long? Timestamp { get; set; }

    /// <summary>Space-separated feature names, as repodata stores them.</summary>
    public string? TrackFeatures { get; set; }

    public string? Features { get; set; }
    public string? Arch { get; set; }
    public string? Platform { get; set; }

    /// <summary>Keys this type does not model, kept verbatim and re-emitted in sorted order.</summary>
    public SortedDictionary<string, JsonElement> Extra { get; set; } = new(StringComparer.Ordinal);

    /// <summary>name-version-build, the archive stem.</summary>
    public string Stem => $"{Name}-{Version}-{Build}";

    public IEnumerable<string> TrackFeatureNames =>
        string.IsNullOrWhiteSpace(TrackFeatures)
            ? Array.Empty<string>()
            : TrackFeatures.Split(new[] { ' ', ',' }, StringSplitOptions.RemoveEmptyEntries);

    public PackageRecord Clone()
    {
        var copy = (PackageRecord)MemberwiseClone();
        copy.Depends = new List<string>(Depends);
        copy.Constrains = new List<string>(Constrains);
        copy.Extra = new SortedDictionary<string, JsonElement>(Extra, StringComparer.Ordinal);
        return copy;
    }

    public override string ToString() => Subdir is null ? Stem : $"{Subdir}/{Stem}";
}
