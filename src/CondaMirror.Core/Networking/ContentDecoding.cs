using System.IO.Compression;
using System.Net.Http.Headers;

namespace CondaMirror.Core.Networking;

/// <summary>
/// Transport decompression (Content-Encoding) done by hand instead of by the handler, so the caller can bound both
/// the bytes on the wire and the bytes they inflate to (the handler's automatic decompression hides the former).
/// </summary>
public static class ContentDecoding
{
    /// <summary>What to send as Accept-Encoding: the codings <see cref="Decode"/> understands.</summary>
    public static void Accept(HttpRequestHeaders headers)
    {
        headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("gzip"));
        headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("br"));
        headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("deflate"));
    }

    /// <summary>
    /// Wraps <paramref name="body"/> in decoders for <paramref name="contentEncodings"/> (applied in the order they
    /// were listed, so undone last to first). Null when a coding is not one of gzip, x-gzip, deflate, br, identity:
    /// the caller reports that with its own error code.
    /// </summary>
    public static Stream? Decode(Stream body, ICollection<string> contentEncodings)
    {
        var stream = body;
        foreach (var coding in contentEncodings.Reverse())
        {
            switch (coding.Trim().ToLowerInvariant())
            {
                case "gzip" or "x-gzip": stream = new GZipStream(stream, CompressionMode.Decompress); break;
                case "deflate": stream = new ZLibStream(stream, CompressionMode.Decompress); break;
                case "br": stream = new BrotliStream(stream, CompressionMode.Decompress); break;
                case "identity" or "": break;
                default: return null;
            }
        }
        return stream;
    }
}
