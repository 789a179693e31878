using CondaMirror.Core.Errors;

namespace CondaMirror.Core.Solving;

/// <summary>
/// The requested specs have no solution. <see cref="Exception.Message"/> holds the whole explanation
/// (a small tree from the requested specs down to the clash); <see cref="Explanation"/> holds its lines, and
/// <see cref="Graph"/> the structure they render.
/// </summary>
public sealed class SolveConflictException : CondaMirrorException
{
    public SolveConflictException(string code, string message, IReadOnlyList<string> explanation, string? file = null)
        : this(code, message, explanation, file, graph: null)
    {
    }

    public SolveConflictException(string code, string message, IReadOnlyList<string> explanation, string? file, ConflictGraph? graph)
        : base(code, message, file)
    {
        Explanation = explanation;
        Graph = graph;
    }

    public IReadOnlyList<string> Explanation { get; }

    /// <summary>Why there is no solution, as nodes and edges (the solver always sets it; null when built elsewhere).</summary>
    public ConflictGraph? Graph { get; }
}
