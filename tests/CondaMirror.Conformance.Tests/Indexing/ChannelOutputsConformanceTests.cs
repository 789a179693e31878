using System.Text.Json;
using System.Text.RegularExpressions;
using CondaMirror.Core.Indexing;
using CondaMirror.Core.Records;
using CondaMirror.TestKit;
using Xunit;

namespace CondaMirror.Conformance.Tests.Indexing;

/// <summary>
/// The channel's other outputs against independent ones: channeldata.json and index.html that conda-index wrote for
/// the same real packages, and repodata.json.zst decompressed by the zstd command-line tool.
/// </summary>
public class ChannelOutputsConformanceTests
{
    // The channeldata fields we take from the packages; conda-index also writes paths-derived flags we do not.
    private static readonly string[] Modelled =
        { "description", "dev_url", "doc_source_url", "doc_url", "home", "license", "run_exports", "source_url", "subdirs", "summary", "timestamp", "version" };

    [SkippableFact]
    public void Channeldata_matches_conda_index_for_the_same_packages()
    {
        var packages = TestData.PathOf("packages", "conda-conda-index__tests", "index_hotfix_pkgs");
        var expected = TestData.PathOf("repodata", "conda-conda-index__index_hotfix_pkgs", "channeldata.json");
        using var output = new TempDirectory();
        var archives = Directory.GetFiles(packages, "*.*", SearchOption.AllDirectories).Where(f => ArchiveFileName.TryGetFormat(Path.GetFileName(f), out _)).ToList();
        Assert.NotEmpty(archives);

        ChannelIndexer.Write(output.Path, archives.Select(a => ArchiveEntries.FromArchive(a)));

        using var upstream = JsonDocument.Parse(File.ReadAllBytes(expected));
        using var ours = JsonDocument.Parse(File.ReadAllBytes(output.Combine("channeldata.json")));
        Assert.Equal(1, ours.RootElement.GetProperty("channeldata_version").GetInt32());
        var compared = 0;
        foreach (var package in upstream.RootElement.GetProperty("packages").EnumerateObject())
        {
            var mine = ours.RootElement.GetProperty("packages").GetProperty(package.Name);
            foreach (var field in Modelled)
            {
                var theirs = package.Value.TryGetProperty(field, out var t) ? t : default;
                var has = mine.TryGetProperty(field, out var m);
                if (theirs.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null)
                {
                    Assert.False(has, $"{package.Name}.{field}: conda-index has none, we wrote {(has ? m.GetRawText() : "")}");
                    continue;
                }
                Assert.True(has, $"{package.Name}.{field}: conda-index has {theirs.GetRawText()}, we have none");
                Assert.True(JsonElement.DeepEquals(theirs, m), $"{package.Name}.{field}: conda-index {theirs.GetRawText()}, ours {m.GetRawText()}");
                compared++;
            }
        }
        Assert.True(compared >= 16, $"only {compared} fields compared");
        Assert.Equal(upstream.RootElement.GetProperty("packages").EnumerateObject().Select(p => p.Name),
            ours.RootElement.GetProperty("packages").EnumerateObject().Select(p => p.Name));
    }

    [SkippableFact]
    public void Subdir_index_html_lists_every_package_conda_index_lists_with_the_same_checksums()
    {
        var packages = TestData.PathOf("packages", "conda-conda-index__tests", "index_hotfix_pkgs");
        var expected = File.ReadAllText(TestData.PathOf("repodata", "conda-conda-index__index_hotfix_pkgs", "osx-64", "index.html"));
        using var output = new TempDirectory();
        var archives = Directory.GetFiles(packages, "*.*", SearchOption.AllDirectories).Where(f => ArchiveFileName.TryGetFormat(Path.GetFileName(f), out _)).ToList();

        ChannelIndexer.Write(output.Path, archives.Select(a => ArchiveEntries.FromArchive(a)));

        var ours = File.ReadAllText(output.Combine("osx-64", "index.html"));
        var rows = Rows(expected).Where(r => ArchiveFileName.TryGetFormat(r.File, out _)).ToList();
        // That conda-index run predates .conda: it listed the four .tar.bz2 files; ours lists both formats.
        Assert.Equal(archives.Count(a => a.EndsWith(".tar.bz2", StringComparison.Ordinal)), rows.Count);
        var mine = Rows(ours).ToDictionary(r => r.File);
        foreach (var row in rows)
        {
            Assert.True(mine.TryGetValue(row.File, out var m), $"{row.File} is not in our index.html");
            Assert.Equal(row.Sha256, m.Sha256);
            Assert.Equal(row.Md5, m.Md5);
        }
        Assert.Equal(archives.Count, mine.Keys.Count(k => ArchiveFileName.TryGetFormat(k, out _)));
    }

    // A row: the linked file name, then (anywhere later in the row) a 64-hex and a 32-hex checksum.
    private static IEnumerable<(string File, string Sha256, string Md5)> Rows(string html)
    {
        foreach (Match row in Regex.Matches(html, "<tr>(.*?)</tr>", RegexOptions.Singleline))
        {
            var file = Regex.Match(row.Groups[1].Value, "<a href=\"([^\"]+)\"");
            var sha = Regex.Match(row.Groups[1].Value, "\\b[0-9a-f]{64}\\b");
            var md5 = Regex.Match(row.Groups[1].Value, "<td>([0-9a-f]{32})</td>");
            if (file.Success && sha.Success && md5.Success) yield return (Uri.UnescapeDataString(file.Groups[1].Value), sha.Value, md5.Groups[1].Value);
        }
    }

    [SkippableFact]
    public void Repodata_zst_of_a_real_channel_decompresses_with_the_zstd_cli_to_repodata_json()
    {
        var root = TestData.PathOf("packages", "prefix-dev-pixi__dummy_channel_1");
        using var output = new TempDirectory();
        var archives = Directory.GetFiles(root, "*.conda", SearchOption.AllDirectories);

        ChannelIndexer.Write(output.Path, archives.Select(a => ArchiveEntries.FromArchive(a)));

        var subdirs = Directory.GetDirectories(output.Path).Select(Path.GetFileName).ToList();
        Assert.Contains("linux-64", subdirs);
        foreach (var subdir in subdirs)
        {
            var zst = output.Combine(subdir!, "repodata.json.zst");
            var decompressed = output.Combine(subdir + ".decompressed.json");
            ZstdSamples.RunZstd("-d", "-q", "-f", zst, "-o", decompressed);
            Assert.Equal(File.ReadAllBytes(output.Combine(subdir!, "repodata.json")), File.ReadAllBytes(decompressed));
        }
    }
}
