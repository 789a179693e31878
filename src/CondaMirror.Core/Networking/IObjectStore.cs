namespace CondaMirror.Core.Networking;

/// <summary>An object as a listing shows it: key (full, with the prefix), size and ETag (quotes removed).</summary>
public sealed record StoredObject(string Key, long Size, string? ETag);

/// <summary>What a HEAD request tells: size, the sha256 we stored in the object's metadata (null when absent), ETag.</summary>
public sealed record ObjectHead(long Size, string? Sha256, string? ETag);

/// <summary>
/// The few object-store operations publishing needs. The S3 (<see cref="S3ObjectStore"/>) and Azure Blob
/// (<see cref="AzureBlobObjectStore"/>) implementations live here with the rest of networking and credentials; tests run
/// the publisher against real servers (s3rver, Azurite) through them. Every failure is a <c>CondaMirrorException</c>
/// (CMIR362–CMIR367, CMIR376–CMIR380) whose message holds no credential.
/// </summary>
public interface IObjectStore : IDisposable
{
    /// <summary>Every object whose key starts with <paramref name="prefix"/>, across pages; more than <paramref name="maxObjects"/> is CMIR367.</summary>
    Task<IReadOnlyList<StoredObject>> ListAsync(string prefix, int maxObjects, CancellationToken cancellationToken);

    /// <summary>The object's head, or null when there is no such key.</summary>
    Task<ObjectHead?> HeadAsync(string key, CancellationToken cancellationToken);

    /// <summary>A small object's bytes, or null when there is no such key; larger than <paramref name="maxBytes"/> is CMIR367.</summary>
    Task<byte[]?> GetSmallAsync(string key, long maxBytes, CancellationToken cancellationToken);

    /// <summary>Uploads <paramref name="content"/> (seekable) under <paramref name="key"/>, with its sha256 recorded in the object's metadata; returns the new ETag.</summary>
    Task<string?> PutAsync(string key, Stream content, string contentType, string sha256, CancellationToken cancellationToken);

    Task DeleteAsync(string key, CancellationToken cancellationToken);
}

/// <summary>Reading a small object's body for every store: the length header is the server's word, the bound is kept on the bytes that arrive.</summary>
internal static class ObjectBody
{
    public static async Task<byte[]> ReadBoundedAsync(Stream body, long? declaredLength, long maxBytes, Func<Exception> tooLarge, CancellationToken cancellationToken)
    {
        if (declaredLength > maxBytes) throw tooLarge();
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > maxBytes) throw tooLarge();
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }
}

/// <summary>What both stores say of a request that never got an answer: the socket error, a timeout, or neither. Only the
/// kind is named: the SDKs' own messages can quote request details.</summary>
internal static class ObjectStoreFailure
{
    public static string Describe(Exception e)
    {
        var all = e is AggregateException a ? a.InnerExceptions.ToList() : [e];
        foreach (var root in all)
            for (Exception? x = root; x is not null; x = x.InnerException)
                if (x is System.Net.Sockets.SocketException s) return "socket: " + s.SocketErrorCode;
        foreach (var root in all)
            for (Exception? x = root; x is not null; x = x.InnerException)
                if (x is TimeoutException or TaskCanceledException) return "timed out";
        return "connection failed";
    }
}
