using System.Text.RegularExpressions;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Versions;

namespace CondaMirror.Core.Specs;

/// <summary>
/// A conda version spec (conda 25.11 <c>VersionSpec</c>): <c>1.2</c> / <c>==1.2</c> (equal), <c>!=</c>, <c>&lt;</c>,
/// <c>&lt;=</c>, <c>&gt;</c>, <c>&gt;=</c>, <c>~=</c> (compatible release), <c>=1.2</c> / <c>1.2.*</c> / <c>1.2*</c>
/// (prefix), <c>*</c> (anything), globs with an inner <c>*</c> (<c>1.*.3</c>), regexes <c>^...$</c>, and
/// combinations with <c>,</c> (and, binds tighter) and <c>|</c> (or) and parentheses.
/// <para>
/// conda's special cases, kept as conda has them: <c>&gt;=1.2.*</c> means <c>&gt;=1.2</c>; <c>=1.2.*</c> means
/// <c>=1.2</c>; <c>!=1.2.*</c> means "does not start with 1.2"; with <c>==</c>, <c>&lt;</c>, <c>&lt;=</c> and
/// <c>&gt;</c> the <c>.*</c> is ignored (so <c>==1.2.*</c> here is plain equality; the MatchSpec parser turns
/// <c>name ==1.2.*</c> into a prefix match before it gets here); <c>~=1.2.*</c> is an error; a spec containing
/// <c>@</c> compares the raw version string.
/// </para>
/// <para>
/// Deliberate difference: <see cref="ToString"/> keeps the parentheses a nested group needs
/// (<c>(1.2|1.3),&gt;=1</c>). conda 25.11 drops them there and prints a string that means something else when
/// parsed again; the structure and matching are the same as conda's.
/// </para>
/// </summary>
public abstract partial class VersionSpec
{
    // Tokens of a spec expression: a whole regex, an operator or parenthesis, or anything else. Quadratic at worst
    // ("^a,^a,..."), so it has a generous timeout as a backstop to the length limit; mapped to CMIR102.
    [GeneratedRegex(@"\s*\^[^$]*[$]|\s*[()|,]|[^()|,]+", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 5000)]
    private static partial Regex Tokenizer();

    // An operator directly followed by a version; rejects "<= 1.2", "<>1.2" and "<=!1.2".
    [GeneratedRegex(@"^(=|==|!=|<=|>=|<|>|~=)(?![=<>!~])(\S+)$", RegexOptions.CultureInvariant)]
    internal static partial Regex Relation();

    private protected VersionSpec()
    {
    }

    /// <summary>Matches every version (<c>*</c>).</summary>
    public static VersionSpec Any { get; } = new AnyVersionSpec();

    /// <summary>True for an exact <c>==1.2</c> / <c>1.2</c> spec (conda's <c>is_exact</c>).</summary>
    public virtual bool IsExact => false;

