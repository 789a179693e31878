using CondaMirror.Core.IO;

namespace CondaMirror.Core.Incremental;

/// <summary>
/// `dotnet clean` for the mirror: removes exactly the files the step records list as owned, wherever the channel
/// lives, then the folders that are left empty, then the records. A file outside every given root is never touched
/// (a record is a file in obj/ and could have been edited).
/// </summary>
public static class StepClean
{
    public sealed record Result(int FilesRemoved, int FoldersRemoved);

    public static Result Run(string stateDirectory, IReadOnlyCollection<string> roots)
    {
        var fullRoots = roots.Where(r => !string.IsNullOrWhiteSpace(r)).Select(r => Path.GetFullPath(r)).ToList();
        var removed = 0;
        var folders = new SortedSet<string>(Comparer<string>.Create((a, b) => b.Length != a.Length ? b.Length.CompareTo(a.Length) : string.CompareOrdinal(a, b)));
        foreach (var record in StepRecord.LoadAll(stateDirectory))
        {
            foreach (var output in record.Outputs.Where(o => o.Owned))
            {
                var root = fullRoots.FirstOrDefault(r => SafePath.IsInside(r, output.Path));
                if (root is null) continue;
                try
                {
                    if (!File.Exists(output.Path)) continue;
                    File.SetAttributes(output.Path, FileAttributes.Normal);
                    File.Delete(output.Path);
                    removed++;
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    continue; // clean is best effort per file, as MSBuild's own Delete task is
                }
                for (var dir = Path.GetDirectoryName(output.Path); dir is not null && SafePath.IsInside(root, dir) && !SamePath(dir, root); dir = Path.GetDirectoryName(dir))
                    folders.Add(dir);
                folders.Add(root);
            }
        }
        var foldersRemoved = 0;
        foreach (var folder in folders)
        {
            try
            {
                if (Directory.Exists(folder) && !Directory.EnumerateFileSystemEntries(folder).Any())
                {
                    Directory.Delete(folder);
                    foldersRemoved++;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        foreach (var record in Directory.Exists(stateDirectory) ? Directory.GetFiles(stateDirectory, "*" + StepRecord.RecordSuffix) : Array.Empty<string>())
            AtomicFile.TryDelete(record);
        return new Result(removed, foldersRemoved);
    }

    private static bool SamePath(string a, string b) =>
        string.Equals(Path.TrimEndingDirectorySeparator(a), Path.TrimEndingDirectorySeparator(b), StringComparison.Ordinal);
}
