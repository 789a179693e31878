using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using CondaMirror.Core.Diagnostics;
using CondaMirror.Core.Downloads;
using CondaMirror.Core.Locks;
using CondaMirror.Core.PyPI;
using CondaMirror.TestKit;
using Xunit;
using Xunit.Abstractions;

namespace CondaMirror.Conformance.Tests.Locks;

/// <summary>
/// Every real lock with PyPI entries (pixi.lock v2–v7, conda-lock <c>manager: pip</c>) gives, per environment, the same
/// PyPI entries — name, version, URL, sha256, md5, requires_python, index, kind, platforms — as an independent parse with Debian's PyYAML, and is
/// planned as a simple index (wheel file names checked against their projects) without error.
/// </summary>
public partial class PypiEntriesConformanceTests
{
    private const string Python = "/usr/bin/python3";

    // The independent side: PyYAML and the format rules, written from the formats, not from the C# reader.
    private const string Script = """
        import json, os, re, sys, urllib.parse, yaml

        def norm(name):
            return re.sub(r"[-_.]+", "-", name).lower()

        def sdist(f):
            return any(f.lower().endswith(s) for s in (".tar.gz", ".zip", ".tar.bz2", ".tar.xz", ".tgz", ".tar", ".tar.zst"))

        def kind(loc, editable):
            if editable: return "Editable"
            if loc.lower().startswith("git+"): return "Git"
            is_url = re.match(r"^[A-Za-z0-9+.-]+://", loc) is not None
            f = re.split(r"[?#]", loc)[0].replace("\\", "/").rsplit("/", 1)[-1]
            if f in ("", ".", ".."): return "Path" if is_url else "Directory"
            if f.lower().endswith(".whl"): return "Wheel"
            if sdist(f): return "Sdist"
            return "Path" if is_url else "Directory"

        def url(loc, lock_dir):
            # Compared unescaped: the two sides may percent-encode a path differently.
            if loc.lower().startswith("git+"): return None
            if loc.startswith("direct+"): loc = loc[len("direct+"):]  # rattler_lock: a direct URL dependency
            loc = loc.split("#", 1)[0]
            if re.match(r"^[A-Za-z0-9+.-]+://", loc): return urllib.parse.unquote(loc)
            # rattler_lock paths: '\\' and '/' both separate; relative to the lock's folder; a trailing '/' is kept.
            rel = loc.replace("\\", "/")
            full = os.path.normpath(os.path.join(lock_dir, rel))
            return "file://" + full + ("/" if rel.endswith("/") and not full.endswith("/") else "")

        def sha(entry, loc, k):
            if k == "Git": return None
            value = entry.get("sha256") or (entry.get("hash") or {}).get("sha256")
            if not value and "#sha256=" in loc: value = loc.split("#sha256=", 1)[1].split("&")[0]
            return value.lower() if value else None

        def md5(entry, k):
            if k == "Git": return None
            value = entry.get("md5") or (entry.get("hash") or {}).get("md5")
            return value.lower() if value else None

        def text(value):
            return None if value is None else str(value)

        def fields(e, loc, k, index):
            return {"name": norm(e["name"]), "version": text(e.get("version")), "url": url(loc, lock_dir),
                    "sha256": sha(e, loc, k), "md5": md5(e, k), "requires_python": text(e.get("requires_python")),
                    "index": index, "kind": k, "platforms": set()}

        path = sys.argv[1]
        lock_dir = os.path.dirname(os.path.abspath(path))
        doc = yaml.safe_load(open(path, encoding="utf-8"))
        out = {}
        if "environments" in doc:
            v = doc["version"]
            by_loc = {}
            for e in doc.get("packages") or []:
                if v <= 5 and e.get("kind") == "pypi": by_loc[e.get("url") or e.get("path")] = e
                elif v >= 6 and "pypi" in e: by_loc[e["pypi"]] = e
            for env, body in doc["environments"].items():
                entries, order = {}, []
                first_index = (body.get("indexes") or [None])[0]
                for platform, selectors in (body.get("packages") or {}).items():
                    for sel in selectors or []:
                        if "pypi" not in sel: continue
                        loc = sel["pypi"]
                        if loc not in entries:
                            e = by_loc[loc]
                            k = kind(loc, bool(e.get("editable")) or bool(sel.get("editable")))
                            entries[loc] = fields(e, loc, k, e.get("index_url") or e.get("index") or first_index)
                            order.append(loc)
                        entries[loc]["platforms"].add(platform)
                out[env] = [dict(entries[l], platforms=sorted(entries[l]["platforms"])) for l in order]
        else:
            entries, order = {}, []
            for e in doc.get("package") or []:
                if e.get("manager") not in ("pip", "pypi"): continue
                loc = e["url"]
                if loc not in entries:
                    k = kind(loc, False)
                    entries[loc] = fields(e, loc, k, None)
                    order.append(loc)
                entries[loc]["platforms"].add(e["platform"])
            out["default"] = [dict(entries[l], platforms=sorted(entries[l]["platforms"])) for l in order]
        json.dump(out, sys.stdout)
        """;

    private readonly ITestOutputHelper _output;

    public PypiEntriesConformanceTests(ITestOutputHelper output) => _output = output;

    [GeneratedRegex(@"^\s*-?\s*(pypi:|kind: pypi|manager: pip)", RegexOptions.Multiline)]
    private static partial Regex HasPypi();

