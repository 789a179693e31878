using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using CondaMirror.Core.Diagnostics;
using CondaMirror.Core.Errors;
using CondaMirror.Core.IO;
using CondaMirror.Core.Locks;
using CondaMirror.Core.Records;
using CondaMirror.Core.Repodata;
using CondaMirror.Core.Solving;

namespace CondaMirror.Core.Resolving;

/// <summary>What a resolve did: nothing (inputs unchanged), or a new lock with per-platform changes.</summary>
public sealed record ResolveOutcome(bool UpToDate, bool LockWritten, IReadOnlyList<PlatformChange> Changes);

/// <param name="VariantsChanged">Same name and version, another build (blas openblas → mkl), or the same build from elsewhere.</param>
public sealed record PlatformChange(string Platform, int Total, int Added, int Upgraded, int Downgraded, int Removed, SolveStatistics? Stats, int VariantsChanged = 0)
{
    /// <summary>One line per package that changed: "+ name 1.0 build", "- name 1.0 build", "name 1.0 build → 1.1 build".</summary>
    public IReadOnlyList<string> Differences { get; init; } = Array.Empty<string>();

    public override string ToString() =>
        $"{Platform}: {Total} packages ({Added} added, {Upgraded} upgraded, {Downgraded} downgraded, {VariantsChanged} other build, {Removed} removed)";

    /// <summary>"linux-64 56 (2 added, 1 upgraded)": the platform, its package count and only the changes that happened.</summary>
    public string Brief()
    {
        var parts = new[] { (Added, "added"), (Upgraded, "upgraded"), (Downgraded, "downgraded"), (VariantsChanged, "other build"), (Removed, "removed") }
            .Where(x => x.Item1 > 0).Select(x => $"{x.Item1} {x.Item2}").ToList();
        return parts.Count == 0 ? $"{Platform} {Total}" : $"{Platform} {Total} ({string.Join(" ", parts)})";
    }
}

/// <summary>
/// From CondaPackage specs to a lock file: solves every platform against the channels' repodata and writes the
/// lock (pixi.lock v6 schema, full records). The lock starts with comment lines recording the inputs and their
/// hash: a build whose inputs hash matches does nothing (no repodata fetch, no solve); a re-solve prefers the
/// versions already locked, so adding a package does not upgrade unrelated ones. Comments keep the file a
/// plain pixi.lock for every other reader.
/// </summary>
public sealed partial class LockResolver
{
    public const string HashLinePrefix = "# condamirror-inputs-sha256: ";
    public const string InputLinePrefix = "# condamirror-input: ";

    private readonly IMirrorLog _log;
    private readonly HttpMessageHandler? _handler;

    public LockResolver(IMirrorLog? log = null, HttpMessageHandler? handler = null)
    {
        _log = log ?? NullMirrorLog.Instance;
        _handler = handler;
    }

    /// <summary>
    /// Each requested name is a conda package name (or a glob of one) before anything is fetched: CMIR124 at the
    /// request, which the MSBuild task points at the CondaPackage element. A spec that does not parse at all is left
    /// to the solver's own error (CMIR70x), which says how the spec is wrong.
    /// </summary>
    private static void CheckRequestedNames(IReadOnlyList<RequestedPackage> packages)
    {
        for (var i = 0; i < packages.Count; i++)
        {
            if (!Specs.MatchSpec.TryParse(packages[i].Spec, out var spec, out _)) continue;
            if (PackageName.IsValidPattern(spec!.NamePattern)) continue;
            throw new CondaMirrorException(ErrorCodes.RequestedNameInvalid,
                $"{packages[i].Origin}: {PackageName.Show(spec.NamePattern)} is not a conda package name (lower-case letters, digits, '_', '-' and '.', " +
                "starting with a letter, digit or '_'; conda reads upper case as lower case). Fix the item; nothing was fetched.")
            { RequestIndexes = new[] { i } };
        }
    }

