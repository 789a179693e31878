using System.Text;
using CondaMirror.Core.Errors;
using CondaMirror.Core.IO;

namespace CondaMirror.Core.Bundles;

/// <summary>
/// A <c>SHA256SUMS</c> file exactly as <c>sha256sum</c> writes and <c>sha256sum -c</c> reads it: one
/// <c>&lt;64 hex&gt;  &lt;relative path&gt;</c> line per file, sorted by path, '/' separators, LF endings.
/// </summary>
public sealed class Sha256Manifest
{
    public const string FileName = "SHA256SUMS";
    private const int MaxBytes = 64 << 20;

    /// <summary>Relative path ('/'-separated) → lower-case hex SHA-256.</summary>
    public SortedDictionary<string, string> Files { get; } = new(StringComparer.Ordinal);

    /// <summary>The manifest of every file under <paramref name="root"/> listed by <paramref name="relativePaths"/>.</summary>
    public static Sha256Manifest Compute(string root, IEnumerable<string> relativePaths)
    {
        var manifest = new Sha256Manifest();
        foreach (var path in relativePaths)
            manifest.Files[path] = FileHashes.Compute(SafePath.Combine(root, path.Split('/'))).Sha256;
        return manifest;
    }

    public byte[] ToBytes()
    {
        var sb = new StringBuilder();
        foreach (var (path, sha) in Files)
            sb.Append(sha).Append("  ").Append(path).Append('\n');
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    public static Sha256Manifest Read(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
            throw new CondaMirrorException(ErrorCodes.BundleManifestInvalid, $"The manifest {path} does not exist. Point CondaBundleBase at the SHA256SUMS of the previous bundle.", path);
        if (info.Length > MaxBytes)
            throw new CondaMirrorException(ErrorCodes.BundleManifestInvalid, $"The manifest {path} is {info.Length} bytes, more than a manifest can be ({MaxBytes} bytes).", path);
        return Parse(File.ReadAllBytes(path), path);
    }

    public static Sha256Manifest Parse(ReadOnlySpan<byte> bytes, string source)
    {
        if (bytes.Length > MaxBytes)
            throw new CondaMirrorException(ErrorCodes.BundleManifestInvalid, $"The manifest {source} is larger than {MaxBytes} bytes.", source);
        var manifest = new Sha256Manifest();
        var lineNumber = 0;
        foreach (var line in Encoding.UTF8.GetString(bytes).Split('\n'))
        {
            lineNumber++;
            if (line.Length == 0) continue;
            // "<hash>  <path>" (text mode) or "<hash> *<path>" (binary mode): both are what sha256sum writes.
            if (line.Length < 67 || line[64] != ' ' || line[65] is not (' ' or '*') || !line.AsSpan(0, 64).ContainsOnlyHex())
                throw new CondaMirrorException(ErrorCodes.BundleManifestInvalid,
                    $"Line {lineNumber} of the manifest {source} is not '<sha256>  <path>' as sha256sum writes it.", source) { Line = lineNumber };
            var path = line[66..];
            if (!IsSafeRelativePath(path))
                throw new CondaMirrorException(ErrorCodes.BundleMemberUnsafe,
                    $"Line {lineNumber} of the manifest {source} names '{path}', which is not a plain relative path.", source) { Line = lineNumber };
            if (!manifest.Files.TryAdd(path, line[..64].ToLowerInvariant()))
                throw new CondaMirrorException(ErrorCodes.BundleManifestInvalid, $"The manifest {source} lists '{path}' twice.", source) { Line = lineNumber };
        }
        return manifest;
    }

    /// <summary>'/'-separated plain segments: no root, no '.', '..', backslash, drive or empty segment.</summary>
    public static bool IsSafeRelativePath(string path) =>
        path.Length is > 0 and <= 4096 && path.Split('/').All(SafePath.IsPlainSegment);
}

file static class SpanHex
{
    public static bool ContainsOnlyHex(this ReadOnlySpan<char> s)
    {
        foreach (var c in s) if (!char.IsAsciiHexDigit(c)) return false;
        return true;
    }
}
