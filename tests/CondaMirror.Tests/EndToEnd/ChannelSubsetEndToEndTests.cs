using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CondaMirror.TestKit;
using CondaMirror.TestKit.Channels;
using CondaMirror.Tests.Subsets;
using Xunit;

namespace CondaMirror.Tests.EndToEnd;

/// <summary>
/// CondaChannelSubset through real `dotnet build`s against a loopback upstream of thousands of records in linux-64,
/// osx-arm64 and noarch (<see cref="SubsetUpstream"/>). Expected selections come from reference filters written here
/// (string prefixes, System.Version, a two-form spec reader), never from Core; the channel's repodata must hold
/// upstream's record JSON for exactly those records.
/// </summary>
[Collection(EndToEndSecondLaneCollection.Name)]
public class ChannelSubsetEndToEndTests
{
    private readonly PackedPackage _package;

    public ChannelSubsetEndToEndTests(PackedPackage package) => _package = package;

    private static bool IsArchive(RecordedRequest r) => r.Path.EndsWith(".conda", StringComparison.Ordinal) || r.Path.EndsWith(".tar.bz2", StringComparison.Ordinal);

    private string Project(TempDirectory work, string name, string item) => _package.WriteProject(work.Combine(name), $"""
          <PropertyGroup>
            <CondaPackageCachePath>{work.Combine("pkgs-" + name)}</CondaPackageCachePath>
            <CondaRepodataCachePath>{work.Combine("repodata-" + name)}</CondaRepodataCachePath>
          </PropertyGroup>
          <ItemGroup>
            {item}
          </ItemGroup>
        """);

    private static string Channel(string project) => Path.Combine(Path.GetDirectoryName(project)!, "bin", "Debug", "net10.0", "conda-channel");

    /// <summary>The reference filter of the main test: build starts with "py3", name is not delta nor filler-b….</summary>
    private static bool PyThreeNotBlacklisted(JsonObject r)
    {
        var name = (string)r["name"]!;
        return ((string)r["build"]!).StartsWith("py3", StringComparison.Ordinal) && name != "delta" && !name.StartsWith("filler-b", StringComparison.Ordinal);
    }

    private static SortedDictionary<string, SortedDictionary<string, JsonObject>> Expected(SubsetUpstream upstream, Func<string, JsonObject, bool> keep, IEnumerable<string>? platforms = null)
    {
        var result = new SortedDictionary<string, SortedDictionary<string, JsonObject>>(StringComparer.Ordinal);
        foreach (var (subdir, records) in upstream.Offered)
        {
            if (platforms is not null && !platforms.Contains(subdir)) continue;
            result[subdir] = new SortedDictionary<string, JsonObject>(StringComparer.Ordinal);
            foreach (var (fileName, record) in records)
                if (keep(subdir, record)) result[subdir][fileName] = record;
        }
        return result;
    }

