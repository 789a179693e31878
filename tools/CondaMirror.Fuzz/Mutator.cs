using System.Buffers.Binary;
using System.Text;

namespace CondaMirror.Fuzz;

/// <summary>
/// Seeded mutations: byte-level ones for every target, token-level ones for text targets. Deterministic for a
/// given seed and corpus, so a run can be repeated exactly.
/// </summary>
public sealed class Mutator
{
    private readonly Random _rng;
    private readonly int _maxInputBytes;

    public Mutator(Random rng, int maxInputBytes)
    {
        _rng = rng;
        _maxInputBytes = maxInputBytes;
    }

    // Boundary values for length, size and count fields (tar octal sizes, zip/zstd/bzip2 headers, JSON numbers).
    private static readonly long[] InterestingIntegers =
    {
        0, 1, -1, 2, 7, 8, 15, 16, 31, 32, 63, 64, 100, 127, 128, 255, 256, 511, 512, 1023, 1024, 4096, 32767, 32768,
        65535, 65536, 1 << 17, 1 << 20, 1 << 24, 1 << 27, 1 << 30, int.MaxValue, unchecked((long)0x80000000),
        uint.MaxValue, 1L << 32, 1L << 40, long.MaxValue, long.MinValue, int.MinValue, -2, -128, -32768,
    };

    private static readonly string[] HugeNumbers =
    {
        "0", "-1", "-0", "99999999999999999999", "18446744073709551616", "9223372036854775807", "9223372036854775808",
        "-9223372036854775809", "2147483648", "4294967296", "1e400", "-1e400", "1.7976931348623157e309", "NaN", "0x7fffffff",
        "00000000000000000000000000000000000001", "1" + new string('0', 400), "077777777777", "777777777777",
    };

    // Punctuation of versions, specs, YAML and JSON: inserting these hits the parsers' branches more often than random bytes.
    private static readonly string[] Tokens =
    {
        ">=", "<=", "==", "!=", "~=", "=", ">", "<", "|", ",", "*", ".*", "[", "]", "(", ")", "{", "}", ":", "::", "/",
        "@", "#", "'", "\"", " ", "\t", "\r\n", "\n", "\0", "\uFEFF", "\u00e9", "\ud800", "\U0001F600", "_", "-", "+", "!",
        "build=", "version=", "build_number=", "channel=", "subdir=", "md5=", "sha256=", "url=", "fn=", "[when=\"__linux\"]",
        "1.0", "1!2", "post", "dev", "rc", "0_", "&a ", "*a", "<<: *a", "!!binary ", "!!int ", "!!str ", "? ", "---\n", "...\n",
        "%YAML 1.1\n", "- ", "~", "null", "true", "[]", "{}", "\\u0000", "\\ud800", "\\", "%2A", "file://", "https://x/",
        "noarch", "linux-64", "win-64", "osx-arm64", "conda", "pypi", "@EXPLICIT", "sha256:", "md5:", "./", "../", "info/",
    };

    /// <summary>One to four stacked mutations of <paramref name="input"/>; <paramref name="other"/> feeds splicing.</summary>
    public byte[] Mutate(byte[] input, byte[] other, bool text)
    {
        var data = input;
        var rounds = 1 + _rng.Next(_rng.Next(2) == 0 ? 1 : 4);
        for (var i = 0; i < rounds; i++)
        {
            data = text && _rng.Next(3) != 0 ? MutateText(data, other) : MutateBytes(data, other);
            if (data.Length > _maxInputBytes) data = data[.._maxInputBytes];
        }
        return data;
    }

