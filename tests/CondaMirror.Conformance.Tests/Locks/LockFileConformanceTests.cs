using System.Diagnostics;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Locks;
using CondaMirror.TestKit;
using Xunit;
using Xunit.Abstractions;
using YamlDotNet.RepresentationModel;

namespace CondaMirror.Conformance.Tests.Locks;

/// <summary>
/// Every real-world lock under testdata/locks/{pixi,conda-lock,explicit} either parses — with per-platform package
/// counts equal to a count made independently here (YamlDotNet's representation model / plain line scanning) — or is
/// one of the deliberately bad or unsupported files listed below with the error code it must produce.
/// </summary>
public class LockFileConformanceTests
{
    private static readonly string[] Folders = { "pixi", "conda-lock", "explicit" };

    /// <summary>Files that must fail, and why. Paths are relative to testdata/locks.</summary>
    private static readonly Dictionary<string, string> ExpectedFailures = new(StringComparer.Ordinal)
    {
        // rattler's forward-compatibility probe: version 1000.
        ["pixi/conda-rattler__test-data/conda-lock/forward-compatible-lock.yml"] = ErrorCodes.LockVersionUnsupported,
        // rattler's lock_parse_fails: duplicate YAML keys, bad/undeclared platform names.
        ["pixi/conda-rattler__test-data/lock_parse_fails/v7/duplicate_platform.yml"] = ErrorCodes.LockYamlInvalid,
        ["pixi/conda-rattler__test-data/lock_parse_fails/v7/duplicate_platform_use.yml"] = ErrorCodes.LockYamlInvalid,
        ["pixi/conda-rattler__test-data/lock_parse_fails/v7/duplicate_platform_definition.yml"] = ErrorCodes.LockPlatformInvalid,
        ["pixi/conda-rattler__test-data/lock_parse_fails/v7/invalid_platform_name.yml"] = ErrorCodes.LockPlatformInvalid,
        ["pixi/conda-rattler__test-data/lock_parse_fails/v7/invalid_platform_subdir.yml"] = ErrorCodes.LockPlatformInvalid,
        ["pixi/conda-rattler__test-data/lock_parse_fails/v7/missing_platform.yml"] = ErrorCodes.LockPlatformInvalid,
        // mamba's env_lockfile fixtures: JSON locks (another format) and deliberately broken ones.
        ["conda-lock/mamba-org-mamba__env_lockfile__bad_package-lock.json"] = ErrorCodes.LockFormatUnrecognized,
        ["conda-lock/mamba-org-mamba__env_lockfile__bad_version-lock.json"] = ErrorCodes.LockFormatUnrecognized,
        ["conda-lock/mamba-org-mamba__env_lockfile__good_multiple_packages-lock.json"] = ErrorCodes.LockFormatUnrecognized,
        ["conda-lock/mamba-org-mamba__env_lockfile__good_no_package-lock.json"] = ErrorCodes.LockFormatUnrecognized,
        ["conda-lock/mamba-org-mamba__env_lockfile__good_one_package-lock.json"] = ErrorCodes.LockFormatUnrecognized,
        ["conda-lock/mamba-org-mamba__env_lockfile__good_one_package_missing_category-lock.json"] = ErrorCodes.LockFormatUnrecognized,
        ["conda-lock/mamba-org-mamba__env_lockfile__bad_package-lock.yaml"] = ErrorCodes.LockEntryInvalid,
        ["conda-lock/mamba-org-mamba__env_lockfile__bad_version-lock.yaml"] = ErrorCodes.LockVersionUnsupported,
        // conda-lock's render tests: URL lists without the @EXPLICIT header.
        ["explicit/conda-conda-lock__tests__test-lockfile-with-auth__test.lock"] = ErrorCodes.ExplicitHeaderMissing,
        ["explicit/conda-conda-lock__tests__test-lockfile__test.lock"] = ErrorCodes.ExplicitHeaderMissing,
    };

    private readonly ITestOutputHelper _output;

    public LockFileConformanceTests(ITestOutputHelper output) => _output = output;

