using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CondaMirror.Core.Errors;

namespace CondaMirror.Core.Networking.Oci;

/// <summary>One layer of a manifest: a blob by its digest, with its media type and the file name it carries.</summary>
public sealed record OciLayer(string MediaType, string Digest, long Size, string Title);

/// <summary>
/// OCI image manifests as conda channels use them: the empty config (<c>application/vnd.oci.empty.v1+json</c>, the
/// two bytes <c>{}</c>) and one layer per file, titled with its file name. Written byte for byte the same for the
/// same layers, so an unchanged file's manifest has the digest the registry already holds and is not written again.
/// </summary>
public static class OciManifest
{
    public const string EmptyConfigMediaType = "application/vnd.oci.empty.v1+json";
    public static readonly byte[] EmptyConfig = "{}"u8.ToArray();
    public static readonly string EmptyConfigDigest = DigestOf(EmptyConfig);

    public static string DigestOf(byte[] bytes) => "sha256:" + Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant();

    public static byte[] Write(IReadOnlyList<OciLayer> layers)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("schemaVersion", 2);
            json.WriteString("mediaType", OciReference.ManifestMediaType);
            json.WriteStartObject("config");
            json.WriteString("mediaType", EmptyConfigMediaType);
            json.WriteString("digest", EmptyConfigDigest);
            json.WriteNumber("size", EmptyConfig.Length);
            json.WriteEndObject();
            json.WriteStartArray("layers");
            foreach (var layer in layers)
            {
                json.WriteStartObject();
                json.WriteString("mediaType", layer.MediaType);
                json.WriteString("digest", layer.Digest);
                json.WriteNumber("size", layer.Size);
                json.WriteStartObject("annotations");
                json.WriteString("org.opencontainers.image.title", layer.Title);
                json.WriteEndObject();
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }

    /// <summary>The digest of the first layer of <paramref name="mediaType"/>, null when there is none; an unreadable manifest or digest is CMIR692.</summary>
    public static string? LayerDigest(byte[] manifest, string mediaType, string where)
    {
        try
        {
            using var document = JsonDocument.Parse(manifest, new JsonDocumentOptions { MaxDepth = 16 });
            if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty("layers", out var layers) || layers.ValueKind != JsonValueKind.Array)
                throw Invalid(where, "it has no layers array");
            foreach (var layer in layers.EnumerateArray())
            {
                if (layer.ValueKind != JsonValueKind.Object || !layer.TryGetProperty("mediaType", out var type) || type.ValueKind != JsonValueKind.String) continue;
                if (type.GetString() != mediaType) continue;
                var digest = layer.TryGetProperty("digest", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null;
                // Only sha256 digests: the digest becomes part of a URL path, so nothing else may pass.
                if (digest is null || digest.Length != 71 || !digest.StartsWith("sha256:", StringComparison.Ordinal) || !digest[7..].All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f'))
                    throw Invalid(where, $"its {mediaType} layer has no sha256 digest");
                return digest;
            }
            return null;
        }
        catch (JsonException e)
        {
            throw Invalid(where, "it is not JSON: " + e.Message);
        }
    }

    private static CondaMirrorException Invalid(string where, string why) =>
        new(ErrorCodes.OciManifestInvalid, $"The OCI manifest {where} cannot be read: {why}. The registry holds something other than a conda channel there.", where);
}
