namespace CondaMirror.Core.Locks;

/// <summary>The lock file formats users hand us.</summary>
public enum LockFileFormat
{
    /// <summary>pixi.lock / rattler lock (v4–v7; legacy v2/v3 as well).</summary>
    PixiLock,

    /// <summary>conda-lock's unified <c>conda-lock.yml</c>, <c>version: 1</c>.</summary>
    CondaLockV1,

    /// <summary>A conda <c>@EXPLICIT</c> text file (conda list --explicit, conda-lock's per-platform .lock files).</summary>
    Explicit,
}