    /// <summary>Parses a version spec, throwing <see cref="CondaMirrorException"/> (CMIR102) where conda would reject it.</summary>
    public static VersionSpec Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return ParseExpression(text);
    }

    public static bool TryParse(string? text, out VersionSpec? spec, out string? error)
    {
        spec = null;
        error = null;
        if (text is null)
        {
            error = "the version spec is missing";
            return false;
        }
        try
        {
            spec = ParseExpression(text);
            return true;
        }
        catch (CondaMirrorException ex)
        {
            error = ex.Message;
            return false;
        }
    }

    public bool Matches(CondaVersion version)
    {
        ArgumentNullException.ThrowIfNull(version);
        return Evaluate(version.Original, version);
    }

    /// <summary>
    /// Matches a version string. Regex and <c>@</c> specs look at the raw string like conda; comparisons need a
    /// valid version, and a string conda could not parse matches none of them (conda raises instead).
    /// </summary>
    public bool Matches(string version)
    {
        ArgumentNullException.ThrowIfNull(version);
        CondaVersion.TryParse(version, out var parsed);
        return Evaluate(version, parsed);
    }

    /// <param name="raw">The version as written in the record (what regexes see).</param>
    /// <param name="parsed">The parsed version, or null when the raw string is not a valid version.</param>
    internal abstract bool Evaluate(string raw, CondaVersion? parsed);

    /// <summary>conda's spec string, e.g. <c>&gt;=1.0,&lt;2</c> or <c>1.2.*</c> (for input <c>1.2*</c>).</summary>
    public abstract override string ToString();

    /// <summary>The text as it would appear inside a group with operator <paramref name="parentOperator"/>.</summary>
    internal virtual string ToString(char parentOperator) => ToString();

    private static VersionSpec ParseExpression(string text)
    {
        SpecRegex.CheckLength(text, ErrorCodes.InvalidVersionSpec, "version spec");
        try
        {
            // Only strings with grouping or regex characters go through the expression parser, as in conda.
            return text.AsSpan().IndexOfAny("()|,^$") >= 0 ? FromTree(Treeify(text)) : ParseLeaf(text);
        }
        catch (RegexMatchTimeoutException ex)
        {
            // A backstop: the length limit keeps the tokenizer (quadratic at worst) in the milliseconds.
            throw new CondaMirrorException(ErrorCodes.InvalidVersionSpec,
                $"invalid version spec '{SpecRegex.Shorten(text)}': too complex to parse in time; real specs are short and simple.", inner: ex);
        }
    }

    // Leaves of the tree are single tokens: re-tokenizing one (as conda does) gives the same token back.
    private static VersionSpec FromTree(object node)
    {
        if (node is string leaf) return ParseLeaf(leaf);
        var group = (Group)node;
        var children = group.Items.Select(FromTree).ToArray();
        return group.Operator == '|' ? new OrVersionSpec(children) : new AndVersionSpec(children);
    }

    private sealed record Group(char Operator, List<object> Items);

    // conda's treeify: shunting-yard over the tokens of "(text)", fusing nested groups of the same operator.
    private static object Treeify(string text)
    {
        var output = new List<object>();
        var stack = new Stack<char>();

        void ApplyOperators(string stopAt)
        {
            while (stack.Count > 0 && !stopAt.Contains(stack.Peek()))
            {
                if (output.Count < 2) throw Invalid(text, "cannot join single expression");
                var op = stack.Pop();
                var right = output[^1];
                var left = output[^2];
                if (left is Group fused && fused.Operator == op)
                {
                    // Extend the left group in place: copying it for every operator made long chains (a,b,c,...) quadratic.
                    AddFused(fused.Items, right, op);
                    output.RemoveAt(output.Count - 1);
                    continue;
                }
                output.RemoveRange(output.Count - 2, 2);
                var items = new List<object>();
                AddFused(items, left, op);
                AddFused(items, right, op);
                output.Add(new Group(op, items));
            }
        }

        foreach (Match token in Tokenizer().Matches("(" + text + ")"))
        {
            var item = token.Value.Trim();
            switch (item)
            {
                case "|":
                    ApplyOperators("(");
                    stack.Push('|');
                    break;
                case ",":
                    ApplyOperators("|(");
                    stack.Push(',');
                    break;
                case "(":
                    stack.Push('(');
                    break;
                case ")":
                    ApplyOperators("(");
                    if (stack.Count == 0 || stack.Peek() != '(') throw Invalid(text, "expression must start with '('");
                    stack.Pop();
                    break;
                default:
                    output.Add(item);
                    break;
            }
        }
        if (stack.Count > 0) throw Invalid(text, "unbalanced parentheses");
        if (output.Count == 0) throw Invalid(text, "unable to determine version from spec");
        // Like conda, juxtaposed groups without an operator keep only the first one.
        return output[0];
    }

    private static void AddFused(List<object> items, object node, char op)
    {
        if (node is Group g && g.Operator == op) items.AddRange(g.Items);
        else items.Add(node);
    }

    private static VersionSpec ParseLeaf(string text)
    {
        var spec = text.Trim();
        if (spec.Length == 0) throw Invalid(text, "empty version spec");

        if (spec[0] == '^' || spec[^1] == '$')
        {
            if (spec[0] != '^' || spec[^1] != '$') throw Invalid(spec, "regex specs must start with '^' and end with '$'");
            return new RegexVersionSpec(spec, CompileRegex(spec));
        }

        if (spec[0] is '=' or '<' or '>' or '!' or '~')
        {
            var m = Relation().Match(spec);
            if (!m.Success) throw Invalid(spec, "invalid operator");
            var op = m.Groups[1].Value;
            var versionText = m.Groups[2].Value;
            var kind = op switch
            {
                "==" => RelationKind.Equal,
                "!=" => RelationKind.NotEqual,
                "<" => RelationKind.Less,
                "<=" => RelationKind.LessOrEqual,
                ">" => RelationKind.Greater,
                ">=" => RelationKind.GreaterOrEqual,
                "=" => RelationKind.StartsWith,
                _ => RelationKind.Compatible,
            };
            if (versionText.EndsWith(".*", StringComparison.Ordinal))
            {
                if (kind == RelationKind.Compatible) throw Invalid(spec, "invalid operator with '.*'");
                if (kind == RelationKind.NotEqual) kind = RelationKind.NotStartsWith;
                versionText = versionText[..^2]; // for the other operators conda ignores the .*
            }
            var version = ParseVersion(versionText, spec);
            CondaVersion? compatiblePrefix = null;
            if (kind == RelationKind.Compatible)
            {
                // ~=1.4.5 is >=1.4.5 and starts with 1.4 (everything before the last '.').
                var dot = version.Normalized.LastIndexOf('.');
                if (dot < 0 || !CondaVersion.TryParseCore(version.Normalized[..dot], out compatiblePrefix, out _))
                    throw Invalid(spec, "'~=' needs a version with at least two components, e.g. ~=1.4");
            }
            return new RelationVersionSpec(spec, kind, version, compatiblePrefix, isExact: op == "==");
        }

        if (spec == "*") return Any;

        if (spec.TrimEnd('*').Contains('*'))
        {
            // An inner '*' makes the spec a glob over the raw version string.
            var pattern = "^(?:" + spec.Replace(".", @"\.").Replace("+", @"\+").Replace("*", ".*") + ")$";
            return new RegexVersionSpec(spec, CompileRegex(pattern, spec));
        }

        if (spec[^1] == '*')
        {
            if (!spec.EndsWith(".*", StringComparison.Ordinal)) spec = spec[..^1] + ".*";
            var prefix = ParseVersion(spec.TrimEnd('*').TrimEnd('.'), spec);
            return new RelationVersionSpec(spec, RelationKind.StartsWith, prefix, null);
        }

        if (!spec.Contains('@')) return new RelationVersionSpec(spec, RelationKind.Equal, ParseVersion(spec, spec), null, isExact: true);

        return new ExactStringVersionSpec(spec);
    }

    private static CondaVersion ParseVersion(string version, string spec)
    {
        if (CondaVersion.TryParseCore(version, out var parsed, out var reason)) return parsed!;
        throw Invalid(spec, $"'{version}' is not a valid version ({reason})");
    }

    private static Regex CompileRegex(string pattern, string? spec = null)
    {
        try
        {
            return SpecRegex.Compile(pattern);
        }
        catch (ArgumentException ex)
        {
            throw Invalid(spec ?? pattern, $"invalid regular expression ({ex.Message})");
        }
    }

    internal static CondaMirrorException Invalid(string spec, string reason) =>
        new(ErrorCodes.InvalidVersionSpec,
            $"invalid version spec '{spec}': {reason}. Examples of valid specs: 1.2.3, >=1.2,<2, 1.2.*, 1.2|1.4, ~=1.4.2.");
}

