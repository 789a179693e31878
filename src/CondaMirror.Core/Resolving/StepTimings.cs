using System.Diagnostics;
using System.Globalization;
using CondaMirror.Core.Diagnostics;

namespace CondaMirror.Core.Resolving;

/// <summary>
/// Where a resolve's wall time went (repodata per subdir, solve, lock), as one detail line; at normal importance when
/// <see cref="Variable"/> is set, so a benchmark can read it without a diagnostic-verbosity build log.
/// </summary>
internal sealed class StepTimings
{
    public const string Variable = "CONDAMIRROR_RESOLVE_TIMINGS";

    private readonly List<(string Phase, TimeSpan Time)> _phases = new();

    public T Time<T>(string phase, Func<T> work)
    {
        var clock = Stopwatch.StartNew();
        try { return work(); }
        finally { _phases.Add((phase, clock.Elapsed)); }
    }

    public void Time(string phase, Action work) => Time(phase, () => { work(); return 0; });

    public void Report(IMirrorLog log)
    {
        var line = "Resolve timings: " + string.Join(", ", _phases.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Phase} {p.Time.TotalSeconds:F3} s")));
        if (Environment.GetEnvironmentVariable(Variable) == "1") log.Info(line);
        else log.Detail(line);
    }
}
