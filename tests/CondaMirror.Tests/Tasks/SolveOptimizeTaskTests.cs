using CondaMirror.Core.Errors;
using CondaMirror.MSBuild;
using CondaMirror.TestKit;
using CondaMirror.TestKit.Channels;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using Task = System.Threading.Tasks.Task;
using Xunit;

namespace CondaMirror.Tests.Tasks;

/// <summary>CondaSolveOptimizeSeconds reaches the solver, and a cut-short optimisation is said in the build output.</summary>
public class SolveOptimizeTaskTests
{
    private static (bool Ok, FakeBuildEngine Engine) Resolve(TempDirectory dir, Uri channel, double? seconds)
    {
        var engine = new FakeBuildEngine();
        var task = new ResolveCondaLock
        {
            BuildEngine = engine,
            Packages = [new TaskItem("data")],
            Channels = [new TaskItem(channel.AbsoluteUri)],
            Platforms = "linux-64",
            LockFile = dir.Combine($"conda-mirror-{seconds}.lock"),
            RepodataCachePath = dir.Combine("cache"),
        };
        if (seconds is { } s) task.OptimizeSeconds = s;
        return (task.Execute(), engine);
    }

    private static bool SaysBudgetCut(FakeBuildEngine engine) =>
        engine.Messages.Any(m => m.Importance == MessageImportance.High && m.Message!.Contains("CondaSolveOptimizeSeconds", StringComparison.Ordinal));

    [SkippableFact]
    public async Task A_budget_that_cuts_the_optimisation_short_is_said_and_the_lock_is_still_written()
    {
        using var dir = new TempDirectory();
        new ChannelBuilder().Add("data", "1.0", "0", "noarch").Add("data", "2.0", "0", "noarch").WriteTo(dir.Combine("upstream"));
        await using var server = new LoopbackChannelServer(dir.Combine("upstream"));

        var (ok, engine) = Resolve(dir, server.BaseUri, 0);
        Assert.True(ok, string.Join("\n", engine.Errors.Select(e => e.Message)));
        Assert.True(SaysBudgetCut(engine), string.Join("\n", engine.Messages.Select(m => m.Message)));
        Assert.Contains("data", File.ReadAllText(dir.Combine("conda-mirror-0.lock")));

        var (okDefault, engineDefault) = Resolve(dir, server.BaseUri, null);
        Assert.True(okDefault);
        Assert.False(SaysBudgetCut(engineDefault));
    }

    [SkippableFact]
    public void A_negative_budget_is_one_clear_error()
    {
        using var dir = new TempDirectory();
        var engine = new FakeBuildEngine();
        var task = new ResolveCondaLock { BuildEngine = engine, Packages = [new TaskItem("data")], LockFile = dir.Combine("x.lock"), OptimizeSeconds = -1 };
        Assert.False(task.Execute());
        var error = Assert.Single(engine.Errors);
        Assert.Equal(ErrorCodes.InvalidBuildSetting, error.Code);
        Assert.Contains("CondaSolveOptimizeSeconds", error.Message);
    }
}
