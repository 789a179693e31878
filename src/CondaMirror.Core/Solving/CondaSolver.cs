using CondaMirror.Core.Specs;
using System.Diagnostics;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Records;
using CondaMirror.Core.Versions;

namespace CondaMirror.Core.Solving;

/// <summary>
/// Solves conda environments: picks one record per needed name so that every requested spec, every depends
/// and every constrains holds, preferring the newest versions (and the locked ones). Complete and sound: a
/// CDCL search over a lazily built encoding (see <see cref="SatSolver"/>); no heuristic shortcut can lose a
/// solution. Thread-safe: each call is independent.
/// </summary>
public sealed class CondaSolver
{
    public SolveResult Solve(SolveRequest request, IPackageSource source, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(source);
        return new SolveRun(request, source, ct).Run();
    }
}

/// <summary>Why a clause exists; turned into words when the problem is unsatisfiable.</summary>
internal enum ClauseKind
{
    Requested,     // one of the candidates of a requested spec
    Depends,       // record → one of the candidates of a dependency
    Constrains,    // record → not this candidate of a constrained name
    OneVersion,    // at most one record per name
    BadDependency, // record has a depends/constrains string that does not parse
}

internal sealed record ClauseOrigin(ClauseKind Kind, int Record, SpecMatcher? Spec, string Name, int RequestIndex = -1);

/// <summary>A requirement the decision heuristic must satisfy: when Trigger is true (or always, for 0), one of Candidates.</summary>
internal sealed class Requirement
{
    public Requirement(int trigger, int[] candidates)
    {
        Trigger = trigger;
        Candidates = candidates;
    }

    public int Trigger { get; }
    public int[] Candidates { get; }
    public int SatisfiedBy { get; set; }
}

/// <summary>All records of one name that survive channel priority, best first.</summary>
internal sealed class NameCandidates
{
    public NameCandidates(string name, Candidate[] candidates, int totalRecords)
    {
        Name = name;
        Candidates = candidates;
        TotalRecords = totalRecords;
    }

    public string Name { get; }
    public Candidate[] Candidates { get; }
    public int TotalRecords { get; }
    public bool Exists => Candidates.Length > 0;
}

internal sealed class SolveRun : ISatHooks
{
    private readonly SolveRequest _request;
    private readonly IPackageSource _source;
    private readonly CancellationToken _ct;
    private readonly SatSolver _sat = new();
    private readonly Dictionary<string, NameCandidates> _names = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (List<Candidate> Candidates, int Total)> _fetched = new(StringComparer.Ordinal);
    private readonly Dictionary<string, CondaVersion?> _highestMatching = new(StringComparer.Ordinal);
    private readonly List<Candidate?> _byVariable = new() { null };
    private readonly Dictionary<string, (SpecMatcher? Spec, string? Error)> _specs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int[]> _matching = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<(int Record, SpecMatcher Spec)>> _pendingConstrains = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _channelRank;
    private readonly HashSet<string> _lockedKeys = new(StringComparer.Ordinal);
    private readonly List<Requirement> _requirements = new();
    private readonly List<ClauseOrigin> _origins = new();
    private readonly Stopwatch _loadWatch = new();

