using System.Text;

namespace CondaMirror.Core.Sbom;

/// <summary>
/// Package URLs (purl) of the <c>conda</c> type:
/// <c>pkg:conda/numpy@1.26.4?build=py312h1_0&amp;channel=conda-forge&amp;subdir=linux-64&amp;type=conda</c>.
/// Qualifiers sorted by key and percent-encoded, so the same package always gives the same string.
/// </summary>
public static class PackageUrl
{
    private const string AnacondaOrg = "https://conda.anaconda.org/";

    public static string ForConda(string name, string version, string build, string subdir, string fileName, string? channel)
    {
        var qualifiers = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["build"] = build,
            ["subdir"] = subdir,
            ["type"] = fileName.EndsWith(".tar.bz2", StringComparison.Ordinal) ? "tar.bz2" : "conda",
        };
        if (ChannelQualifier(channel) is { } c)
            qualifiers["channel"] = c;

        var purl = new StringBuilder("pkg:conda/").Append(Encode(name.ToLowerInvariant())).Append('@').Append(Encode(version));
        var separator = '?';
        foreach (var (key, value) in qualifiers)
        {
            if (value.Length == 0) continue;
            purl.Append(separator).Append(key).Append('=').Append(Encode(value));
            separator = '&';
        }
        return purl.ToString();
    }

    /// <summary>anaconda.org channels by name (as conda writes them), any other channel by its URL.</summary>
    private static string? ChannelQualifier(string? channel)
    {
        if (string.IsNullOrEmpty(channel)) return null;
        var trimmed = channel.TrimEnd('/');
        return trimmed.StartsWith(AnacondaOrg, StringComparison.OrdinalIgnoreCase) && trimmed.Length > AnacondaOrg.Length
            ? trimmed[AnacondaOrg.Length..]
            : trimmed;
    }

    /// <summary>Percent-encodes everything but RFC 3986's unreserved characters.</summary>
    private static string Encode(string value)
    {
        var sb = new StringBuilder(value.Length);
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            var c = (char)b;
            if (char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~') sb.Append(c);
            else sb.Append('%').Append(b.ToString("X2"));
        }
        return sb.ToString();
    }
}
