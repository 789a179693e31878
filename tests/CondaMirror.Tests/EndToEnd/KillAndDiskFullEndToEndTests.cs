using System.Diagnostics;
using System.Text.Json;
using CondaMirror.Core.Downloads;
using CondaMirror.Core.IO;
using CondaMirror.Core.Locks;
using CondaMirror.Core.Records;
using CondaMirror.TestKit;
using CondaMirror.TestKit.Channels;
using Xunit;
using Xunit.Abstractions;

namespace CondaMirror.Tests.EndToEnd;

/// <summary>
/// Real `dotnet build`s killed mid-download, and disks that fill up (small tmpfs mounts, when this process may mount):
/// every rebuild afterwards is green, every channel file has the lock's sha256, every subdir lists every package, and
/// no partial file of a dead build is left in the cache.
/// </summary>
[Collection(EndToEndSecondLaneCollection.Name)]
public class KillAndDiskFullEndToEndTests
{
    private readonly PackedPackage _package;
    private readonly ITestOutputHelper _output;

    public KillAndDiskFullEndToEndTests(PackedPackage package, ITestOutputHelper output)
    {
        _package = package;
        _output = output;
    }

    private sealed class Scenario : IAsyncDisposable
    {
        public required TempDirectory Work { get; init; }
        public required LoopbackChannelServer Server { get; init; }
        public required string LockPath { get; init; }
        public required string Project { get; init; }
        public required string Channel { get; init; }
        public required string Cache { get; init; }
        public string StateDir => Work.Combine("app", "obj", "Debug", "net10.0", "condamirror");

        public async ValueTask DisposeAsync()
        {
            await Server.DisposeAsync();
            Work.Dispose();
        }
    }

    /// <summary>Eight small packages in three subdirs, a pixi.lock of them, a consumer mirroring it.</summary>
    private Scenario Start(string? channel = null, string? cache = null)
    {
        var work = new TempDirectory("condamirror-kill");
        var upstream = work.Combine("upstream");
        var builder = new ChannelBuilder();
        for (var i = 0; i < 8; i++)
            builder.Add(new PackageSpec($"p{i}", "1.0", "h_0", (i % 3) switch { 0 => "linux-64", 1 => "win-64", _ => "noarch" }) { PayloadBytes = 40_000 });
        builder.WriteTo(upstream);
        var server = new LoopbackChannelServer(upstream);
        var records = ChannelRecords.Read(upstream, server.BaseUri);
        var document = new LockDocument();
        var environment = document.Environment("default", new[] { records[0].Channel! });
        foreach (var platform in new[] { "linux-64", "win-64" })
            foreach (var r in records.Where(r => r.Subdir == platform || r.Subdir == "noarch"))
                environment.Add(platform, r);
        var lockPath = work.Combine("pixi.lock");
        PixiLockWriter.Write(lockPath, document);
        channel ??= work.Combine("channel");
        cache ??= work.Combine("cache");
        var project = _package.WriteProject(work.Combine("app"), $"""
              <PropertyGroup>
                <CondaLockFile>{lockPath}</CondaLockFile>
                <CondaPackageCachePath>{cache}</CondaPackageCachePath>
                <CondaChannelOutputPath>{channel}</CondaChannelOutputPath>
                <CondaMaxParallelDownloads>2</CondaMaxParallelDownloads>
                <CondaRetryCount>1</CondaRetryCount>
              </PropertyGroup>
            """);
        return new Scenario { Work = work, Server = server, LockPath = lockPath, Project = project, Channel = channel, Cache = cache };
    }

