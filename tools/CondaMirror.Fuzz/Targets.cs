using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using CondaMirror.Core.Archives;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Diagnostics;
using CondaMirror.Core.Downloads;
using CondaMirror.Core.Locks;
using CondaMirror.Core.PyPI;
using CondaMirror.Core.Publishing;
using CondaMirror.Core.Records;
using CondaMirror.Core.Repodata;
using CondaMirror.Core.Repodata.Shards;
using CondaMirror.Core.Specs;
using CondaMirror.Core.Versions;
using CondaMirror.Core.Zstd;
using CondaMirror.TestKit.Channels;
using ICSharpCode.SharpZipLib;

namespace CondaMirror.Fuzz;

/// <summary>The registry of targets, by name.</summary>
public static class Targets
{
    public static IReadOnlyList<FuzzTarget> All() => new FuzzTarget[]
    {
        new VersionTarget(), new VersionSpecTarget(), new MatchSpecTarget(),
        new LockTarget(), new RepodataTarget(),
        new ZstdTarget(), new ZstdEncodeTarget(), new Bzip2Target(), new TarTarget(), new IndexJsonTarget(),
        new CondaArchiveTarget(), new TarBz2ArchiveTarget(), new ShardTarget(), new WheelMetadataTarget(), new PublishManifestTarget(),
    };

    public static FuzzTarget? ByName(string name) =>
        All().FirstOrDefault(t => string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase));

    internal static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    internal static string Text(byte[] input) => Encoding.UTF8.GetString(input);
}

/// <summary>Shared fixtures: generated packages and their parts, built once per process.</summary>
internal static class Fixtures
{
    public const string CondaName = "fuzz-1.0-h0_0.conda";
    public const string TarBz2Name = "fuzz-1.0-h0_0.tar.bz2";
    public const string Stem = "fuzz-1.0-h0_0";

    private static readonly Lazy<(List<byte[]> Conda, List<byte[]> TarBz2, List<byte[]> InfoTars)> Packages = new(BuildPackages);

    public static List<byte[]> CondaPackages => Packages.Value.Conda;
    public static List<byte[]> TarBz2Packages => Packages.Value.TarBz2;
    public static List<byte[]> InfoTars => Packages.Value.InfoTars;

    private static (List<byte[]>, List<byte[]>, List<byte[]>) BuildPackages()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"condamirror-fuzz-fixtures-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            var specs = new[]
            {
                new PackageSpec("fuzz", "1.0", "h0_0") { PayloadBytes = 64 },
                new PackageSpec("fuzz", "1.0", "h0_0", "linux-64") { Depends = new[] { "python >=3.9,<3.13", "libzlib >=1.2.13,<2.0a0" }, Constrains = new[] { "numpy >=1.20" }, TrackFeatures = "mkl", PayloadBytes = 600 },
                new PackageSpec("fuzz", "1.0", "h0_0") { Noarch = "python", Depends = new[] { "python" }, PayloadBytes = 0 },
            };
            var conda = new List<byte[]>();
            var tarBz2 = new List<byte[]>();
            foreach (var spec in specs)
            {
                conda.Add(File.ReadAllBytes(CoreChannelBuilder.WritePackage(Path.Combine(dir, "c" + conda.Count), spec)));
                tarBz2.Add(File.ReadAllBytes(CoreChannelBuilder.WritePackage(Path.Combine(dir, "b" + tarBz2.Count), spec with { Format = ArchiveFormat.TarBz2 })));
            }
            var infoTars = conda.Select(InfoTarOf).ToList();
            infoTars.AddRange(FormatTars());
            return (conda, tarBz2, infoTars);
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { } // a temp folder left behind is harmless
        }
    }

    /// <summary>The uncompressed info tar of a .conda.</summary>
    public static byte[] InfoTarOf(byte[] conda)
    {
        using var zip = new ZipArchive(new MemoryStream(conda), ZipArchiveMode.Read);
        var entry = zip.Entries.First(e => e.FullName.StartsWith("info-", StringComparison.Ordinal));
        using var member = entry.Open();
        using var buffer = new MemoryStream();
        member.CopyTo(buffer);
        return ZstdCodec.Decompress(buffer.ToArray());
    }

    /// <summary>Info tars in every header format the reader understands: pax (path/size records), GNU long names, old v7.</summary>
    private static IEnumerable<byte[]> FormatTars()
    {
        var index = Targets.Utf8("{\"name\":\"fuzz\",\"version\":\"1.0\",\"build\":\"h0_0\",\"build_number\":0,\"subdir\":\"noarch\",\"depends\":[]}");
        foreach (var format in new[] { TarEntryFormat.Pax, TarEntryFormat.Gnu, TarEntryFormat.Ustar, TarEntryFormat.V7 })
        {
            using var output = new MemoryStream();
            using (var writer = new TarWriter(output, format, leaveOpen: true))
            {
                var longName = "info/test/" + new string('d', 120) + "/file.txt";
                foreach (var (name, content) in new[] { ("info/about.json", Targets.Utf8("{\"license\":\"MIT\"}")), (longName, Targets.Utf8("long")), ("info/index.json", index) })
                {
                    if (format == TarEntryFormat.Ustar && name.Length > 255 || format == TarEntryFormat.V7 && name.Length > 99) continue;
                    System.Formats.Tar.TarEntry entry = format switch
                    {
                        TarEntryFormat.Pax => new PaxTarEntry(TarEntryType.RegularFile, name),
                        TarEntryFormat.Gnu => new GnuTarEntry(TarEntryType.RegularFile, name),
                        TarEntryFormat.Ustar => new UstarTarEntry(TarEntryType.RegularFile, name),
                        _ => new V7TarEntry(TarEntryType.V7RegularFile, name),
                    };
                    entry.DataStream = new MemoryStream(content);
                    writer.WriteEntry(entry);
                }
                if (format is TarEntryFormat.Pax or TarEntryFormat.Gnu)
                    writer.WriteEntry(format == TarEntryFormat.Pax
                        ? new PaxTarEntry(TarEntryType.SymbolicLink, "info/link") { LinkName = "about.json" }
                        : new GnuTarEntry(TarEntryType.SymbolicLink, "info/link") { LinkName = "about.json" });
            }
            yield return output.ToArray();
        }
    }

    /// <summary>Wraps an info tar into a .conda (stored zip, zstd member) named <see cref="CondaName"/>.</summary>
    public static byte[] WrapConda(byte[] infoTar)
    {
        using var output = new MemoryStream();
        using (var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            var meta = zip.CreateEntry("metadata.json", CompressionLevel.NoCompression);
            using (var s = meta.Open()) s.Write("{\"conda_pkg_format_version\": 2}"u8);
            var info = zip.CreateEntry($"info-{Stem}.tar.zst", CompressionLevel.NoCompression);
            using (var s = info.Open()) s.Write(ZstdCodec.Compress(infoTar));
        }
        return output.ToArray();
    }

    /// <summary>Every .conda of the test data's packages folder, and (for the zstd target) their info members.</summary>
    public static IEnumerable<byte[]> TestDataPackages(string root, string extension) =>
        FuzzTargetFiles.Files(root, "packages", new[] { extension }, max: 40, maxBytes: 2 << 20);
}

