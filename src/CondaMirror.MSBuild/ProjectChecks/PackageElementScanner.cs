using System.Text.RegularExpressions;
using System.Xml;
using System.Xml.Linq;

namespace CondaMirror.MSBuild.ProjectChecks;

/// <summary>A <c>&lt;CondaPackage Include="…" /&gt;</c> (or CondaExclude, CondaAllowLicense) element as written in a project file, with its line.</summary>
public sealed record PackageElement(string File, int Line, string Include, string ItemType = PackageElementScanner.PackageItem);

/// <summary>
/// Reads the CondaPackage elements of a project and of the files it imports by a literal path (Directory.Build.props
/// and .targets, shared .props/.targets of the repository), straight from their XML.
/// Why read XML when MSBuild hands the task the items: MSBuild expands '*' and '?' in <c>Include</c> as a file
/// wildcard during evaluation, so a spec such as <c>python 3.9.*</c> reaches the task as no item at all (or as the
/// names of files it happened to match). Only the project text still holds what the user wrote.
/// </summary>
public static class PackageElementScanner
{
    public const string PackageItem = "CondaPackage";
    public const string PublishItem = "CondaPublish";

    /// <summary>Items whose Include is a pattern of ours, not a file: MSBuild's wildcard expansion would lose it.</summary>
    public static readonly IReadOnlySet<string> ItemTypes = new HashSet<string>(StringComparer.Ordinal) { PackageItem, "CondaExclude", "CondaAllowLicense", PublishItem };

    // $(Property), @(Item) and %(Metadata) references: their values are unknown here, so only literal text is judged.
    private static readonly Regex Reference = new(@"[$@%]\([^()]*\)", RegexOptions.CultureInvariant | RegexOptions.NonBacktracking);

    /// <summary>Every CondaPackage, CondaExclude, CondaAllowLicense and CondaPublish element in <paramref name="roots"/> and their literal imports, each file read once.</summary>
    public static IReadOnlyList<PackageElement> Scan(IEnumerable<string> roots, string projectDirectory) => Scan(roots, projectDirectory, out _);

    /// <param name="filesRead">Every file looked at, also those that did not exist (creating one changes the answer).</param>
    public static IReadOnlyList<PackageElement> Scan(IEnumerable<string> roots, string projectDirectory, out IReadOnlyCollection<string> filesRead)
    {
        var seen = new HashSet<string>(OperatingSystem.IsWindows() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal);
        var found = new List<PackageElement>();
        var pending = new Stack<string>(roots.Where(r => !string.IsNullOrWhiteSpace(r)).Select(Path.GetFullPath).Reverse());
        while (pending.Count > 0)
        {
            var file = pending.Pop();
            if (!seen.Add(file) || !System.IO.File.Exists(file)) continue;
            var document = TryLoad(file);
            if (document is null) continue;
            foreach (var element in document.Descendants())
            {
                var name = element.Name.LocalName;
                if (ItemTypes.Contains(name) && element.Parent?.Name.LocalName == "ItemGroup" && element.Attribute("Include") is { } include)
                    found.Add(new PackageElement(file, ((IXmlLineInfo)element).LineNumber, include.Value, name));
                else if (name == "Import" && element.Attribute("Project") is { } import
                         && ResolveImport(import.Value, file, projectDirectory) is { } imported)
                    pending.Push(imported);
            }
        }
        filesRead = seen;
        return found;
    }

    /// <summary>The first element of <paramref name="itemType"/> whose Include lists <paramref name="include"/>.</summary>
    public static PackageElement? Find(IEnumerable<PackageElement> elements, string itemType, string include) =>
        elements.FirstOrDefault(e => e.ItemType == itemType
            && e.Include.Split(';').Any(part => string.Equals(part.Trim(), include, StringComparison.Ordinal)));

    /// <summary>The element of an item in the project file itself (errors point at its line; MSBuild gives tasks no item lines).</summary>
    public static PackageElement? Locate(string? projectFile, string itemType, string include) =>
        string.IsNullOrEmpty(projectFile) ? null
            : Find(Scan(new[] { projectFile }, Path.GetDirectoryName(Path.GetFullPath(projectFile))!), itemType, include);

    /// <summary>The literal text of an Include with property/item/metadata references removed.</summary>
    public static string LiteralText(string include) => Reference.Replace(include, "");

    /// <summary>True when MSBuild would expand this Include (one ';'-separated part of it) as a file wildcard.</summary>
    public static bool IsWildcard(string includePart) => LiteralText(includePart).IndexOfAny(new[] { '*', '?' }) >= 0;

    private static XDocument? TryLoad(string file)
    {
        try
        {
            return XDocument.Load(file, LoadOptions.SetLineInfo);
        }
        // MSBuild itself parsed this file moments ago; one it cannot read here (locked, or not XML because an
        // Import pointed elsewhere) holds no CondaPackage element we could judge.
        catch (Exception e) when (e is XmlException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Imports by literal path, or relative to this file or the project; anything using other properties
    /// (SDK and NuGet imports) is not the user's text and is left alone.</summary>
    private static string? ResolveImport(string value, string importingFile, string projectDirectory)
    {
        var directory = Path.GetDirectoryName(importingFile)!;
        var path = value
            .Replace("$(MSBuildThisFileDirectory)", directory + Path.DirectorySeparatorChar, StringComparison.OrdinalIgnoreCase)
            .Replace("$(MSBuildProjectDirectory)", projectDirectory, StringComparison.OrdinalIgnoreCase)
            .Trim();
        if (path.Length == 0 || path.Contains("$(", StringComparison.Ordinal) || path.IndexOfAny(new[] { '*', '?', ';' }) >= 0)
            return null;
        try
        {
            return Path.GetFullPath(Path.Combine(directory, path.Replace('\\', Path.DirectorySeparatorChar)));
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return null;
        }
    }
}
