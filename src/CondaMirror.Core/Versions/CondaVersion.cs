using System.Text;
using CondaMirror.Core.Errors;

namespace CondaMirror.Core.Versions;

/// <summary>
/// A conda package version with conda's ordering (conda 25.11 <c>VersionOrder</c>).
/// <para>
/// Parsing (case-insensitive): an optional integer epoch before <c>!</c>; an optional local version after
/// <c>+</c>; the rest is split into components at <c>.</c> and <c>_</c> (a <c>-</c> counts as <c>_</c> when the
/// string has no <c>_</c>, otherwise it is an invalid character). Each component is split into runs of digits,
/// runs of <c>*</c> and runs of other characters; a component that does not start with a digit gets a leading 0
/// so that <c>1.1.a1 == 1.1.0a1</c>. A single trailing <c>_</c> stays attached to the last component
/// (openssl-style <c>1.0.1_ &lt; 1.0.1a</c>).
/// </para>
/// <para>
/// Ordering, per component: numbers compare numerically, <c>post</c> is above every number, strings are below
/// every number and compare ordinally, <c>dev</c> sorts below other strings (and above <c>*</c>), and a missing
/// component or sub-component counts as 0 so that <c>1.0 == 1.0.0</c>. The local version only breaks ties.
/// </para>
/// Instances are immutable; parse once and compare many times: comparison walks pre-split arrays and allocates
/// nothing. <see cref="GetHashCode"/> agrees with equality (trailing zeros are ignored).
/// </summary>
public sealed class CondaVersion : IComparable<CondaVersion>, IEquatable<CondaVersion>, IComparable
{
    private static readonly VersionAtom Zero = VersionAtom.FromNumber(0);

    // All sub-components, segment by segment: segment i is _atoms[_segmentStarts[i] .. _segmentStarts[i + 1]).
    // Segments [0, _releaseSegments) are the epoch plus the release part; the remaining ones the local part.
    private readonly VersionAtom[] _atoms;
    private readonly int[] _segmentStarts;
    private readonly int _releaseSegments;
    private readonly int _hash;

    // Fast path for the common all-numeric version without local part (1.2.3 is [0, 1, 2, 3]); null otherwise.
    private readonly long[]? _numbers;

    private CondaVersion(string original, string normalized, VersionAtom[] atoms, int[] segmentStarts, int releaseSegments)
    {
        Original = original;
        Normalized = normalized;
        _atoms = atoms;
        _segmentStarts = segmentStarts;
        _releaseSegments = releaseSegments;
        _hash = ComputeHash();
        if (atoms.Length == releaseSegments && segmentStarts.Length == releaseSegments + 1 &&
            Array.TrueForAll(atoms, a => a.Kind == AtomKind.Number))
            _numbers = Array.ConvertAll(atoms, a => a.Number);
    }

    /// <summary>The string exactly as given to <see cref="Parse"/>.</summary>
    public string Original { get; }

    /// <summary>conda's normalized form: trimmed, lower-cased, dashes turned into underscores when applicable.</summary>
    public string Normalized { get; }

    /// <summary>True when the version has a local part (<c>1.0+cuda</c>).</summary>
    public bool HasLocal => SegmentCount > _releaseSegments;

    private int SegmentCount => _segmentStarts.Length - 1;