/// <summary>Gives <see cref="Fixtures"/> access to the protected file helper.</summary>
internal sealed class FuzzTargetFiles : FuzzTarget
{
    public override string Name => "";
    public override string Description => "";
    public override IEnumerable<byte[]> Seeds(string scratch) => Array.Empty<byte[]>();
    public override void Run(byte[] input) { }
    public static new IEnumerable<byte[]> Files(string root, string folder, string[] extensions, int max = 50, long maxBytes = 4 << 20) =>
        FuzzTarget.Files(root, folder, extensions, max, maxBytes);
}

internal sealed class VersionTarget : FuzzTarget
{
    private static readonly CondaVersion[] Others = { CondaVersion.Parse("1.0"), CondaVersion.Parse("1!2.0.post1"), CondaVersion.Parse("1.0a1.dev_0+local.7") };

    public override string Name => "version";
    public override string Description => "CondaVersion.Parse, then ordering against a few versions";
    public override bool IsText => true;
    public override int MaxInputBytes => 16 << 10;

    public override IEnumerable<byte[]> Seeds(string scratch) => new[]
    {
        "1.0", "1.2.3", "1!2.0", "2.0.0rc1", "1.0.post1", "1.0.dev0", "1.0a1", "1.0_1", "1.0+local.2", "2024b", "0.4.1.rc",
        "1.1dev1", "1.0-1", "3.12.5", "1.0.*", "9999999999999999999999.1", "1!2!3", "1.0+a+b", "_1", "1__0", "0.0.0.0.0.0.0.0.1",
        "1.0.0.DEV", "1.2.3.post", "4.0.0.4.2.2.1.1", "1e5", "1.0.0-beta.2", "23.3.1_1",
    }.Select(Targets.Utf8);

    public override IEnumerable<byte[]> TestDataSeeds(string root)
    {
        var file = Path.Combine(root, "conda-semantics", "rattler__versions.txt");
        return File.Exists(file) ? File.ReadLines(file).Take(500).Select(Targets.Utf8) : Array.Empty<byte[]>();
    }

    public override void Run(byte[] input)
    {
        var text = Targets.Text(input);
        CondaVersion.TryParse(text, out _); // must never throw
        var v = CondaVersion.Parse(text);
        foreach (var other in Others) _ = v.CompareTo(other) + other.CompareTo(v);
        _ = v.ToString();
        _ = v.GetHashCode();
        _ = v.Equals(CondaVersion.Parse(v.ToString()));
    }
}

internal sealed class VersionSpecTarget : FuzzTarget
{
    private static readonly string[] Versions = { "1.0", "2.0.0rc1", "1!2.0", "1.2.3.post1", "0.9", "3.12.5" };

    public override string Name => "versionspec";
    public override string Description => "VersionSpec.Parse and BuildNumberSpec.Parse, then matching a few versions";
    public override bool IsText => true;
    public override int MaxInputBytes => 16 << 10;

    public override IEnumerable<byte[]> Seeds(string scratch) => new[]
    {
        ">=1.2,<2|3.*", "1.2.*", "==1.0", "!=1.0", "~=1.2.3", ">1.0a", "1.0|2.0,3.0", "*", "1.*,!=1.5", "^1.2$", "^1\\.2.*$",
        "(>=1,<2)|(>=3,<4)", "((1.0))", "<=2!1.0", ">=1.0,", "=1.0", "1.0.0.*", "1.2.*.*", ">=1.8,<2|1.9", "<2.0.0a0",
        "~=1.0.0.post1", ">=1.0.*", "!=1.0.*", "2024.*", "3.10.*|3.11.*", ">=3.9,<3.13.0a0",
    }.Select(Targets.Utf8);

    public override void Run(byte[] input)
    {
        var text = Targets.Text(input);
        VersionSpec.TryParse(text, out _, out _); // must never throw
        try
        {
            var spec = VersionSpec.Parse(text);
            foreach (var v in Versions) spec.Matches(v);
            _ = spec.ToString();
        }
        finally
        {
            // The same text as a build-number spec exercises the other small grammar.
            try { BuildNumberSpec.Parse(text); }
            catch (CondaMirrorException) { }
        }
    }
}

internal sealed class MatchSpecTarget : FuzzTarget
{
    private static readonly PackageRecord[] Records =
    {
        new() { Name = "numpy", Version = "1.26.4", Build = "py312h1_0", BuildNumber = 0, Subdir = "linux-64", Depends = new() { "python >=3.12" } },
        new() { Name = "python", Version = "3.12.5", Build = "h2ad013b_0_cpython", BuildNumber = 0, Subdir = "linux-64", TrackFeatures = "a b" },
        new() { Name = "tzdata", Version = "2024b", Build = "hc8b5060_0", BuildNumber = 0, Subdir = "noarch", Noarch = "generic", Md5 = "00112233445566778899aabbccddeeff" },
    };

    public override string Name => "matchspec";
    public override string Description => "MatchSpec.Parse and TryParse, then matching a few records";
    public override bool IsText => true;
    public override int MaxInputBytes => 16 << 10;

    public override IEnumerable<byte[]> Seeds(string scratch) => new[]
    {
        "numpy >=1.20", "numpy >=1.20 py*", "conda-forge::numpy=1.26", "conda-forge/linux-64::numpy[version='>=1.2,<2',build=py*]",
        "python 3.12.* *_cpython", "numpy[build_number='>3']", "pkg[when=\"__linux\"]", "*[track_features=mkl]", "numpy==1.26.4=py312h1_0",
        "tzdata[md5=00112233445566778899aabbccddeeff]", "https://conda.anaconda.org/conda-forge/noarch/tzdata-2024b-hc8b5060_0.conda",
        "numpy[version=\">=1.20\", build_number=\">=0\", subdir=linux-64]", "numpy >=1.20, <2", "numpy 1.26.4 py312h1_0",
        "numpy[license=BSD*]", "python=3.12|3.11", "numpy !=1.0", "num*", "numpy[fn=numpy-1.26.4-py312h1_0.conda]", "numpy ~=1.26",
        "conda-forge::numpy[channel=defaults]", "numpy[features=\"a b\"]", "numpy=*=*", "numpy *", "numpy [version=1.0]",
    }.Select(Targets.Utf8);

