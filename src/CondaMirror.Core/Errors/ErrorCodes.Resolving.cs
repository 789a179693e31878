namespace CondaMirror.Core.Errors;

public static partial class ErrorCodes
{
    /// <summary>CondaLockedMode is on and the CondaPackage items, channels or platforms no longer match the lock.</summary>
    public const string LockOutOfDate = "CMIR780";

    /// <summary>CondaLockedMode is on and there is no lock file to use.</summary>
    public const string LockMissingInLockedMode = "CMIR781";

    /// <summary>CondaPackage items would overwrite a lock file CondaMirror did not write (e.g. a pixi.lock).</summary>
    public const string LockNotOurs = "CMIR783";

    /// <summary>A CondaPackage, CondaVirtualPackage, CondaPlatforms or CondaLockEnvironment value is not usable.</summary>
    public const string InvalidRequest = "CMIR782";
}
