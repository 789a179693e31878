using System.Text.Json;
using CondaMirror.Core.Indexing;
using CondaMirror.Core.Records;
using CondaMirror.TestKit;
using Xunit;

namespace CondaMirror.Conformance.Tests.Indexing;

/// <summary>
/// Indexing real channels' package files reproduces those channels' own repodata records (written by
/// rattler-index and conda-index), field by field: every field upstream has, we have with the same value, and we
/// add none it lacks.
/// </summary>
public class RealChannelIndexingTests
{
    [SkippableTheory]
    [InlineData("prefix-dev-pixi__dummy_channel_1")]
    [InlineData("conda-conda__test-recipes")]
    public void Indexing_reproduces_the_channels_own_records(string channel)
    {
        var root = TestData.PathOf("packages", channel);
        using var output = new TempDirectory();
        var archives = Directory.GetFiles(root, "*.*", SearchOption.AllDirectories)
            .Where(f => ArchiveFileName.TryGetFormat(Path.GetFileName(f), out _)).ToList();
        Assert.NotEmpty(archives);

        ChannelIndexer.Write(output.Path, archives.Select(a => ArchiveEntries.FromArchive(a)));

        var compared = 0;
        foreach (var upstreamRepodata in Directory.GetFiles(root, "repodata.json", SearchOption.AllDirectories))
        {
            var subdir = Path.GetFileName(Path.GetDirectoryName(upstreamRepodata))!;
            using var upstream = JsonDocument.Parse(File.ReadAllBytes(upstreamRepodata));
            using var ours = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(output.Path, subdir, "repodata.json")));
            Assert.Equal(subdir, ours.RootElement.GetProperty("info").GetProperty("subdir").GetString());
            foreach (var map in new[] { "packages", "packages.conda" })
            {
                if (!upstream.RootElement.TryGetProperty(map, out var upstreamMap)) continue;
                foreach (var entry in upstreamMap.EnumerateObject())
                {
                    if (!File.Exists(Path.Combine(root, subdir, entry.Name))) continue; // the upstream listing has files this copy lacks
                    var mine = ours.RootElement.GetProperty(map).GetProperty(entry.Name);
                    var shared = entry.Value.EnumerateObject().Where(p => mine.TryGetProperty(p.Name, out _)).ToList();
                    Assert.True(shared.Count >= 10, $"{entry.Name}: only {shared.Count} shared fields");
                    var upstreamKeys = entry.Value.EnumerateObject().Select(p => p.Name).ToList();
                    var ourKeys = mine.EnumerateObject().Select(p => p.Name).ToList();
                    Assert.True(upstreamKeys.Count == ourKeys.Count && !upstreamKeys.Except(ourKeys).Any(),
                        $"{subdir}/{entry.Name}: upstream lacks [{string.Join(", ", ourKeys.Except(upstreamKeys))}], we lack [{string.Join(", ", upstreamKeys.Except(ourKeys))}]");
                    foreach (var field in shared)
                        Assert.True(JsonElement.DeepEquals(field.Value, mine.GetProperty(field.Name)),
                            $"{subdir}/{entry.Name} field {field.Name}: upstream {field.Value.GetRawText()}, ours {mine.GetProperty(field.Name).GetRawText()}");
                    foreach (var required in new[] { "name", "version", "build", "build_number", "depends", "md5", "sha256", "size", "subdir" })
                        Assert.True(mine.TryGetProperty(required, out _), $"{entry.Name} lacks {required}");
                    compared++;
                }
            }
        }
        Assert.True(compared >= archives.Count, $"compared {compared} records for {archives.Count} archives");
        Assert.True(File.Exists(Path.Combine(output.Path, "noarch", "repodata.json")));
    }
}
