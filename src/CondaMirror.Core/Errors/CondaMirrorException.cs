namespace CondaMirror.Core.Errors;

/// <summary>
/// A failure the user can act on. Every Core failure that can reach a build ends up as one of these:
/// a stable code (see docs/errors.md), the file/item it concerns, and a message that says what to do.
/// The MSBuild tasks turn it into exactly one MSBuild error; nothing else is allowed to escape them.
/// </summary>
public class CondaMirrorException : Exception
{
    public CondaMirrorException(string code, string message, string? file = null, Exception? inner = null)
        : base(message, inner)
    {
        Code = code;
        File = file;
    }

    /// <summary>Stable error code, e.g. <c>CMIR201</c>.</summary>
    public string Code { get; }

    /// <summary>The file, URL or item the error concerns, when there is one.</summary>
    public string? File { get; }

    /// <summary>The line in <see cref="File"/> the error concerns (1-based), or 0 when unknown.</summary>
    public int Line { get; init; }

    /// <summary>
    /// The requested packages the error is about, as indexes into the request (the CondaPackage items, in order): the
    /// host finds the item's element from these, never from the message text.
    /// </summary>
    public IReadOnlyList<int> RequestIndexes { get; init; } = Array.Empty<int>();

    public override string ToString() => File is null ? $"{Code}: {Message}" : $"{File}: {Code}: {Message}";
}
