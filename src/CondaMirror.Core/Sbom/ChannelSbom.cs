using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CondaMirror.Core.IO;
using CondaMirror.Core.Records;
using CondaMirror.Core.Specs;

namespace CondaMirror.Core.Sbom;

/// <summary>One package file of a channel, as the SBOM lists it.</summary>
/// <param name="Url">Where the archive came from (upstream URL, or a file URL for local archives), when known.</param>
/// <param name="Channel">The upstream channel's base URL, when known.</param>
public sealed record SbomPackage(PackageRecord Record, string FileName, string? Url = null, string? Channel = null)
{
    public string Subdir => Record.Subdir ?? "noarch";

    /// <summary>Unique within a channel: the archive's path in it.</summary>
    public string BomRef => $"{Subdir}/{FileName}";
}

public sealed class SbomOptions
{
    /// <summary>Name of the channel (the SBOM's subject).</summary>
    public string ChannelName { get; init; } = "conda-channel";

    /// <summary>Version of the tool that wrote it, recorded in metadata.tools.</summary>
    public string ToolVersion { get; init; } = "0.0.0";
}

/// <summary>
/// A CycloneDX 1.6 JSON SBOM of a channel: one component per package file with its conda purl, hashes, license as
/// given, upstream URL and dependency edges from <c>depends</c> to the channel's packages that satisfy them.
/// Byte-deterministic: no clock, the serial number is derived from the content, everything sorted.
/// </summary>
public static class ChannelSbom
{
    public const string SpecVersion = "1.6";

    /// <summary>Its name at the channel root.</summary>
    public const string FileName = "sbom.cdx.json";

    /// <summary>Writes the SBOM to <paramref name="path"/> atomically, only when its bytes change. Returns whether it wrote.</summary>
    public static bool WriteFile(string path, IEnumerable<SbomPackage> packages, SbomOptions? options = null)
    {
        var bytes = ToBytes(packages, options);
        if (File.Exists(path) && new FileInfo(path).Length == bytes.Length && File.ReadAllBytes(path).AsSpan().SequenceEqual(bytes))
            return false;
        AtomicFile.WriteAllBytes(path, bytes);
        return true;
    }

    public static byte[] ToBytes(IEnumerable<SbomPackage> packages, SbomOptions? options = null)
    {
        options ??= new SbomOptions();
        var sorted = packages.OrderBy(p => p.BomRef, StringComparer.Ordinal).ToList();
        var duplicate = sorted.Zip(sorted.Skip(1)).FirstOrDefault(pair => pair.First.BomRef == pair.Second.BomRef);
        if (duplicate.First is not null)
            throw new ArgumentException($"The channel lists {duplicate.First.BomRef} twice.", nameof(packages));

        var components = WriteJson(w => WriteComponents(w, sorted));
        var dependencies = WriteJson(w => WriteDependencies(w, sorted));
        var serial = SerialNumber(components, dependencies, options);

        using var output = new MemoryStream();
        using (var w = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("$schema", "http://cyclonedx.org/schema/bom-1.6.schema.json");
            w.WriteString("bomFormat", "CycloneDX");
            w.WriteString("specVersion", SpecVersion);
            w.WriteString("serialNumber", serial);
            w.WriteNumber("version", 1);
            w.WriteStartObject("metadata");
            w.WriteStartObject("tools");
            w.WriteStartArray("components");
            w.WriteStartObject();
            w.WriteString("type", "application");
            w.WriteString("name", "CondaMirror.MSBuild");
            w.WriteString("version", options.ToolVersion);
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteStartObject("component");
            w.WriteString("type", "data");
            w.WriteString("bom-ref", "channel");
            w.WriteString("name", options.ChannelName);
            w.WriteString("description", "conda channel");
            w.WriteEndObject();
            w.WriteEndObject();
            w.WritePropertyName("components");
            w.WriteRawValue(components, skipInputValidation: true);
            w.WritePropertyName("dependencies");
            w.WriteRawValue(dependencies, skipInputValidation: true);
            w.WriteEndObject();
        }
        output.WriteByte((byte)'\n');
        return output.ToArray();
    }