    public byte[] MutateBytes(byte[] input, byte[] other)
    {
        var d = new List<byte>(input);
        switch (_rng.Next(13))
        {
            case 0: // bit flips
                if (d.Count == 0) goto case 3;
                for (int n = 1 + _rng.Next(8), j = 0; j < n; j++)
                {
                    var p = _rng.Next(d.Count);
                    d[p] ^= (byte)(1 << _rng.Next(8));
                }
                break;
            case 1: // random byte
                if (d.Count == 0) goto case 3;
                d[_rng.Next(d.Count)] = (byte)_rng.Next(256);
                break;
            case 2: // boundary byte
                if (d.Count == 0) goto case 3;
                d[_rng.Next(d.Count)] = new byte[] { 0, 1, 0x7f, 0x80, 0xff, (byte)'0', (byte)'7', (byte)' ', (byte)'\n' }[_rng.Next(9)];
                break;
            case 3: // insert random bytes
            {
                var bytes = new byte[1 + _rng.Next(16)];
                _rng.NextBytes(bytes);
                d.InsertRange(_rng.Next(d.Count + 1), bytes);
                break;
            }
            case 4: // delete a range
                if (d.Count == 0) goto case 3;
                {
                    var (s, l) = Range(d.Count);
                    d.RemoveRange(s, l);
                }
                break;
            case 5: // duplicate a range (possibly many times)
                if (d.Count == 0) goto case 3;
                {
                    var (s, l) = Range(d.Count);
                    var chunk = d.GetRange(s, l);
                    var times = _rng.Next(4) == 0 ? 1 + _rng.Next(64) : 1;
                    var at = _rng.Next(d.Count + 1);
                    for (var t = 0; t < times && d.Count + chunk.Count <= _maxInputBytes; t++) d.InsertRange(at, chunk);
                }
                break;
            case 6: // interesting integer, 1/2/4/8 bytes, either endianness
                if (d.Count == 0) goto case 3;
                {
                    var value = InterestingIntegers[_rng.Next(InterestingIntegers.Length)];
                    var width = new[] { 1, 2, 4, 8 }[_rng.Next(4)];
                    var buf = new byte[8];
                    if (_rng.Next(2) == 0) BinaryPrimitives.WriteInt64LittleEndian(buf, value);
                    else { BinaryPrimitives.WriteInt64BigEndian(buf, value); buf = buf[(8 - width)..]; }
                    var at = _rng.Next(d.Count);
                    for (var k = 0; k < width && at + k < d.Count; k++) d[at + k] = buf[k];
                }
                break;
            case 7: // truncate
                if (d.Count == 0) goto case 3;
                d = d.GetRange(0, _rng.Next(d.Count));
                break;
            case 8: // splice: head of this input, tail of the other
            {
                var cut = _rng.Next(d.Count + 1);
                var from = _rng.Next(other.Length + 1);
                d = d.GetRange(0, cut);
                d.AddRange(other.AsSpan(from).ToArray());
                break;
            }
            case 9: // overwrite with a chunk of the other input
                if (d.Count == 0 || other.Length == 0) goto case 3;
                {
                    var (s, l) = Range(other.Length);
                    var at = _rng.Next(d.Count);
                    for (var k = 0; k < l && at + k < d.Count; k++) d[at + k] = other[s + k];
                }
                break;
            case 10: // ASCII number (tar octal fields, JSON, YAML) replaced by a boundary number
                return ReplaceNumber(input) ?? MutateBytes(input, other);
            case 11: // insert a token
            {
                var token = Encoding.UTF8.GetBytes(Tokens[_rng.Next(Tokens.Length)]);
                d.InsertRange(_rng.Next(d.Count + 1), token);
                break;
            }
            default: // swap two ranges
                if (d.Count < 2) goto case 3;
                {
                    var a = _rng.Next(d.Count);
                    var b = _rng.Next(d.Count);
                    var l = 1 + _rng.Next(Math.Min(32, d.Count - Math.Max(a, b)));
                    for (var k = 0; k < l; k++) (d[a + k], d[b + k]) = (d[b + k], d[a + k]);
                }
                break;
        }
        return d.ToArray();
    }

