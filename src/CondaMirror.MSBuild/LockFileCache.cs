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
