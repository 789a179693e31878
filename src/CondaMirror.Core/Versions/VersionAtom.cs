namespace CondaMirror.Core.Versions;

/// <summary>
/// One sub-component of a parsed version: a number, the special <c>post</c> (above every number), or a
/// lower-case string (<c>dev</c> is stored as <c>DEV</c> so that ordinal comparison puts it below the others,
/// exactly the trick conda uses).
/// </summary>
internal readonly struct VersionAtom
{
    // Longest digit run that always fits a long.
    private const int MaxLongDigits = 18;

    private VersionAtom(AtomKind kind, long number, string? text)
    {
        Kind = kind;
        Number = number;
        Text = text;
    }

    public AtomKind Kind { get; }

    public long Number { get; }

    /// <summary>The string for <see cref="AtomKind.Text"/>; the digits without leading zeros for <see cref="AtomKind.BigNumber"/>.</summary>
    public string? Text { get; }

    public bool IsText => Kind == AtomKind.Text;

    public bool IsZero => Kind == AtomKind.Number && Number == 0;

    public static VersionAtom Post { get; } = new(AtomKind.Post, 0, null);

    public static VersionAtom Dev { get; } = new(AtomKind.Text, 0, "DEV");

    public static VersionAtom FromNumber(long value) => new(AtomKind.Number, value, null);

    /// <summary>A run of non-digits; <c>post</c> and <c>dev</c> get their special meaning, common tags are shared.</summary>
    public static VersionAtom FromText(ReadOnlySpan<char> text) => text switch
    {
        "post" => Post,
        "dev" => Dev,
        "a" => new(AtomKind.Text, 0, "a"),
        "b" => new(AtomKind.Text, 0, "b"),
        "rc" => new(AtomKind.Text, 0, "rc"),
        "alpha" => new(AtomKind.Text, 0, "alpha"),
        "beta" => new(AtomKind.Text, 0, "beta"),
        "*" => new(AtomKind.Text, 0, "*"),
        _ => new(AtomKind.Text, 0, text.ToString()),
    };

    public static VersionAtom FromDigits(ReadOnlySpan<char> digits)
    {
        var trimmed = digits.TrimStart('0');
        if (trimmed.Length > MaxLongDigits) return new(AtomKind.BigNumber, 0, trimmed.ToString());
        long value = 0;
        foreach (var c in trimmed) value = value * 10 + (c - '0');
        return new(AtomKind.Number, value, null);
    }

    /// <summary>Strings &lt; numbers &lt; post; strings ordinal, numbers numeric.</summary>
    public static int Compare(in VersionAtom x, in VersionAtom y)
    {
        if (x.Kind == AtomKind.Number && y.Kind == AtomKind.Number) return x.Number.CompareTo(y.Number);
        if (x.Kind == AtomKind.Text)
            return y.Kind == AtomKind.Text ? Math.Sign(string.CompareOrdinal(x.Text, y.Text)) : -1;
        if (y.Kind == AtomKind.Text) return 1;
        if (x.Kind != y.Kind) return x.Kind < y.Kind ? -1 : 1; // a BigNumber has more digits than any Number
        if (x.Kind == AtomKind.BigNumber)
        {
            var byLength = x.Text!.Length.CompareTo(y.Text!.Length);
            return byLength != 0 ? byLength : Math.Sign(string.CompareOrdinal(x.Text, y.Text));
        }
        return 0; // post == post
    }

    public void AddTo(ref HashCode hash)
    {
        hash.Add((byte)Kind);
        hash.Add(Number);
        hash.Add(Text);
    }

    /// <summary>How Python prints the value conda stores (<c>3</c>, <c>inf</c>, <c>'rc'</c>).</summary>
    public string ToPythonRepr() => Kind switch
    {
        AtomKind.Number => Number.ToString(System.Globalization.CultureInfo.InvariantCulture),
        AtomKind.BigNumber => Text!,
        AtomKind.Post => "inf",
        _ => "'" + Text + "'",
    };
}

/// <summary>Declaration order is the order between kinds that are not strings.</summary>
internal enum AtomKind : byte
{
    Text,
    Number,
    BigNumber,
    Post,
}
