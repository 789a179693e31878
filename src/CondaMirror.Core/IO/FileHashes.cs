using System.Security.Cryptography;

namespace CondaMirror.Core.IO;

/// <summary>Size, MD5 and SHA-256 of a file, computed in one pass (what a repodata record needs).</summary>
public readonly record struct FileHashes(long Size, string Md5, string Sha256)
{
    public static FileHashes Compute(string path)
    {
        // No FileStream buffer: Compute reads in large chunks itself.
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        return Compute(stream);
    }

    /// <summary>The SHA-256 alone, lower-case hex (what a cache or record check needs; no MD5 pass).</summary>
    public static string Sha256Of(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1, FileOptions.SequentialScan);
        return Convert.ToHexString(SHA256.HashData(stream)).ToLowerInvariant();
    }

    public static FileHashes Compute(Stream stream)
    {
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        // Pooled: indexing hashes every package, and a fresh 128 KB buffer each time lands on the large object heap.
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(1 << 17);
        long size = 0;
        try
        {
            int read;
            while ((read = stream.Read(buffer, 0, 1 << 17)) > 0)
            {
                md5.AppendData(buffer, 0, read);
                sha.AppendData(buffer, 0, read);
                size += read;
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
        return new FileHashes(size, Convert.ToHexString(md5.GetHashAndReset()).ToLowerInvariant(),
            Convert.ToHexString(sha.GetHashAndReset()).ToLowerInvariant());
    }
}