    public byte[] MutateText(byte[] input, byte[] other)
    {
        var text = Encoding.UTF8.GetString(input);
        var lines = text.Split('\n').ToList();
        switch (_rng.Next(12))
        {
            case 0: // duplicate a line (duplicate keys, repeated entries)
            {
                var i = _rng.Next(lines.Count);
                var times = _rng.Next(4) == 0 ? 1 + _rng.Next(200) : 1;
                for (var t = 0; t < times; t++) lines.Insert(i, lines[i]);
                break;
            }
            case 1: // delete a line
                if (lines.Count > 1) lines.RemoveAt(_rng.Next(lines.Count));
                break;
            case 2: // swap two lines (swaps keys, moves list items between maps)
            {
                int a = _rng.Next(lines.Count), b = _rng.Next(lines.Count);
                (lines[a], lines[b]) = (lines[b], lines[a]);
                break;
            }
            case 3: // swap key and value of a "key: value" line
            {
                var i = _rng.Next(lines.Count);
                var colon = lines[i].IndexOf(": ", StringComparison.Ordinal);
                if (colon > 0)
                {
                    var indent = lines[i].Length - lines[i].TrimStart().Length;
                    lines[i] = lines[i][..indent] + lines[i][(colon + 2)..].Trim() + ": " + lines[i][indent..colon];
                }
                break;
            }
            case 4: // huge or boundary number in place of a number
                return ReplaceNumber(input) ?? Encoding.UTF8.GetBytes(text + HugeNumbers[_rng.Next(HugeNumbers.Length)]);
            case 5: // deep nesting
            {
                var depth = new[] { 64, 1000, 10_000, 100_000 }[_rng.Next(4)];
                var (open, close) = new[] { ("[", "]"), ("{a: ", "}"), ("(", ")"), ("- ", ""), ("{\"a\":", "}") }[_rng.Next(5)];
                var sb = new StringBuilder();
                for (var k = 0; k < depth && sb.Length < _maxInputBytes / 2; k++) sb.Append(open);
                var opened = sb.Length / Math.Max(1, open.Length);
                if (_rng.Next(2) == 0) for (var k = 0; k < opened; k++) sb.Append(close);
                var i = _rng.Next(lines.Count);
                var col = _rng.Next(lines[i].Length + 1);
                lines[i] = lines[i][..col] + sb + lines[i][col..];
                break;
            }
            case 6: // YAML anchors and aliases: exponential expansion if aliases are expanded eagerly
            {
                var levels = 2 + _rng.Next(12);
                var sb = new StringBuilder();
                sb.Append("a0: &a0 [x, x, x, x]\n");
                for (var k = 1; k < levels; k++) sb.Append($"a{k}: &a{k} [*a{k - 1}, *a{k - 1}, *a{k - 1}, *a{k - 1}]\n");
                var i = _rng.Next(lines.Count + 1);
                lines.Insert(i, sb.ToString().TrimEnd('\n'));
                if (_rng.Next(2) == 0 && lines.Count > 1)
                {
                    // An alias in a value position of an existing key.
                    var j = _rng.Next(lines.Count);
                    var colon = lines[j].IndexOf(": ", StringComparison.Ordinal);
                    if (colon > 0) lines[j] = lines[j][..(colon + 2)] + $"*a{levels - 1}";
                }
                break;
            }
            case 7: // long line
            {
                var i = _rng.Next(lines.Count);
                var piece = _rng.Next(2) == 0 ? Tokens[_rng.Next(Tokens.Length)] : lines[i];
                if (piece.Length == 0) piece = "x";
                var times = Math.Max(1, Math.Min(200_000, _maxInputBytes / 2 / piece.Length));
                lines[i] = lines[i] + string.Concat(Enumerable.Repeat(piece, 1 + _rng.Next(times)));
                break;
            }
            case 8: // token insertion at a random column
            {
                var i = _rng.Next(lines.Count);
                var col = _rng.Next(lines[i].Length + 1);
                lines[i] = lines[i][..col] + Tokens[_rng.Next(Tokens.Length)] + lines[i][col..];
                break;
            }
            case 9: // change indentation
            {
                var i = _rng.Next(lines.Count);
                lines[i] = _rng.Next(3) switch
                {
                    0 => lines[i].TrimStart(),
                    1 => new string(' ', 1 + _rng.Next(8)) + lines[i],
                    _ => "\t" + lines[i],
                };
                break;
            }
            case 10: // a line from the other input
            {
                var otherLines = Encoding.UTF8.GetString(other).Split('\n');
                lines.Insert(_rng.Next(lines.Count + 1), otherLines[_rng.Next(otherLines.Length)]);
                break;
            }
            default: // replace a word-ish run by a token
            {
                var i = _rng.Next(lines.Count);
                if (lines[i].Length == 0) break;
                var s = _rng.Next(lines[i].Length);
                var l = 1 + _rng.Next(Math.Min(12, lines[i].Length - s));
                lines[i] = lines[i][..s] + Tokens[_rng.Next(Tokens.Length)] + lines[i][(s + l)..];
                break;
            }
        }
        return Encoding.UTF8.GetBytes(string.Join('\n', lines));
    }

    private byte[]? ReplaceNumber(byte[] input)
    {
        // Pick a run of ASCII digits at a random start and replace it.
        if (input.Length == 0) return null;
        var start = _rng.Next(input.Length);
        for (var probe = 0; probe < input.Length; probe++)
        {
            var p = (start + probe) % input.Length;
            if (input[p] is < (byte)'0' or > (byte)'9') continue;
            var s = p;
            while (s > 0 && input[s - 1] is >= (byte)'0' and <= (byte)'9') s--;
            var e = p;
            while (e < input.Length && input[e] is >= (byte)'0' and <= (byte)'9') e++;
            var replacement = Encoding.ASCII.GetBytes(HugeNumbers[_rng.Next(HugeNumbers.Length)]);
            return input[..s].Concat(replacement).Concat(input[e..]).ToArray();
        }
        return null;
    }

    private (int Start, int Length) Range(int count)
    {
        var start = _rng.Next(count);
        var max = count - start;
        // Mostly short ranges, sometimes long ones.
        var length = 1 + (_rng.Next(4) == 0 ? _rng.Next(max) : _rng.Next(Math.Min(max, 16)));
        return (start, length);
    }
}
