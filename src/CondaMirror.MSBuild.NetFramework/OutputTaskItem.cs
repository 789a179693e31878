using System.Collections;
using CondaMirror.MSBuild.TaskRunner.Wire;
using Microsoft.Build.Framework;

namespace CondaMirror.MSBuild.NetFramework;

/// <summary>An output item from the runner, as MSBuild gathers it: include and custom metadata, MSBuild-escaped.</summary>
internal sealed class OutputTaskItem : ITaskItem2
{
    private readonly Dictionary<string, string> _metadata;

    public OutputTaskItem(WireItem item)
    {
        EvaluatedIncludeEscaped = item.EscapedSpec;
        _metadata = new Dictionary<string, string>(item.EscapedMetadata, StringComparer.OrdinalIgnoreCase);
    }

    public string EvaluatedIncludeEscaped { get; set; }

    public string ItemSpec
    {
        get => MSBuildEscaping.Unescape(EvaluatedIncludeEscaped);
        set => EvaluatedIncludeEscaped = MSBuildEscaping.Escape(value);
    }

    public ICollection MetadataNames => _metadata.Keys.ToList();
    public int MetadataCount => _metadata.Count;

    public string GetMetadata(string metadataName) => MSBuildEscaping.Unescape(GetMetadataValueEscaped(metadataName));

    public string GetMetadataValueEscaped(string metadataName) =>
        string.Equals(metadataName, "Identity", StringComparison.OrdinalIgnoreCase) ? EvaluatedIncludeEscaped
            : _metadata.TryGetValue(metadataName, out var value) ? value : "";

    public void SetMetadata(string metadataName, string metadataValue) => _metadata[metadataName] = metadataValue ?? "";
    public void SetMetadataValueLiteral(string metadataName, string metadataValue) => _metadata[metadataName] = MSBuildEscaping.Escape(metadataValue ?? "");
    public void RemoveMetadata(string metadataName) => _metadata.Remove(metadataName);

    public void CopyMetadataTo(ITaskItem destinationItem)
    {
        foreach (var pair in _metadata)
            if (string.IsNullOrEmpty(destinationItem.GetMetadata(pair.Key)))
                destinationItem.SetMetadata(pair.Key, pair.Value);
    }

    public IDictionary CloneCustomMetadata() => _metadata.ToDictionary(p => p.Key, p => MSBuildEscaping.Unescape(p.Value), StringComparer.OrdinalIgnoreCase);
    public IDictionary CloneCustomMetadataEscaped() => new Dictionary<string, string>(_metadata, StringComparer.OrdinalIgnoreCase);
    public override string ToString() => ItemSpec;
}