    public ResolveOutcome Resolve(ResolveSettings settings, CancellationToken ct = default)
    {
        Settings.BuildSettingChecks.Environment(settings.Environment);
        CheckRequestedNames(settings.Packages);
        var recorded = ReadRecordedInputs(settings.LockFile);
        settings = WithPlatforms(settings, recorded?.Lines);
        var inputs = DescribeInputs(settings);
        var hash = Hash(inputs);

        if (recorded is null && File.Exists(settings.LockFile) && new FileInfo(settings.LockFile).Length > 0)
            throw new CondaMirrorException(ErrorCodes.LockNotOurs,
                $"CondaLockFile points at a lock CondaMirror did not write (a pixi.lock, conda-lock.yml or @EXPLICIT file?); with CondaPackage items the build writes its own lock and would overwrite it. " +
                "Remove the CondaPackage items to mirror that lock as it is, or set CondaLockFile to another path (default: conda-mirror.lock beside the project).",
                settings.LockFile);
        if (recorded is not null && recorded.Value.Hash == hash)
        {
            _log.Detail($"Lock {settings.LockFile} is up to date with the CondaPackage items; nothing to solve.");
            return new ResolveOutcome(true, false, Array.Empty<PlatformChange>());
        }
        if (settings.LockedMode)
        {
            if (recorded is null)
                throw new CondaMirrorException(ErrorCodes.LockMissingInLockedMode,
                    $"CondaLockedMode is true but there is no lock at {settings.LockFile} written from CondaPackage items. Build once with CondaLockedMode=false and commit the lock.",
                    settings.LockFile);
            throw new CondaMirrorException(ErrorCodes.LockOutOfDate,
                "CondaLockedMode is true but the inputs changed since the lock was written:\n" + Diff(recorded.Value.Lines, inputs) +
                "\nBuild once with CondaLockedMode=false to update the lock, review and commit it.", settings.LockFile);
        }

        var previous = ReadPreviousLock(settings.LockFile, RecordedEnvironment(recorded?.Lines), settings.Fetch.SubdirNaming);
        // Platforms are solved one after the other so that only noarch and one platform's indexes are open at a time;
        // each step fetches its channels concurrently, and the first also noarch: indexing linux-64 and noarch of a
        // conda-forge-sized channel (300 + 70 MB of JSON) then takes two cores instead of one after the other.
        var timings = new StepTimings();
        using var fetcher = new RepodataFetcher(settings.Fetch, _log, _handler);
        // Sharded subdirs keep this token for the shards they fetch during the solve; a failed fetch cancels the rest.
        using var fetching = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var first = settings.Platforms.Take(1).ToList();
        var together = timings.Time(string.Join(" + ", first.Prepend("noarch")) + " repodata", () => Fetch(fetcher, settings, first.Prepend("noarch").ToList(), fetching, ct));
        var noarch = together[0];
        var solved = new Dictionary<string, SolveResult>(StringComparer.Ordinal);
        var failures = new List<CondaMirrorException>();
        foreach (var platform in settings.Platforms)
        {
            var subdirs = platform == first[0] ? together[1] : timings.Time(platform + " repodata", () => Fetch(fetcher, settings, new[] { platform }, fetching, ct)[0]);
            var source = new RepodataPackageSource(settings.Channels.SelectMany((_, i) => new[] { subdirs[i], noarch[i] }).ToList());
            var request = new SolveRequest
            {
                Specs = settings.Packages.Select(p => (p.Spec, (string?)p.Origin)).ToList(),
                Platform = platform,
                VirtualPackages = VirtualsFor(settings, platform),
                Locked = previous.TryGetValue(platform, out var locked) ? locked : Array.Empty<RepodataRecord>(),
                ChannelPriority = settings.Channels.Select(c => c.PublicBaseUrl.AbsoluteUri).ToList(),
                Policy = settings.Policy,
                OptimizeBudget = settings.OptimizeBudget,
            };
            try
            {
                solved[platform] = timings.Time(platform + " solve", () => new CondaSolver().Solve(request, source, ct));
            }
            catch (CondaMirrorException e)
            {
                // Solver errors name the CondaPackage item in their text; the error's file is then the project itself.
                var file = IsAboutRequestedItems(e) ? null : e.File;
                failures.Add(new CondaMirrorException(e.Code, $"Cannot resolve for {platform}: {e.Message}", file, e) { RequestIndexes = e.RequestIndexes });
            }
            LogShardUse(platform, subdirs.Concat(noarch));
            // A file-backed index holds its cache file open: let it go before the next platform's is opened.
            foreach (var subdir in subdirs) (subdir as IDisposable)?.Dispose();
        }
        foreach (var subdir in noarch) (subdir as IDisposable)?.Dispose();
        if (failures.Count > 0)
            throw failures.OrderBy(f => f.Message, StringComparer.Ordinal).First();

        var changes = settings.Platforms
            .Select(p => Compare(p, previous.TryGetValue(p, out var old) ? old : Array.Empty<RepodataRecord>(), solved[p]))
            .ToList();
        timings.Time("lock", () => WriteLock(settings, inputs, hash, solved));
        timings.Report(_log);
        // The task reports each change at high importance; here it is only a detail, not a second copy at normal verbosity.
        foreach (var change in changes) _log.Detail("Resolved " + change);
        return new ResolveOutcome(false, true, changes);
    }

