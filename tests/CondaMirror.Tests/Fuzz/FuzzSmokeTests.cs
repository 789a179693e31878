using CondaMirror.Core.Errors;
using CondaMirror.Fuzz;
using Xunit;

namespace CondaMirror.Tests.Fuzz;

/// <summary>
/// Every fuzz target for a short seeded run: any exception other than the API's coded ones, an input that does
/// not finish, or one allocating more than 256 MB fails the test with the input as base64. The long runs are
/// done with the tool (docs/fuzzing.md); this keeps the harness and the parsers' error contract honest in CI.
/// </summary>
public class FuzzSmokeTests
{
    private static readonly TimeSpan BudgetPerTarget = TimeSpan.FromSeconds(5);

    public static TheoryData<string> TargetNames()
    {
        var data = new TheoryData<string>();
        foreach (var t in Targets.All()) data.Add(t.Name);
        return data;
    }

    [Theory]
    [MemberData(nameof(TargetNames))]
    public void Target_survives_a_short_seeded_run(string name)
    {
        var target = Targets.ByName(name)!;
        var report = new FuzzRunner(new FuzzOptions
        {
            Seed = 1,
            Duration = BudgetPerTarget,
            // Generous: CI machines are slow and shared; real hangs never finish.
            InputTimeout = TimeSpan.FromSeconds(10),
            Minimize = false,
        }).Run(target);

        Assert.True(report.Inputs > report.SeedCount, $"{name}: only {report.Inputs} inputs for {report.SeedCount} seeds; no mutant ran");
        Assert.True(report.Clean, Describe(report));
    }

    [Fact]
    public void A_non_coded_exception_is_a_crash_and_a_coded_one_is_not()
    {
        var report = new FuzzRunner(new FuzzOptions { Seed = 3, Duration = null, Iterations = 2000, Minimize = true }).Run(new BrokenTarget());

        var crash = Assert.Single(report.Findings);
        Assert.Equal(FindingKind.Crash, crash.Kind);
        Assert.StartsWith("System.NullReferenceException at CondaMirror.Tests.Fuzz.FuzzSmokeTests+BrokenTarget.Run", crash.Signature);
        Assert.Equal("!"u8.ToArray(), crash.Input); // minimised to the byte that triggers it
        Assert.True(report.CodedErrors > 0);
    }

    [Fact]
    public void A_slow_input_is_a_hang_and_a_greedy_one_a_memory_finding()
    {
        var report = new FuzzRunner(new FuzzOptions
        {
            Seed = 1,
            Duration = null,
            Iterations = 3,
            InputTimeout = TimeSpan.FromMilliseconds(50),
            MaxInputAllocatedBytes = 1 << 20,
        }).Run(new SlowGreedyTarget());

        Assert.Contains(report.Findings, f => f.Kind == FindingKind.Hang && f.Signature.EndsWith("then succeeds"));
        Assert.Contains(report.Findings, f => f.Kind == FindingKind.Memory);
        Assert.True(report.MaxAllocatedBytes >= 4 << 20);
    }

    private static string Describe(TargetReport report) =>
        $"{report.Target}: {report.Findings.Count} finding(s) in {report.Inputs} inputs\n" + string.Join("\n\n", report.Findings.Select(f =>
            $"{f}\nbase64: {(f.Input.Length <= 4096 ? Convert.ToBase64String(f.Input) : "(" + f.Input.Length + " bytes)")}\n{f.Details}"));

    /// <summary>Throws a coded error on most inputs and a NullReferenceException on any input containing '!'.</summary>
    private sealed class BrokenTarget : FuzzTarget
    {
        public override string Name => "broken";
        public override string Description => "test double";
        public override bool IsText => true;
        public override IEnumerable<byte[]> Seeds(string scratch) => new[] { "version 1.0 [build=abc]"u8.ToArray() };

        public override void Run(byte[] input)
        {
            if (input.Contains((byte)'!')) throw new NullReferenceException("deliberate");
            if (input.Length % 2 == 0) throw new CondaMirrorException(ErrorCodes.InvalidVersion, "deliberate coded error");
        }
    }

    private sealed class SlowGreedyTarget : FuzzTarget
    {
        public override string Name => "slow";
        public override string Description => "test double";
        public override IEnumerable<byte[]> Seeds(string scratch) => new[] { new byte[] { 1 } };

        public override void Run(byte[] input)
        {
            GC.KeepAlive(new byte[4 << 20]);
            Thread.Sleep(120);
        }
    }
}
