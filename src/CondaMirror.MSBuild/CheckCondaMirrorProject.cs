using System.Security.Cryptography;
using System.Text;
using CondaMirror.Core.Errors;
using CondaMirror.Core.IO;
using CondaMirror.Core.Incremental;
using CondaMirror.Core.Publishing;
using CondaMirror.Core.Specs;
using CondaMirror.MSBuild.ProjectChecks;
using Microsoft.Build.Framework;

namespace CondaMirror.MSBuild;

/// <summary>
/// Project-level checks that must run on every build, before anything is resolved: no CondaPackage spec was lost to
/// MSBuild's wildcard expansion, and the channel folder belongs to this project alone.
/// </summary>
public sealed class CheckCondaMirrorProject : CondaStepTask
{
    protected override string StepName => "check";

    /// <summary>The project and the user files it imports first-hand (Directory.Build.props/.targets); their literal imports are followed (and are inputs through the files the scan read).</summary>
    public ITaskItem[] ProjectFiles { get; set; } = Array.Empty<ITaskItem>();

    /// <summary>The CondaPackage items as MSBuild evaluated them.</summary>
    public ITaskItem[] Packages { get; set; } = Array.Empty<ITaskItem>();

    /// <summary>The CondaPublish items: their destinations are checked here, before anything is resolved or downloaded.</summary>
    public ITaskItem[] Publish { get; set; } = Array.Empty<ITaskItem>();

    /// <summary>The channel folder; it records which project owns it.</summary>
    public string? ChannelDirectory { get; set; }

    /// <summary>The name of the file in the channel root that records the owning project.</summary>
    public const string OwnerFileName = FolderClaim.OwnerFileName;