    public override IEnumerable<byte[]> TestDataSeeds(string root)
    {
        // Dependency strings of real repodata are the richest source of real specs.
        var seeds = new List<byte[]>();
        foreach (var json in FuzzTargetFiles.Files(root, "repodata", new[] { "repodata.json" }, max: 3, maxBytes: 2 << 20))
        {
            try
            {
                using var doc = System.Text.Json.JsonDocument.Parse(json);
                foreach (var map in new[] { "packages", "packages.conda" })
                    if (doc.RootElement.TryGetProperty(map, out var packages) && packages.ValueKind == System.Text.Json.JsonValueKind.Object)
                        foreach (var p in packages.EnumerateObject().Take(100))
                            if (p.Value.TryGetProperty("depends", out var deps) && deps.ValueKind == System.Text.Json.JsonValueKind.Array)
                                seeds.AddRange(deps.EnumerateArray().Where(d => d.ValueKind == System.Text.Json.JsonValueKind.String).Select(d => Targets.Utf8(d.GetString()!)));
            }
            catch (System.Text.Json.JsonException) { } // test data that is not JSON gives no spec seeds
        }
        return seeds.Distinct(new BytesComparer()).Take(500);
    }

    public override void Run(byte[] input)
    {
        var text = Targets.Text(input);
        MatchSpec.TryParse(text, out _, out _); // must never throw
        var spec = MatchSpec.Parse(text);
        foreach (var r in Records) spec.Matches(r);
        _ = spec.ToString();
    }
}

/// <summary>All three lock readers through LockFileReader.Read (the format is detected from the text), then a write and re-read.</summary>
internal sealed class LockTarget : FuzzTarget
{
    private const string Sha = "0f5c2d6e0b5f5a4dd7a3b0ac9c2f9e8b7e1c8f2b3c4d5e6f708192a3b4c5d6e7";
    private const string Md5 = "00112233445566778899aabbccddeeff";
    private string _path = "";
    private string _rewritten = "";
    private string _cache = "";

    public override string Name => "lock";

    // Real locks reach a few hundred KB; larger mutants only slow the run down.
    public override int MaxInputBytes => 512 << 10;
    public override string Description => "LockFileReader.Read over pixi.lock v4-v7, conda-lock v1 and @EXPLICIT text; successful reads are written with PixiLockWriter and read again";
    public override bool IsText => true;

    public override void Prepare(string scratch)
    {
        _path = Path.Combine(scratch, "project", "pixi.lock");
        _rewritten = Path.Combine(scratch, "project", "rewritten.lock");
        _cache = Path.Combine(scratch, "pkgs");
        Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
    }

    public override IEnumerable<byte[]> Seeds(string scratch)
    {
        var seeds = new List<string>
        {
            CondaMirror.TestKit.Locks.LockSamples.PixiLockV4,
            $"""
            version: 5
            environments:
              default:
                channels:
                  - url: conda-forge
                packages:
                  win-64:
                    - conda: https://conda.anaconda.org/conda-forge/noarch/tzdata-2024b-hc8b5060_0.conda
            packages:
              - kind: conda
                name: tzdata
                version: 2024b
                build: hc8b5060_0
                subdir: noarch
                noarch: generic
                url: https://conda.anaconda.org/conda-forge/noarch/tzdata-2024b-hc8b5060_0.conda
                sha256: {Sha}
                timestamp: 1728047496
            """,
            $"""
            version: 6
            environments:
              default:
                channels:
                - url: https://conda.anaconda.org/conda-forge/
                packages:
                  linux-64:
                  - conda: https://conda.anaconda.org/conda-forge/linux-64/python-3.12.5-h2ad013b_0_cpython.conda
                  - conda: https://conda.anaconda.org/conda-forge/noarch/pip-24.3.1-pyh8b19718_0.conda
                  osx-arm64:
                  - conda: https://conda.anaconda.org/conda-forge/noarch/pip-24.3.1-pyh8b19718_0.conda
              test:
                channels:
                - url: https://user:secret@my.host/t/tk-123/private/
                packages:
                  linux-64:
                  - conda: https://user:secret@my.host/t/tk-123/private/linux-64/b-2.0-h1_0.conda
            packages:
            - conda: https://conda.anaconda.org/conda-forge/noarch/pip-24.3.1-pyh8b19718_0.conda
              sha256: {Sha}
              depends:
              - python >=3.9
            - conda: https://conda.anaconda.org/conda-forge/linux-64/python-3.12.5-h2ad013b_0_cpython.conda
              build_number: 0
              sha256: {Sha}
              md5: {Md5}
              track_features:
              - a
              - b
            - conda: https://user:secret@my.host/t/tk-123/private/linux-64/b-2.0-h1_0.conda
              sha256: {Sha}
            """,
            $"""
            version: 7
            platforms:
            - name: linux-64-cuda
              subdir: linux-64
              virtual-packages:
              - __cuda=12
            - name: win-64
            environments:
              default:
                channels:
                - url: https://prefix.dev/conda-forge/
                packages:
                  linux-64-cuda:
                  - conda: ../pkgs/linux-64/mytool-1.0-h0_3.conda
                  - conda_source: mypkg[abc123] @ .
                  win-64: []
            packages:
            - conda: ../pkgs/linux-64/mytool-1.0-h0_3.conda
              sha256: {Sha}
            - conda_source: mypkg[abc123] @ .
              version: 1.0
            """,
            "version: 1\n" + CondaMirror.TestKit.Locks.LockSamples.CondaLockV1Body,
            $"""
            # This file may be used to create an environment using:
            # $ conda create --name <env> --file <this file>
            # platform: osx-arm64
            @EXPLICIT
            https://conda.anaconda.org/conda-forge/osx-arm64/bzip2-1.0.8-h3422bc3_4.tar.bz2#{Md5}
            # a comment between entries
            https://conda.anaconda.org/conda-forge/noarch/tzdata-2022g-h191b570_0.conda#sha256={Sha}

            https://repo.anaconda.com/pkgs/main/osx-arm64/zlib-1.2.13-h5a0b063_0.conda
            file:///tmp/channel/noarch/a-1.0-0.conda#{Sha}
            """,
            "version: 3\npackage:\n- name: a\n  version: '1.0'\n  manager: conda\n  platform: linux-64\n  dependencies: {}\n  url: https://x/linux-64/a-1.0-0.conda\n  hash: {md5: " + Md5 + "}\n",
            "version: 6\nenvironments: {default: {channels: [{url: 'https://x/c/'}], packages: {noarch: [{conda: 'https://x/c/noarch/a-1.0-0.conda'}]}}}\npackages: [{conda: 'https://x/c/noarch/a-1.0-0.conda', sha256: " + Sha + ", depends: [b >=1, 'c <2']}]\n",
            // PyPI entries of every kind: wheels (URL, direct+, relative path), an sdist, a git and an editable folder.
            $"""
            version: 6
            environments:
              default:
                channels: []
                indexes:
                - https://pypi.org/simple
                packages:
                  linux-64:
                  - pypi: https://files.example/p/Foo.Bar-1.0-py3-none-any.whl
                  - pypi: direct+https://github.com/x/y/releases/download/1/click-8.1.7-py3-none-any.whl
                  - pypi: ../wheels/web-0.1-1b-py3-none-any.whl
                  - pypi: https://files.example/p/legacy-2.0.tar.gz#sha256={Sha}
                  - pypi: git+https://github.com/squidfunk/mike#2d4ad799442f4592db8ad53b179bfb33db8c69ac
                  - pypi: ./local
                    editable: true
            packages:
            - pypi: https://files.example/p/Foo.Bar-1.0-py3-none-any.whl
              name: Foo.Bar
              version: '1.0'
              sha256: {Sha}
              requires_python: '>=3.8,<4'
            - pypi: direct+https://github.com/x/y/releases/download/1/click-8.1.7-py3-none-any.whl
              name: click
              version: 8.1.7
              md5: {Md5}
            - pypi: ../wheels/web-0.1-1b-py3-none-any.whl
              name: web
              version: '0.1'
              sha256: {Sha}
              index_url: https://pypi.example/simple
            - pypi: https://files.example/p/legacy-2.0.tar.gz#sha256={Sha}
              name: legacy
              version: '2.0'
            - pypi: git+https://github.com/squidfunk/mike#2d4ad799442f4592db8ad53b179bfb33db8c69ac
              name: mike
            - pypi: ./local
              name: local
            """,
            "version: 1\nmetadata: {platforms: [linux-64]}\npackage:\n- {name: certifi, version: '1', manager: pip, platform: linux-64, dependencies: {}, url: 'https://f/certifi-1-py3-none-any.whl', hash: {sha256: " + Sha + "}, category: main}\n",
        };
        seeds.Add(WrittenLock(scratch));
        return seeds.Select(s => Targets.Utf8(s.Replace("\r\n", "\n")));
    }