    /// <summary>
    /// The canonical, order-insensitive description of everything that decides the solve. Local channels appear
    /// relative to the lock's folder (<see cref="LockPaths"/>), so a checkout in another folder describes the same
    /// inputs; remote channels appear as credential-free URLs.
    /// </summary>
    public static IReadOnlyList<string> DescribeInputs(ResolveSettings s)
    {
        var lockDir = PixiLockReader.LockDirectoryOf(s.LockFile);
        var lines = new List<string>();
        lines.AddRange(s.Packages.Select(p => "package " + p.Spec.Trim()).Distinct().OrderBy(x => x, StringComparer.Ordinal));
        lines.AddRange(s.Channels.Select((c, i) => $"channel {i + 1} {LockPaths.ToLockLocation(c.PublicBaseUrl.AbsoluteUri, lockDir)}"));
        lines.Add(PlatformsLinePrefix + string.Join(";", s.Platforms.OrderBy(x => x, StringComparer.Ordinal)));
        lines.AddRange(s.VirtualPackages.Select(v => $"virtual {v.Platform ?? "*"} {v.Name} {v.Version} {v.Build}".TrimEnd()).OrderBy(x => x, StringComparer.Ordinal));
        // Only a non-default environment is a line, so locks written before environments were recorded keep their hash.
        if (s.Environment != ResolveSettings.DefaultEnvironment) lines.Add(EnvironmentLinePrefix + s.Environment);
        // Likewise the policy: no items, no lines.
        lines.AddRange(s.Policy.DescribeInputs());
        return lines;
    }

    private const string PlatformsLinePrefix = "platforms ";
    private const string EnvironmentLinePrefix = "environment ";

    /// <summary>
    /// No platforms given: those the lock was solved for (a lock made on a Mac stays a lock for the Mac's platforms
    /// on a Linux CI machine); only without a lock the building machine's platform.
    /// </summary>
    private ResolveSettings WithPlatforms(ResolveSettings settings, IReadOnlyList<string>? recordedLines)
    {
        if (settings.Platforms.Count > 0) return settings;
        var line = recordedLines?.FirstOrDefault(l => l.StartsWith(PlatformsLinePrefix, StringComparison.Ordinal));
        var locked = line?[PlatformsLinePrefix.Length..].Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? Array.Empty<string>();
        if (locked.Length == 0)
            return settings with { Platforms = new[] { Platforms.Platforms.Current } };
        if (locked.FirstOrDefault(p => !Platforms.Platforms.IsKnown(p) || p == "noarch") is { } bad)
            throw new CondaMirrorException(ErrorCodes.InvalidRequest,
                $"CondaPlatforms is empty and the lock records the platform '{bad}', which is not a conda platform. Set CondaPlatforms, or fix the lock's '{InputLinePrefix}{PlatformsLinePrefix}' line.",
                settings.LockFile);
        _log.Detail($"CondaPlatforms is empty: resolving for the lock's platforms ({string.Join(", ", locked)}).");
        return settings with { Platforms = locked };
    }

