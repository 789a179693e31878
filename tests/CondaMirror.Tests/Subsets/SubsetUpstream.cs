using System.Text.Json.Nodes;
using CondaMirror.TestKit;
using CondaMirror.TestKit.Channels;
using Xunit;

namespace CondaMirror.Tests.Subsets;

/// <summary>
/// An upstream channel for CondaChannelSubset tests, in linux-64, osx-arm64 and noarch: real archives (TestKit's
/// independent <see cref="ChannelBuilder"/>) for every record a test may select, "patched" in repodata (an extra key
/// and a changed license_family, as a channel's repodata patches make them differ from the archives), plus thousands
/// of filler records written here as JSON with no archive behind them: a filler that is ever selected fails the
/// download with a 404. <see cref="Publish"/> writes repodata.json and .zst for the records currently offered.
/// </summary>
public sealed class SubsetUpstream
{
    public static readonly string[] Platforms = { "linux-64", "osx-arm64", "noarch" };

    /// <summary>subdir → file name → record, what upstream offers now.</summary>
    public SortedDictionary<string, SortedDictionary<string, JsonObject>> Offered { get; } = new(StringComparer.Ordinal);

    /// <summary>Archive-backed records that are not offered yet (<see cref="Later"/>).</summary>
    private readonly Dictionary<(string Subdir, string FileName), JsonObject> _later = new();

    public string Directory { get; }

    public static IEnumerable<PackageSpec> Initial()
    {
        foreach (var p in new[] { "linux-64", "osx-arm64" })
        {
            foreach (var v in new[] { "1.9", "1.10", "2.0" })
                foreach (var b in new[] { "py310_0", "py311_0" })
                    yield return new PackageSpec("alpha", v, b, p) { Depends = new[] { "libdep >=2.0" } };
            yield return new PackageSpec("alpha", "3.0", "h1_0", p) { Depends = new[] { "libdep >=2.0" } };
            foreach (var v in new[] { "0.1", "0.2", "0.10" })
                yield return new PackageSpec("beta", v, "py312_0", p);
            foreach (var v in new[] { "1.0", "2.0", "3.0" })
                yield return new PackageSpec("libdep", v, "h0_0", p) { Depends = new[] { "libbase" } };
        }
        foreach (var v in new[] { "1.0", "1.1" })
            yield return new PackageSpec("gamma", v, "py3_0", "noarch");
        yield return new PackageSpec("libbase", "1.0", "0", "noarch");
    }

    /// <summary>Five packages upstream adds later (all pass build=py3* and the blacklist).</summary>
    public static IEnumerable<PackageSpec> Later() => new[]
    {
        new PackageSpec("alpha", "2.1", "py310_0", "linux-64") { Depends = new[] { "libdep >=2.0" } },
        new PackageSpec("alpha", "2.1", "py310_0", "osx-arm64") { Depends = new[] { "libdep >=2.0" } },
        new PackageSpec("beta", "0.3", "py312_0", "linux-64"),
        new PackageSpec("beta", "0.3", "py312_0", "osx-arm64"),
        new PackageSpec("gamma", "1.2", "py3_0", "noarch"),
    };

    public SubsetUpstream(string directory, int fillersPerSubdir)
    {
        Directory = directory;
        var pool = Path.Combine(directory, "..", Path.GetFileName(directory) + "-pool");
        var all = Initial().Concat(Later()).ToList();
        var builder = new ChannelBuilder();
        foreach (var spec in all) builder.Add(spec);
        builder.WriteTo(pool, Platforms);
        var later = Later().Select(s => (s.Subdir, s.FileName)).ToHashSet();
        foreach (var subdir in Platforms)
        {
            Offered[subdir] = new SortedDictionary<string, JsonObject>(StringComparer.Ordinal);
            var repodata = JsonNode.Parse(File.ReadAllBytes(Path.Combine(pool, subdir, "repodata.json")))!.AsObject();
            System.IO.Directory.CreateDirectory(Path.Combine(directory, subdir));
            foreach (var map in new[] { "packages", "packages.conda" })
                foreach (var (fileName, node) in repodata[map]!.AsObject())
                {
                    var record = node!.AsObject().DeepClone().AsObject();
                    // What a repodata patch does: upstream's record differs from the archive's index.json.
                    record["license_family"] = "PATCHED";
                    record["x_patch"] = new JsonObject { ["by"] = "test", ["n"] = 1 };
                    File.Copy(Path.Combine(pool, subdir, fileName), Path.Combine(directory, subdir, fileName), overwrite: true);
                    if (later.Contains((subdir, fileName))) _later[(subdir, fileName)] = record;
                    else Offered[subdir][fileName] = record;
                }
            for (var i = 0; i < fillersPerSubdir; i++)
            {
                // Excluded by the whitelist (build h…) and by the name blacklist (filler-b…, delta) respectively.
                Offered[subdir][$"filler-a{i}-1.0-h{i}_0.conda"] = Filler($"filler-a{i}", "1.0", $"h{i}_0", subdir, i);
                Offered[subdir][$"filler-b{i}-1.0-py310_{i}.conda"] = Filler($"filler-b{i}", "1.0", $"py310_{i}", subdir, i);
            }
            Offered[subdir]["delta-1.0-py310_0.conda"] = Filler("delta", "1.0", "py310_0", subdir, 0);
        }
        Publish();
    }

    private static JsonObject Filler(string name, string version, string build, string subdir, int i)
    {
        var hash = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(name + build + subdir))).ToLowerInvariant();
        return new JsonObject
        {
            ["build"] = build, ["build_number"] = i, ["depends"] = new JsonArray("libbase"), ["license"] = "MIT",
            ["md5"] = hash[..32], ["name"] = name, ["sha256"] = hash, ["size"] = 1000 + i, ["subdir"] = subdir,
            ["timestamp"] = 1_700_000_000_000, ["version"] = version,
        };
    }

    /// <summary>Offers the five <see cref="Later"/> packages.</summary>
    public void AddLater()
    {
        foreach (var ((subdir, fileName), record) in _later) Offered[subdir][fileName] = record;
        Publish();
    }

    public void Remove(string subdir, string fileName)
    {
        Assert.True(Offered[subdir].Remove(fileName), $"{subdir}/{fileName} is not offered");
    }

    /// <summary>Writes every subdir's repodata.json (and .zst, by Debian's zstd) from <see cref="Offered"/>.</summary>
    public void Publish()
    {
        foreach (var (subdir, records) in Offered)
        {
            var packages = new JsonObject();
            var conda = new JsonObject();
            foreach (var (fileName, record) in records)
                (fileName.EndsWith(".conda", StringComparison.Ordinal) ? conda : packages)[fileName] = record.DeepClone();
            var root = new JsonObject
            {
                ["info"] = new JsonObject { ["subdir"] = subdir },
                ["packages"] = packages,
                ["packages.conda"] = conda,
                ["removed"] = new JsonArray(),
                ["repodata_version"] = 1,
            };
            var bytes = System.Text.Encoding.UTF8.GetBytes(root.ToJsonString());
            File.WriteAllBytes(Path.Combine(Directory, subdir, "repodata.json"), bytes);
            File.WriteAllBytes(Path.Combine(Directory, subdir, "repodata.json.zst"), ExternalCodec.Zstd(bytes));
        }
    }
}
