using CondaMirror.Core.Records;
using CondaMirror.Core.Versions;

namespace CondaMirror.Core.Solving;

/// <summary>One record the solver may pick, with what the preference order needs precomputed.</summary>
internal sealed class Candidate
{
    public Candidate(RepodataRecord record, CondaVersion version, bool isVirtual)
    {
        Record = record;
        Version = version;
        IsVirtual = isVirtual;
        TrackFeatureCount = record.Record.TrackFeatureNames.Count();
        IsCondaFormat = record.FileName.EndsWith(".conda", StringComparison.Ordinal);
    }

    public RepodataRecord Record { get; }
    public PackageRecord Package => Record.Record;
    public string Name => Record.Record.Name;
    public CondaVersion Version { get; }
    public bool IsVirtual { get; }
    public bool IsLocked { get; set; }
    public int TrackFeatureCount { get; }
    public bool IsCondaFormat { get; }

    /// <summary>
    /// conda's preference among builds of one name: the locked record first, then fewest track_features,
    /// highest version, then (for builds of the same version) the one whose dependencies allow newer versions
    /// (so pandas' py312 build beats its py39 build, as in rattler), highest build number, newest timestamp,
    /// .conda before .tar.bz2 of the same stem; the file name and subdir settle the rest so the order never
    /// depends on input order.
    /// </summary>
    public static int ComparePreference(Candidate a, Candidate b, Func<Candidate, Candidate, int>? compareDependencies = null)
    {
        int c;
        if ((c = b.IsLocked.CompareTo(a.IsLocked)) != 0) return c;
        if ((c = a.TrackFeatureCount.CompareTo(b.TrackFeatureCount)) != 0) return c;
        if ((c = b.Version.CompareTo(a.Version)) != 0) return c;
        if (compareDependencies is not null && (c = compareDependencies(a, b)) != 0) return c;
        if ((c = b.Package.BuildNumber.CompareTo(a.Package.BuildNumber)) != 0) return c;
        if ((c = (b.Package.Timestamp ?? 0).CompareTo(a.Package.Timestamp ?? 0)) != 0) return c;
        if ((c = b.IsCondaFormat.CompareTo(a.IsCondaFormat)) != 0) return c;
        if ((c = string.CompareOrdinal(a.Record.FileName, b.Record.FileName)) != 0) return c;
        return string.CompareOrdinal(a.Record.Subdir, b.Record.Subdir);
    }
}
