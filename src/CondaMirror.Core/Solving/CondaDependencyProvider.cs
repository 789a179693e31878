using System.Diagnostics;
using CondaMirror.Core.Records;
using CondaMirror.Core.Specs;
using CondaMirror.Core.Versions;

namespace CondaMirror.Core.Solving;

/// <summary>
/// conda's side of the solver seam: candidates of a name from the (lazy) package source after strict channel
/// priority (or the channel a requested "channel::name" pins), virtual packages of the target machine, conda's
/// preference order with locked records first, and depends/constrains parsed as MatchSpecs.
/// </summary>
internal sealed class CondaDependencyProvider : IDependencyProvider<Candidate, SpecMatcher>
{
    private readonly SolveRequest _request;
    private readonly IPackageSource _source;
    private readonly CancellationToken _ct;
    private readonly Dictionary<string, (List<Candidate> Candidates, int Total)> _fetched = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _totals = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Candidate[]> _candidates = new(StringComparer.Ordinal);
    private readonly Dictionary<string, CondaVersion?> _highestMatching = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (SpecMatcher? Spec, string? Error)> _specs = new(StringComparer.Ordinal);
    private readonly HashSet<string> _lockedKeys = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _channelPins = new(StringComparer.Ordinal); // name → rank of the channel a requested spec names
    private readonly Stopwatch _loadWatch = new();
    private readonly Dictionary<string, List<string>> _excludedByPolicy = new(StringComparer.Ordinal);

    public CondaDependencyProvider(SolveRequest request, IPackageSource source, CancellationToken ct)
    {
        _request = request;
        _source = source;
        _ct = ct;
        foreach (var r in request.Locked) _lockedKeys.Add(LockKey(r));
        // A requested "channel::name" takes that name from that channel whatever the priority, as conda does.
        foreach (var (text, _) in request.Specs)
            if (MatchSpec.TryParse(text, out var spec, out _) && spec!.Channel is not null && spec.Name != "*")
                _channelPins[spec.Name] = PinnedRank(spec.Channel);
    }

    /// <summary>Time spent fetching records from the source.</summary>
    public TimeSpan LoadTime => _loadWatch.Elapsed;

    private static string LockKey(RepodataRecord r) => $"{r.Record.Name}/{r.Record.Version}/{r.Record.Build}/{r.Subdir}";

    private static bool IsVirtualName(string name) => name.StartsWith("__", StringComparison.Ordinal);

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

    public (SpecMatcher? Spec, string? Error) ParseSpec(string text)
    {
        if (_specs.TryGetValue(text, out var cached)) return cached;
        var parsed = SpecMatcher.TryParse(text, out var spec, out var error) ? (spec, null) : ((SpecMatcher?)null, error);
        _specs[text] = parsed;
        return parsed;
    }

    public string NameOf(SpecMatcher spec) => spec.Name;

    public string TextOf(SpecMatcher spec) => spec.Text;

    public bool Matches(SpecMatcher spec, Candidate candidate) => spec.Matches(candidate);

    /// <summary>Records of the name the source has, before channel priority (after <see cref="GetCandidates"/>).</summary>
    public int TotalRecords(string name) => _totals.GetValueOrDefault(name);

    public IReadOnlyList<Candidate> GetCandidates(string name)
    {
        if (_candidates.TryGetValue(name, out var known)) return known;
        var (candidates, total) = IsVirtualName(name) ? VirtualCandidates(name) : SourceCandidates(name);
        _candidates[name] = candidates;
        _totals[name] = total;
        return candidates;
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

    /// <summary>A name's records after strict channel priority, unsorted (fetched once).</summary>
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
            if (_request.Policy.ExclusionOf(r) is { } reason)
            {
                // Kept for the explanation: a request the policy makes impossible names the rule that did it.
                if (!_excludedByPolicy.TryGetValue(name, out var excluded)) _excludedByPolicy[name] = excluded = new List<string>();
                excluded.Add($"{r.Record.Name} {r.Record.Version} {r.Record.Build} {reason}");
                continue;
            }
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
        var candidates = IsVirtualName(spec.Name) ? VirtualCandidates(spec.Name).Item1 : (IEnumerable<Candidate>)Fetch(spec.Name).Candidates;
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

    public void GetDependencies(Candidate candidate, List<Dependency<SpecMatcher>> into)
    {
        if (candidate.IsVirtual) return;
        foreach (var text in candidate.Package.Depends)
        {
            var (spec, _) = ParseSpec(text);
            into.Add(new Dependency<SpecMatcher>(spec is null ? DependencyKind.Unreadable : DependencyKind.Requires, spec, text));
        }
        foreach (var text in candidate.Package.Constrains)
        {
            var (spec, _) = ParseSpec(text);
            into.Add(new Dependency<SpecMatcher>(spec is null ? DependencyKind.Unreadable : DependencyKind.Constrains, spec, text));
        }
    }

    /// <summary>conda's preference order is already the candidates' order, so the first open one is the choice.</summary>
    public bool ChoosesCandidates => false;

    public int ChooseCandidate(SpecMatcher? requirement, IReadOnlyList<Candidate> candidates, ReadOnlySpan<int> open) => open[0];

    public ConflictCandidateNode DescribeCandidate(int id, Candidate candidate) =>
        new(id, candidate.Name, candidate.Version.ToString(), candidate.Package.Build, candidate.Record.Subdir,
            candidate.Record.FileName, candidate.IsVirtual ? null : candidate.Record.Channel, candidate.IsVirtual);

    /// <summary>Whether the package policy removed records of <paramref name="name"/> (after <see cref="GetCandidates"/>).</summary>
    public bool IsExcludedByPolicy(string name) => _excludedByPolicy.ContainsKey(name);

    public ConflictMissingNode DescribeMissing(int id, SpecMatcher spec)
    {
        var candidates = GetCandidates(spec.Name);
        var ignored = TotalRecords(spec.Name) - candidates.Count;
        var excluded = _excludedByPolicy.GetValueOrDefault(spec.Name) ?? [];
        ignored -= excluded.Count;
        if (candidates.Count == 0)
            return new ConflictMissingNode(id, spec.Name, spec.Text,
                IsVirtualName(spec.Name) ? ConflictMissingReason.VirtualPackageNotProvided
                : excluded.Count > 0 ? ConflictMissingReason.ExcludedByPolicy : ConflictMissingReason.NotInChannels,
                Array.Empty<string>(), ignored) { ExcludedByPolicy = excluded };
        return new ConflictMissingNode(id, spec.Name, spec.Text, ConflictMissingReason.NoMatchingVersion,
            candidates.Select(c => c.Version.ToString()).ToArray(), ignored) { ExcludedByPolicy = excluded };
    }
}