    public SolveRun(SolveRequest request, IPackageSource source, CancellationToken ct)
    {
        _request = request;
        _source = source;
        _ct = ct;
        _channelRank = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var r in request.Locked) _lockedKeys.Add(LockKey(r));
        // A requested "channel::name" takes that name from that channel whatever the priority, as conda does.
        foreach (var (text, _) in request.Specs)
            if (MatchSpec.TryParse(text, out var spec, out _) && spec!.Channel is not null && spec.Name != "*")
                _channelPins[spec.Name] = PinnedRank(spec.Channel);
    }

    // Name → rank of the channel a requested spec names.
    private readonly Dictionary<string, int> _channelPins = new(StringComparer.Ordinal);

    /// <summary>The priority rank of the configured channel a spec's channel names: the same URL, or a URL ending in
    /// that name ("conda-forge" is https://conda.anaconda.org/conda-forge). Not configured: no candidates.</summary>
    private int PinnedRank(string channel)
    {
        var wanted = channel.Trim('/');
        for (var i = 0; i < _request.ChannelPriority.Count; i++)
        {
            var configured = _request.ChannelPriority[i].TrimEnd('/');
            if (string.Equals(configured, wanted, StringComparison.Ordinal) || configured.EndsWith("/" + wanted, StringComparison.Ordinal)) return i;
        }
        return -1;
    }

    internal IReadOnlyList<Candidate?> Variables => _byVariable;
    internal IReadOnlyList<ClauseOrigin> Origins => _origins;
    internal SolveRequest Request => _request;

    private static string LockKey(RepodataRecord r) => $"{r.Record.Name}/{r.Record.Version}/{r.Record.Build}/{r.Subdir}";

    public SolveResult Run()
    {
        var total = Stopwatch.StartNew();
        ValidateVirtualPackages();
        var roots = new List<(SpecMatcher Spec, int[] Candidates, int Index)>();
        for (var i = 0; i < _request.Specs.Count; i++)
        {
            var (text, origin) = _request.Specs[i];
            var (spec, error) = ParseSpec(text);
            if (spec is null)
                throw new CondaMirrorException(ErrorCodes.SolverInvalidSpec,
                    $"{Prefix(origin)}'{text}' is not a valid package spec ({error}). Use conda MatchSpec syntax, e.g. 'numpy >=1.26' or 'python 3.11.*'.",
                    origin);
            var name = Load(spec.Name);
            if (!name.Exists) throw UnknownPackage(spec, origin);
            var candidates = Matching(spec);
            if (candidates.Length == 0) throw NoMatchingVersion(spec, name, origin);
            roots.Add((spec, candidates, i));
        }

        foreach (var (spec, candidates, index) in roots)
        {
            _requirements.Add(new Requirement(0, candidates));
            _sat.AddClause(candidates, Tag(new ClauseOrigin(ClauseKind.Requested, 0, spec, spec.Name, index)));
        }

        var loadBeforeSearch = _loadWatch.Elapsed;
        var search = Stopwatch.StartNew();
        var satisfiable = _sat.Solve(this, _ct);
        search.Stop();
        if (!satisfiable)
            throw new ConflictExplainer(this, _sat).Explain();

        var packages = new List<RepodataRecord>();
        for (var v = 1; v < _byVariable.Count; v++)
        {
            var c = _byVariable[v]!;
            if (!c.IsVirtual && _sat.IsTrue(v)) packages.Add(c.Record);
        }
        packages.Sort((a, b) => string.CompareOrdinal(a.Record.Name, b.Record.Name));
        total.Stop();
        var stats = new SolveStatistics
        {
            NamesLoaded = _names.Count,
            CandidatesLoaded = _byVariable.Count - 1,
            Clauses = _sat.ClauseCount - _sat.LearnedClauses,
            LearnedClauses = _sat.LearnedClauses,
            Decisions = _sat.Decisions,
            Conflicts = _sat.Conflicts,
            Propagations = _sat.Propagations,
            LoadTime = _loadWatch.Elapsed,
            SearchTime = search.Elapsed - (_loadWatch.Elapsed - loadBeforeSearch),
            TotalTime = total.Elapsed,
        };
        return new SolveResult(packages, stats);
    }

    private void ValidateVirtualPackages()
    {
        foreach (var vp in _request.VirtualPackages)
        {
            if (!vp.Name.StartsWith("__", StringComparison.Ordinal) || !CondaVersion.TryParse(vp.Version, out _))
                throw new CondaMirrorException(ErrorCodes.SolverInvalidVirtualPackage,
                    $"Virtual package '{vp.Name}={vp.Version}' is invalid: names start with '__' and the version must be a conda version (e.g. __glibc=2.28).");
        }
    }

    private int Tag(ClauseOrigin origin)
    {
        _origins.Add(origin);
        return _origins.Count - 1;
    }

    internal (SpecMatcher? Spec, string? Error) ParseSpec(string text)
    {
        if (_specs.TryGetValue(text, out var cached)) return cached;
        var parsed = SpecMatcher.TryParse(text, out var spec, out var error) ? (spec, null) : ((SpecMatcher?)null, error);
        _specs[text] = parsed;
        return parsed;
    }

    /// <summary>Candidates of the spec's name that match it, best first (cached per spec text).</summary>
    internal int[] Matching(SpecMatcher spec)
    {
        if (_matching.TryGetValue(spec.Text, out var vars)) return vars;
        var name = Load(spec.Name);
        var list = new List<int>();
        foreach (var c in name.Candidates)
            if (spec.Matches(c)) list.Add(c.Variable);
        vars = list.ToArray();
        _matching[spec.Text] = vars;
        return vars;
    }

    /// <summary>Fetches and encodes a name's candidates the first time anything mentions it.</summary>
    internal NameCandidates Load(string name)
    {
        if (_names.TryGetValue(name, out var loaded)) return loaded;
        var (candidates, total) = name.StartsWith("__", StringComparison.Ordinal) ? VirtualCandidates(name) : SourceCandidates(name);
        var vars = new int[candidates.Length];
        for (var i = 0; i < candidates.Length; i++)
        {
            vars[i] = _sat.NewVariable();
            candidates[i].Variable = vars[i];
            _byVariable.Add(candidates[i]);
        }
        var entry = new NameCandidates(name, candidates, total);
        _names[name] = entry;
        _sat.AddAtMostOne(vars, Tag(new ClauseOrigin(ClauseKind.OneVersion, 0, null, name)));
        if (_pendingConstrains.Remove(name, out var waiting))
            foreach (var (record, spec) in waiting) AddConstrains(record, spec);
        return entry;
    }

    private (Candidate[], int) VirtualCandidates(string name)
    {
        var list = new List<Candidate>();
        foreach (var vp in _request.VirtualPackages)
        {
            if (!string.Equals(vp.Name, name, StringComparison.Ordinal)) continue;
            var record = new PackageRecord { Name = vp.Name, Version = vp.Version, Build = vp.Build, Subdir = _request.Platform };
            list.Add(new Candidate(new RepodataRecord(record, "", $"{vp.Name}-{vp.Version}-{vp.Build}"), CondaVersion.Parse(vp.Version), isVirtual: true));
        }
        return (list.ToArray(), list.Count);
    }

    private (Candidate[], int) SourceCandidates(string name)
    {
        var (fetched, total) = Fetch(name);
        var list = new List<Candidate>(fetched);
        foreach (var c in list) c.IsLocked = _lockedKeys.Count > 0 && _lockedKeys.Contains(LockKey(c.Record));
        list.Sort((a, b) => Candidate.ComparePreference(a, b, CompareDependencyVersions));
        return (list.ToArray(), total);
    }

    /// <summary>A name's records after strict channel priority, unsorted and not yet encoded (fetched once).</summary>
    private (List<Candidate> Candidates, int Total) Fetch(string name)
    {
        if (_fetched.TryGetValue(name, out var cached)) return cached;
        _ct.ThrowIfCancellationRequested();
        var wasRunning = _loadWatch.IsRunning;
        _loadWatch.Start();
        var records = _source.GetRecords(name);
        var hasPin = _channelPins.TryGetValue(name, out var pin);
        var best = int.MaxValue;
        foreach (var r in records) best = Math.Min(best, ChannelRank(r.Channel));
        var list = new List<Candidate>(records.Count);
        foreach (var r in records)
        {
            if (ChannelRank(r.Channel) != (hasPin ? pin : best)) continue; // the named channel, else strict priority
            if (!CondaVersion.TryParse(r.Record.Version, out var version)) continue; // conda cannot order it either
            list.Add(new Candidate(r, version!, isVirtual: false));
        }
        if (!wasRunning) _loadWatch.Stop();
        cached = (list, records.Count);
        _fetched[name] = cached;
        return cached;
    }

    /// <summary>
    /// Between two builds of the same version: the first dependency (in a's order) that both name and whose
    /// newest matching version differs decides; a dependency nothing matches loses.
    /// </summary>
    private int CompareDependencyVersions(Candidate a, Candidate b)
    {
        if (a.Package.Depends.Count == 0 || b.Package.Depends.Count == 0) return 0;
        foreach (var textA in a.Package.Depends)
        {
            var (specA, _) = ParseSpec(textA);
            if (specA is null) continue;
            foreach (var textB in b.Package.Depends)
            {
                if (textA == textB) break;
                var (specB, _) = ParseSpec(textB);
                if (specB is null || specB.Name != specA.Name) continue;
                var highestA = HighestMatching(specA);
                var highestB = HighestMatching(specB);
                if (highestA is null && highestB is null) break;
                if (highestA is null) return 1;
                if (highestB is null) return -1;
                var c = highestB.CompareTo(highestA);
                if (c != 0) return c;
                break;
            }
        }
        return 0;
    }

    private CondaVersion? HighestMatching(SpecMatcher spec)
    {
        if (_highestMatching.TryGetValue(spec.Text, out var known)) return known;
        CondaVersion? highest = null;
        var candidates = spec.Name.StartsWith("__", StringComparison.Ordinal) ? VirtualCandidates(spec.Name).Item1 : (IEnumerable<Candidate>)Fetch(spec.Name).Candidates;
        foreach (var c in candidates)
            if (spec.Matches(c) && (highest is null || c.Version > highest)) highest = c.Version;
        _highestMatching[spec.Text] = highest;
        return highest;
    }

    private int ChannelRank(string? channel)
    {
        var priority = _request.ChannelPriority;
        if (priority.Count == 0 || channel is null) return priority.Count;
        var normalized = channel.TrimEnd('/');
        for (var i = 0; i < priority.Count; i++)
            if (string.Equals(priority[i].TrimEnd('/'), normalized, StringComparison.Ordinal)) return i;
        return priority.Count;
    }

    /// <summary>Adds the clauses of a record that just became true for the first time.</summary>
    void ISatHooks.Expand(int variable)
    {
        var candidate = _byVariable[variable]!;
        if (candidate.IsVirtual) return;
        foreach (var text in candidate.Package.Depends)
        {
            var (spec, _) = ParseSpec(text);
            if (spec is null)
            {
                _sat.AddClause(new[] { -variable }, Tag(new ClauseOrigin(ClauseKind.BadDependency, variable, null, text)));
                continue;
            }
            var matching = Matching(spec);
            _requirements.Add(new Requirement(variable, matching));
            var clause = new int[matching.Length + 1];
            clause[0] = -variable;
            matching.CopyTo(clause, 1);
            _sat.AddClause(clause, Tag(new ClauseOrigin(ClauseKind.Depends, variable, spec, spec.Name)));
        }
        foreach (var text in candidate.Package.Constrains)
        {
            var (spec, _) = ParseSpec(text);
            if (spec is null)
            {
                _sat.AddClause(new[] { -variable }, Tag(new ClauseOrigin(ClauseKind.BadDependency, variable, null, text)));
                continue;
            }
            if (_names.ContainsKey(spec.Name)) AddConstrains(variable, spec);
            else
            {
                // Nothing of that name can be installed until something loads it; then the clauses are added.
                if (!_pendingConstrains.TryGetValue(spec.Name, out var list)) _pendingConstrains[spec.Name] = list = new();
                list.Add((variable, spec));
            }
        }
    }

    private void AddConstrains(int record, SpecMatcher spec)
    {
        var allowed = new HashSet<int>(Matching(spec));
        var tag = -1;
        foreach (var c in _names[spec.Name].Candidates)
        {
            if (allowed.Contains(c.Variable) || c.Variable == record) continue;
            if (tag < 0) tag = Tag(new ClauseOrigin(ClauseKind.Constrains, record, spec, spec.Name));
            _sat.AddClause(new[] { -record, -c.Variable }, tag);
        }
    }

    /// <summary>
    /// Requested specs first (in request order), then dependencies in the order they were reached; for the first
    /// unsatisfied one, its best still-possible candidate.
    /// </summary>
    int ISatHooks.Decide()
    {
        foreach (var req in _requirements)
        {
            if (req.Trigger != 0 && !_sat.IsTrue(req.Trigger)) continue;
            if (req.SatisfiedBy != 0 && _sat.IsTrue(req.SatisfiedBy)) continue;
            var choice = 0;
            var satisfied = false;
            foreach (var v in req.Candidates)
            {
                if (_sat.IsTrue(v)) { req.SatisfiedBy = v; satisfied = true; break; }
                if (choice == 0 && _sat.IsUnassigned(v)) choice = v;
            }
            if (!satisfied && choice != 0) return choice;
        }
        return 0;
    }

    private CondaMirrorException UnknownPackage(SpecMatcher spec, string? origin)
    {
        var similar = SimilarNames.Find(spec.Name, spec.Name.StartsWith("__", StringComparison.Ordinal)
            ? _request.VirtualPackages.Select(v => v.Name)
            : _source.AllNames);
        var message = spec.Name.StartsWith("__", StringComparison.Ordinal)
            ? $"The virtual package '{spec.Name}' is not provided for {_request.Platform}. Declare it as a virtual package override if the target machines have it."
            : $"No package named '{spec.Name}' in the channels.";
        if (similar.Count > 0) message += " Similar names: " + string.Join(", ", similar) + ".";
        else message += " Check the spelling and the channel list.";
        var lines = new[] { message };
        return new SolveConflictException(ErrorCodes.SolverUnknownPackage, Prefix(origin) + message, lines, origin);
    }

    private CondaMirrorException NoMatchingVersion(SpecMatcher spec, NameCandidates name, string? origin)
    {
        var message = $"{spec.Text} cannot be installed: the channels have {spec.Name} {VersionSummary.Describe(name.Candidates.Select(c => c.Version))}";
        if (name.Candidates.Length < name.TotalRecords)
            message += $" ({name.TotalRecords - name.Candidates.Length} more records of {spec.Name} are in lower-priority channels, which strict channel priority ignores)";
        message += ".";
        return new SolveConflictException(ErrorCodes.SolverNoMatchingVersion, Prefix(origin) + message + " Relax the version constraint.",
            new[] { message }, origin);
    }

    private static string Prefix(string? origin) => origin is null ? "" : $"{origin}: ";
}
