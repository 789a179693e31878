using CondaMirror.Core.Errors;
using CondaMirror.Core.IO;

namespace CondaMirror.Core.Records;

/// <summary>The two conda archive formats (CEP 35 .conda and the legacy .tar.bz2).</summary>
public enum ArchiveFormat
{
    Conda,
    TarBz2,
}

/// <summary>
/// A package file name "name-version-build.ext". Name may contain dashes; version and build may not,
/// so the split is on the last two dashes (what conda and rattler do).
/// </summary>
public readonly record struct ArchiveFileName(string Name, string Version, string Build, ArchiveFormat Format)
{
    public string Stem => $"{Name}-{Version}-{Build}";
    public string Extension => Format == ArchiveFormat.Conda ? ".conda" : ".tar.bz2";
    public override string ToString() => Stem + Extension;

    public static bool TryGetFormat(string fileName, out ArchiveFormat format)
    {
        if (fileName.EndsWith(".conda", StringComparison.Ordinal)) { format = ArchiveFormat.Conda; return true; }
        if (fileName.EndsWith(".tar.bz2", StringComparison.Ordinal)) { format = ArchiveFormat.TarBz2; return true; }
        format = default;
        return false;
    }

    public static bool TryParse(string fileName, out ArchiveFileName result)
    {
        result = default;
        var name = Path.GetFileName(fileName);
        if (!TryGetFormat(name, out var format)) return false;
        var stem = name[..^(format == ArchiveFormat.Conda ? ".conda".Length : ".tar.bz2".Length)];
        var lastDash = stem.LastIndexOf('-');
        if (lastDash <= 0) return false;
        var secondDash = stem.LastIndexOf('-', lastDash - 1);
        if (secondDash <= 0) return false;
        result = new ArchiveFileName(stem[..secondDash], stem[(secondDash + 1)..lastDash], stem[(lastDash + 1)..], format);
        return result.Name.Length > 0 && result.Version.Length > 0 && result.Build.Length > 0;
    }

    /// <summary>
    /// Returns <paramref name="fileName"/> when it is a single safe file name (<see cref="SafePath.IsPlainSegment"/>),
    /// else throws CMIR122. File names from records and locks (<c>fn</c>, a URL's last segment) become paths in the
    /// package cache and the channel, so a name with a separator or <c>..</c> is refused where it enters.
    /// </summary>
    public static string ValidateSafe(string? fileName, string where, string? file)
    {
        if (SafePath.IsPlainSegment(fileName)) return fileName!;
        throw new CondaMirrorException(ErrorCodes.PackageFileNameUnsafe,
            $"{where}: package file name '{fileName}' is not a plain file name (it is empty or holds a path separator, '..', a drive colon or a reserved name); " +
            "it would place files outside the channel. Fix or remove the entry.", file);
    }
}