internal enum RelationKind
{
    Equal,
    NotEqual,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
    StartsWith,
    NotStartsWith,
    Compatible,
}

internal sealed class AnyVersionSpec : VersionSpec
{
    internal override bool Evaluate(string raw, CondaVersion? parsed) => true;

    public override string ToString() => "*";
}

internal sealed class RelationVersionSpec : VersionSpec
{
    private readonly string _text;
    private readonly RelationKind _kind;
    private readonly CondaVersion _version;
    private readonly CondaVersion? _compatiblePrefix;

    public RelationVersionSpec(string text, RelationKind kind, CondaVersion version, CondaVersion? compatiblePrefix, bool isExact = false)
    {
        IsExact = isExact;
        _text = text;
        _kind = kind;
        _version = version;
        _compatiblePrefix = compatiblePrefix;
    }

    public override bool IsExact { get; }

    internal override bool Evaluate(string raw, CondaVersion? parsed)
    {
        if (parsed is null) return false;
        return _kind switch
        {
            RelationKind.Equal => parsed.CompareTo(_version) == 0,
            RelationKind.NotEqual => parsed.CompareTo(_version) != 0,
            RelationKind.Less => parsed.CompareTo(_version) < 0,
            RelationKind.LessOrEqual => parsed.CompareTo(_version) <= 0,
            RelationKind.Greater => parsed.CompareTo(_version) > 0,
            RelationKind.GreaterOrEqual => parsed.CompareTo(_version) >= 0,
            RelationKind.StartsWith => parsed.StartsWith(_version),
            RelationKind.NotStartsWith => !parsed.StartsWith(_version),
            _ => parsed.CompareTo(_version) >= 0 && parsed.StartsWith(_compatiblePrefix!),
        };
    }

