namespace CondaMirror.Core.Errors;

/// <summary>
/// Stable error codes, grouped by concept so that each area owns a range:
/// 1xx conda semantics, 2xx archives and zstd, 3xx indexing (35x bundles, 36x–37x publishing), 4xx lock files, 5xx downloads and cache,
/// 6xx channels and repodata, 7xx solving, 8xx build configuration. docs/errors.md lists them all.
/// Codes are never reused for a different meaning.
/// </summary>
public static partial class ErrorCodes
{
    public const string Prefix = "CMIR";
}