    /// <summary>A pixi.lock v6 as our writer writes it, over a generated channel with a local (relative) location.</summary>
    private static string WrittenLock(string scratch)
    {
        var channel = Path.Combine(scratch, "project", "channel");
        new CoreChannelBuilder()
            .Add("a", "1.0", "h0_0", "noarch", "b >=2")
            .Add("b", "2.1", "py_1", "linux-64", "python >=3.9,<3.13")
            .Add(new PackageSpec("c", "0.1", "0") { Format = ArchiveFormat.TarBz2, Constrains = new[] { "a <2" } })
            .WriteTo(channel);
        var records = ChannelRecords.Read(channel, new Uri(channel + "/"));
        var doc = new LockDocument();
        var env = doc.Environment("default", new[] { new Uri(channel + "/").AbsoluteUri });
        env.AddRange("linux-64", records);
        env.AddRange("osx-arm64", records.Where(r => r.Subdir == "noarch"));
        doc.Environment("other", new[] { "https://conda.anaconda.org/conda-forge" }).AddRange("linux-64", records.Take(1));
        return PixiLockWriter.ToYaml(doc, Path.Combine(scratch, "project"));
    }

    public override IEnumerable<byte[]> TestDataSeeds(string root) =>
        Files(root, "locks", new[] { ".lock", ".yml", ".yaml", ".txt" }, max: 40, maxBytes: 512 << 10);

    public override void Run(byte[] input)
    {
        File.WriteAllBytes(_path, input);
        var lockFile = LockFileReader.Read(_path);
        // The PyPI half: planned as a simple index (wheel file names checked, nothing fetched) and its pages made.
        new PypiMirror(new DownloadOptions { CacheRoot = _cache }, NullMirrorLog.Instance).Plan(lockFile.Pypi);
        var projects = lockFile.Pypi.Where(e => WheelFileName.TryParse(e.FileName, out _)).GroupBy(e => e.Name)
            .Select(g => new SimpleProject(g.Key, g.Select(e => new SimpleFile(e.FileName!, e.Version ?? "", e.Sha256, e.RequiresPython, 0)).ToList())).ToList();
        SimpleIndexWriter.RootHtml(projects);
        SimpleIndexWriter.RootJson(projects);
        foreach (var project in projects)
        {
            SimpleIndexWriter.ProjectHtml(project);
            SimpleIndexWriter.ProjectJson(project);
        }
        // A successful read must also survive our writer and a second read (the lock rewrite path of resolve).
        var yaml = PixiLockWriter.ToYaml(LockDocument.FromLockFile(lockFile), Path.GetDirectoryName(_rewritten));
        File.WriteAllText(_rewritten, yaml);
        LockFileReader.Read(_rewritten);
    }
}

internal sealed class RepodataTarget : FuzzTarget
{
    private static readonly Uri Channel = new("https://conda.example.invalid/channel/");

    public override string Name => "repodata";
    public override string Description => "SparseRepodata.Load (RepodataParser's single pass), then every record materialised";
    public override bool IsText => true;

    public override IEnumerable<byte[]> Seeds(string scratch)
    {
        var channel = Path.Combine(scratch, "channel");
        new CoreChannelBuilder()
            .Add("a", "1.0", "h0_0", "noarch", "b >=2")
            .Add("b", "2.1", "py_1", "linux-64", "python >=3.9,<3.13")
            .Add("b", "2.2", "py_0", "linux-64")
            .Add(new PackageSpec("c", "0.1", "0", "linux-64") { Format = ArchiveFormat.TarBz2, Constrains = new[] { "a <2" }, TrackFeatures = "x" })
            .WriteTo(channel);
        var seeds = Directory.GetFiles(channel, "repodata.json", SearchOption.AllDirectories).OrderBy(p => p, StringComparer.Ordinal).Select(File.ReadAllBytes).ToList();
        seeds.AddRange(new[]
        {
            "{}",
            "{\"packages\":null,\"packages.conda\":{}}",
            "{\"info\":{\"subdir\":\"linux-64\",\"base_url\":\"https://mirror.example/linux-64/\"},\"repodata_version\":2,\"packages.conda\":{\"a-1.0-0.conda\":{\"name\":\"a\",\"version\":\"1.0\",\"build\":\"0\",\"build_number\":0,\"depends\":[\"b\"],\"timestamp\":1700000000,\"size\":12,\"sha256\":\"00\",\"subdir\":\"linux-64\"}},\"removed\":[\"x-1-0.tar.bz2\"]}",
            "{\"info\":{\"subdir\":\"noarch\"},\"packages\":{\"z-1-0.tar.bz2\":{\"name\":\"z\",\"version\":\"1\",\"build\":\"0\",\"build_number\":0,\"noarch\":\"python\",\"license\":null,\"features\":\"\",\"track_features\":\"a b\",\"constrains\":[],\"extra\":{\"nested\":[1,{\"k\":[true,false,null]}]}}},/* comment */\"signatures\":{}}",
            "{\"info\":{\"subdir\":\"win-64\",\"base_url\":\"../pkgs/\"},\"repodata_version\":2,\"packages\":{\"d-2-1.tar.bz2\":{\"name\":\"d\",\"version\":\"2\",\"build\":\"1\",\"build_number\":1,\"timestamp\":1.7e12,\"size\":-1}}}",
        }.Select(Targets.Utf8));
        return seeds;
    }

