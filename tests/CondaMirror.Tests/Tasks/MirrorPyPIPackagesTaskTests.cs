using System.Security.Cryptography;
using CondaMirror.Core.Errors;
using CondaMirror.MSBuild;
using CondaMirror.TestKit;
using CondaMirror.TestKit.PyPI;
using Microsoft.Build.Framework;
using Xunit;

namespace CondaMirror.Tests.Tasks;

public class MirrorPyPIPackagesTaskTests
{
    private static readonly WheelSpec Wheel = new("requests", "2.32.3", RequiresPython: ">=3.8");

    /// <summary>A v6 lock with one served wheel (linux-64 only) and one sdist (win-64 only).</summary>
    private static string WriteLock(TempDirectory dir, LoopbackChannelServer server)
    {
        Directory.CreateDirectory(dir.Combine("upstream"));
        var bytes = Wheel.Build();
        File.WriteAllBytes(dir.Combine("upstream", Wheel.FileName), bytes);
        var url = server.UrlFor(Wheel.FileName);
        var path = dir.Combine("pixi.lock");
        File.WriteAllText(path, $"""
            version: 6
            environments:
              default:
                channels: []
                packages:
                  linux-64:
                  - pypi: {url}
                  win-64:
                  - pypi: https://files.example.invalid/packages/legacy-1.0.tar.gz
            packages:
            - pypi: {url}
              name: requests
              version: 2.32.3
              sha256: {Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant()}
              requires_python: '>=3.8'
            - pypi: https://files.example.invalid/packages/legacy-1.0.tar.gz
              name: legacy
              version: '1.0'
            """);
        return path;
    }

    [Fact]
    public async Task Mirrors_the_wheels_of_the_selected_platforms_and_records_every_file()
    {
        using var dir = new TempDirectory();
        await using var server = new LoopbackChannelServer(Directory.CreateDirectory(dir.Combine("upstream")).FullName);
        var engine = new FakeBuildEngine();
        var task = new MirrorPyPIPackages
        {
            BuildEngine = engine,
            LockFile = WriteLock(dir, server),
            Platforms = "linux-64",
            OutputDirectory = dir.Combine("pypi"),
            CachePath = dir.Combine("cache"),
            StateDirectory = dir.Combine("obj"),
        };
        Assert.True(task.Execute(), engine.ToString());

        Assert.Empty(engine.Warnings); // the sdist is only used on win-64, which is not selected
        Assert.True(File.Exists(dir.Combine("pypi", "files", Wheel.FileName)));
        var listed = CondaMirror.Core.Incremental.StepRecord.Load(dir.Combine("obj"), "pypi")!.Outputs.Select(o => o.Path).ToList();
        Assert.Contains(dir.Combine("pypi", "files", Wheel.FileName), listed);
        Assert.Contains(dir.Combine("pypi", "simple", "requests", "index.html"), listed);
        Assert.Contains(dir.Combine("pypi", "simple", "index.json"), listed);
        Assert.Equal(Directory.GetFiles(dir.Combine("pypi"), "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal), listed);
        Assert.Contains(engine.Messages, m => m.Importance == MessageImportance.High && m.Message!.Contains("PyPI packages: 1 wheels of 1 projects"));
    }

    [Fact]
    public async Task A_PyPI_folder_outside_the_project_is_owned_by_the_first_project_that_writes_it()
    {
        using var dir = new TempDirectory();
        await using var server = new LoopbackChannelServer(Directory.CreateDirectory(dir.Combine("upstream")).FullName);
        var lockFile = WriteLock(dir, server);
        var shared = dir.Combine("shared", "pypi");
        MirrorPyPIPackages Task(FakeBuildEngine engine, string project) => new()
        {
            BuildEngine = engine,
            ProjectFile = dir.Combine(project, project + ".csproj"),
            LockFile = lockFile,
            Platforms = "linux-64",
            OutputDirectory = shared,
            CachePath = dir.Combine("cache"),
        };

        var first = new FakeBuildEngine();
        Assert.True(Task(first, "one").Execute(), first.ToString());
        Assert.StartsWith("one.csproj ", File.ReadAllText(Path.Combine(shared, CheckCondaMirrorProject.OwnerFileName)));
        var again = new FakeBuildEngine();
        Assert.True(Task(again, "one").Execute(), again.ToString());

        var second = new FakeBuildEngine();
        var wheels = Directory.GetFiles(Path.Combine(shared, "files"));
        Assert.False(Task(second, "two").Execute());
        var error = Assert.Single(second.Errors);
        Assert.Equal(ErrorCodes.ChannelOutputShared, error.Code);
        Assert.Contains("CondaPyPIOutputPath", error.Message);
        Assert.Contains("one.csproj", error.Message);
        Assert.Equal(wheels, Directory.GetFiles(Path.Combine(shared, "files")));
    }

    [Fact]
    public async Task All_platforms_warn_for_the_sdist_and_plan_mode_writes_nothing()
    {
        using var dir = new TempDirectory();
        await using var server = new LoopbackChannelServer(Directory.CreateDirectory(dir.Combine("upstream")).FullName);
        var engine = new FakeBuildEngine();
        var task = new MirrorPyPIPackages
        {
            BuildEngine = engine,
            LockFile = WriteLock(dir, server),
            OutputDirectory = dir.Combine("pypi"),
            CachePath = dir.Combine("cache"),
            StateDirectory = dir.Combine("obj"),
            PlanOnly = true,
        };
        Assert.True(task.Execute(), engine.ToString());
        var warning = Assert.Single(engine.Warnings);
        Assert.Equal(ErrorCodes.PypiNotMirrored, warning.Code);
        Assert.Contains("legacy 1.0 (source distribution", warning.Message);
        Assert.Contains(engine.Messages, m => m.Message!.Contains("PyPI plan: 1 wheels of 1 projects; 0 in the cache, 1 to download; 1 not mirrored"));
        Assert.False(Directory.Exists(dir.Combine("pypi")));
        Assert.False(Directory.Exists(dir.Combine("obj")));
        Assert.Empty(server.Requests);
    }

    [Fact]
    public async Task A_failure_leaves_no_record()
    {
        using var dir = new TempDirectory();
        await using var server = new LoopbackChannelServer(Directory.CreateDirectory(dir.Combine("upstream")).FullName);
        var lockPath = WriteLock(dir, server);
        var stamp = dir.Combine("obj", "pypi" + CondaMirror.Core.Incremental.StepRecord.RecordSuffix);
        Directory.CreateDirectory(dir.Combine("obj"));
        File.WriteAllText(stamp, "{}");
        File.Delete(dir.Combine("upstream", Wheel.FileName));
        var engine = new FakeBuildEngine();
        var task = new MirrorPyPIPackages
        {
            BuildEngine = engine, LockFile = lockPath, Platforms = "linux-64", OutputDirectory = dir.Combine("pypi"),
            CachePath = dir.Combine("cache"), StateDirectory = dir.Combine("obj"), RetryCount = 0,
        };
        Assert.False(task.Execute());
        Assert.Equal(ErrorCodes.DownloadNotFound, Assert.Single(engine.Errors).Code);
        Assert.False(File.Exists(stamp));
    }
}
