using CondaMirror.Core.Errors;

namespace CondaMirror.Core.Publishing;

/// <summary>
/// What kind of tree is published: which file marks a built tree, which phase each file belongs to (phases run in
/// order, so nothing that lists a file is uploaded before the file), extra keys a tree is also served under, and
/// each object's Content-Type. The conda channel and the PyPI simple index share all the rest of the machinery.
/// </summary>
public abstract class PublishLayout
{
    /// <summary>The conda channel: archives first, every subdir's repodata.json last (<see cref="PublishPhase"/>).</summary>
    public static readonly PublishLayout Conda = new CondaLayout();

    /// <summary>The PyPI simple index (PEP 503/691/658): wheels, their .metadata, project pages, the root index last.</summary>
    public static readonly PublishLayout PyPI = new PypiLayout(folderKeys: true);

    /// <summary>The PyPI index without the folder keys (simple/&lt;name&gt;/): for stores that refuse a key ending in '/' with content (MinIO).</summary>
    public static readonly PublishLayout PyPIWithoutFolderKeys = new PypiLayout(folderKeys: false);

    /// <summary>What the tree is called in messages ("channel", "PyPI index").</summary>
    public abstract string Name { get; }

    /// <summary>The file (relative, '/') whose presence says the tree was built; publishing without it is CMIR368.</summary>
    public abstract string RootFile { get; }

    /// <summary>Whether <paramref name="root"/> holds a built tree: <see cref="RootFile"/> is there.</summary>
    public virtual bool IsBuilt(string root) => File.Exists(Path.Combine(root, RootFile));

    public abstract IReadOnlyList<string> PhaseNames { get; }

    public abstract int PhaseOf(string relativePath);

    public abstract string ContentTypeOf(string relativePath);

    /// <summary>Further relative keys the same file is uploaded under (none by default).</summary>
    public virtual IEnumerable<string> AliasesOf(string relativePath) => [];

    private sealed class CondaLayout : PublishLayout
    {
        private static readonly string[] Names = Enum.GetNames<PublishPhase>();
        public override string Name => "channel";
        public override string RootFile => "noarch/repodata.json";
        public override IReadOnlyList<string> PhaseNames => Names;
        public override int PhaseOf(string relativePath) => (int)PublishPlan.PhaseOf(relativePath);

        // The per-channel layout (CondaChannelLayout) has its channels below the root: <name>/noarch/repodata.json.
        public override bool IsBuilt(string root) => base.IsBuilt(root) || (Directory.Exists(root) &&
            Directory.EnumerateFiles(root, "repodata.json", new EnumerationOptions { RecurseSubdirectories = true, MaxRecursionDepth = 16 })
                .Any(f => Path.GetFileName(Path.GetDirectoryName(f)) == "noarch"));

        public override string ContentTypeOf(string relativePath)
        {
            var name = relativePath[(relativePath.LastIndexOf('/') + 1)..];
            if (name.EndsWith(".json", StringComparison.Ordinal)) return "application/json";
            if (name == "index.html") return "text/html";
            return "application/octet-stream";
        }
    }

    /// <summary>Phases of the PyPI index, in upload order.</summary>
    public enum PypiPhase
    {
        Wheels = 0,
        Metadata = 1,
        ProjectPages = 2,
        RootIndex = 3,
    }

    private sealed class PypiLayout(bool folderKeys) : PublishLayout
    {
        private static readonly string[] Names = Enum.GetNames<PypiPhase>();
        public override string Name => "PyPI index";
        public override string RootFile => "simple/index.html";
        public override IReadOnlyList<string> PhaseNames => Names;

        public override int PhaseOf(string relativePath) => (int)PypiPhaseOf(relativePath);

        public override string ContentTypeOf(string relativePath)
        {
            // A folder key (simple/<name>/) carries the folder's index.html.
            if (relativePath.EndsWith('/')) return "text/html";
            var name = relativePath[(relativePath.LastIndexOf('/') + 1)..];
            if (name.EndsWith(".html", StringComparison.Ordinal)) return "text/html";
            // PEP 691's own type: a server or CDN that negotiates on Accept can hand index.json to pip as it is.
            if (relativePath.StartsWith("simple/", StringComparison.Ordinal) && name == "index.json") return "application/vnd.pypi.simple.v1+json";
            if (name.EndsWith(".json", StringComparison.Ordinal)) return "application/json";
            // Wheels and PEP 658 core metadata (served byte for byte, hashed on the page).
            return "application/octet-stream";
        }

        /// <summary>
        /// pip asks for <c>simple/&lt;name&gt;/</c> and <c>simple/</c> (folder URLs). S3's REST endpoint (and s3rver,
        /// MinIO's path-style API) map a URL to the key as written, never to index.html, and static-website hosting is
        /// not available everywhere; so each index.html is also stored under its folder's key.
        /// </summary>
        public override IEnumerable<string> AliasesOf(string relativePath)
        {
            if (folderKeys && relativePath.StartsWith("simple/", StringComparison.Ordinal) && relativePath.EndsWith("/index.html", StringComparison.Ordinal))
                yield return relativePath[..^"index.html".Length];
        }
    }

    public static PypiPhase PypiPhaseOf(string relativePath)
    {
        if (relativePath.StartsWith("simple/", StringComparison.Ordinal))
        {
            var rest = relativePath["simple/".Length..];
            // simple/, simple/index.html, simple/index.json: they list every project, so they go last.
            return rest.Contains('/') ? PypiPhase.ProjectPages : PypiPhase.RootIndex;
        }
        if (relativePath.EndsWith(".metadata", StringComparison.Ordinal)) return PypiPhase.Metadata;
        // Wheels and anything else under files/: linked from pages, never linking.
        return PypiPhase.Wheels;
    }
}
