using System.Diagnostics;
using System.Text;

namespace CondaMirror.TestKit;

/// <summary>
/// Deterministic sample data for zstd tests and benchmarks (text-like, binary mixes, far repeats), and a thin
/// wrapper over the zstd command-line tool used to cross-check the managed codec.
/// </summary>
public static class ZstdSamples
{
    private static readonly string[] Words =
    {
        "the", "of", "and", "package", "channel", "conda", "build", "version", "python", "numpy", "install", "mirror",
        "offline", "dependency", "solver", "archive", "metadata", "license", "platform", "linux", "windows", "osx",
        "a", "to", "in", "is", "that", "for", "it", "with", "as", "was", "on", "be", "at", "by", "this", "from",
        "compression", "window", "frame", "block", "literal", "sequence", "offset", "match", "length", "table",
    };

    /// <summary>English-like text: words, punctuation, numbers and line breaks.</summary>
    public static byte[] Text(int size, int seed)
    {
        var rng = new Random(seed);
        var sb = new StringBuilder(size + 64);
        int lineLength = 0;
        while (sb.Length < size)
        {
            var word = Words[(int)(Math.Pow(rng.NextDouble(), 2) * Words.Length)];
            if (rng.Next(12) == 0) word = char.ToUpperInvariant(word[0]) + word[1..];
            if (rng.Next(20) == 0) word = rng.Next(100000).ToString();
            sb.Append(word);
            lineLength += word.Length + 1;
            if (rng.Next(15) == 0) sb.Append(rng.Next(3) == 0 ? ',' : '.');
            if (lineLength > 60 + rng.Next(20)) { sb.Append('\n'); lineLength = 0; }
            else sb.Append(' ');
        }
        return Encoding.ASCII.GetBytes(sb.ToString(0, size));
    }

    /// <summary>
    /// A binary mix: random bytes, short repeated patterns, zero runs, counters, text, and copies of earlier
    /// segments at distances up to <paramref name="maxCopyDistance"/>.
    /// </summary>
    public static byte[] Binary(int size, int seed, int maxCopyDistance = 1 << 20)
    {
        var rng = new Random(seed);
        var data = new byte[size];
        var text = Text(64 * 1024, seed + 1);
        int pos = 0;
        while (pos < size)
        {
            int len = Math.Min(size - pos, rng.Next(16, 8192));
            var span = data.AsSpan(pos, len);
            switch (rng.Next(6))
            {
                case 0:
                    rng.NextBytes(span);
                    break;
                case 1:
                    int period = rng.Next(1, 12);
                    for (int i = 0; i < len; i++) span[i] = (byte)(i % period * 37 + seed);
                    break;
                case 2:
                    span.Clear();
                    break;
                case 3:
                    uint counter = (uint)rng.Next();
                    for (int i = 0; i + 4 <= len; i += 4) BitConverter.TryWriteBytes(span[i..], counter += (uint)rng.Next(4));
                    break;
                case 4:
                    int start = rng.Next(text.Length - len > 0 ? text.Length - len : 1);
                    text.AsSpan(start, Math.Min(len, text.Length - start)).CopyTo(span);
                    break;
                default:
                    if (pos == 0) goto case 0;
                    int distance = rng.Next(1, Math.Min(pos, maxCopyDistance) + 1);
                    for (int i = 0; i < len; i++) span[i] = data[pos - distance + i];
                    break;
            }
            pos += len;
        }
        return data;
    }

    /// <summary>
    /// Data whose repeats are far apart: distinct pseudo-random 1 MiB chunks, each repeated once 24-64 MiB later,
    /// so only a long window (zstd --long=27) finds them.
    /// </summary>
    public static byte[] FarRepeats(int size, int seed)
    {
        var rng = new Random(seed);
        var data = new byte[size];
        const int chunk = 1 << 20;
        for (int pos = 0; pos < size; pos += chunk)
        {
            int len = Math.Min(chunk, size - pos);
            int back = (24 + rng.Next(40)) << 20;
            if (pos >= back && rng.Next(3) != 0) data.AsSpan(pos - back, len).CopyTo(data.AsSpan(pos));
            else
            {
                var piece = rng.Next(2) == 0 ? Text(len, rng.Next()) : Binary(len, rng.Next(), 64 * 1024);
                piece.CopyTo(data.AsSpan(pos));
            }
        }
        return data;
    }

    /// <summary>Path of the zstd CLI, or null when it is not installed.</summary>
    public static string? ZstdPath { get; } = Requirement.FindOnPath("zstd");

    /// <summary>Returns the zstd CLI path or skips the test (a missing CLI fails under CI; see <see cref="Requirement"/>).</summary>
    public static string RequireZstd() => Requirement.Tool("zstd", "zstd");

    /// <summary>Runs zstd with the given arguments and fails with its stderr when it exits non-zero.</summary>
    public static void RunZstd(params string[] arguments)
    {
        var psi = new ProcessStartInfo(ZstdPath ?? RequireZstd()) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"zstd {string.Join(' ', arguments)} failed ({process.ExitCode}): {stderr.Result}");
    }
}