    /// <summary>The channel holds exactly the expected archives, and each subdir's repodata.json exactly their upstream records.</summary>
    private static void AssertChannel(string channel, SortedDictionary<string, SortedDictionary<string, JsonObject>> expected)
    {
        var failures = new List<string>();
        foreach (var (subdir, records) in expected)
        {
            var archives = Directory.Exists(Path.Combine(channel, subdir))
                ? Directory.GetFiles(Path.Combine(channel, subdir)).Select(f => Path.GetFileName(f)).Where(f => f.EndsWith(".conda") || f.EndsWith(".tar.bz2")).Order(StringComparer.Ordinal).ToList()
                : new List<string>();
            Assert.Equal(records.Keys.ToList(), archives);
            var repodata = JsonNode.Parse(File.ReadAllBytes(Path.Combine(channel, subdir, "repodata.json")))!.AsObject();
            var published = new SortedDictionary<string, JsonNode>(StringComparer.Ordinal);
            foreach (var map in new[] { "packages", "packages.conda" })
                foreach (var (fileName, node) in repodata[map]!.AsObject()) published[fileName] = node!;
            Assert.Equal(records.Keys.ToList(), published.Keys.ToList());
            foreach (var (fileName, record) in records)
                if (!JsonNode.DeepEquals(record, published[fileName]))
                    failures.Add($"{subdir}/{fileName}: upstream {record.ToJsonString()}, published {published[fileName].ToJsonString()}");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [SkippableFact]
    public async Task A_whitelist_and_blacklist_keep_exactly_the_reference_records_and_a_rerun_follows_upstream()
    {
        using var work = new TempDirectory("condamirror-e2e");
        var upstream = new SubsetUpstream(work.Combine("upstream"), fillersPerSubdir: 1000);
        Assert.True(upstream.Offered.Values.Sum(r => r.Count) > 6000);
        await using var server = new LoopbackChannelServer(upstream.Directory);
        var project = Project(work, "app", $"""<CondaChannelSubset Include="{server.BaseUri}" Platforms="linux-64;osx-arm64;noarch" Whitelist="build=py3*" Blacklist="delta;name=filler-b*" />""");

        var first = _package.Build(project);
        Assert.True(first.Succeeded, first.ToString());
        var expected = Expected(upstream, (_, r) => PyThreeNotBlacklisted(r));
        Assert.Equal(20, expected.Values.Sum(r => r.Count));
        AssertChannel(Channel(project), expected);
        Assert.Equal(20, server.Requests.Count(IsArchive));
        Assert.Matches(new Regex(@"linux-64: 9 of 2014 records kept"), first.Output);

        // Upstream adds five packages and removes three: the re-run fetches five archives and deletes three.
        upstream.AddLater();
        upstream.Remove("linux-64", "beta-0.1-py312_0.conda");
        upstream.Remove("osx-arm64", "alpha-1.9-py311_0.conda");
        upstream.Remove("noarch", "gamma-1.0-py3_0.conda");
        upstream.Publish();
        server.ClearRequests();
        var second = _package.Build(project);
        Assert.True(second.Succeeded, second.ToString());
        var archiveRequests = server.Requests.Where(IsArchive).Select(r => r.Path).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(SubsetUpstream.Later().Select(s => $"/{s.Subdir}/{s.FileName}").Order(StringComparer.Ordinal).ToList(), archiveRequests);
        Assert.False(File.Exists(Path.Combine(Channel(project), "linux-64", "beta-0.1-py312_0.conda")));
        Assert.False(File.Exists(Path.Combine(Channel(project), "osx-arm64", "alpha-1.9-py311_0.conda")));
        Assert.False(File.Exists(Path.Combine(Channel(project), "noarch", "gamma-1.0-py3_0.conda")));
        Assert.Contains("3 removed", second.Output);
        AssertChannel(Channel(project), Expected(upstream, (_, r) => PyThreeNotBlacklisted(r)));

        // Nothing changed upstream: repodata is revalidated (304), nothing is downloaded, the index step is up to date.
        server.ClearRequests();
        var third = _package.Build(project);
        Assert.True(third.Succeeded, third.ToString());
        Assert.Equal(0, server.Requests.Count(IsArchive));
        Assert.Contains("Conda index step: up to date", third.Output);
    }

    [SkippableFact]
    public async Task MaxSizeGB_refuses_a_larger_selection_before_any_package_request()
    {
        using var work = new TempDirectory("condamirror-e2e");
        var upstream = new SubsetUpstream(work.Combine("upstream"), fillersPerSubdir: 10);
        await using var server = new LoopbackChannelServer(upstream.Directory);
        // 0.000001 GB is 1000 bytes; the selection is a few tens of kB.
        var project = Project(work, "app", $"""<CondaChannelSubset Include="{server.BaseUri}" Platforms="linux-64;noarch" Whitelist="build=py3*" MaxSizeGB="0.000001" />""");

        var build = _package.Build(project);
        Assert.False(build.Succeeded, build.ToString());
        Assert.Single(Regex.Matches(build.Output, @"error CMIR\d+").Select(m => m.Value).Distinct());
        Assert.Contains("error CMIR660", build.Output);
        Assert.Contains("MaxSizeGB", build.Output);
        Assert.Equal(0, server.Requests.Count(IsArchive));
        Assert.False(Directory.Exists(Path.Combine(Channel(project), "linux-64")) && Directory.GetFiles(Path.Combine(Channel(project), "linux-64"), "*.conda").Length > 0);
    }

    [SkippableFact]
    public async Task LatestVersions_keeps_the_newest_versions_per_name_with_all_their_builds()
    {
        using var work = new TempDirectory("condamirror-e2e");
        var upstream = new SubsetUpstream(work.Combine("upstream"), fillersPerSubdir: 10);
        await using var server = new LoopbackChannelServer(upstream.Directory);
        var project = Project(work, "app", $"""<CondaChannelSubset Include="{server.BaseUri}" Platforms="linux-64;osx-arm64;noarch" Whitelist="build=py3*" Blacklist="delta;name=filler-b*" LatestVersions="2" />""");

        // The plan prints the selection's count and size and downloads nothing.
        var plan = _package.Build(project, "-p:CondaMirrorPlan=true");
        Assert.True(plan.Succeeded, plan.ToString());
        Assert.Matches(new Regex(@"Conda subset plan: 14 packages, \d+\.\d MB; 14 to download"), plan.Output);
        Assert.Equal(0, server.Requests.Count(IsArchive));
        Assert.False(Directory.Exists(Path.Combine(Channel(project), "linux-64")));

        var build = _package.Build(project);
        Assert.True(build.Succeeded, build.ToString());
        // Reference: among the records the filter keeps, per subdir and name, the two highest System.Version values.
        var newest = new Dictionary<(string, string), HashSet<Version>>();
        foreach (var (subdir, records) in upstream.Offered)
            foreach (var group in records.Values.Where(PyThreeNotBlacklisted).GroupBy(r => (string)r["name"]!))
                newest[(subdir, group.Key)] = group.Select(r => Version.Parse((string)r["version"]!)).Distinct().OrderDescending().Take(2).ToHashSet();
        var expected = Expected(upstream, (subdir, r) => PyThreeNotBlacklisted(r) && newest[(subdir, (string)r["name"]!)].Contains(Version.Parse((string)r["version"]!)));
        // alpha 1.10 and 2.0 (both builds), beta 0.10 and 0.2: 1.9 and 0.1 sort lower than a string comparison says.
        Assert.Contains("alpha-1.10-py310_0.conda", expected["linux-64"].Keys);
        Assert.DoesNotContain("alpha-1.9-py310_0.conda", expected["linux-64"].Keys);
        Assert.Contains("beta-0.10-py312_0.conda", expected["linux-64"].Keys);
        Assert.Equal(14, expected.Values.Sum(r => r.Count));
        AssertChannel(Channel(project), expected);
    }

    [SkippableFact]
    public async Task WithDependencies_adds_every_record_matching_each_dependency_transitively()
    {
        using var work = new TempDirectory("condamirror-e2e");
        var upstream = new SubsetUpstream(work.Combine("upstream"), fillersPerSubdir: 10);
        await using var server = new LoopbackChannelServer(upstream.Directory);
        var project = Project(work, "app", $"""<CondaChannelSubset Include="{server.BaseUri}" Platforms="linux-64;noarch" Whitelist="name=alpha" WithDependencies="true" />""");

        var build = _package.Build(project);
        Assert.True(build.Succeeded, build.ToString());
        // Reference closure: from alpha's records, every record in the same subdir or noarch matching "name" or "name >=v".
        var platforms = new[] { "linux-64", "noarch" };
        var kept = new HashSet<(string Subdir, string FileName)>();
        var queue = new Queue<(string Subdir, string FileName)>();
        foreach (var subdir in platforms)
            foreach (var (fileName, record) in upstream.Offered[subdir])
                if ((string)record["name"]! == "alpha" && kept.Add((subdir, fileName))) queue.Enqueue((subdir, fileName));
        while (queue.Count > 0)
        {
            var (subdir, fileName) = queue.Dequeue();
            foreach (var dep in upstream.Offered[subdir][fileName]["depends"]!.AsArray().Select(d => (string)d!))
            {
                var parts = dep.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                Version? atLeast = parts.Length > 1 ? Version.Parse(parts[1].TrimStart('>', '=')) : null;
                foreach (var pool in subdir == "noarch" ? platforms : new[] { subdir, "noarch" }.Distinct())
                    foreach (var (candidateFile, candidate) in upstream.Offered[pool])
                        if ((string)candidate["name"]! == parts[0] && (atLeast is null || Version.Parse((string)candidate["version"]!) >= atLeast)
                            && kept.Add((pool, candidateFile)))
                            queue.Enqueue((pool, candidateFile));
            }
        }
        var expected = Expected(upstream, (subdir, r) => kept.Contains((subdir, FileNameOf(upstream, subdir, r))), platforms);
        Assert.Equal(7 + 2 + 1, expected.Values.Sum(r => r.Count)); // alpha ×7, libdep 2.0 and 3.0, libbase
        AssertChannel(Channel(project), expected);

        // Real conda installs the newest alpha from the subset, offline, with what it depends on.
        CondaClient.Require();
        var prefix = work.Combine("env");
        var (exit, log) = CondaClient.Run(work.Combine("conda-pkgs"), "create", "--offline", "--override-channels",
            "-c", new Uri(Channel(project) + "/").AbsoluteUri, "-p", prefix, "-y", "alpha");
        Assert.True(exit == 0, log);
        var installed = CondaClient.InstalledVersions(prefix);
        Assert.Contains("alpha", installed.Keys);
        Assert.Contains("libdep", installed.Keys);
        Assert.Contains("libbase", installed.Keys);
    }

    private static string FileNameOf(SubsetUpstream upstream, string subdir, JsonObject record) =>
        upstream.Offered[subdir].Single(kv => ReferenceEquals(kv.Value, record)).Key;

    [SkippableFact]
    public async Task A_sharded_upstream_gives_the_same_selection_as_the_monolithic_one()
    {
        using var work = new TempDirectory("condamirror-e2e");
        var plain = new SubsetUpstream(work.Combine("plain"), fillersPerSubdir: 5);
        var sharded = new SubsetUpstream(work.Combine("sharded"), fillersPerSubdir: 5);
        ShardedChannelWriter.AddShards(sharded.Directory);
        await using var plainServer = new LoopbackChannelServer(plain.Directory);
        await using var shardedServer = new LoopbackChannelServer(sharded.Directory);
        const string filter = """Platforms="linux-64;osx-arm64;noarch" Whitelist="build=py3*" Blacklist="delta;name=filler-b*" WithDependencies="true" """;
        var plainProject = Project(work, "app-plain", $"""<CondaChannelSubset Include="{plainServer.BaseUri}" {filter} />""");
        var shardedProject = Project(work, "app-sharded", $"""<CondaChannelSubset Include="{shardedServer.BaseUri}" {filter} />""");

        var fromPlain = _package.Build(plainProject);
        Assert.True(fromPlain.Succeeded, fromPlain.ToString());
        var fromShards = _package.Build(shardedProject);
        Assert.True(fromShards.Succeeded, fromShards.ToString());
        Assert.True(shardedServer.RequestCount("/linux-64/repodata_shards.msgpack.zst") >= 1);
        Assert.Equal(0, shardedServer.RequestCount("/linux-64/repodata.json") + shardedServer.RequestCount("/linux-64/repodata.json.zst"));

        static List<string> Selection(string channel) => SubsetUpstream.Platforms.SelectMany(subdir =>
        {
            var repodata = JsonNode.Parse(File.ReadAllBytes(Path.Combine(channel, subdir, "repodata.json")))!.AsObject();
            return new[] { "packages", "packages.conda" }.SelectMany(map => repodata[map]!.AsObject()
                .Select(kv => $"{subdir}/{kv.Key} {(string)kv.Value!["sha256"]!} {string.Join(",", kv.Value!["depends"]!.AsArray().Select(d => (string)d!))}"));
        }).Order(StringComparer.Ordinal).ToList();
        var plainSelection = Selection(Channel(plainProject));
        Assert.NotEmpty(plainSelection);
        Assert.Equal(plainSelection, Selection(Channel(shardedProject)));
        // WithDependencies pulled libdep (build h0_0) and libbase in; the whitelist alone keeps neither.
        Assert.Contains(plainSelection, s => s.StartsWith("noarch/libbase-1.0-0.conda", StringComparison.Ordinal));
    }
}