    public override IEnumerable<byte[]> TestDataSeeds(string root) =>
        Files(root, "repodata", new[] { ".json" }, max: 30, maxBytes: 512 << 10);

    private string? _windowFile;

    public override void Prepare(string scratch) => _windowFile = Path.Combine(scratch, $"repodata-window-{Environment.ProcessId}.json");

    public override void Run(byte[] input)
    {
        // The file-backed index reads in windows; with 13-byte ones every unit meets edges. It must agree with the
        // whole-array index: the same index, or the same coded error.
        var whole = Outcome(() => RepodataParser.Build(input, null));
        if (_windowFile is not null)
        {
            File.WriteAllBytes(_windowFile, input);
            using var handle = File.OpenHandle(_windowFile);
            var windowed = Outcome(() => RepodataParser.Build(handle, input.Length, null, 13));
            if (!Same(whole, windowed))
                throw new InvalidOperationException($"windowed index disagrees with the whole-array index: {Describe(whole)} vs {Describe(windowed)}");
        }
        var repodata = SparseRepodata.Load(null, input, Channel, "linux-64");
        foreach (var record in repodata.AllRecords()) _ = record.Url;
    }

    private static (RepodataOutline? Index, string? Code) Outcome(Func<RepodataOutline> build)
    {
        try { return (build(), null); }
        catch (CondaMirrorException e) { return (null, e.Code); }
    }

    private static bool Same((RepodataOutline? Index, string? Code) a, (RepodataOutline? Index, string? Code) b) =>
        a.Index is null || b.Index is null
            ? a.Code == b.Code
            : a.Index.Spans.AsSpan().SequenceEqual(b.Index.Spans) && a.Index.GroupStart.AsSpan().SequenceEqual(b.Index.GroupStart)
              && a.Index.Names.SequenceEqual(b.Index.Names) && a.Index.InfoSubdir == b.Index.InfoSubdir
              && a.Index.BaseUrl == b.Index.BaseUrl && a.Index.RepodataVersion == b.Index.RepodataVersion;

    private static string Describe((RepodataOutline? Index, string? Code) o) => o.Index is null ? o.Code! : $"{o.Index.Spans.Length} records";
}

/// <summary>
/// CEP-16 shard index and shard readers over raw MessagePack (both readers see every input), and what a successful
/// shard read writes must read back: the writer cannot produce what the reader refuses.
/// </summary>
internal sealed class ShardTarget : FuzzTarget
{
    public override string Name => "shards";
    public override string Description => "ShardReader.ReadIndex and ReadShard over MessagePack; a shard read is re-written and read again";

    public override IEnumerable<byte[]> Seeds(string scratch)
    {
        var index = new ShardIndex { Subdir = "linux-64", BaseUrl = "../pkgs/", ShardsBaseUrl = "./shards/", CreatedAt = "2025-06-01T12:00:00Z" };
        index.SetShard("zlib", Enumerable.Range(0, 32).Select(i => (byte)i).ToArray());
        index.SetShard("python", Enumerable.Range(0, 32).Select(i => (byte)(255 - i)).ToArray());
        var record = PackageRecordJson.Parse("""
            {"name":"zlib","version":"1.3.1","build":"h0_2","build_number":2,"subdir":"linux-64","depends":["libgcc >=13"],
             "constrains":["zlib-ng <0"],"license":"Zlib","md5":"a0a1a2a3a4a5a6a7a8a9aaabacadaeaf",
             "sha256":"101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f","size":92286,"timestamp":1727963453000,
             "track_features":"mkl","noarch":"generic","run_exports":{"weak":["libzlib >=1.3.1,<2.0a0"]},"legacy_bz2_md5":"00112233445566778899aabbccddeeff"}
            """);
        var shard = new Shard();
        shard.Add("zlib-1.3.1-h0_2.conda", record);
        shard.Add("zlib-1.3.1-h0_2.tar.bz2", record);
        shard.Removed.Add("zlib-1.2-0.tar.bz2");
        return new[]
        {
            ShardWriter.WriteIndex(index),
            ShardWriter.WriteShard(shard),
            ShardWriter.WriteShard(new Shard()),
            // An index with a hash as an array of 32 integers (older rattler-index), written out by hand.
            new byte[] { 0x82, 0xa4, (byte)'i', (byte)'n', (byte)'f', (byte)'o', 0x80, 0xa6, (byte)'s', (byte)'h', (byte)'a', (byte)'r', (byte)'d', (byte)'s', 0x81, 0xa1, (byte)'a', 0xdc, 0x00, 0x20 }
                .Concat(Enumerable.Range(0, 32).Select(i => (byte)(i * 3 % 128))).ToArray(),
        };
    }

    public override IEnumerable<byte[]> TestDataSeeds(string root) =>
        Files(root, "repodata", new[] { ".msgpack.zst" }, max: 20, maxBytes: 1 << 20).Select(z => ZstdCodec.Decompress(z));

    public override void Run(byte[] input)
    {
        try
        {
            ShardReader.ReadIndex(input);
        }
        finally
        {
            // The shard reader sees the input whatever the index reader made of it.
            var shard = ShardReader.ReadShard(input);
            ShardReader.ReadShard(ShardWriter.WriteShard(shard));
        }
    }
}

/// <summary>
/// The zstd encoder with a round-trip oracle: any input, at a level taken from its first byte, must compress
/// without an exception and decode (with our decoder) to exactly the input; one-shot and streamed in pieces.
/// </summary>
internal sealed class ZstdEncodeTarget : FuzzTarget
{
    public override string Name => "zstd-encode";
    public override string Description => "ZstdCodec.Compress at levels 1-22 (one-shot) and 1-12 (streamed), decoded back and compared";

    // Deep levels cost about a microsecond per byte and position; smaller inputs keep a run about variety.
    public override int MaxInputBytes => 256 << 10;

    public override IEnumerable<byte[]> Seeds(string scratch)
    {
        var rng = new Random(3);
        var random = new byte[5000];
        rng.NextBytes(random);
        var records = new StringBuilder();
        for (int i = 0; i < 300; i++)
            records.Append($"\"pkg-{i % 17}-1.{i % 5}.0-py_{i % 3}.tar.bz2\":{{\"build_number\":{i % 3},\"md5\":\"{rng.Next():x8}{rng.Next():x8}\"}},");
        return new[]
        {
            Array.Empty<byte>(),
            new byte[] { 7 },
            Targets.Utf8("abcabcabcabcabcabcabcabcabcabcabcabc"),
            new byte[3000],
            random,
            Targets.Utf8(records.ToString()),
            random.Concat(Targets.Utf8(records.ToString())).Concat(random).ToArray(),
        };
    }

