namespace CondaMirror.Core.Errors;

/// <summary>46x–47x: the PyPI half of a lock, mirrored as a static simple repository (PEP 503/691).</summary>
public static partial class ErrorCodes
{
    /// <summary>Warning: PyPI entries that are not wheels (source distributions, local folders, editable and git entries) are not mirrored; one warning names each.</summary>
    public const string PypiNotMirrored = "CMIR460";

    /// <summary>A wheel's URL does not end in a valid wheel file name (or one whose name part is another project's), so it cannot be placed.</summary>
    public const string PypiFileNameInvalid = "CMIR461";

    /// <summary>Warning: wheels the lock gives no sha256 for; they are mirrored, but nothing proves their bytes (md5 is checked when present).</summary>
    public const string PypiUnverified = "CMIR462";

    /// <summary>The simple repository (files, pages, stamp) could not be written (permissions, disk full).</summary>
    public const string PypiWriteFailed = "CMIR463";

    /// <summary>Two locked wheels share a file name but not their content, so one folder cannot serve both.</summary>
    public const string PypiFileConflict = "CMIR464";

    /// <summary>A CondaPyPIIndex item is not an absolute http(s) URL.</summary>
    public const string PypiIndexInvalid = "CMIR465";

    /// <summary>Warning: wheels whose core metadata cannot be served beside them (PEP 658): not a readable zip, no or several .dist-info/METADATA, too large, or another project's.</summary>
    public const string PypiMetadataUnavailable = "CMIR466";
}
