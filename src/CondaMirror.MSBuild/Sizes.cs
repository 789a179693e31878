using System.Globalization;

namespace CondaMirror.MSBuild;

/// <summary>Byte counts for build output: one decimal in the largest unit that keeps the number ≥ 1, invariant culture.</summary>
internal static class Sizes
{
    public static string Format(long bytes)
    {
        string[] units = { "KB", "MB", "GB", "TB" };
        if (bytes < 1024) return string.Create(CultureInfo.InvariantCulture, $"{bytes} B");
        var value = bytes / 1024.0;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return string.Create(CultureInfo.InvariantCulture, $"{value:0.0} {units[unit]}");
    }
}