    public override IEnumerable<byte[]> TestDataSeeds(string root) => Files(root, "repodata", new[] { ".json" }, max: 10, maxBytes: 256 << 10);

    public override void Run(byte[] input)
    {
        int level = input.Length == 0 ? 3 : 1 + input[0] % 22;
        var frame = ZstdCodec.Compress(input, new ZstdEncoderOptions { Level = level, Checksum = input.Length % 2 == 0 });
        Check(input, frame, $"level {level}");

        int streamLevel = input.Length == 0 ? 1 : 1 + input[^1] % 12;
        var sink = new MemoryStream();
        using (var encoder = ZstdCodec.Compress(sink, new ZstdEncoderOptions { Level = streamLevel }, leaveOpen: true))
        {
            int piece = 1 + input.Length % 7001;
            for (int i = 0; i < input.Length; i += piece) encoder.Write(input, i, Math.Min(piece, input.Length - i));
        }
        Check(input, sink.ToArray(), $"streamed level {streamLevel}");
    }

    private static void Check(byte[] input, byte[] frame, string what)
    {
        // A decoding failure or a different result is the encoder's bug: no exception here is "expected".
        var back = ZstdCodec.Decompress(frame);
        if (!back.AsSpan().SequenceEqual(input))
            throw new InvalidOperationException($"zstd encoder round trip differs at {what}: {back.Length} bytes back for {input.Length}");
    }

    public override bool IsExpected(Exception e) => false;
}

/// <summary>The zstd decoder through its public stream API (small reads) and the internal byte[] path (whole buffer).</summary>
internal sealed class ZstdTarget : FuzzTarget
{
    // Output past this is not read: a valid frame may expand 1000x, which is the codec's job, not a bug.
    private const int MaxOutput = 32 << 20;
    private readonly byte[] _buffer = new byte[64 << 10];

    public override string Name => "zstd";
    public override string Description => "ZstdCodec.Decompress (stream, 128 MB window as for .conda) and ZstdDecoderStream over a byte[]";

    public override IEnumerable<byte[]> Seeds(string scratch)
    {
        var seeds = new List<byte[]>
        {
            // Made with the zstd CLI: -19 (Huffman literals, FSE sequences), -1 --no-check, --long=20.
            Convert.FromBase64String("KLUv/WRSApUHAMLHFRKguwEASTpJ3Dp+hk3//3vfTR7ghnEb9u62150aoTIHd0KNSXPrUndP8Ac/fYzVFjBZjmRHSDVhuQlVK6UIX/KITPjFF7o4OJE0nnUJadwzpxG4m2yxBlGoYQdpCyvT3gEgQmMcpR4RcASSwBdMkGGVxjrO2XJl2SY8qg7rWlMYEglzyMvwjptdEhgRZS/gmL9bAKr3+EJQOmnsLQhDsvo9qOLwcEt3KbzX7nOO1EiJx6VABUPv9lZ0johYoYQEdwNc5QqTQGndEOpS1rd63TPndQFZTbqPxoeIxbU+Ozn/CHEzWuxqBu/7eVJdsaoKNM65Jw=="),
            Convert.FromBase64String("KLUv/WCEAr0NADQZKVXlzY5G3I7Ut8J2TSpaTXZ3BvhdhpACSta9o0Ab6cjLzMk19s0fYSJq4VM4rho0AE0zug0kasBMgbG68j47+e71958rSTSvh/VSC2m5Sw2YLoW7VbZyqHJjes10Zvy2Dg6P8YRjsOSyuilwNHTwZKxo9wD1sCs9xmb0W96qLMrtzStRV0EOTe5K8rNPQwoHNEfeY2wOgGyVe6aE1kMfterXQk0J4V0CTFhI8j0fpvc2HX9hjRUy5w4g4qZmjef0foRn5UbVPsjioSV72yVsmz5Pu0mBRu9wMMv5U3JS3M6t12S2oy+7Ca3q4QnEqZcgOXU1K4eLFFyKQtiEz0z9py2OHV3ZJYkILYUqcSKHPugFrdWJQhZ6OFKGGVxnn5xplORbirEJgBIHCWHzaW5zdGFsbCBjaGFubmVsIG9mZmxpbmUgb2YgYW5kIGxpY2Vuc2UgcGFja2FnZSBtaXJyb3IgcGxhdGZvcm0gb2YgbWV0YWRhdGEgYnVpbGRkZXBlbmRlbmN5YW5kIHZlcnNpb25vZgwAjUujAKcASB3gWcAqgTwICMNGoybEQCCpy7twhI8Tago="),
            Convert.FromBase64String("KLUv/WRSAiUIAILIFxWQpXkA+mtnQguxizZk293dle78dQKAnxTWdWGQhRnIj3I5KawLuW7ZyBAWGXk5S/8Mtr89+Z2mEKAydWU+RjOaUkLN3TnoghpYEXrZWyrdFiHTNxWRSb9bwki1TNkMVKhBB6RNKtPeASACQgx1dgMQIIKQKk3TAVNmuVp5mkCjQNB53SaGLuTJIa1Z3YZvjCyo8C4knY8J3PsKGBQ99zKwvZOSSasmwecqlAeq6ivym5xpzL9ayWbbE/yMz5Zgyc3w214QvUWEvGQkaFobkAFXfaVP+KNFtk0cMdQFB/izwPm7qGR+i6e1jzUWKJrDdg7xQmH6o3itek3rzwXVFTBVNM65Jw=="),
            ZstdCodec.Compress(Targets.Utf8("hello hello hello hello\n")),
            ZstdCodec.Compress(new byte[1000], new ZstdEncoderOptions { Checksum = false }),
            // A skippable frame, then a frame.
            new byte[] { 0x50, 0x2A, 0x4D, 0x18, 3, 0, 0, 0, 1, 2, 3 }.Concat(ZstdCodec.Compress(Targets.Utf8("x"))).ToArray(),
        };
        seeds.AddRange(Fixtures.CondaPackages.Select(ZstdMemberOf).Where(m => m is not null)!);
        return seeds;
    }

    public override IEnumerable<byte[]> TestDataSeeds(string root) =>
        Files(root, "repodata", new[] { ".zst" }, max: 10, maxBytes: 1 << 20)
            .Concat(Fixtures.TestDataPackages(root, ".conda").Select(ZstdMemberOf).Where(m => m is not null).Take(20))!;

