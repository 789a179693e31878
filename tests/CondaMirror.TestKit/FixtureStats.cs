namespace CondaMirror.TestKit;

/// <summary>
/// What generated fixtures cost a test process: with <c>CONDAMIRROR_FIXTURE_STATS=&lt;file&gt;</c> set, one line per
/// process is appended at exit: time spent writing channels and packages, time compressing, processes started and
/// cache hits (<see cref="ExternalCodec"/>). For measuring the fixture cache, not for tests.
/// </summary>
public static class FixtureStats
{
    private static long _writeTicks;

    static FixtureStats()
    {
        if (Environment.GetEnvironmentVariable("CONDAMIRROR_FIXTURE_STATS") is { Length: > 0 } file)
            AppDomain.CurrentDomain.ProcessExit += (_, _) => File.AppendAllText(file,
                $"{Environment.ProcessId} {AppDomain.CurrentDomain.FriendlyName}: {TimeSpan.FromTicks(Interlocked.Read(ref _writeTicks)).TotalSeconds:0.00} s writing fixtures " +
                $"({ExternalCodec.TimeSpent.TotalSeconds:0.00} s compressing, {ExternalCodec.ProcessesStarted} processes, {ExternalCodec.CacheHits} cache hits)\n");
    }

    /// <summary>Runs <paramref name="write"/>, adding its time to the fixture-writing total.</summary>
    public static T Time<T>(Func<T> write)
    {
        var start = System.Diagnostics.Stopwatch.GetTimestamp();
        try { return write(); }
        finally { Interlocked.Add(ref _writeTicks, System.Diagnostics.Stopwatch.GetElapsedTime(start).Ticks); }
    }
}
