using System.Text.Json;
using CondaMirror.Core.Records;

namespace CondaMirror.TestKit.Channels;

/// <summary>Reads a generated channel's repodata back as records located under a base URL (for writing test locks).</summary>
public static class ChannelRecords
{
    public static IReadOnlyList<RepodataRecord> Read(string channelDirectory, Uri baseUri)
    {
        var result = new List<RepodataRecord>();
        foreach (var repodata in Directory.GetFiles(channelDirectory, "repodata.json", SearchOption.AllDirectories).OrderBy(p => p, StringComparer.Ordinal))
        {
            var subdir = Path.GetFileName(Path.GetDirectoryName(repodata))!;
            using var doc = JsonDocument.Parse(File.ReadAllBytes(repodata));
            foreach (var map in new[] { "packages", "packages.conda" })
                foreach (var entry in doc.RootElement.GetProperty(map).EnumerateObject())
                {
                    var record = PackageRecordJson.FromElement(entry.Value);
                    var channel = baseUri.AbsoluteUri.TrimEnd('/');
                    result.Add(new RepodataRecord(record, $"{channel}/{subdir}/{entry.Name}", entry.Name, channel));
                }
        }
        return result;
    }
}