    private static byte[]? ZstdMemberOf(byte[] conda)
    {
        try
        {
            using var zip = new ZipArchive(new MemoryStream(conda), ZipArchiveMode.Read);
            var entry = zip.Entries.FirstOrDefault(e => e.FullName.StartsWith("info-", StringComparison.Ordinal));
            if (entry is null || entry.Length > 1 << 20) return null;
            using var member = entry.Open();
            using var buffer = new MemoryStream();
            member.CopyTo(buffer);
            return buffer.ToArray();
        }
        catch (InvalidDataException)
        {
            return null; // not every test-data file is a well-formed zip; it is simply not a seed
        }
    }

    public override void Run(byte[] input)
    {
        try
        {
            using var stream = ZstdCodec.Decompress(new MemoryStream(input), new ZstdDecoderOptions { MaxWindowSize = PackageArchive.MaxZstdWindowBytes });
            Drain(stream, 1 + input.Length % 4093);
        }
        finally
        {
            // The byte[] path (repodata.json.zst) has its own input reader; run it even when the stream path failed.
            using var whole = new ZstdDecoderStream(input, new ZstdDecoderOptions());
            whole.PeekDeclaredContentSize();
            Drain(whole, _buffer.Length);
        }
    }

    private void Drain(Stream stream, int chunk)
    {
        long total = 0;
        int n;
        while (total < MaxOutput && (n = stream.Read(_buffer, 0, Math.Min(chunk, _buffer.Length))) > 0) total += n;
    }
}

/// <summary>
/// The multi-stream bzip2 decoder. Its contract is the one PackageArchive relies on: damaged data surfaces as
/// InvalidDataException, SharpZipBaseException or EndOfStreamException, which PackageArchive maps to CMIR212/CMIR201.
/// </summary>
internal sealed class Bzip2Target : FuzzTarget
{
    // Made with the bzip2 CLI from English-like text.
    private const string Bzip2Text = "QlpoOTFBWSZTWfI5UZsAANHRgAAQQAA/798gMAFLACKeyE9UGmgAapvEmUAABEoE1TyZNT0yK5WHY/EaEHGcxa3DzSoBqKLSoyCsZdAU0WTboQgSrhRZxeDRbLBlRUzIUAhBw6vJbOL2mZL2zjS+nbgPi0elg7qf6RbugtA6Aiel9LQOALwIwSrFqv08r3RrJSQqUhVqV1pZNV3XsCi4B6fADpORd10SkWcAfQie/IHI6jyuV70ZIQnsX4GQN03HgfgtkOAKrlbqUCi6J0lkqBUcAPA0N4G4ajsLhdFgvAEpsQIyarBcDkbDsBUcDQcNnYaC28+hgDK8jceeCQkhCB+F3JFOFCQ8jlRmwA==";
    private const int MaxOutput = 32 << 20;
    private readonly byte[] _buffer = new byte[64 << 10];

    public override string Name => "bzip2";
    public override string Description => "Bzip2DecoderStream over concatenated bzip2 streams, on libbz2 and on SharpZipLib";

    public override IEnumerable<byte[]> Seeds(string scratch) => new List<byte[]>
    {
        // One stream.
        Convert.FromBase64String(Bzip2Text),
        // Two concatenated streams (what pbzip2 writes), the second one binary.
        Convert.FromBase64String(Bzip2Text).Concat(Bzip2Of(Enumerable.Range(0, 3000).Select(i => (byte)(i * 7 % 251)).ToArray())).ToArray(),
        Fixtures.TarBz2Packages[0],
    };

    public override IEnumerable<byte[]> TestDataSeeds(string root) => Fixtures.TestDataPackages(root, ".tar.bz2").Take(10);

    private static byte[] Bzip2Of(byte[] data)
    {
        using var output = new MemoryStream();
        using (var bzip2 = new ICSharpCode.SharpZipLib.BZip2.BZip2OutputStream(output, 1) { IsStreamOwner = false }) bzip2.Write(data);
        return output.ToArray();
    }

    public override bool IsExpected(Exception e) => e is CondaMirrorException or InvalidDataException or EndOfStreamException;

    public override void Run(byte[] input)
    {
        // The input's length picks the decoder (the magic bytes cannot: they are the same in every valid input),
        // so mutations that add or drop a byte switch between them and both get explored.
        Decode(input, managed: input.Length % 2 == 1);
    }

    private void Decode(byte[] input, bool managed)
    {
        using var scope = managed ? Bzip2DecoderStream.ForceManaged() : null;
        using var stream = new Bzip2DecoderStream(new MemoryStream(input));
        long total = 0;
        int n;
        while (total < MaxOutput && (n = stream.Read(_buffer, 0, _buffer.Length)) > 0) total += n;
    }
}

/// <summary>
/// Tar structure: the mutated bytes are the info tar of a .conda, wrapped into a valid zip + zstd member, so
/// TarStreamReader, the member-path checks and index.json parsing see them exactly as from a real package.
/// </summary>
internal sealed class TarTarget : FuzzTarget
{
    public override string Name => "tar";
    public override string Description => "TarStreamReader directly, and as the info tar of a .conda through PackageArchive.ReadInfo";
    public override int MaxInputBytes => 256 << 10;

    public override IEnumerable<byte[]> Seeds(string scratch) => Fixtures.InfoTars;

    public override IEnumerable<byte[]> TestDataSeeds(string root) =>
        Fixtures.TestDataPackages(root, ".conda").Select(c =>
        {
            try { return Fixtures.InfoTarOf(c); }
            catch (Exception e) when (e is InvalidDataException or CondaMirrorException or InvalidOperationException) { return null; } // not a usable package: no seed
        }).Where(t => t is not null && t.Length <= 256 << 10).Take(20)!;

    public override void Run(byte[] input)
    {
        try
        {
            var reader = new TarStreamReader(new MemoryStream(input), "fuzz.tar");
            for (var entry = reader.Next(); entry is not null; entry = reader.Next())
                if (entry.Kind == TarEntryKind.File && entry.Size <= 1 << 20 && entry.Name.Length % 2 == 0) reader.ReadContent();
            reader.DrainSource();
        }
        finally
        {
            PackageArchive.ReadInfo(new MemoryStream(Fixtures.WrapConda(input)), Fixtures.CondaName, ArchiveFormat.Conda, InfoMembers.All);
        }
    }
}

/// <summary>info/index.json and about.json text inside an otherwise valid package: the record parser and its error mapping.</summary>
internal sealed class IndexJsonTarget : FuzzTarget
{
    public override string Name => "indexjson";
    public override string Description => "info/index.json text (and the same text as about.json / paths.json) inside a valid .conda";
    public override bool IsText => true;
    public override int MaxInputBytes => 256 << 10;