    private static string RecordedEnvironment(IReadOnlyList<string>? recordedLines) =>
        recordedLines?.FirstOrDefault(l => l.StartsWith(EnvironmentLinePrefix, StringComparison.Ordinal))?[EnvironmentLinePrefix.Length..].Trim()
        ?? ResolveSettings.DefaultEnvironment;

    private static string Hash(IReadOnlyList<string> lines) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("\n", lines)))).ToLowerInvariant();

    private static (string Hash, IReadOnlyList<string> Lines)? ReadRecordedInputs(string lockFile)
    {
        if (!File.Exists(lockFile)) return null;
        string? hash = null;
        var lines = new List<string>();
        foreach (var line in File.ReadLines(lockFile))
        {
            if (!line.StartsWith('#')) break;
            if (line.StartsWith(HashLinePrefix, StringComparison.Ordinal)) hash = line[HashLinePrefix.Length..].Trim();
            else if (line.StartsWith(InputLinePrefix, StringComparison.Ordinal)) lines.Add(line[InputLinePrefix.Length..]);
        }
        return hash is null ? null : (hash, lines);
    }

    private static string Diff(IReadOnlyList<string> recorded, IReadOnlyList<string> current)
    {
        var sb = new StringBuilder();
        foreach (var line in recorded.Except(current)) sb.Append("  - ").AppendLine(line);
        foreach (var line in current.Except(recorded)) sb.Append("  + ").AppendLine(line);
        return sb.ToString().TrimEnd();
    }

    /// <summary>The packages of the previous lock, read from the environment it was written to (which may differ from the one asked for now).</summary>
    private Dictionary<string, IReadOnlyList<RepodataRecord>> ReadPreviousLock(string lockFile, string environment, Platforms.SubdirNaming subdirs)
    {
        var result = new Dictionary<string, IReadOnlyList<RepodataRecord>>(StringComparer.Ordinal);
        if (!File.Exists(lockFile)) return result;
        try
        {
            var previous = LockFileReader.Read(lockFile, environment, _log, subdirs);
            foreach (var (platform, records) in previous.PackagesByPlatform) result[platform] = records;
        }
        catch (CondaMirrorException e)
        {
            // An unreadable old lock only costs the version preference; say so and solve from scratch.
            _log.Warning(e.Code, $"Ignoring the previous lock ({e.Message}); solving from scratch.", lockFile);
        }
        return result;
    }

    private void LogShardUse(string platform, IEnumerable<ISubdirRepodata> subdirs)
    {
        foreach (var sharded in subdirs.OfType<ShardedSubdir>())
            _log.Detail($"{platform}: {sharded.ShardsLoaded} of {sharded.NameCount} shards of {sharded.Channel}/{sharded.Subdir} used ({sharded.ShardBytes / 1024.0:F1} KB).");
    }

    // The solver names the CondaPackage item in its message and puts the item in File; for MSBuild the file is the project.
    private static bool IsAboutRequestedItems(CondaMirrorException e) =>
        e is SolveConflictException || e.Code is ErrorCodes.SolverInvalidSpec or ErrorCodes.SolverInvalidVirtualPackage;

    /// <summary>
    /// Each subdir of every channel (per subdir, in channel order), all fetched and indexed concurrently, each on a
    /// thread of its own (a local channel's indexing is synchronous work). The first failure cancels the others; once
    /// every job has stopped, the fetched indexes are closed and that failure is the one error.
    /// </summary>
    private static IReadOnlyList<IReadOnlyList<ISubdirRepodata>> Fetch(RepodataFetcher fetcher, ResolveSettings settings, IReadOnlyList<string> subdirs,
        CancellationTokenSource fetching, CancellationToken ct)
    {
        var token = fetching.Token;
        var jobs = subdirs.SelectMany(subdir => settings.Channels.Select(channel => Task.Run(() => fetcher.FetchSubdirAsync(channel, subdir, token), token))).ToArray();
        foreach (var job in jobs)
            job.ContinueWith(static (_, state) => ((CancellationTokenSource)state!).Cancel(), fetching,
                CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        // Not given the token: every job observes it, and none may still be writing the cache once this returns.
        try { Task.WaitAll(jobs); }
        catch (AggregateException) { /* each job's outcome is read below */ }
        if (jobs.All(j => j.Status == TaskStatus.RanToCompletion))
            return subdirs.Select((_, s) => (IReadOnlyList<ISubdirRepodata>)jobs.Skip(s * settings.Channels.Count).Take(settings.Channels.Count).Select(j => j.Result).ToList()).ToList();

        foreach (var done in jobs.Where(j => j.Status == TaskStatus.RanToCompletion)) (done.Result as IDisposable)?.Dispose();
        ct.ThrowIfCancellationRequested(); // the build was cancelled; otherwise a job failed and cancelled the rest
        var faults = jobs.Where(j => j.IsFaulted).Select(j => j.Exception!.InnerException!).ToList();
        var failure = faults.FirstOrDefault(e => e is not OperationCanceledException) ?? faults.FirstOrDefault();
        if (failure is null) throw new OperationCanceledException(ct);
        System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        throw failure; // not reached: Throw does not return
    }

    private static IReadOnlyList<VirtualPackage> VirtualsFor(ResolveSettings settings, string platform)
    {
        var overrides = settings.VirtualPackages
            .Where(v => v.Platform is null || v.Platform == platform)
            .Select(v => new VirtualPackage(v.Name, v.Version, string.IsNullOrEmpty(v.Build) ? "0" : v.Build!))
            .ToList();
        return VirtualPackages.Merge(VirtualPackages.DefaultsFor(platform), overrides);
    }

    private static PlatformChange Compare(string platform, IReadOnlyList<RepodataRecord> old, SolveResult now)
    {
        var before = old.GroupBy(r => r.Record.Name).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        int added = 0, upgraded = 0, downgraded = 0, variants = 0;
        var differences = new List<string>();
        static string Label(PackageRecord r) => $"{r.Version} {r.Build}";
        foreach (var r in now.Packages.OrderBy(p => p.Record.Name, StringComparer.Ordinal))
        {
            if (!before.Remove(r.Record.Name, out var previous))
            {
                added++;
                differences.Add($"+ {r.Record.Name} {Label(r.Record)}");
                continue;
            }
            var prev = previous.Record;
            var order = Versions.CondaVersion.Parse(r.Record.Version).CompareTo(Versions.CondaVersion.Parse(prev.Version));
            if (order == 0) order = r.Record.BuildNumber.CompareTo(prev.BuildNumber);
            if (order > 0) upgraded++;
            else if (order < 0) downgraded++;
            // Equal by version and build number, yet another file: a build variant (openblas → mkl) or another channel's copy.
            else if (r.Record.Build != prev.Build || r.FileName != previous.FileName || !string.Equals(r.Channel, previous.Channel, StringComparison.Ordinal)) variants++;
            else continue;
            differences.Add($"{r.Record.Name} {Label(prev)} → {Label(r.Record)}");
        }
        foreach (var (name, gone) in before.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            differences.Add($"- {name} {Label(gone.Record)}");
        return new PlatformChange(platform, now.Packages.Count, added, upgraded, downgraded, before.Count, now.Stats, variants) { Differences = differences };
    }

    private static void WriteLock(ResolveSettings settings, IReadOnlyList<string> inputs, string hash, Dictionary<string, SolveResult> solved)
    {
        var header = new StringBuilder();
        header.AppendLine("# Written by CondaMirror.MSBuild from the project's CondaPackage items. Commit it; edit the items, not this file.");
        header.Append(HashLinePrefix).AppendLine(hash);
        foreach (var line in inputs) header.Append(InputLinePrefix).AppendLine(line);
        var document = LockDocumentFor(settings, solved);
        AtomicFile.WriteAllText(settings.LockFile, header + PixiLockWriter.ToYaml(document, PixiLockReader.LockDirectoryOf(settings.LockFile)));
    }

    private static LockDocument LockDocumentFor(ResolveSettings settings, Dictionary<string, SolveResult> solved)
    {
        var document = new LockDocument();
        var environment = document.Environment(settings.Environment, settings.Channels.Select(c => c.PublicBaseUrl.AbsoluteUri.TrimEnd('/')));
        foreach (var (platform, result) in solved.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            environment.AddRange(platform, result.Packages);
        return document;
    }
}