    public static IEnumerable<object[]> LockFiles()
    {
        var root = TestData.Root;
        if (root is null) { yield return new object[] { "(testdata missing)" }; yield break; }
        var locks = Path.Combine(root, "locks");
        foreach (var folder in Folders)
            foreach (var file in Directory.EnumerateFiles(Path.Combine(locks, folder), "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
                yield return new object[] { Path.GetRelativePath(locks, file).Replace('\\', '/') };
    }

    [SkippableTheory]
    [MemberData(nameof(LockFiles))]
    public void EveryLockFileParsesOrFailsAsExpected(string relative)
    {
        var path = TestData.PathOf("locks", relative);
        if (ExpectedFailures.TryGetValue(relative, out var code))
        {
            var ex = Assert.Throws<CondaMirrorException>(() => LockFileReader.Read(path));
            _output.WriteLine($"{ex.Code}: {ex.Message}");
            Assert.Equal(code, ex.Code);
            Assert.Equal(path, ex.File);
            return;
        }

        switch (LockFileReader.Detect(path))
        {
            case LockFileFormat.Explicit: CheckExplicit(path); break;
            case LockFileFormat.CondaLockV1: CheckCondaLockShaped(path, LockFileFormat.CondaLockV1); break;
            case LockFileFormat.PixiLock when IsLegacyPixi(path): CheckCondaLockShaped(path, LockFileFormat.PixiLock); break;
            case LockFileFormat.PixiLock: CheckPixi(path); break;
        }
    }

    [SkippableFact]
    public void ExpectedFailureListNamesOnlyExistingFiles()
    {
        var locks = TestData.PathOf("locks");
        foreach (var relative in ExpectedFailures.Keys)
            Assert.True(File.Exists(Path.Combine(locks, relative)), relative);
    }

    [SkippableFact]
    public void LargeLocksParseWellUnderASecond()
    {
        foreach (var relative in new[] { "pixi/conda-rattler__test-data/conda-lock/v4/turtlesim-lock.yml", "pixi/v6/prefix-dev-pixi__examples-ros2-nav2__pixi.lock" })
        {
            var path = TestData.PathOf("locks", relative);
            LockFileReader.Read(path); // warm-up: JIT
            var sw = Stopwatch.StartNew();
            var lockFile = LockFileReader.Read(path);
            sw.Stop();
            _output.WriteLine($"{relative}: {sw.ElapsedMilliseconds} ms, {lockFile.PackagesByPlatform.Sum(p => p.Value.Count)} entries");
            Assert.True(sw.ElapsedMilliseconds < 1000, $"{relative} took {sw.ElapsedMilliseconds} ms");
        }
    }

    private void CheckExplicit(string path)
    {
        var lines = File.ReadAllLines(path).Select(l => l.Trim()).ToList();
        var afterHeader = lines.SkipWhile(l => l != "@EXPLICIT").Skip(1);
        var expected = afterHeader.Where(l => l.Length > 0 && !l.StartsWith('#')).Select(l => l.Split('#')[0]).Distinct().Count();
        var declared = lines.FirstOrDefault(l => l.StartsWith("# platform:"))?["# platform:".Length..].Trim();

        var lockFile = LockFileReader.Read(path);
        var (platform, records) = Assert.Single(lockFile.PackagesByPlatform);
        if (declared is not null) Assert.Equal(declared, platform);
        Assert.Equal(expected, records.Count);
        Assert.All(records, r => Assert.False(r.HasFullRecord));
        Assert.All(records, r => Assert.False(string.IsNullOrEmpty(r.Record.Subdir)));
        _output.WriteLine($"{platform}: {records.Count}");
    }

    private void CheckCondaLockShaped(string path, LockFileFormat format)
    {
        var root = LoadYaml(path);
        var expected = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        var pip = 0;
        foreach (var node in root.Children.TryGetValue("package", out var p) && p is YamlSequenceNode seq ? seq.Children : new List<YamlNode>())
        {
            var map = (YamlMappingNode)node;
            var manager = Scalar(map, "manager");
            if (manager != "conda") { pip++; continue; }
            var platform = Scalar(map, "platform")!;
            if (!expected.TryGetValue(platform, out var urls)) expected[platform] = urls = new HashSet<string>();
            urls.Add(Scalar(map, "url")!);
        }

        var lockFile = LockFileReader.Read(path);
        Assert.Equal(format, lockFile.Format);
        foreach (var (platform, urls) in expected)
            Assert.Equal(urls.Count, lockFile.PackagesByPlatform[platform].Count);
        Assert.Equal(expected.Values.Sum(u => u.Count), lockFile.PackagesByPlatform.Values.Sum(r => r.Count));
        Assert.Equal(pip > 0, lockFile.SkippedPypi.Count > 0);
        // Subdir comes from the URL, not from the row's platform: noarch rows keep "noarch".
        Assert.All(lockFile.PackagesByPlatform.Values.SelectMany(r => r).Where(r => r.Url.Contains("/noarch/")), r => Assert.Equal("noarch", r.Record.Subdir));
        _output.WriteLine(string.Join(", ", lockFile.PackagesByPlatform.Select(kv => $"{kv.Key}: {kv.Value.Count}")));
    }

    private void CheckPixi(string path)
    {
        var root = LoadYaml(path);
        var environments = (YamlMappingNode)root.Children["environments"];
        foreach (var (envKey, envNode) in environments.Children)
        {
            var env = ((YamlScalarNode)envKey).Value!;
            var expected = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
            bool hasSource = false, hasPypi = false;
            if (((YamlMappingNode)envNode).Children.TryGetValue("packages", out var pk) && pk is YamlMappingNode platforms)
            {
                foreach (var (platformKey, listNode) in platforms.Children)
                {
                    var urls = expected[((YamlScalarNode)platformKey).Value!] = new HashSet<string>();
                    foreach (YamlMappingNode selector in ((YamlSequenceNode)listNode).Children)
                    {
                        if (Scalar(selector, "pypi") is not null) { hasPypi = true; continue; }
                        var conda = Scalar(selector, "conda");
                        if (conda is null || !(conda.EndsWith(".conda") || conda.EndsWith(".tar.bz2")) || conda.StartsWith("git+")) { hasSource = true; continue; }
                        urls.Add(conda);
                    }
                }
            }

            if (hasSource)
            {
                var ex = Assert.Throws<CondaMirrorException>(() => LockFileReader.Read(path, env));
                Assert.Equal(ErrorCodes.LockSourcePackages, ex.Code);
                _output.WriteLine($"{env}: source packages → {ex.Code}");
                continue;
            }
            var lockFile = LockFileReader.Read(path, env);
            Assert.Equal(env, lockFile.Environment);
            Assert.Equal(expected.Keys.Order(), lockFile.PackagesByPlatform.Keys.Order());
            foreach (var (platform, urls) in expected)
                Assert.Equal(urls.Count, lockFile.PackagesByPlatform[platform].Count);
            Assert.Equal(hasPypi, lockFile.SkippedPypi.Count > 0);
            foreach (var record in lockFile.PackagesByPlatform.Values.SelectMany(r => r))
            {
                Assert.True(record.HasFullRecord);
                Assert.False(string.IsNullOrEmpty(record.Record.Name));
                Assert.False(string.IsNullOrEmpty(record.Record.Version));
                Assert.False(string.IsNullOrEmpty(record.Record.Build));
                Assert.False(string.IsNullOrEmpty(record.Record.Subdir));
                Assert.Equal($"{record.Record.Stem}{(record.FileName.EndsWith(".conda") ? ".conda" : ".tar.bz2")}", record.FileName);
            }
            _output.WriteLine($"{env}: " + string.Join(", ", lockFile.PackagesByPlatform.Select(kv => $"{kv.Key}: {kv.Value.Count}")));
        }
    }

    private static bool IsLegacyPixi(string path) =>
        LoadYaml(path).Children.TryGetValue("version", out var v) && ((YamlScalarNode)v).Value is "2" or "3";

    private static YamlMappingNode LoadYaml(string path)
    {
        var stream = new YamlStream();
        using var reader = File.OpenText(path);
        stream.Load(reader);
        return (YamlMappingNode)stream.Documents[0].RootNode;
    }

    private static string? Scalar(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(key, out var node) && node is YamlScalarNode s ? s.Value : null;
}
