using System.Globalization;
using System.Reflection;
using CondaMirror.Core.Incremental;
using Microsoft.Build.Framework;

namespace CondaMirror.MSBuild;

/// <summary>Not an input of the step's record: where it keeps state, or text for messages only.</summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class NotAStepInputAttribute : Attribute;

/// <summary>A parameter naming files whose bytes are inputs (the lock, local packages, bundles), not only their paths.</summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class FileContentInputAttribute : Attribute;

/// <summary>
/// A build step that skips itself when nothing it depends on changed. Its inputs are its own parameters, every one of
/// them (items with all their metadata, properties), read by reflection, plus the content of the files marked
/// <see cref="FileContentInputAttribute"/> and the task assembly itself: the targets hold no second list that could
/// drift from what the task reads. Core's <see cref="StepRecord"/> decides (same input hashes, every file the last run
/// wrote present and unchanged) and keeps the record clean and plan mode read.
/// </summary>
public abstract class CondaStepTask : CondaTaskBase
{
    /// <summary>obj/…/condamirror/: where the step's record is kept. Empty: no record, the step always runs.</summary>
    [NotAStepInput]
    public string? StateDirectory { get; set; }

    /// <summary>CondaAllowCustomSubdirs: lock entries, repodata records and CondaPlatforms may name subdirs other than conda's platforms (single safe folder names).</summary>
    public bool AllowCustomSubdirs { get; set; }

    protected Core.Platforms.SubdirNaming Naming => AllowCustomSubdirs ? Core.Platforms.SubdirNaming.AllowCustom : Core.Platforms.SubdirNaming.KnownOnly;

    /// <summary>The step's name: the record's file name and what the log calls it.</summary>
    protected abstract string StepName { get; }

    /// <summary>False for a run that writes nothing (plan mode): no record is read, removed or written.</summary>
    protected virtual bool Recorded => !string.IsNullOrEmpty(StateDirectory);

    /// <summary>The step's work; returns what it wrote for the record.</summary>
    protected abstract StepOutcome RunStep();

    /// <summary>Called instead of <see cref="RunStep"/> when the step is up to date, with the last run's record.</summary>
    protected virtual void UpToDate(StepRecord record) { }

    protected sealed override void Run()
    {
        if (!Recorded)
        {
            RunStep();
            return;
        }
        var state = Path.GetFullPath(StateDirectory!);
        var previous = StepRecord.Load(state, StepName);
        var why = StepRecord.WhyRun(previous, Inputs(previous, previous?.ReadFiles));
        if (why is null)
        {
            Log.LogMessage(MessageImportance.Normal, $"Conda {StepName} step: up to date.");
            UpToDate(previous!);
            return;
        }
        Log.LogMessage(MessageImportance.Normal, $"Conda {StepName} step: runs because {why}.");
        StepRecord.Forget(state, StepName);
        var outcome = RunStep();
        // Inputs are taken again after the run: the step may have written one of them (resolve writes the lock).
        StepRecord.Save(state, Inputs(previous, outcome.ReadFiles), outcome);
    }

    /// <summary>This task's parameters as step inputs.</summary>
    internal StepInputs Inputs(StepRecord? previous, IEnumerable<string>? readFiles)
    {
        var inputs = new StepInputs(StepName, ToolVersion, previous?.InputFiles);
        foreach (var property in Parameters(GetType()))
        {
            var value = property.GetValue(this);
            var fileContent = property.IsDefined(typeof(FileContentInputAttribute));
            switch (value)
            {
                case ITaskItem[] items when fileContent:
                    inputs.AddFiles(property.Name, items.Select(i => i.GetMetadata("FullPath")));
                    // Their metadata counts too (a CondaLock item's Environment chooses what is read from the file).
                    inputs.AddItems(property.Name + " items", items.Select(i => new InputItem(i.ItemSpec, CustomMetadata(i))));
                    break;
                case string path when fileContent:
                    inputs.AddFiles(property.Name, string.IsNullOrWhiteSpace(path) ? Array.Empty<string>() : SplitList(path));
                    break;
                case ITaskItem[] items:
                    inputs.AddItems(property.Name, items.Select(i => new InputItem(i.ItemSpec, CustomMetadata(i))));
                    break;
                case string[] values:
                    inputs.Add(property.Name, string.Join("\n", values));
                    break;
                case IFormattable formattable:
                    inputs.Add(property.Name, formattable.ToString(null, CultureInfo.InvariantCulture));
                    break;
                default:
                    inputs.Add(property.Name, value?.ToString());
                    break;
            }
        }
        inputs.AddFiles("files read", readFiles ?? Array.Empty<string>());
        return inputs;
    }

    /// <summary>Every settable public parameter a CondaMirror task declares, except outputs and state.</summary>
    internal static IReadOnlyList<PropertyInfo> Parameters(Type type) => ParametersByType.GetOrAdd(type, Reflect);

    // Every build asks each step task for its parameters (the no-op path): reflect once per task type.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Type, IReadOnlyList<PropertyInfo>> ParametersByType = new();

    private static IReadOnlyList<PropertyInfo> Reflect(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.DeclaringType is { } d && typeof(CondaTaskBase).IsAssignableFrom(d)
                && p.SetMethod is { IsPublic: true } && p.GetMethod is { IsPublic: true }
                && !p.IsDefined(typeof(OutputAttribute)) && !p.IsDefined(typeof(NotAStepInputAttribute)))
            .OrderBy(p => p.Name, StringComparer.Ordinal)
            .ToList();

    private static readonly string ToolVersion =
        typeof(CondaStepTask).Assembly.ManifestModule.ModuleVersionId.ToString("N") + "+" +
        typeof(StepRecord).Assembly.ManifestModule.ModuleVersionId.ToString("N");
}