    public override IEnumerable<byte[]> Seeds(string scratch) => new[]
    {
        "{\"name\":\"fuzz\",\"version\":\"1.0\",\"build\":\"h0_0\",\"build_number\":0,\"subdir\":\"noarch\",\"depends\":[]}",
        "\uFEFF{\"name\":\"fuzz\",\"version\":\"1.0\",\"build\":\"h0_0\",\"build_number\":3,\"subdir\":\"linux-64\",\"depends\":[\"python >=3.9\"],\"constrains\":[\"a <2\"],\"license\":\"MIT\",\"timestamp\":1700000000000,\"track_features\":\"a b\",\"features\":\"\",\"noarch\":\"python\",\"platform\":\"linux\",\"arch\":\"x86_64\",\"size\":12,\"extra\":{\"k\":[1,2,{\"x\":null}]}}",
        "{\"name\":\"fuzz\",\"version\":1.0,\"build\":\"h0_0\",\"build_number\":\"0\",\"depends\":null,\"noarch\":true}",
    }.Select(Targets.Utf8);

    public override void Run(byte[] input)
    {
        var members = new List<PackageFileEntry>
        {
            new("info/about.json", input.Length % 3 == 0 ? input : "{}"u8.ToArray()),
            new("info/index.json", input),
            new("info/paths.json", input.Length % 3 == 1 ? input : "{\"paths\":[],\"paths_version\":1}"u8.ToArray()),
            new("info/run_exports.json", input),
        };
        using var tar = new MemoryStream();
        PackageArchiveWriter.WriteTar(tar, members, new PackageWriteOptions());
        PackageArchive.ReadInfo(new MemoryStream(Fixtures.WrapConda(tar.ToArray())), Fixtures.CondaName, ArchiveFormat.Conda, InfoMembers.All);
    }
}

internal sealed class CondaArchiveTarget : FuzzTarget
{
    public override string Name => "conda";
    public override string Description => "PackageArchive.ReadInfo on whole .conda files (zip, zstd member, info tar), seekable and not";

    public override IEnumerable<byte[]> Seeds(string scratch) => Fixtures.CondaPackages;

    public override IEnumerable<byte[]> TestDataSeeds(string root) => Fixtures.TestDataPackages(root, ".conda").Take(20);

    public override void Run(byte[] input) => ArchiveRun.Read(input, Fixtures.CondaName, ArchiveFormat.Conda);
}

internal sealed class TarBz2ArchiveTarget : FuzzTarget
{
    public override string Name => "tarbz2";
    public override string Description => "PackageArchive.ReadInfo on whole .tar.bz2 files, seekable and not";

    public override IEnumerable<byte[]> Seeds(string scratch) => Fixtures.TarBz2Packages;

    public override IEnumerable<byte[]> TestDataSeeds(string root) => Fixtures.TestDataPackages(root, ".tar.bz2").Take(10);

    public override void Run(byte[] input) => ArchiveRun.Read(input, Fixtures.TarBz2Name, ArchiveFormat.TarBz2);
}

internal static class ArchiveRun
{
    public static void Read(byte[] input, string name, ArchiveFormat format)
    {
        // Alternate by input so both the seekable and the buffering (non-seekable) paths are fuzzed.
        Stream stream = input.Length % 2 == 0 ? new MemoryStream(input) : new ForwardOnlyStream(new MemoryStream(input));
        PackageArchive.ReadInfo(stream, name, format, InfoMembers.All);
    }
}

/// <summary>A network-like stream: no seeking, short reads.</summary>
internal sealed class ForwardOnlyStream(Stream inner) : Stream
{
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, Math.Min(count, 777));
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

internal sealed class BytesComparer : IEqualityComparer<byte[]>
{
    public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);
    public int GetHashCode(byte[] obj)
    {
        var h = new HashCode();
        h.AddBytes(obj);
        return h.ToHashCode();
    }
}

/// <summary>
/// A wheel's core metadata as the PyPI mirror reads it from a verified (but untrusted) wheel: any bytes must give
/// either the METADATA or null with a reason, never an exception, and never more than the size limit.
/// </summary>
internal sealed class WheelMetadataTarget : FuzzTarget
{
    private string _path = "";

    public override string Name => "wheel-metadata";
    public override string Description => "WheelMetadata.TryRead over a wheel (zip) file: METADATA or a reason, never an exception";
    public override int MaxInputBytes => 256 << 10;

    public override void Prepare(string scratch) => _path = Path.Combine(scratch, "alpha-1.0-py3-none-any.whl");

    public override IEnumerable<byte[]> Seeds(string scratch) => new[]
    {
        new CondaMirror.TestKit.PyPI.WheelSpec("alpha", "1.0", RequiresPython: ">=3.8").Build(),
        new CondaMirror.TestKit.PyPI.WheelSpec("Alpha", "1.0", PythonTag: "py2.py3").Build(),
    };

    public override bool IsExpected(Exception e) => false;

    public override void Run(byte[] input)
    {
        File.WriteAllBytes(_path, input);
        WheelFileName.TryParse(Path.GetFileName(_path), out var wheel);
        var metadata = WheelMetadata.TryRead(_path, wheel, out var problem);
        if (metadata is null == problem is null || metadata?.Length > WheelMetadata.MaxBytes)
            throw new InvalidOperationException("WheelMetadata.TryRead broke its contract");
    }
}

/// <summary>
/// The publish manifest as an object store returns it (anyone who can write the bucket can write it): read, and a
/// manifest that reads is written and read again to the same entries. Unreadable input is reported as null, never thrown,
/// so every exception is a finding.
/// </summary>
internal sealed class PublishManifestTarget : FuzzTarget
{
    public override string Name => "publish-manifest";
    public override string Description => "PublishManifest.Read over the bucket's manifest; a manifest read is written and read again";
    public override bool IsText => true;

    public override IEnumerable<byte[]> Seeds(string scratch)
    {
        var entries = new Dictionary<string, ManifestEntry>(StringComparer.Ordinal)
        {
            ["linux-64/tool-1.0-h_0.conda"] = new(new string('a', 64), 1234, "0123456789abcdef0123456789abcdef"),
            ["noarch/repodata.json"] = new(new string('b', 64), 42, null),
            ["noarch/ünïcode name.json"] = new(new string('c', 64), 0, "x"),
        };
        return new[]
        {
            PublishManifest.Write(entries),
            PublishManifest.Write(new Dictionary<string, ManifestEntry>()),
            Encoding.UTF8.GetBytes("""{"version":1,"objects":{"a":{"sha256":"dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd","size":9223372036854775807}}}"""),
        };
    }

    public override void Run(byte[] input)
    {
        var read = PublishManifest.Read(input, out var problem);
        if (read is null)
        {
            if (problem is null) throw new InvalidOperationException("an unreadable manifest without a reason");
            return;
        }
        var again = PublishManifest.Read(PublishManifest.Write(read), out var secondProblem)
                    ?? throw new InvalidOperationException("a manifest we wrote does not read back: " + secondProblem);
        if (again.Count != read.Count || again.Any(e => !read.TryGetValue(e.Key, out var v) || v != e.Value))
            throw new InvalidOperationException("a manifest read, written and read again changed");
    }

    public override bool IsExpected(Exception e) => false;
}