    public override string ToString() => _text;
}

internal sealed class RegexVersionSpec : VersionSpec
{
    private readonly string _text;
    private readonly Regex _regex;

    public RegexVersionSpec(string text, Regex regex)
    {
        _text = text;
        _regex = regex;
    }

    // Python's re.match anchors at the start only; every pattern here starts with '^' anyway.
    internal override bool Evaluate(string raw, CondaVersion? parsed) => SpecRegex.IsMatch(_regex, raw, _text, ErrorCodes.InvalidVersionSpec);

    public override string ToString() => _text;
}

internal sealed class ExactStringVersionSpec : VersionSpec
{
    private readonly string _text;

    public ExactStringVersionSpec(string text) => _text = text;

    public override bool IsExact => true;

    internal override bool Evaluate(string raw, CondaVersion? parsed) => raw == _text;

    public override string ToString() => _text;
}

internal sealed class AndVersionSpec : VersionSpec
{
    private readonly VersionSpec[] _children;

    public AndVersionSpec(VersionSpec[] children) => _children = children;

    internal override bool Evaluate(string raw, CondaVersion? parsed)
    {
        foreach (var child in _children)
            if (!child.Evaluate(raw, parsed)) return false;
        return true;
    }

    public override string ToString() => string.Join(",", _children.Select(c => c.ToString(',')));

    internal override string ToString(char parentOperator) => parentOperator == '|' ? "(" + ToString() + ")" : ToString();
}

internal sealed class OrVersionSpec : VersionSpec
{
    private readonly VersionSpec[] _children;

    public OrVersionSpec(VersionSpec[] children) => _children = children;

    internal override bool Evaluate(string raw, CondaVersion? parsed)
    {
        foreach (var child in _children)
            if (child.Evaluate(raw, parsed)) return true;
        return false;
    }

    public override string ToString() => string.Join("|", _children.Select(c => c.ToString('|')));

    internal override string ToString(char parentOperator) => "(" + ToString() + ")";
}
