namespace CondaMirror.Core.Environments;

/// <summary>A value of an environment file and the line it is on (1-based), so errors can point at it.</summary>
public sealed record EnvironmentEntry(string Value, int Line);

/// <summary>A top-level key the build does not use; <see cref="Known"/> for conda's own (prefix, variables).</summary>
public sealed record IgnoredEnvironmentKey(string Key, int Line, bool Known);

/// <summary>
/// conda's environment.yml as the build uses it: the MatchSpecs to solve and the channels to solve them against.
/// </summary>
/// <param name="Path">The file, for messages.</param>
/// <param name="Name">The <c>name:</c> key; informational (the lock environment is CondaLockEnvironment).</param>
/// <param name="Channels">The <c>channels:</c> list in priority order (names or URLs), then the channels that
/// <c>channel::name</c> dependencies name and the list lacks; <c>nodefaults</c> removed.</param>
/// <param name="Dependencies">Every conda dependency, a MatchSpec as written.</param>
/// <param name="PipEntries">The <c>pip:</c> sub-list: not mirrored.</param>
/// <param name="PipLine">The line of the first <c>pip:</c> key, 0 when there is none.</param>
/// <param name="IgnoredKeys">Top-level keys that choose no package.</param>
public sealed record EnvironmentFile(
    string Path,
    string? Name,
    IReadOnlyList<EnvironmentEntry> Channels,
    IReadOnlyList<EnvironmentEntry> Dependencies,
    IReadOnlyList<string> PipEntries,
    int PipLine,
    IReadOnlyList<IgnoredEnvironmentKey> IgnoredKeys);
