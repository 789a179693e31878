using System.Globalization;
using CondaMirror.Core.Publishing;
using CondaMirror.TestKit;
using CondaMirror.TestKit.PyPI;

namespace CondaMirror.Benchmarks;

public static partial class BenchmarkRegistry
{
    /// <summary>
    /// Publishing a PyPI simple index of N wheels (wheel, .metadata, two pages and a folder key per project, the root
    /// index) to s3rver on loopback with the PyPI layout: first publish, no change, one added project.
    /// Args: [projects=300]. Needs node and `npm ci --prefix tests/npm`.
    /// </summary>
    private static Benchmark RegisterPublishPyPI() => new("publish-pypi", "ChannelPublisher with the PyPI layout against s3rver: first, no-change, one added project", args =>
    {
        var count = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 300;
        using var server = new S3Server();
        using var work = new TempDirectory("cm-bench-publish-pypi");
        var root = work.Combine("pypi");
        void Write(int n)
        {
            Directory.CreateDirectory(Path.Combine(root, "files"));
            var names = new List<string>();
            for (var i = 0; i < n; i++)
            {
                var w = new WheelSpec($"proj{i:D4}", "1.0");
                var path = Path.Combine(root, "files", w.FileName);
                if (!File.Exists(path)) File.WriteAllBytes(path, w.Build());
                File.WriteAllText(path + ".metadata", $"Metadata-Version: 2.1\nName: {w.Name}\nVersion: {w.Version}\n");
                var name = w.Name;
                names.Add(name);
                Directory.CreateDirectory(Path.Combine(root, "simple", name));
                File.WriteAllText(Path.Combine(root, "simple", name, "index.html"), $"<a href=\"../../files/{w.FileName}\">{w.FileName}</a>\n");
                File.WriteAllText(Path.Combine(root, "simple", name, "index.json"), $"{{\"name\": \"{name}\"}}\n");
            }
            File.WriteAllText(Path.Combine(root, "simple", "index.html"), string.Concat(names.Select(x => $"<a href=\"{x}/\">{x}</a>\n")));
            File.WriteAllText(Path.Combine(root, "simple", "index.json"), $"{{\"projects\": {names.Count}}}\n");
        }
        Write(count);
        using var store = LoopbackStore(server);
        var target = PublishTarget.Parse($"s3://{server.Bucket}/conda", new Dictionary<string, string> { ["PyPI"] = $"s3://{server.Bucket}/pypi" }).PyPI!;
        var hashes = work.Combine("obj", "publish-pypi.hashes");
        void Run(string what) => PublishAndReport(what, root, target, store, new PublishOptions { HashCacheFile = hashes, Layout = PublishLayout.PyPI });
        Console.WriteLine($"index: {count} projects, {Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Count()} files");
        Run("first publish");
        Run("no change");
        Write(count + 1);
        Run("one project added");
        return 0;
    });
}