    /// <summary>Parses a version, throwing <see cref="CondaMirrorException"/> (CMIR101) when conda would reject it.</summary>
    public static CondaVersion Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (TryParseCore(text, out var version, out var error)) return version!;
        throw new CondaMirrorException(ErrorCodes.InvalidVersion,
            $"'{text}' is not a valid conda version: {error}. Versions look like 1.2.3, 1.0rc1, 2!1.0 or 1.0+local.");
    }

    public static bool TryParse(string? text, out CondaVersion? version)
    {
        if (text is null)
        {
            version = null;
            return false;
        }
        return TryParseCore(text, out version, out _);
    }

    /// <summary>Parses like conda's <c>VersionOrder(text)</c>; on failure returns conda's reason.</summary>
    internal static bool TryParseCore(string text, out CondaVersion? version, out string? error)
    {
        version = null;
        var normalized = text.Trim().ToLowerInvariant();
        if (normalized.Length == 0) return Fail("empty version string", out error);

        if (!HasOnlyVersionCharacters(normalized))
        {
            // conda accepts dashes as separators as long as no underscore is mixed in.
            if (normalized.Contains('-') && !normalized.Contains('_'))
                normalized = normalized.Replace('-', '_');
            if (!HasOnlyVersionCharacters(normalized)) return Fail("invalid character(s)", out error);
        }

        var rest = normalized;
        var epoch = "0".AsSpan();
        var bang = rest.IndexOf('!');
        if (bang >= 0)
        {
            if (rest.IndexOf('!', bang + 1) >= 0) return Fail("duplicated epoch separator '!'", out error);
            epoch = rest.AsSpan(0, bang);
            if (epoch.IsEmpty || !IsAllDigits(epoch)) return Fail("epoch must be an integer", out error);
            rest = rest[(bang + 1)..];
        }

        string? local = null;
        var plus = rest.IndexOf('+');
        if (plus >= 0)
        {
            if (rest.IndexOf('+', plus + 1) >= 0) return Fail("duplicated local version separator '+'", out error);
            local = rest[(plus + 1)..];
            rest = rest[..plus];
        }
        if (rest.Length == 0) return Fail("missing version before local version separator '+'", out error);

        // Split into segments and sub-components straight from the string: no intermediate substrings.
        var atoms = new List<VersionAtom>(normalized.Length + 2);
        var starts = new List<int>(8) { 0 };
        atoms.Add(VersionAtom.FromDigits(epoch));
        starts.Add(atoms.Count);
        // A trailing underscore stays on the last component instead of opening an empty one (openssl-style 1.0.1_).
        if (!AddSegments(rest.AsSpan(), keepTrailingUnderscore: true, atoms, starts))
            return Fail("empty version component", out error);
        var releaseSegments = starts.Count - 1;
        if (local is not null && !AddSegments(local.AsSpan(), keepTrailingUnderscore: false, atoms, starts))
            return Fail("empty version component", out error);

        version = new CondaVersion(text, normalized, atoms.ToArray(), starts.ToArray(), releaseSegments);
        error = null;
        return true;
    }

    // Segments are separated by '.' or '_'; an empty segment is invalid.
    private static bool AddSegments(ReadOnlySpan<char> part, bool keepTrailingUnderscore, List<VersionAtom> atoms, List<int> starts)
    {
        var end = keepTrailingUnderscore && part[^1] == '_' ? part.Length - 1 : part.Length;
        var segmentStart = 0;
        for (var i = 0; i <= end; i++)
        {
            if (i < end && part[i] != '.' && part[i] != '_') continue;
            // The last segment keeps the trailing underscore that was held back.
            var segment = i == end ? part[segmentStart..] : part[segmentStart..i];
            if (segment.IsEmpty) return false;
            if (!char.IsAsciiDigit(segment[0])) atoms.Add(Zero); // keep numbers and strings in phase
            AddRuns(segment, atoms);
            starts.Add(atoms.Count);
            segmentStart = i + 1;
        }
        return true;
    }

    private static bool Fail(string reason, out string? error)
    {
        error = reason;
        return false;
    }

    private static bool HasOnlyVersionCharacters(string s)
    {
        foreach (var c in s)
            if (!(char.IsAsciiDigit(c) || c is >= 'a' and <= 'z' || c is '*' or '.' or '+' or '!' or '_'))
                return false;
        return true;
    }

    private static bool IsAllDigits(ReadOnlySpan<char> s)
    {
        foreach (var c in s)
            if (!char.IsAsciiDigit(c)) return false;
        return true;
    }

    // Runs of digits, runs of '*', runs of anything else (conda's ([0-9]+|[*]+|[^0-9*]+)).
    private static void AddRuns(ReadOnlySpan<char> segment, List<VersionAtom> atoms)
    {
        var i = 0;
        while (i < segment.Length)
        {
            var start = i;
            var kind = RunKind(segment[i]);
            while (i < segment.Length && RunKind(segment[i]) == kind) i++;
            var run = segment[start..i];
            atoms.Add(kind == 0 ? VersionAtom.FromDigits(run) : VersionAtom.FromText(run));
        }

        static int RunKind(char c) => char.IsAsciiDigit(c) ? 0 : c == '*' ? 1 : 2;
    }

    public int CompareTo(CondaVersion? other)
    {
        if (other is null) return 1;
        if (ReferenceEquals(this, other)) return 0;
        if (_numbers is not null && other._numbers is not null) return CompareNumbers(_numbers, other._numbers);
        var c = CompareParts(this, 0, _releaseSegments, other, 0, other._releaseSegments);
        if (c != 0) return c;
        return CompareParts(this, _releaseSegments, SegmentCount, other, other._releaseSegments, other.SegmentCount);
    }

    int IComparable.CompareTo(object? obj) => obj switch
    {
        null => 1,
        CondaVersion v => CompareTo(v),
        _ => throw new ArgumentException("Object is not a CondaVersion", nameof(obj)),
    };

    private static int CompareNumbers(long[] a, long[] b)
    {
        var common = Math.Min(a.Length, b.Length);
        for (var i = 0; i < common; i++)
            if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
        // Missing components count as zero.
        for (var i = common; i < a.Length; i++)
            if (a[i] != 0) return 1;
        for (var i = common; i < b.Length; i++)
            if (b[i] != 0) return -1;
        return 0;
    }

    // Compares segments [aFrom, aTo) of a with [bFrom, bTo) of b; missing segments and sub-components count as 0.
    private static int CompareParts(CondaVersion a, int aFrom, int aTo, CondaVersion b, int bFrom, int bTo)
    {
        var count = Math.Max(aTo - aFrom, bTo - bFrom);
        for (var i = 0; i < count; i++)
        {
            GetSegment(a, aFrom + i, aTo, out var aStart, out var aLength);
            GetSegment(b, bFrom + i, bTo, out var bStart, out var bLength);
            var c = CompareSegments(a._atoms, aStart, aLength, b._atoms, bStart, bLength);
            if (c != 0) return c;
        }
        return 0;
    }

    private static void GetSegment(CondaVersion v, int index, int end, out int start, out int length)
    {
        if (index < end)
        {
            start = v._segmentStarts[index];
            length = v._segmentStarts[index + 1] - start;
        }
        else
        {
            start = 0;
            length = 0;
        }
    }

    private static int CompareSegments(VersionAtom[] a, int aStart, int aLength, VersionAtom[] b, int bStart, int bLength)
    {
        var count = Math.Max(aLength, bLength);
        for (var j = 0; j < count; j++)
        {
            var c = VersionAtom.Compare(j < aLength ? a[aStart + j] : Zero, j < bLength ? b[bStart + j] : Zero);
            if (c != 0) return c;
        }
        return 0;
    }

    /// <summary>
    /// conda's <c>VersionOrder.startswith</c>, the matcher behind <c>1.2.*</c> and <c>=1.2</c>: all components of
    /// <paramref name="prefix"/> but its last are equal, and the last one is equal (numbers) or a string prefix
    /// (strings). With a local part in the prefix, the release parts must be equal and the rule applies to the
    /// local parts.
    /// </summary>
    public bool StartsWith(CondaVersion prefix)
    {
        int mineFrom, mineTo, theirsFrom, theirsTo;
        if (prefix.HasLocal)
        {
            if (CompareParts(this, 0, _releaseSegments, prefix, 0, prefix._releaseSegments) != 0) return false;
            (mineFrom, mineTo) = (_releaseSegments, SegmentCount);
            (theirsFrom, theirsTo) = (prefix._releaseSegments, prefix.SegmentCount);
        }
        else
        {
            (mineFrom, mineTo) = (0, _releaseSegments);
            (theirsFrom, theirsTo) = (0, prefix._releaseSegments);
        }

        var last = theirsTo - theirsFrom - 1;
        // All but the last segment of the prefix must be equal (segments beyond ours count as zero).
        var mineLimit = Math.Min(mineTo, mineFrom + last);
        if (CompareParts(this, mineFrom, mineLimit, prefix, theirsFrom, theirsFrom + last) != 0) return false;

        GetSegment(this, mineFrom + last, mineTo, out var myStart, out var myLength);
        GetSegment(prefix, theirsFrom + last, theirsTo, out var prefixStart, out var prefixLength);
        var lastAtom = prefixLength - 1;
        if (CompareSegments(_atoms, myStart, Math.Min(myLength, lastAtom), prefix._atoms, prefixStart, lastAtom) != 0)
            return false;

        var mine = myLength > lastAtom ? _atoms[myStart + lastAtom] : Zero;
        var theirs = prefix._atoms[prefixStart + lastAtom];
        if (theirs.IsText)
            return mine.IsText && mine.Text!.StartsWith(theirs.Text!, StringComparison.Ordinal);
        return VersionAtom.Compare(mine, theirs) == 0;
    }

    public bool Equals(CondaVersion? other) =>
        other is not null && (ReferenceEquals(this, other) || (_hash == other._hash && CompareTo(other) == 0));

    public override bool Equals(object? obj) => obj is CondaVersion v && Equals(v);

    public override int GetHashCode() => _hash;

    // Hashes the canonical form: trailing zero sub-components and trailing all-zero segments dropped, because
    // exactly those are what zero-padding makes invisible to equality.
    private int ComputeHash()
    {
        var hash = new HashCode();
        HashPart(ref hash, 0, _releaseSegments);
        hash.Add(-1);
        HashPart(ref hash, _releaseSegments, SegmentCount);
        return hash.ToHashCode();
    }

    private void HashPart(ref HashCode hash, int from, int to)
    {
        var lastSignificant = from - 1;
        for (var i = from; i < to; i++)
            if (SignificantLength(i) > 0) lastSignificant = i;
        for (var i = from; i <= lastSignificant; i++)
        {
            var start = _segmentStarts[i];
            var length = SignificantLength(i);
            for (var j = 0; j < length; j++) _atoms[start + j].AddTo(ref hash);
            hash.Add(-2);
        }
    }

    private int SignificantLength(int segment)
    {
        var start = _segmentStarts[segment];
        var length = _segmentStarts[segment + 1] - start;
        while (length > 0 && _atoms[start + length - 1].IsZero) length--;
        return length;
    }

    /// <summary>
    /// The parsed release part in the notation conda prints for <c>VersionOrder.version</c>,
    /// e.g. <c>[[0], [1], [2, 'g'], [0, 'beta', 15]]</c>; used to cross-check parsing against conda.
    /// </summary>
    public string ToComponentString()
    {
        var sb = new StringBuilder("[");
        for (var i = 0; i < _releaseSegments; i++)
        {
            if (i > 0) sb.Append(", ");
            sb.Append('[');
            for (var j = _segmentStarts[i]; j < _segmentStarts[i + 1]; j++)
            {
                if (j > _segmentStarts[i]) sb.Append(", ");
                sb.Append(_atoms[j].ToPythonRepr());
            }
            sb.Append(']');
        }
        return sb.Append(']').ToString();
    }

    public override string ToString() => Original;

    public static bool operator ==(CondaVersion? left, CondaVersion? right) =>
        left is null ? right is null : left.Equals(right);

    public static bool operator !=(CondaVersion? left, CondaVersion? right) => !(left == right);

    public static bool operator <(CondaVersion? left, CondaVersion? right) => Compare(left, right) < 0;

    public static bool operator >(CondaVersion? left, CondaVersion? right) => Compare(left, right) > 0;

    public static bool operator <=(CondaVersion? left, CondaVersion? right) => Compare(left, right) <= 0;

    public static bool operator >=(CondaVersion? left, CondaVersion? right) => Compare(left, right) >= 0;

    private static int Compare(CondaVersion? left, CondaVersion? right) =>
        left is null ? (right is null ? 0 : -1) : left.CompareTo(right);
}