    /// <summary>Locks the reader refuses on purpose (see LockFileConformanceTests); their PyPI entries are never read.</summary>
    private static readonly string[] Refused = { "pixi/v1/" };

    public static IEnumerable<object[]> LocksWithPypi()
    {
        var root = TestData.Root;
        if (root is null) { yield return new object[] { "(testdata missing)" }; yield break; }
        var locks = Path.Combine(root, "locks");
        foreach (var file in Directory.EnumerateFiles(locks, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var relative = Path.GetRelativePath(locks, file).Replace('\\', '/');
            if (Refused.Any(r => relative.StartsWith(r, StringComparison.Ordinal)) || file.EndsWith(".json", StringComparison.Ordinal)) continue;
            if (HasPypi().IsMatch(File.ReadAllText(file))) yield return new object[] { relative };
        }
    }

    [SkippableFact]
    public void Real_locks_with_pypi_entries_exist_in_every_format()
    {
        TestData.Require();
        var all = LocksWithPypi().Select(o => (string)o[0]).ToList();
        _output.WriteLine(string.Join("\n", all));
        Assert.Contains(all, l => l.StartsWith("conda-lock/", StringComparison.Ordinal));
        foreach (var v in new[] { "v4", "v5", "v6", "v7" })
            Assert.Contains(all, l => l.Contains($"/{v}/", StringComparison.Ordinal));
    }

    [SkippableTheory]
    [MemberData(nameof(LocksWithPypi))]
    public void Entries_equal_an_independent_pyyaml_parse_and_plan_without_error(string relative)
    {
        var path = TestData.PathOf("locks", relative);
        Requirement.That(File.Exists(Python) && Run(Python, "-c", "import yaml").Exit == 0, "Debian's python3-yaml is not installed (apt-get install python3-yaml)");
        var script = Path.Combine(Path.GetTempPath(), $"pypi-oracle-{Guid.NewGuid():N}.py");
        File.WriteAllText(script, Script);
        (int Exit, string Output) oracle;
        try { oracle = Run(Python, script, path); }
        finally { File.Delete(script); }
        Assert.True(oracle.Exit == 0, oracle.Output);
        using var expected = JsonDocument.Parse(oracle.Output);

        var total = 0;
        foreach (var env in expected.RootElement.EnumerateObject())
        {
            var lockFile = LockFileReader.Read(path, env.Name);
            var want = env.Value.EnumerateArray().ToList();
            Assert.Equal(want.Count, lockFile.Pypi.Count);
            for (var i = 0; i < want.Count; i++)
            {
                var (w, got) = (want[i], lockFile.Pypi[i]);
                var where = $"{env.Name} #{i} {got.Location}";
                Assert.True(w.GetProperty("name").GetString() == got.Name, where + " name " + got.Name);
                Assert.True(Str(w, "version") == got.Version, $"{where} version {got.Version} vs {Str(w, "version")}");
                var gotUrl = got.Url is null ? null : Uri.UnescapeDataString(got.Url);
                Assert.True(Str(w, "url") == gotUrl, $"{where} url {gotUrl} vs {Str(w, "url")}");
                Assert.True(Str(w, "sha256") == got.Sha256, $"{where} sha256 {got.Sha256} vs {Str(w, "sha256")}");
                Assert.True(Str(w, "md5") == got.Md5, $"{where} md5 {got.Md5} vs {Str(w, "md5")}");
                Assert.True(Str(w, "requires_python") == got.RequiresPython, $"{where} requires_python {got.RequiresPython} vs {Str(w, "requires_python")}");
                Assert.True(Str(w, "index") == got.IndexUrl, $"{where} index {got.IndexUrl} vs {Str(w, "index")}");
                Assert.True(w.GetProperty("kind").GetString() == got.Kind.ToString(), $"{where} kind {got.Kind}");
                Assert.Equal(w.GetProperty("platforms").EnumerateArray().Select(p => p.GetString()!), got.Platforms);
            }
            total += want.Count;

            // Planned as a simple index: wheel names valid and of their own project, no two wheels sharing a name.
            using var cache = new TempDirectory("pypi-plan-cache");
            var plan = new PypiMirror(new DownloadOptions { CacheRoot = cache.Path }, NullMirrorLog.Instance)
                .Plan(PypiMirror.Select(lockFile, LockPlatforms.Select(lockFile, Array.Empty<string>())));
            Assert.Equal(want.Count, plan.Wheels + plan.NotMirrored.Count + DuplicateWheels(lockFile));
            _output.WriteLine($"{env.Name}: {want.Count} PyPI entries, {plan.Wheels} wheels of {plan.Projects} projects, {plan.NotMirrored.Count} not mirrored");
        }
        Assert.True(total > 0, "the oracle found no PyPI entry in a file that has some");
    }

    /// <summary>The same wheel (file name and sha256) at two URLs is served once.</summary>
    private static int DuplicateWheels(LockFile lockFile) =>
        lockFile.Pypi.Where(e => e.Kind == PypiDistributionKind.Wheel)
            .GroupBy(e => (e.FileName?.ToLowerInvariant(), e.Sha256)).Sum(g => g.Count() - 1);

    private static string? Str(JsonElement e, string name) =>
        e.GetProperty(name).ValueKind == JsonValueKind.Null ? null : e.GetProperty(name).GetString();

    private static (int Exit, string Output) Run(string tool, params string[] args)
    {
        var psi = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, p.ExitCode == 0 ? stdout.Result : stderr + stdout.Result);
    }
}
