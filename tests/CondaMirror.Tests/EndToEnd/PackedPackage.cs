using CondaMirror.TestKit;
using Xunit;

namespace CondaMirror.Tests.EndToEnd;

/// <summary>
/// Packs CondaMirror.MSBuild once per test run into nuget/ with a unique version (a re-pack of the same version
/// would be invisible to consumers with a warm package folder), and gives every consumer project an isolated
/// NuGet package folder and a nuget.config that knows only that feed: restores need no network. The end-to-end
/// classes run in two collections at once (their time is spent waiting on child builds and clients); both share one
/// pack, each has its own package folder so two restores never extract into the same folder.
/// </summary>
public sealed class PackedPackage : IDisposable
{
    private static readonly Lazy<(string Version, string PackagePath)> SharedPack = new(Pack, LazyThreadSafetyMode.ExecutionAndPublication);

    public PackedPackage()
    {
        (Version, PackagePath) = SharedPack.Value;
        FeedDirectory = Path.GetDirectoryName(PackagePath)!;
        PackagesDirectory = new TempDirectory("condamirror-nuget");
    }

    private static (string Version, string PackagePath) Pack()
    {
        var version = $"0.0.0-e2e.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";
        var feed = Path.Combine(TestData.RepoRoot, "nuget");
        var project = Path.Combine(TestData.RepoRoot, "src", "CondaMirror.MSBuild", "CondaMirror.MSBuild.csproj");
        var result = DotnetCli.Run(TestData.RepoRoot, null, "pack", project, "-c", "Release", "-o", feed, $"-p:Version={version}", "-nodeReuse:false");
        if (!result.Succeeded) throw new InvalidOperationException("dotnet pack failed:\n" + result);
        var packagePath = Path.Combine(feed, $"CondaMirror.MSBuild.{version}.nupkg");
        if (!File.Exists(packagePath)) throw new InvalidOperationException($"pack did not produce {packagePath}:\n{result}");
        // Removed when the test process ends: the collections finish in any order.
        AppDomain.CurrentDomain.ProcessExit += (_, _) => { try { File.Delete(packagePath); } catch (IOException) { } };
        return (version, packagePath);
    }

    public string Version { get; }
    public string FeedDirectory { get; }
    public string PackagePath { get; }
    public TempDirectory PackagesDirectory { get; }

    /// <summary>This machine's NuGet package folder (where restoring this repository put the net8.0 reference pack),
    /// usable as an offline feed by consumer projects that target net8.0.</summary>
    public static string MachinePackagesFolder =>
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
            ? configured : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    public IReadOnlyDictionary<string, string> BuildEnvironment => new Dictionary<string, string> { ["NUGET_PACKAGES"] = PackagesDirectory.Path };

    /// <summary>Writes a consumer project (plain SDK class library) that references the packed package.</summary>
    public string WriteProject(string directory, string body, string name = "Consumer") =>
        ConsumerProject.Write(directory, FeedDirectory, Version, body, name);

    /// <summary>The classic console logger at normal verbosity: every high and normal importance message, in order.</summary>
    public static readonly IReadOnlyList<string> ConsoleLogger = new[] { "-v:n", "-tl:off" };

    public CommandResult Build(string projectPath, params string[] extraArgs) => BuildWithLogger(projectPath, ConsoleLogger, extraArgs);

    /// <summary>A build whose output comes through the given logger switches (e.g. <c>-tl:off -v:m</c>, <c>-bl:path</c>).</summary>
    public CommandResult BuildWithLogger(string projectPath, IReadOnlyList<string> loggerArgs, params string[] extraArgs) =>
        DotnetCli.Run(Path.GetDirectoryName(projectPath)!, BuildEnvironment,
            new[] { "build", projectPath, "-nodeReuse:false" }.Concat(loggerArgs).Concat(extraArgs).ToArray());

    /// <summary>A build in a pseudo-terminal with the terminal logger (<c>-tl:on</c>) and <paramref name="extraArgs"/>, e.g. <c>-tlp:verbosity=detailed</c>.</summary>
    public CommandResult BuildInTerminal(string projectPath, params string[] extraArgs) =>
        DotnetCli.RunInTerminal(Path.GetDirectoryName(projectPath)!, BuildEnvironment,
            new[] { "build", projectPath, "-nodeReuse:false", "-tl:on" }.Concat(extraArgs).ToArray());

    public CommandResult Restore(string projectPath) =>
        DotnetCli.Run(Path.GetDirectoryName(projectPath)!, BuildEnvironment, "restore", projectPath, "-nodeReuse:false");

    public CommandResult Clean(string projectPath) =>
        DotnetCli.Run(Path.GetDirectoryName(projectPath)!, BuildEnvironment, "clean", projectPath, "-nodeReuse:false", "-v:n", "-tl:off");

    public void Dispose() => PackagesDirectory.Dispose();
}

[CollectionDefinition(Name)]
public sealed class EndToEndCollection : ICollectionFixture<PackedPackage>
{
    public const string Name = "end-to-end (packed package)";
}

/// <summary>The second lane of end-to-end classes, run beside <see cref="EndToEndCollection"/>; classes are split
/// between the two by their measured time.</summary>
[CollectionDefinition(Name)]
public sealed class EndToEndSecondLaneCollection : ICollectionFixture<PackedPackage>
{
    public const string Name = "end-to-end (packed package, second lane)";
}
