namespace CondaMirror.Core.Solving;

/// <summary>What a candidate asks of the others.</summary>
internal enum DependencyKind
{
    Requires,   // one candidate matching Spec must be installed
    Constrains, // if anything of Spec's name is installed, it must match Spec
    Unreadable, // Text does not parse: the candidate cannot be installed
}

/// <summary>One dependency of a candidate; <see cref="Spec"/> is null only for <see cref="DependencyKind.Unreadable"/>.</summary>
internal readonly record struct Dependency<TSpec>(DependencyKind Kind, TSpec? Spec, string Text) where TSpec : class;

/// <summary>
/// The seam between <see cref="DependencySolver{TCandidate, TSpec}"/>, which knows variables, clauses and search
/// but no package ecosystem, and the ecosystem (conda: <see cref="CondaDependencyProvider"/>), which knows where
/// candidates come from, which it prefers and what they depend on. Modelled on resolvo's DependencyProvider.
/// Specs are cache keys: the provider hands out one object per distinct spec text (reference equality).
/// </summary>
internal interface IDependencyProvider<TCandidate, TSpec> where TCandidate : class where TSpec : class
{
    /// <summary>The package name a spec is about.</summary>
    string NameOf(TSpec spec);

    /// <summary>The spec as written (edge labels of the conflict graph).</summary>
    string TextOf(TSpec spec);

    /// <summary>Every candidate of a name, best first. Asked once per name, only for names the search reaches.</summary>
    IReadOnlyList<TCandidate> GetCandidates(string name);

    /// <summary>Whether a candidate (of the spec's name) satisfies the spec.</summary>
    bool Matches(TSpec spec, TCandidate candidate);

    /// <summary>Appends the candidate's dependencies, in the order they are written, to <paramref name="into"/>.</summary>
    void GetDependencies(TCandidate candidate, List<Dependency<TSpec>> into);

    /// <summary>
    /// False: decisions take the first open candidate of a requirement (the order of <see cref="GetCandidates"/>)
    /// and <see cref="ChooseCandidate"/> is never called, which spares listing the open candidates per decision.
    /// </summary>
    bool ChoosesCandidates { get; }

    /// <summary>
    /// The decision-order hook (when <see cref="ChoosesCandidates"/>): the solver has picked the first requirement (requested specs first, then
    /// dependencies in the order they were reached) that no installed candidate satisfies; this picks which of
    /// its still-possible candidates to try. <paramref name="open"/> holds their indices into
    /// <paramref name="candidates"/>, best first; the result must be one of them.
    /// </summary>
    int ChooseCandidate(TSpec? requirement, IReadOnlyList<TCandidate> candidates, ReadOnlySpan<int> open);

    /// <summary>The conflict-graph node of a candidate.</summary>
    ConflictCandidateNode DescribeCandidate(int id, TCandidate candidate);

    /// <summary>The conflict-graph node of a spec no candidate satisfies.</summary>
    ConflictMissingNode DescribeMissing(int id, TSpec spec);
}