    private static void WriteComponents(Utf8JsonWriter w, List<SbomPackage> packages)
    {
        w.WriteStartArray();
        foreach (var p in packages)
        {
            var r = p.Record;
            w.WriteStartObject();
            w.WriteString("type", "library");
            w.WriteString("bom-ref", p.BomRef);
            w.WriteString("name", r.Name);
            w.WriteString("version", r.Version);
            if (!string.IsNullOrWhiteSpace(r.License))
            {
                // As given: conda licenses are often not SPDX ids ("BSD", "GPL-2"), so a name, never a guessed id.
                w.WriteStartArray("licenses");
                w.WriteStartObject();
                w.WriteStartObject("license");
                w.WriteString("name", r.License);
                w.WriteEndObject();
                w.WriteEndObject();
                w.WriteEndArray();
            }
            w.WriteString("purl", PackageUrl.ForConda(r.Name, r.Version, r.Build, p.Subdir, p.FileName, p.Channel));
            w.WriteStartArray("hashes");
            if (IsHex(r.Sha256, 64)) WriteHash(w, "SHA-256", r.Sha256!);
            if (IsHex(r.Md5, 32)) WriteHash(w, "MD5", r.Md5!);
            w.WriteEndArray();
            if (!string.IsNullOrEmpty(p.Url))
            {
                w.WriteStartArray("externalReferences");
                w.WriteStartObject();
                w.WriteString("type", "distribution");
                w.WriteString("url", p.Url);
                w.WriteEndObject();
                w.WriteEndArray();
            }
            w.WriteStartArray("properties");
            WriteProperty(w, "conda:build", r.Build);
            WriteProperty(w, "conda:build_number", r.BuildNumber.ToString(System.Globalization.CultureInfo.InvariantCulture));
            foreach (var c in r.Constrains) WriteProperty(w, "conda:constrains", c);
            foreach (var d in r.Depends) WriteProperty(w, "conda:depends", d);
            WriteProperty(w, "conda:file_name", p.FileName);
            if (r.Size is { } size) WriteProperty(w, "conda:size", size.ToString(System.Globalization.CultureInfo.InvariantCulture));
            WriteProperty(w, "conda:subdir", p.Subdir);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    /// <summary>Edges from each package to the channel's packages (same subdir or noarch) that satisfy one of its depends.</summary>
    private static void WriteDependencies(Utf8JsonWriter w, List<SbomPackage> packages)
    {
        var byName = packages.ToLookup(p => p.Record.Name, StringComparer.Ordinal);
        w.WriteStartArray();
        w.WriteStartObject();
        w.WriteString("ref", "channel");
        w.WriteStartArray("dependsOn");
        foreach (var p in packages) w.WriteStringValue(p.BomRef);
        w.WriteEndArray();
        w.WriteEndObject();
        foreach (var p in packages)
        {
            var targets = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var depend in p.Record.Depends)
            {
                if (!MatchSpec.TryParse(depend, out var spec, out _) || spec is null) continue;
                foreach (var candidate in byName[spec.Name])
                    if (candidate.Subdir == p.Subdir || candidate.Subdir == "noarch")
                        if (spec.Matches(candidate.Record))
                            targets.Add(candidate.BomRef);
            }
            w.WriteStartObject();
            w.WriteString("ref", p.BomRef);
            w.WriteStartArray("dependsOn");
            foreach (var t in targets) w.WriteStringValue(t);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    private static void WriteHash(Utf8JsonWriter w, string alg, string hex)
    {
        w.WriteStartObject();
        w.WriteString("alg", alg);
        w.WriteString("content", hex.ToLowerInvariant());
        w.WriteEndObject();
    }

    private static void WriteProperty(Utf8JsonWriter w, string name, string value)
    {
        w.WriteStartObject();
        w.WriteString("name", name);
        w.WriteString("value", value);
        w.WriteEndObject();
    }

    private static bool IsHex(string? s, int length) => s is not null && s.Length == length && s.All(char.IsAsciiHexDigit);

    private static byte[] WriteJson(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
            write(w);
        return buffer.ToArray();
    }

    /// <summary>A UUID (version 5 layout) from a SHA-256 of the content: the same channel always has the same serial.</summary>
    private static string SerialNumber(byte[] components, byte[] dependencies, SbomOptions options)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(Encoding.UTF8.GetBytes(options.ChannelName + "\n" + options.ToolVersion + "\n"));
        sha.AppendData(components);
        sha.AppendData(dependencies);
        var h = sha.GetHashAndReset();
        h[6] = (byte)((h[6] & 0x0F) | 0x50);
        h[8] = (byte)((h[8] & 0x3F) | 0x80);
        var hex = Convert.ToHexString(h, 0, 16).ToLowerInvariant();
        return $"urn:uuid:{hex[..8]}-{hex[8..12]}-{hex[12..16]}-{hex[16..20]}-{hex[20..32]}";
    }
}
