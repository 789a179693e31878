using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using CondaMirror.TestKit;
using CondaMirror.TestKit.Synthetic;

namespace CondaMirror.Benchmarks;

public static partial class BenchmarkRegistry
{
    /// <summary>
    /// The subset step's selection in a real MSBuild process: a CondaChannelSubset item over the synthetic
    /// conda-forge-scale channel (500k records at scale 1.0, linux-64 + noarch) served as repodata.json over loopback,
    /// run in plan mode (the whole selection: fetch, read every name, filter, LatestVersions, size; no package
    /// downloads). Peak RSS from /usr/bin/time -v against MSBuild running an empty project (one empty target).
    /// Args: [scale=1.0] [rounds=2] [whitelist=name=p*] [latest=3].
    /// </summary>
    private static Benchmark RegisterSubset() => new("subset",
        "MSBuild subset step (CondaChannelSubset, plan mode) over a 500k-record channel over HTTP: peak RSS against an empty MSBuild project, wall", args =>
    {
        var scale = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 1.0;
        var rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 2;
        var whitelist = args.Length > 2 ? args[2] : "name=p*";
        var latest = args.Length > 3 ? args[3] : "3";
        return RunSubset(scale, rounds, whitelist, latest).GetAwaiter().GetResult();
    });

    private static async Task<int> RunSubset(double scale, int rounds, string whitelist, string latest)
    {
        if (!File.Exists(GnuTime)) throw new InvalidOperationException($"{GnuTime} is missing; install GNU time (apt-get install -y time).");
        using var work = new TempDirectory("cm-bench-subset");
        var clock = Stopwatch.StartNew();
        var channel = work.Combine("channel");
        var counts = new SyntheticChannelGenerator(scale).WriteChannel(channel);
        Console.WriteLine($"generated {string.Join(", ", counts.Select(c => $"{c.Key} {c.Value:N0} records ({new FileInfo(Path.Combine(channel, c.Key, "repodata.json")).Length / 1e6:F0} MB)"))} in {clock.Elapsed.TotalSeconds:F0} s");
        await using var server = new LoopbackChannelServer(channel);

        var version = $"0.0.0-bench.{DateTime.UtcNow:yyyyMMddHHmmss}";
        var feed = work.Combine("feed");
        var env = new Dictionary<string, string> { ["NUGET_PACKAGES"] = work.Combine("nuget-packages") };
        RunProcess("dotnet", TestData.RepoRoot, env, "pack", Path.Combine(TestData.RepoRoot, "src", "CondaMirror.MSBuild"),
            "-c", "Release", "-o", feed, $"-p:Version={version}", "-nodeReuse:false", "-tl:off", "-v:q").ThrowIfFailed("dotnet pack");
        var project = ConsumerProject.Write(work.Combine("app"), feed, version, $"""
              <PropertyGroup>
                <CondaRepodataCachePath>{work.Combine("repodata-cache")}</CondaRepodataCachePath>
                <CondaUseShardedRepodata>false</CondaUseShardedRepodata>
              </PropertyGroup>
              <ItemGroup>
                <CondaChannelSubset Include="{server.BaseUri}" Platforms="linux-64;noarch" Whitelist="{whitelist}" LatestVersions="{latest}" MaxSizeGB="100000" />
              </ItemGroup>
            """, "App");
        RunProcess("dotnet", Path.GetDirectoryName(project)!, env, "restore", project, "-nodeReuse:false", "-tl:off", "-v:q").ThrowIfFailed("dotnet restore");
        var empty = work.Combine("empty", "empty.proj");
        Directory.CreateDirectory(Path.GetDirectoryName(empty)!);
        File.WriteAllText(empty, "<Project><Target Name=\"Nothing\" /></Project>");

        ProcessRun Msbuild(string path, params string[] extra) =>
            RunProcess(GnuTime, Path.GetDirectoryName(path)!, env, new[] { "-v", "dotnet", "msbuild", path, "-nodeReuse:false", "-m:1", "-tl:off", "-v:n" }.Concat(extra).ToArray());

        var baseline = new List<double>();
        var peaks = new List<double>();
        var walls = new List<double>();
        for (var round = 1; round <= rounds; round++)
        {
            var nothing = Msbuild(empty, "-t:Nothing");
            nothing.ThrowIfFailed("empty project");
            baseline.Add(MaxRssMb(nothing.Output));
            // Cold: no repodata cache, so the run downloads and reads all of it.
            if (Directory.Exists(work.Combine("repodata-cache"))) Directory.Delete(work.Combine("repodata-cache"), recursive: true);
            var sw = Stopwatch.StartNew();
            var run = Msbuild(project, "-t:CondaMirrorPlan");
            var wall = sw.Elapsed.TotalSeconds;
            run.ThrowIfFailed("subset plan");
            var plan = Regex.Match(run.Output, @"Conda subset plan: .*");
            if (!plan.Success) throw new InvalidOperationException($"no subset plan in the output:\n{run.Output}");
            walls.Add(wall);
            peaks.Add(MaxRssMb(run.Output));
            foreach (Match line in Regex.Matches(run.Output, @"Conda subset CondaChannelSubset .*"))
                Console.WriteLine($"  {line.Value.Trim()}");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"round {round}: empty project peak RSS {baseline[^1]:F0} MB; subset step wall {wall:F2} s, peak RSS {peaks[^1]:F0} MB; {plan.Value.Trim()}"));
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"median: empty MSBuild project {Median(baseline):F0} MB; subset selection {Median(peaks):F0} MB (+{Median(peaks) - Median(baseline):F0} MB), wall {Median(walls):F2} s"));
        return 0;
    }
}