    protected override StepOutcome RunStep()
    {
        var projectFile = ProjectFile ?? BuildEngine.ProjectFileOfTaskNode;
        var errors = new List<CondaMirrorException>();
        var roots = new[] { projectFile }.Concat(ProjectFiles.Select(f => f.ItemSpec));
        var elements = PackageElementScanner.Scan(roots, Path.GetDirectoryName(Path.GetFullPath(projectFile))!, out var filesRead);
        foreach (var element in elements)
            foreach (var part in element.Include.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                if (PackageElementScanner.IsWildcard(part))
                    errors.Add(new CondaMirrorException(ErrorCodes.PackageSpecWildcard,
                        element.ItemType switch
                        {
                            PackageElementScanner.PackageItem => WildcardMessage(part),
                            PackageElementScanner.PublishItem => PublishWildcardMessage(part),
                            _ => PolicyWildcardMessage(element.ItemType, part),
                        },
                        element.File) { Line = element.Line });

        foreach (var item in Packages)
            if (NamesAFile(item) is { } path)
                errors.Add(new CondaMirrorException(ErrorCodes.PackageSpecIsFile,
                    $"CondaPackage '{item.ItemSpec}' is the name of the file {path}, not a conda package spec: a '*' or '?' in its Include " +
                    "(perhaps from a property) was expanded by MSBuild as a file wildcard. Put the version constraint in Version metadata, " +
                    "e.g. <CondaPackage Include=\"python\" Version=\"3.9.*\" />, or escape the wildcard as %2A.",
                    NullIfEmpty(item.GetMetadata("DefiningProjectFullPath"))));

        var targets = new List<PublishTarget>();
        foreach (var item in Publish)
        {
            try
            {
                var target = PublishTarget.Parse(item.ItemSpec, CustomMetadata(item), projectFile);
                // A build that cannot publish for want of a credential stops before it resolves or downloads anything.
                PublishStoreFactory.CheckCredential(target, Environment.GetEnvironmentVariable);
                targets.Add(target);
            }
            catch (CondaMirrorException e)
            {
                // At the CondaPublish element's line when the project text has it.
                var element = PackageElementScanner.Find(elements, PackageElementScanner.PublishItem, item.ItemSpec);
                errors.Add(element is null ? e : new CondaMirrorException(e.Code, e.Message, element.File, e) { Line = element.Line });
            }
        }

        if (errors.Count > 0) throw new AggregateException(errors);
        // Destinations that are fine one by one can still overlap each other: found here too, before anything is resolved.
        PublishTarget.CheckDistinct(targets, projectFile);
        // A channel inside the project's own folder (bin/...) cannot be another project's, and a copied or moved
        // checkout must not trip over an owner record of its old location.
        var owned = new List<string>();
        if (!string.IsNullOrWhiteSpace(ChannelDirectory) && !SafePath.IsInside(Path.GetDirectoryName(Path.GetFullPath(projectFile))!, ChannelDirectory))
            owned.Add(FolderClaim.Claim(Path.GetFullPath(ChannelDirectory), Path.GetFullPath(projectFile), "CondaChannelOutputPath", "channel"));
        return new StepOutcome(owned, ReadFiles: filesRead);
    }

    /// <summary>The message for a wildcard spec, showing both spellings MSBuild leaves intact.</summary>
    internal static string WildcardMessage(string include)
    {
        var escaped = include.Replace("*", "%2A").Replace("?", "%3F");
        var canonical = "<CondaPackage Include=\"NAME\" Version=\"VERSION\" />";
        if (MatchSpec.TryParse(include, out var spec, out _) && spec!.Name != "*")
        {
            var name = spec.Channel is null ? spec.Name : $"{spec.Channel}::{spec.Name}";
            var attributes = new StringBuilder($"Include=\"{name}\"");
            if (spec.Version is not null) attributes.Append($" Version=\"{spec.Version}\"");
            if (spec.Build is not null) attributes.Append($" Build=\"{spec.Build}\"");
            canonical = $"<CondaPackage {attributes} />";
        }
        return $"CondaPackage Include=\"{include}\" contains a wildcard ('*' or '?'), which MSBuild expands as a file pattern, so this spec " +
               $"would be silently lost. Write the constraint as metadata: {canonical} — or escape the wildcard: <CondaPackage Include=\"{escaped}\" />.";
    }

    /// <summary>A glob in a policy item's Include: it goes in metadata (never expanded) or escaped.</summary>
    internal static string PolicyWildcardMessage(string itemType, string include)
    {
        var escaped = include.Replace("*", "%2A").Replace("?", "%3F");
        var metadata = itemType == "CondaExclude" ? "Name" : "License";
        return $"{itemType} Include=\"{include}\" contains a wildcard ('*' or '?'), which MSBuild expands as a file pattern, so this rule " +
               $"would be silently lost. Put the pattern in metadata: <{itemType} Include=\"any-label\" {metadata}=\"{include}\" /> — " +
               $"or escape the wildcard: <{itemType} Include=\"{escaped}\" />.";
    }

    /// <summary>A glob in a CondaPublish destination: MSBuild would expand it as a file pattern; a destination is never a pattern.</summary>
    internal static string PublishWildcardMessage(string include) =>
        $"CondaPublish Include=\"{include}\" contains a wildcard ('*' or '?'), which MSBuild expands as a file pattern, so this destination " +
        "would be silently lost. A destination is one s3://bucket/prefix; object keys cannot be patterns here.";

    /// <summary>A file that the item's spec names, relative to the file defining the item; null for a real spec.</summary>
    private static string? NamesAFile(ITaskItem item)
    {
        var directory = item.GetMetadata("DefiningProjectDirectory");
        if (string.IsNullOrEmpty(directory)) return null;
        // Path.Combine and File.Exists never throw for odd characters; a spec with a path separator or no
        // such file is a spec.
        var candidate = Path.Combine(directory, item.ItemSpec);
        return File.Exists(candidate) ? candidate : null;
    }

    private static string? NullIfEmpty(string value) => string.IsNullOrEmpty(value) ? null : value;
}
