namespace CondaMirror.Core.IO;

/// <summary>
/// The per-user cache folder of the OS, shared by the package cache and the repodata cache:
/// Windows %LOCALAPPDATA%\CondaMirror, macOS ~/Library/Caches/CondaMirror, Linux $XDG_CACHE_HOME/condamirror
/// (or ~/.cache/condamirror); the temp folder when none of those exists.
/// </summary>
public static class UserCache
{
    public static string Directory(string area)
    {
        string root;
        var name = "CondaMirror";
        if (OperatingSystem.IsWindows())
            root = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData);
        else if (OperatingSystem.IsMacOS())
            root = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), "Library", "Caches");
        else
        {
            name = "condamirror"; // lower case, as is usual under ~/.cache
            var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            root = !string.IsNullOrEmpty(xdg) && Path.IsPathRooted(xdg)
                ? xdg
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        }
        if (string.IsNullOrEmpty(root)) root = Path.GetTempPath();
        return Path.Combine(root, name, area);
    }
}
