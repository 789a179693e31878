using System.Globalization;
using CondaMirror.Core.Channels;
using CondaMirror.Core.Errors;

namespace CondaMirror.Core.Subsets;

/// <summary>
/// One CondaChannelSubset item: which channel and subdirs, which records (<see cref="SubsetFilter"/>), the newest
/// <see cref="LatestVersions"/> versions per name, the dependency closure, and the largest selection it may make.
/// </summary>
public sealed record SubsetRule(string Item, ChannelSource Channel, IReadOnlyList<string> Platforms, SubsetFilter Filter)
{
    /// <summary>Keep only the newest N versions of each name per subdir (all their builds); null keeps every version.</summary>
    public int? LatestVersions { get; init; }

    /// <summary>Add every record matching each depends spec of the kept records, transitively, from the same channel and platforms.</summary>
    public bool WithDependencies { get; init; }

    /// <summary>MaxSizeGB in bytes (1 GB = 10^9 bytes); a larger selection is refused before any package is requested.</summary>
    public long MaxBytes { get; init; } = DefaultMaxBytes;

    public const long DefaultMaxBytes = 50_000_000_000;

    /// <summary>LatestVersions metadata: empty for every version, else a whole number ≥ 1.</summary>
    public static int? ParseLatestVersions(string? text, string where)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        if (!int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1)
            throw new CondaMirrorException(ErrorCodes.SubsetSettingInvalid,
                $"{where}: LatestVersions must be a whole number of at least 1 (got '{text}'); leave it out to keep every version.");
        return n;
    }

    /// <summary>WithDependencies metadata: empty, true or false.</summary>
    public static bool ParseWithDependencies(string? text, string where)
    {
        if (string.IsNullOrWhiteSpace(text)) return false;
        if (bool.TryParse(text.Trim(), out var value)) return value;
        throw new CondaMirrorException(ErrorCodes.SubsetSettingInvalid,
            $"{where}: WithDependencies must be true or false (got '{text}').");
    }

    /// <summary>MaxSizeGB metadata: empty for 50, else a positive number of GB (decimals allowed, '.' as the separator).</summary>
    public static long ParseMaxBytes(string? text, string where)
    {
        if (string.IsNullOrWhiteSpace(text)) return DefaultMaxBytes;
        if (!decimal.TryParse(text.Trim(), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var gb) || gb <= 0 || gb > 1_000_000_000m)
            throw new CondaMirrorException(ErrorCodes.SubsetSettingInvalid,
                $"{where}: MaxSizeGB must be a positive number of gigabytes such as 50 or 0.5 (got '{text}').");
        return (long)Math.Ceiling(gb * 1_000_000_000m);
    }
}
