using CondaMirror.Core.Diagnostics;
using CondaMirror.Core.Locks;
using CondaMirror.Core.Platforms;
using Microsoft.Build.Framework;

namespace CondaMirror.MSBuild;

/// <summary>
/// Download and index both read the lock in one build; a large pixi.lock takes the better part of a second to
/// parse, so the parsed lock is shared through MSBuild's task-object cache for the duration of the build, keyed by
/// path, environment, size and write time (an edited lock is parsed again).
/// </summary>
internal static class LockFileCache
{
    /// <summary>
    /// The build's locks as one: <paramref name="lockFile"/> (CondaLockFile, when given) and each CondaLock item, each
    /// read with its own Environment metadata (else <paramref name="environment"/>), joined by <see cref="LockUnion"/>.
    /// </summary>
    public static LockFile ReadUnion(IBuildEngine engine, string? lockFile, IReadOnlyList<ITaskItem> locks, string environment,
        IMirrorLog log, SubdirNaming subdirs)
    {
        var fallback = Core.Settings.BuildSettingChecks.Environment(environment);
        var read = new List<LockFile>();
        if (!string.IsNullOrWhiteSpace(lockFile)) read.Add(Read(engine, lockFile, fallback, log, subdirs));
        foreach (var item in locks)
        {
            var own = item.GetMetadata("Environment");
            read.Add(Read(engine, item.GetMetadata("FullPath"),
                string.IsNullOrWhiteSpace(own) ? fallback : Core.Settings.BuildSettingChecks.Environment(own), log, subdirs));
        }
        if (read.Count == 0)
            throw new Core.Errors.CondaMirrorException(Core.Errors.ErrorCodes.LockFileUnreadable,
                "no lock to read: set CondaLockFile or add CondaLock items.");
        return LockUnion.Combine(read);
    }

    public static LockFile Read(IBuildEngine engine, string path, string environment, IMirrorLog log, SubdirNaming subdirs = SubdirNaming.KnownOnly)
    {
        var info = new FileInfo(path);
        var key = info.Exists
            ? $"CondaMirror.Lock|{info.FullName}|{environment}|{info.Length}|{info.LastWriteTimeUtc.Ticks}|{subdirs}"
            : null;
        var cache = engine as IBuildEngine4;
        if (key is not null && cache?.GetRegisteredTaskObject(key, RegisteredTaskObjectLifetime.Build) is LockFile cached)
            return cached;
        var lockFile = LockFileReader.Read(path, environment, log, subdirs);
        if (key is not null)
            cache?.RegisterTaskObject(key, lockFile, RegisteredTaskObjectLifetime.Build, allowEarlyCollection: true);
        return lockFile;
    }
}
