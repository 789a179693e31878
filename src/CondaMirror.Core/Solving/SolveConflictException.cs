using CondaMirror.Core.Errors;

namespace CondaMirror.Core.Solving;

/// <summary>
/// The requested specs have no solution. <see cref="Exception.Message"/> holds the whole explanation
/// (a small tree from the requested specs down to the clash); <see cref="Explanation"/> holds its lines.
/// </summary>
public sealed class SolveConflictException : CondaMirrorException
{
    public SolveConflictException(string code, string message, IReadOnlyList<string> explanation, string? file = null)
        : base(code, message, file)
    {
        Explanation = explanation;
    }

    public IReadOnlyList<string> Explanation { get; }
}
