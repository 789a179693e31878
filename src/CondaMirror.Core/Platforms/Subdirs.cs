using System.Text.RegularExpressions;
using CondaMirror.Core.Errors;
using CondaMirror.Core.IO;

namespace CondaMirror.Core.Platforms;

/// <summary>Which subdirs a record may name.</summary>
public enum SubdirNaming
{
    /// <summary>Only subdirs conda knows (<see cref="Platforms.Known"/>, including <c>noarch</c>). The default.</summary>
    KnownOnly,

    /// <summary>Also custom subdirs that are a single safe folder name (<c>[a-z0-9][a-z0-9._-]*</c>); the
    /// <c>CondaAllowCustomSubdirs</c> property.</summary>
    AllowCustom,
}

/// <summary>
/// The one check every subdir value goes through where a record enters (a package's info/index.json, upstream
/// repodata records and <c>info.subdir</c>, lock entries and platforms): a subdir becomes a folder of the channel,
/// so it must be a conda platform or <c>noarch</c>, or, when custom subdirs are allowed, a single lower-case folder
/// name. Anything else (<c>/some/dir</c>, <c>../../x</c>, <c>C:</c>, <c>nul</c>) is refused before a path is built.
/// </summary>
public static partial class Subdirs
{
    public const int MaxCustomLength = 64;

    /// <summary>A custom subdir: a single lower-case name with no <c>..</c> that is safe as a folder on every OS.</summary>
    public static bool IsSafeCustom(string? subdir) =>
        subdir is not null && subdir.Length <= MaxCustomLength && CustomSubdir().IsMatch(subdir) && SafePath.IsPlainSegment(subdir);

    /// <summary>True when <paramref name="subdir"/> may be published under <paramref name="policy"/>.</summary>
    public static bool IsAllowed(string? subdir, SubdirNaming policy) =>
        Platforms.IsKnown(subdir) || (policy == SubdirNaming.AllowCustom && IsSafeCustom(subdir));

    /// <summary>
    /// Returns <paramref name="subdir"/> when it may be published, else throws CMIR120 (not a safe folder name: never
    /// allowed) or CMIR121 (a safe name conda does not know, without the opt-in). <paramref name="where"/> names the
    /// record or entry (e.g. <c>package x-1-0.conda</c>, <c>line 12</c>); <paramref name="file"/> is the file it came from.
    /// </summary>
    public static string Validate(string? subdir, SubdirNaming policy, string where, string? file)
    {
        if (IsAllowed(subdir, policy)) return subdir!;
        var shown = subdir is null ? "(none)" : $"'{subdir}'";
        if (!IsSafeCustom(subdir))
            throw new CondaMirrorException(ErrorCodes.SubdirUnsafe,
                $"{where}: subdir {shown} is not a conda platform and not a safe folder name (an absolute path, '..', separators, upper case or a reserved name); " +
                $"it would place files outside the channel. Fix or remove the entry; subdirs are conda platforms such as linux-64 or noarch.", file);
        throw new CondaMirrorException(ErrorCodes.SubdirNotAllowed,
            $"{where}: subdir {shown} is not a conda platform ({string.Join(", ", Platforms.Known)}). " +
            "Fix the entry, or set CondaAllowCustomSubdirs=true to publish custom subdirs.", file);
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]*$")]
    private static partial Regex CustomSubdir();
}
