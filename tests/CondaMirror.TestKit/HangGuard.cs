namespace CondaMirror.TestKit;

/// <summary>
/// A generous hard limit for work that must not hang or go super-linear. Not a performance assertion: the limit is
/// far above the expected time (on a loaded machine too) and far below what the failure it guards against takes
/// (hours of backtracking, a retry storm, a day's Retry-After). Unlike a stopwatch checked afterwards, it stops
/// waiting at the limit, so a runaway case fails instead of hanging the run. Timings belong in
/// benchmarks/CondaMirror.Benchmarks.
/// </summary>
public static class HangGuard
{
    /// <summary>The usual limit: minutes of slack for work that takes milliseconds to a few seconds.</summary>
    public static readonly TimeSpan Generous = TimeSpan.FromSeconds(60);

    /// <summary>Runs <paramref name="work"/> on the thread pool; fails with <see cref="TimeoutException"/> when it has not finished within <paramref name="limit"/>.</summary>
    public static T Run<T>(Func<T> work, TimeSpan? limit = null, string? what = null)
    {
        var task = Task.Run(work);
        var max = limit ?? Generous;
        if (!((IAsyncResult)task).AsyncWaitHandle.WaitOne(max))
            throw new TimeoutException($"{what ?? "the work"} did not finish within {max.TotalSeconds:0} s (a hang or super-linear work)");
        return task.GetAwaiter().GetResult(); // the work's own exception (an assertion, say), not an AggregateException
    }

    /// <inheritdoc cref="Run{T}(Func{T}, TimeSpan?, string?)"/>
    public static void Run(Action work, TimeSpan? limit = null, string? what = null) =>
        Run(() => { work(); return 0; }, limit, what);

    /// <summary>Awaits <paramref name="task"/>; fails with <see cref="TimeoutException"/> when it has not finished within <paramref name="limit"/>.</summary>
    public static async Task<T> Within<T>(Task<T> task, TimeSpan? limit = null, string? what = null)
    {
        var max = limit ?? Generous;
        try { return await task.WaitAsync(max); }
        catch (TimeoutException) { throw new TimeoutException($"{what ?? "the work"} did not finish within {max.TotalSeconds:0} s (a hang)"); }
    }
}