    /// <summary>Green, every locked archive in the channel with the lock's sha256, every subdir's repodata listing its packages.</summary>
    private static void AssertCompleteChannel(Scenario s, CommandResult build)
    {
        Assert.True(build.Succeeded, build.ToString());
        var locked = LockFileReader.Read(s.LockPath).DistinctPackages().ToList();
        foreach (var record in locked)
            Assert.Equal(record.Record.Sha256, FileHashes.Compute(Path.Combine(s.Channel, record.Subdir, record.FileName)).Sha256);
        foreach (var group in locked.GroupBy(r => r.Subdir))
        {
            using var repodata = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(s.Channel, group.Key, "repodata.json")));
            var listed = repodata.RootElement.GetProperty("packages.conda").EnumerateObject().Select(p => p.Name).ToHashSet();
            foreach (var record in group) Assert.Contains(record.FileName, listed);
        }
        Assert.Empty(Directory.EnumerateFiles(s.Channel, "*.tmp", SearchOption.AllDirectories));
    }

    private static IReadOnlyList<string> PartialLeftovers(string cache)
    {
        var partial = Path.Combine(cache, PackageCache.PartialFolder);
        return Directory.Exists(partial) ? Directory.GetFiles(partial) : Array.Empty<string>();
    }

    private static bool IsArchive(RecordedRequest r) => r.Path.EndsWith(".conda", StringComparison.Ordinal);

    /// <summary>Forgets what the download step did, so the next build downloads everything again; partial files stay.</summary>
    private static void ForgetDownloads(Scenario s)
    {
        foreach (var dir in Directory.Exists(s.Cache) ? Directory.GetDirectories(s.Cache) : Array.Empty<string>())
            if (Path.GetFileName(dir) != PackageCache.PartialFolder) Directory.Delete(dir, recursive: true);
        File.Delete(Path.Combine(s.StateDir, "download.step.json"));
    }

    private Process StartBuild(string project)
    {
        var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetDirectoryName(project)! };
        foreach (var a in new[] { "build", project, "--no-restore", "-m:1", "-nodeReuse:false", "-v:m", "-tl:off" }) psi.ArgumentList.Add(a);
        foreach (var (k, v) in _package.BuildEnvironment) psi.Environment[k] = v;
        psi.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        psi.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        var build = Process.Start(psi)!;
        build.OutputDataReceived += (_, _) => { };
        build.ErrorDataReceived += (_, _) => { };
        build.BeginOutputReadLine();
        build.BeginErrorReadLine();
        return build;
    }

    [SkippableFact]
    public async Task Twenty_builds_killed_at_random_points_of_a_download_each_rebuild_green_and_no_partial_file_left()
    {
        const int Kills = 20;
        await using var s = Start();
        var clock = Stopwatch.StartNew();
        AssertCompleteChannel(s, _package.Build(s.Project)); // restores once; the killed builds skip restore
        var random = new Random(20261126);
        var killedDuringDownload = 0;
        for (var kill = 1; kill <= Kills; kill++)
        {
            ForgetDownloads(s);
            // Slow enough that the download takes over a second: 4 KB every 30 ms per package, two at a time.
            s.Server.Faults.Add("**/*.conda", TestKit.FaultKind.Throttle(4 * 1024, TimeSpan.FromMilliseconds(30)), count: int.MaxValue);
            var before = s.Server.Requests.Count(IsArchive);
            using (var build = StartBuild(s.Project))
            {
                var deadline = DateTime.UtcNow.AddMinutes(2);
                while (s.Server.Requests.Count(IsArchive) == before && !build.HasExited && DateTime.UtcNow < deadline)
                    await Task.Delay(10);
                await Task.Delay(random.Next(0, 1000));
                if (!build.HasExited)
                {
                    killedDuringDownload += PartialLeftovers(s.Cache).Any(f => f.EndsWith(PackageCache.PartialSuffix)) ? 1 : 0;
                    build.Kill(entireProcessTree: true); // SIGKILL on Unix: no finally block runs
                }
                build.WaitForExit();
            }
            s.Server.Faults.Clear();
            var rebuild = DotnetCli.Run(Path.GetDirectoryName(s.Project)!, _package.BuildEnvironment,
                "build", s.Project, "--no-restore", "-m:1", "-nodeReuse:false", "-v:m", "-tl:off");
            AssertCompleteChannel(s, rebuild);
            Assert.Empty(PartialLeftovers(s.Cache));
        }
        _output.WriteLine($"{Kills} kills ({killedDuringDownload} with partial files on disk at the kill) and rebuilds in {clock.Elapsed.TotalSeconds:0.0} s");
        Assert.True(killedDuringDownload >= Kills / 2, $"only {killedDuringDownload} of {Kills} kills hit a download in flight");
    }

    [SkippableFact]
    public async Task A_failed_repodata_write_in_one_subdir_is_indexed_again_by_the_next_build()
    {
        await using var s = Start();
        // win-64 is written after noarch: noarch/repodata.json is fresh when win-64's write fails.
        Directory.CreateDirectory(Path.Combine(s.Channel, "win-64", "repodata.json"));

        var failed = _package.Build(s.Project);
        Assert.False(failed.Succeeded, failed.ToString());
        Assert.Contains("error CMIR305", failed.Output);
        Assert.True(File.Exists(Path.Combine(s.Channel, "noarch", "repodata.json")));

        Directory.Delete(Path.Combine(s.Channel, "win-64", "repodata.json"));
        var rebuild = _package.Build(s.Project);
        Assert.DoesNotContain("Conda index step: up to date", rebuild.Output);
        AssertCompleteChannel(s, rebuild);

        // A repodata.json deleted behind the build's back is written again too (the stamp lists every one).
        File.Delete(Path.Combine(s.Channel, "linux-64", "repodata.json"));
        AssertCompleteChannel(s, _package.Build(s.Project));
    }

    [SkippableFact]
    public async Task A_full_cache_disk_fails_with_a_coded_error_leaves_nothing_partial_and_a_rebuild_with_space_completes()
    {
        using var mount = SmallDisk.TryMount("cache", "96k", out var reason);
        Requirement.That(mount is not null, reason); // mounting needs root or CAP_SYS_ADMIN
        await using var s = Start(cache: mount.Path);

        var failed = _package.Build(s.Project);

        Assert.False(failed.Succeeded, failed.ToString());
        Assert.Matches("error CMIR5(08|10)", failed.Output);
        Assert.Contains("CMIR508", failed.Output);
        Assert.DoesNotContain("CMIR899", failed.Output);
        Assert.Empty(PartialLeftovers(s.Cache));

        mount.Resize("16m");
        AssertCompleteChannel(s, _package.Build(s.Project));
        Assert.Empty(PartialLeftovers(s.Cache));
    }

    [SkippableFact]
    public async Task A_full_channel_disk_fails_with_a_coded_error_and_a_rebuild_with_space_completes()
    {
        using var mount = SmallDisk.TryMount("channel", "96k", out var reason);
        Requirement.That(mount is not null, reason); // mounting needs root or CAP_SYS_ADMIN
        await using var s = Start(channel: mount.Path);

        var failed = _package.Build(s.Project);

        Assert.False(failed.Succeeded, failed.ToString());
        Assert.Contains("error CMIR509", failed.Output);
        Assert.DoesNotContain("CMIR899", failed.Output);

        mount.Resize("16m");
        AssertCompleteChannel(s, _package.Build(s.Project));

        // Full again while re-indexing (a changed lock): the index step fails, and runs again once there is space.
        // The lock's records change (a license patched, as upstream repodata patches do), so repodata has new bytes to
        // write: index files whose bytes are unchanged are not rewritten, and would need no space.
        var lockText = File.ReadAllText(s.LockPath);
        Assert.Contains("license: MIT", lockText);
        File.WriteAllText(s.LockPath, lockText.Replace("license: MIT", "license: MIT-patched"));
        File.SetLastWriteTimeUtc(s.LockPath, DateTime.UtcNow);
        var filler = Path.Combine(mount.Path, "filler");
        mount.Fill(filler);
        var full = _package.Build(s.Project);
        Assert.False(full.Succeeded, full.ToString());
        Assert.Contains("error CMIR305", full.Output);
        File.Delete(filler);
        var rebuild = _package.Build(s.Project);
        Assert.DoesNotContain("Conda index step: up to date", rebuild.Output);
        AssertCompleteChannel(s, rebuild);
    }

    [SkippableFact]
    public async Task A_channel_file_edited_in_place_does_not_reach_another_project_sharing_the_cache()
    {
        await using var s = Start();
        AssertCompleteChannel(s, _package.Build(s.Project));
        var record = LockFileReader.Read(s.LockPath).DistinctPackages().First(r => r.Subdir == "noarch");
        var published = Path.Combine(s.Channel, record.Subdir, record.FileName);
        // An in-place write (root, or after a chmod, gets past the read-only cache file) of project A's channel file.
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(published, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        using (var edit = new FileStream(published, FileMode.Open, FileAccess.Write))
        {
            edit.Position = edit.Length / 2;
            edit.Write("poison"u8);
        }

        // Project B: same lock, same package cache, its own channel.
        var channelB = s.Work.Combine("channel-b");
        var projectB = _package.WriteProject(s.Work.Combine("b"), $"""
              <PropertyGroup>
                <CondaLockFile>{s.LockPath}</CondaLockFile>
                <CondaPackageCachePath>{s.Cache}</CondaPackageCachePath>
                <CondaChannelOutputPath>{channelB}</CondaChannelOutputPath>
              </PropertyGroup>
            """, name: "B");
        var b = _package.Build(projectB);

        Assert.True(b.Succeeded, b.ToString());
        foreach (var locked in LockFileReader.Read(s.LockPath).DistinctPackages())
            Assert.Equal(locked.Record.Sha256, FileHashes.Compute(Path.Combine(channelB, locked.Subdir, locked.FileName)).Sha256);
        Assert.Equal(record.Record.Sha256, FileHashes.Compute(new PackageCache(s.Cache).PathFor(record.Record.Sha256!, record.FileName)).Sha256);
    }

    /// <summary>A tmpfs of a given size: a real "no space left on device". Needs root (or CAP_SYS_ADMIN); otherwise null with the reason.</summary>
    private sealed class SmallDisk : IDisposable
    {
        private readonly TempDirectory _dir;

        private SmallDisk(TempDirectory dir) => _dir = dir;

        public string Path => _dir.Path;

        public static SmallDisk? TryMount(string name, string size, out string reason)
        {
            reason = "";
            if (!OperatingSystem.IsLinux()) { reason = "tmpfs mounts need Linux"; return null; }
            var dir = new TempDirectory("condamirror-" + name + "-tmpfs");
            var result = Run("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", dir.Path);
            if (result.ExitCode != 0)
            {
                dir.Dispose();
                reason = $"mount -t tmpfs is not permitted here ({result.Output.Trim()})";
                return null;
            }
            return new SmallDisk(dir);
        }

        public void Resize(string size)
        {
            var result = Run("mount", "-o", "remount,size=" + size, Path);
            if (result.ExitCode != 0) throw new InvalidOperationException("remount failed: " + result.Output);
        }

        /// <summary>Writes <paramref name="file"/> until the disk is full.</summary>
        public void Fill(string file)
        {
            using var stream = new FileStream(file, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0); // unbuffered: ENOSPC surfaces in Write
            var block = new byte[4096];
            try { while (true) stream.Write(block); }
            catch (IOException) { /* full: what this is for */ }
        }

        public void Dispose()
        {
            Run("umount", "-l", Path);
            _dir.Dispose();
        }

        private static CommandResult Run(string command, params string[] args)
        {
            var psi = new ProcessStartInfo(command) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in args) psi.ArgumentList.Add(a);
            using var process = Process.Start(psi)!;
            var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
            process.WaitForExit();
            return new CommandResult(process.ExitCode, output);
        }
    }
}
