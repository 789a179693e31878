namespace CondaMirror.Core.Errors;

public static partial class ErrorCodes
{
    /// <summary>The lock file named by CondaLockFile does not exist (raised by the .targets).</summary>
    public const string LockFileNotFound = "CMIR801";

    /// <summary>The build was cancelled while a task ran.</summary>
    public const string BuildCancelled = "CMIR802";

    /// <summary>A property or item has a value the tasks cannot use (e.g. a negative retry count).</summary>
    public const string InvalidBuildSetting = "CMIR803";

    /// <summary>Warning: the lock holds PyPI packages, which a conda channel cannot serve; they are listed and skipped.</summary>
    public const string LockPypiSkipped = "CMIR804";

    /// <summary>An unexpected failure inside a task; a bug to report.</summary>
    public const string InternalError = "CMIR899";
}
