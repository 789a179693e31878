using System.Collections;
using CondaMirror.MSBuild.TaskRunner.Wire;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace CondaMirror.MSBuild.TaskRunner;

/// <summary>
/// An item as the task sees it in the runner: MSBuild's own <see cref="TaskItem"/> (escaping, FullPath and the other
/// well-known metadata computed from the include), plus the defining-project values, which only the parent build knows.
/// </summary>
internal sealed class RunnerTaskItem : ITaskItem2
{
    private readonly TaskItem _item;
    private readonly IDictionary<string, string> _definingProject;

    public RunnerTaskItem(WireItem item)
    {
        _item = new TaskItem(item.EscapedSpec, (IDictionary)new Dictionary<string, string>(item.EscapedMetadata, StringComparer.OrdinalIgnoreCase));
        _definingProject = item.DefiningProject;
    }

    private ITaskItem2 Escaped => _item;

    public string ItemSpec { get => _item.ItemSpec; set => _item.ItemSpec = value; }
    public ICollection MetadataNames => _item.MetadataNames;
    public int MetadataCount => _item.MetadataCount;
    public string EvaluatedIncludeEscaped { get => Escaped.EvaluatedIncludeEscaped; set => Escaped.EvaluatedIncludeEscaped = value; }

    public string GetMetadata(string metadataName) =>
        _definingProject.TryGetValue(metadataName, out var value) ? value : _item.GetMetadata(metadataName);

    public string GetMetadataValueEscaped(string metadataName) =>
        _definingProject.TryGetValue(metadataName, out var value) ? MSBuildEscaping.Escape(value) : Escaped.GetMetadataValueEscaped(metadataName);

    public void SetMetadata(string metadataName, string metadataValue) => _item.SetMetadata(metadataName, metadataValue);
    public void SetMetadataValueLiteral(string metadataName, string metadataValue) => Escaped.SetMetadataValueLiteral(metadataName, metadataValue);
    public void RemoveMetadata(string metadataName) => _item.RemoveMetadata(metadataName);
    public void CopyMetadataTo(ITaskItem destinationItem) => _item.CopyMetadataTo(destinationItem);
    public IDictionary CloneCustomMetadata() => _item.CloneCustomMetadata();
    public IDictionary CloneCustomMetadataEscaped() => Escaped.CloneCustomMetadataEscaped();
    public override string ToString() => ItemSpec;
}
