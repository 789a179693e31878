using System.IO.Compression;
using System.Text;

namespace CondaMirror.Core.PyPI;

/// <summary>
/// A wheel's core metadata (<c>&lt;name&gt;-&lt;version&gt;.dist-info/METADATA</c>), served beside it as
/// <c>&lt;wheel&gt;.metadata</c> (PEP 658/714) so an installer can resolve without downloading the wheel. The wheel is
/// a verified file of the lock, but its content is still untrusted: the member is found by name only, read with a
/// size limit, and the project it names must be the wheel's; anything else means no metadata file, with a reason.
/// </summary>
public static class WheelMetadata
{
    /// <summary>Largest METADATA read; real ones are a few KB (long descriptions reach a few hundred KB).</summary>
    public const int MaxBytes = 4 << 20;

    /// <summary>The METADATA bytes of <paramref name="wheelPath"/>, or null and why not.</summary>
    public static byte[]? TryRead(string wheelPath, WheelFileName wheel, out string? problem)
    {
        problem = null;
        try
        {
            using var zip = ZipFile.OpenRead(wheelPath);
            // The spec names the folder {distribution}-{version}.dist-info; match it by normalized name, as installers do.
            var candidates = zip.Entries.Where(e => IsMetadataOf(e.FullName, wheel)).ToList();
            if (candidates.Count != 1)
            {
                problem = candidates.Count == 0 ? "it has no <name>-<version>.dist-info/METADATA of its own" : "it has more than one .dist-info/METADATA";
                return null;
            }
            if (candidates[0].Length > MaxBytes)
            {
                problem = $"its METADATA is larger than {MaxBytes} bytes";
                return null;
            }
            using var stream = candidates[0].Open();
            using var buffer = new MemoryStream();
            var chunk = new byte[81920];
            int read;
            // The central directory's size is the archive's word: count what really inflates.
            while ((read = stream.Read(chunk, 0, chunk.Length)) > 0)
            {
                if (buffer.Length + read > MaxBytes)
                {
                    problem = $"its METADATA is larger than {MaxBytes} bytes";
                    return null;
                }
                buffer.Write(chunk, 0, read);
            }
            var bytes = buffer.ToArray();
            if (!NameMatches(bytes, wheel, out problem)) return null;
            return bytes;
        }
        catch (Exception e) when (e is InvalidDataException or IOException or NotSupportedException)
        {
            problem = $"it cannot be read as a zip archive ({e.Message})";
            return null;
        }
    }

    private static bool IsMetadataOf(string member, WheelFileName wheel)
    {
        const string Suffix = ".dist-info/METADATA";
        if (!member.EndsWith(Suffix, StringComparison.Ordinal)) return false;
        var folder = member[..^Suffix.Length];
        if (folder.Contains('/') || folder.Contains('\\')) return false;
        var dash = folder.LastIndexOf('-');
        return dash > 0 && Locks.PypiLocations.Normalize(folder[..dash]) == wheel.NormalizedName;
    }

    /// <summary>The metadata's Name must be the wheel's project (installers check it). The version is left to the
    /// installer, which compares parsed versions; a textual comparison here would refuse equal spellings.</summary>
    private static bool NameMatches(byte[] bytes, WheelFileName wheel, out string? problem)
    {
        string? name = null;
        // Headers end at the first empty line (RFC 822 style); the body (description) is not looked at.
        foreach (var line in Encoding.UTF8.GetString(bytes).Split('\n'))
        {
            var text = line.TrimEnd('\r');
            if (text.Length == 0) break;
            if (text.StartsWith("Name:", StringComparison.OrdinalIgnoreCase)) { name = text[5..].Trim(); break; }
        }
        if (Locks.PypiLocations.Normalize(name) != wheel.NormalizedName)
        {
            problem = $"its METADATA names project '{name}'";
            return false;
        }
        problem = null;
        return true;
    }
}
