using System.Diagnostics;
using System.Globalization;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Repodata.Shards;
using CondaMirror.Core.Zstd;
using CondaMirror.TestKit;
using Xunit;
using Xunit.Abstractions;

namespace CondaMirror.Tests.Repodata;

/// <summary>
/// Real-size bombs (10 GiB inflated) against the fetcher with its DEFAULT limits, in a child process
/// (tools/CondaMirror.HostileProbe) so its peak RSS is its own: refused with CMIR640 at the 2 GiB cap, with memory
/// that does not grow with the body.
/// </summary>
public sealed class RepodataBombMemoryTests(ITestOutputHelper output)
{
    private const long TenGiB = 10L << 30;
    private const long MaxPeakRssKb = 300 * 1024;

    public static TheoryData<string> Kinds => new() { "gzip", "zstd" };

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_10_GiB_bomb_is_refused_with_bounded_memory_and_time(string kind)
    {
        using var temp = new TempDirectory("bomb-rss");
        Directory.CreateDirectory(temp.Combine("channel"));
        await using var server = new LoopbackChannelServer(temp.Combine("channel"));
        if (kind == "gzip")
            server.ServeBytes("/linux-64/repodata.json", Bombs.Gzip(TenGiB), ("Content-Encoding", "gzip"));
        else // the largest window the fetcher accepts (32 MiB), so the decoder's buffer is as large as it can be
            server.ServeBytes("/linux-64/repodata.json.zst", Bombs.Zstd(TenGiB, windowLog: 25));

        var (line, message, elapsed) = await RunProbeAsync(server.BaseUri.AbsoluteUri, "linux-64", temp.Combine("cache"));
        output.WriteLine($"{kind}: {line} (wall {elapsed.TotalSeconds:F1} s)");
        output.WriteLine(message);

        var fields = line.Split(' ').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        Assert.Equal(ErrorCodes.RepodataTooLarge, fields["outcome"]);
        Assert.Contains(server.BaseUri.AbsoluteUri + "linux-64/repodata.json", message);
        Assert.InRange(long.Parse(fields["vmhwm_kb"], CultureInfo.InvariantCulture), 1, MaxPeakRssKb);
        // Writing the 2 GiB that the cap lets through takes about 4 s of CPU; the margin is for loaded machines.
        Assert.InRange(elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(60));
        Assert.Empty(Directory.GetFiles(temp.Combine("cache"), "*.tmp", SearchOption.AllDirectories));
    }

    public static TheoryData<string> ShardKinds => new() { "index-gzip", "shard-gzip", "shard-zstd" };

    /// <summary>
    /// The same bombs as a CEP-16 shard index or shard (the index naming the bomb's real hash, as a hostile server
    /// would): CMIR653 at the 64 MiB shard cap, memory bounded.
    /// </summary>
    [Theory]
    [MemberData(nameof(ShardKinds))]
    public async Task A_10_GiB_shard_bomb_is_refused_with_bounded_memory(string kind)
    {
        using var temp = new TempDirectory("bomb-rss");
        Directory.CreateDirectory(temp.Combine("channel"));
        await using var server = new LoopbackChannelServer(temp.Combine("channel"));
        if (kind == "index-gzip")
            server.ServeBytes("/linux-64/repodata_shards.msgpack.zst", Bombs.Gzip(TenGiB), ("Content-Encoding", "gzip"));
        else
        {
            var shard = kind == "shard-zstd" ? Bombs.Zstd(TenGiB, windowLog: 25) : ZstdCodec.Compress(new byte[] { 0x80 });
            var index = new ShardIndex { Subdir = "linux-64", ShardsBaseUrl = "./shards/" };
            index.SetShard("python", ShardHash.Of(shard));
            server.ServeBytes("/linux-64/repodata_shards.msgpack.zst", ShardWriter.WriteCompressedIndex(index));
            var shardPath = "/linux-64/shards/" + ShardHash.FileName(ShardHash.Of(shard));
            if (kind == "shard-gzip") server.ServeBytes(shardPath, Bombs.Gzip(TenGiB), ("Content-Encoding", "gzip"));
            else server.ServeBytes(shardPath, shard);
        }

        var (line, message, elapsed) = await RunProbeAsync(server.BaseUri.AbsoluteUri, "linux-64", temp.Combine("cache"), "python");
        output.WriteLine($"{kind}: {line} (wall {elapsed.TotalSeconds:F1} s)");
        output.WriteLine(message);

        var fields = line.Split(' ').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        Assert.Equal(ErrorCodes.ShardTooLarge, fields["outcome"]);
        Assert.Contains(server.BaseUri.AbsoluteUri + "linux-64/", message);
        Assert.InRange(long.Parse(fields["vmhwm_kb"], CultureInfo.InvariantCulture), 1, MaxPeakRssKb);
        Assert.InRange(elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(60));
        Assert.Equal(0, server.RequestCount("/linux-64/repodata.json") + server.RequestCount("/linux-64/repodata.json.zst"));
    }

    private static async Task<(string Line, string Message, TimeSpan Elapsed)> RunProbeAsync(params string[] arguments)
    {
        var probe = ProbePath();
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(probe);
        foreach (var a in arguments) start.ArgumentList.Add(a);
        var stopwatch = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try { await process.WaitForExitAsync(timeout.Token); }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{probe} did not finish within 90 s");
        }
        stopwatch.Stop();
        var lines = (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(process.ExitCode == 0 && lines.Length >= 1, $"probe exit {process.ExitCode}: {await stderr}");
        return (lines[0].Trim(), string.Join('\n', lines.Skip(1)), stopwatch.Elapsed);
    }

    // Built by the test project's ProjectReference, in the same configuration as this assembly.
    private static string ProbePath()
    {
        var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name; // bin/<configuration>/<tfm>
        var path = Path.Combine(TestData.RepoRoot, "tools", "CondaMirror.HostileProbe", "bin", configuration, "net10.0", "CondaMirror.HostileProbe.dll");
        Assert.True(File.Exists(path), $"{path} is missing; build tests/CondaMirror.Tests first");
        return path;
    }
}
