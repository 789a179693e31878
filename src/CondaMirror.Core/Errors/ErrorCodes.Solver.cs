namespace CondaMirror.Core.Errors;

public static partial class ErrorCodes
{
    /// <summary>A requested package name is in none of the channels.</summary>
    public const string SolverUnknownPackage = "CMIR701";

    /// <summary>The name exists, but no record of it matches the requested spec.</summary>
    public const string SolverNoMatchingVersion = "CMIR702";

    /// <summary>The requested specs cannot be installed together (explanation tree in the message).</summary>
    public const string SolverConflict = "CMIR703";

    /// <summary>A requested spec is not a valid MatchSpec.</summary>
    public const string SolverInvalidSpec = "CMIR704";

    /// <summary>A virtual package override (e.g. __glibc=2.17) is malformed.</summary>
    public const string SolverInvalidVirtualPackage = "CMIR705";

    /// <summary>A requested package exists in the channels, but the package policy (CondaExclude, CondaAllowLicense) excludes every record of it.</summary>
    public const string SolverExcludedByPolicy = "CMIR710";
}
