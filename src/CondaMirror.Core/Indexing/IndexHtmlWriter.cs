using System.Globalization;
using System.Net;
using System.Text;

namespace CondaMirror.Core.Indexing;

/// <summary>
/// The human-readable pages conda-index writes: <c>index.html</c> of the channel (packages with their newest
/// version, license, summary, subdirs) and of each subdir (every file with size, date and checksums). Every string
/// that comes from package metadata is HTML-escaped, links to the outside are written only for http(s) URLs, and
/// dates are the packages' own timestamps, so the same channel gives the same bytes.
/// </summary>
public static class IndexHtmlWriter
{
    public static byte[] Channel(string title, IReadOnlyCollection<string> subdirs, IEnumerable<ChannelEntry> entries)
    {
        var html = Start(title);
        html.Append("<h2>Subdirs</h2>\n<ul>\n");
        foreach (var s in subdirs.OrderBy(s => s, StringComparer.Ordinal))
            html.Append("<li><a href=\"").Append(Href(s)).Append("/\">").Append(E(s)).Append("</a></li>\n");
        html.Append("</ul>\n<h2>Packages</h2>\n<table>\n<tr><th>Package</th><th>Latest version</th><th>License</th><th>Summary</th><th>Subdirs</th></tr>\n");
        foreach (var builds in entries.GroupBy(e => e.Record.Name, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var latest = ChannelDataWriter.Latest(builds);
            var home = ExternalLink(latest.About?.Home);
            html.Append("<tr><td>");
            if (home is null) html.Append(E(builds.Key));
            else html.Append("<a href=\"").Append(home).Append("\" rel=\"nofollow noopener\">").Append(E(builds.Key)).Append("</a>");
            html.Append("</td><td>").Append(E(latest.Record.Version))
                .Append("</td><td>").Append(E(latest.About?.License ?? latest.Record.License ?? ""))
                .Append("</td><td>").Append(E(latest.About?.Summary ?? ""))
                .Append("</td><td>").Append(E(string.Join(", ", builds.Select(b => b.Subdir).Distinct().OrderBy(s => s, StringComparer.Ordinal))))
                .Append("</td></tr>\n");
        }
        html.Append("</table>\n");
        return End(html);
    }

    /// <param name="indexFiles">The subdir's index files to link to (repodata.json, ...), with their sizes.</param>
    public static byte[] Subdir(string channelTitle, string subdir, IEnumerable<ChannelEntry> entries, IReadOnlyList<(string Name, long Size)> indexFiles)
    {
        var html = Start($"{channelTitle}/{subdir}");
        html.Append("<p><a href=\"../\">..</a></p>\n<ul>\n");
        foreach (var (name, size) in indexFiles)
            html.Append("<li><a href=\"").Append(Href(name)).Append("\">").Append(E(name)).Append("</a> (").Append(size.ToString(CultureInfo.InvariantCulture)).Append(" bytes)</li>\n");
        html.Append("</ul>\n<table>\n<tr><th>Filename</th><th>Size</th><th>Date (UTC)</th><th>SHA256</th><th>MD5</th></tr>\n");
        var (tarBz2, conda) = RepodataWriter.Split(entries);
        foreach (var e in conda.Concat(tarBz2).OrderBy(e => e.FileName, StringComparer.Ordinal))
        {
            html.Append("<tr><td><a href=\"").Append(Href(e.FileName)).Append("\">").Append(E(e.FileName)).Append("</a></td><td>")
                .Append(e.Record.Size?.ToString(CultureInfo.InvariantCulture) ?? "")
                .Append("</td><td>").Append(Date(e.Record.Timestamp))
                .Append("</td><td>").Append(E(e.Record.Sha256 ?? ""))
                .Append("</td><td>").Append(E(e.Record.Md5 ?? ""))
                .Append("</td></tr>\n");
        }
        html.Append("</table>\n");
        return End(html);
    }

    private static StringBuilder Start(string title)
    {
        var html = new StringBuilder(4096);
        html.Append("<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n<title>").Append(E(title)).Append("</title>\n")
            .Append("<style>body{font-family:sans-serif}table{border-collapse:collapse}td,th{padding:2px 8px;text-align:left;border-bottom:1px solid #ddd}</style>\n")
            .Append("</head>\n<body>\n<h1>").Append(E(title)).Append("</h1>\n");
        return html;
    }

    private static byte[] End(StringBuilder html) => new UTF8Encoding(false).GetBytes(html.Append("</body>\n</html>\n").ToString());

    /// <summary>HTML-escapes text for element content and quoted attributes (&amp; &lt; &gt; " ').</summary>
    public static string E(string text) => WebUtility.HtmlEncode(text);

    // File and folder names are plain segments (checked by the indexer), still percent-encoded for the URL.
    private static string Href(string segment) => E(Uri.EscapeDataString(segment));

    /// <summary>An escaped absolute http(s) URL, or null: javascript:, data: and relative values never become links.</summary>
    public static string? ExternalLink(string? url)
    {
        if (string.IsNullOrWhiteSpace(url) || !Uri.TryCreate(url.Trim(), UriKind.Absolute, out var uri)) return null;
        if (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps) return null;
        return E(uri.AbsoluteUri);
    }

    private static string Date(long? timestamp)
    {
        var seconds = ChannelDataWriter.Seconds(timestamp);
        if (seconds is null or < 0 or > 253402300799) return "";
        return DateTimeOffset.FromUnixTimeSeconds(seconds.Value).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
    }
}
