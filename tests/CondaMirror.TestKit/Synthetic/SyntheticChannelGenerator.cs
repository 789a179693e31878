using System.Text;
using System.Text.Json;
using CondaMirror.Core.Records;

namespace CondaMirror.TestKit.Synthetic;

/// <summary>
/// Writes a conda-forge-shaped channel (linux-64 and noarch repodata.json) for benchmarks and tests. Records
/// follow real conda-forge shapes (keys, build strings, pinned depends, constrains, track_features, hashes,
/// .tar.bz2 before late 2022 and .conda after, some stems in both). A hand-modelled scientific stack (python
/// 3.8-3.12, numpy, scipy, pandas, scikit-learn, matplotlib and their C libraries) has many versions and a
/// consistent dependency graph, so "pandas scikit-learn matplotlib" is solvable; thousands of generated
/// filler packages depend on each other and on the stack. Same seed and scale, same bytes.
/// At scale 1: about 400,000 linux-64 + 110,000 noarch records, about 340 MB of (indented) JSON.
/// </summary>
public sealed class SyntheticChannelGenerator
{
    public static readonly IReadOnlyList<string> Subdirs = new[] { "linux-64", "noarch" };

    /// <summary>Bumped whenever the output changes, so on-disk caches of generated channels can be keyed by it.</summary>
    public const int OutputVersion = 4;

    /// <summary>The packages the solver benchmark asks for.</summary>
    public static readonly IReadOnlyList<string> BenchmarkRequest = new[] { "pandas", "scikit-learn", "matplotlib" };

    private readonly double _scale;
    private readonly int _seed;
    private readonly List<PackageSpec> _stack;
    private readonly Dictionary<string, Filler[]> _fillers = new();

    public SyntheticChannelGenerator(double scale = 1.0, int seed = 20240501)
    {
        if (scale <= 0) throw new ArgumentOutOfRangeException(nameof(scale));
        _scale = scale;
        _seed = seed;
        _stack = ScientificStackSpecs();
        foreach (var subdir in Subdirs) _fillers[subdir] = MakeFillers(subdir);
    }

    /// <summary>Names of the hand-modelled scientific stack (present at every scale).</summary>
    public IReadOnlyList<string> ScientificStack => _stack.Select(s => s.Name).Distinct().ToList();

    /// <summary>50 frequently requested names across both subdirs (stack first, then the largest fillers).</summary>
    public IReadOnlyList<string> PopularNames =>
        ScientificStack.Concat(_fillers.Values.SelectMany(f => f).OrderByDescending(f => f.Versions.Length).Select(f => f.Name))
            .Distinct().Take(50).ToList();

    /// <summary>Writes &lt;directory&gt;/&lt;subdir&gt;/repodata.json for every subdir; returns records per subdir.</summary>
    public IReadOnlyDictionary<string, int> WriteChannel(string directory)
    {
        var counts = new Dictionary<string, int>();
        foreach (var subdir in Subdirs)
        {
            Directory.CreateDirectory(Path.Combine(directory, subdir));
            var path = Path.Combine(directory, subdir, "repodata.json");
            var temp = path + ".tmp";
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
                counts[subdir] = WriteRepodata(subdir, stream);
            File.Move(temp, path, overwrite: true);
        }
        return counts;
    }

    /// <summary>Writes one subdir's repodata.json; returns the number of records.</summary>
    public int WriteRepodata(string subdir, Stream output)
    {
        var count = 0;
        using var w = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true, Encoder = RepodataJsonEncoder.Instance });
        w.WriteStartObject();
        w.WriteStartObject("info");
        w.WriteString("subdir", subdir);
        w.WriteEndObject();
        foreach (var (map, format) in new[] { ("packages", ArchiveFormat.TarBz2), ("packages.conda", ArchiveFormat.Conda) })
        {
            w.WriteStartObject(map);
            foreach (var record in Enumerate(subdir))
            {
                if (!record.Formats.Contains(format)) continue;
                WriteRecord(w, record, format);
                count++;
                if (w.BytesPending > 1 << 16) w.Flush();
            }
            w.WriteEndObject();
        }
        w.WriteStartArray("removed");
        w.WriteEndArray();
        w.WriteNumber("repodata_version", 1);
        w.WriteEndObject();
        return count;
    }

    private sealed record PackageSpec(string Name, string Subdir, string[] Versions, Func<string, int, string[]> Depends,
        Func<string, int, string[]>? Constrains = null, Func<string, (int Min, int Max)>? Pythons = null,
        string License = "BSD-3-Clause", string? TrackFeatures = null, string BuildSuffix = "", int Builds = 2,
        Func<string, int, string>? BuildName = null);

    private sealed record Filler(string Name, string Subdir, string[] Versions, int Kind, int[] DependsOn, string License);

    private sealed class Generated
    {
        public string Name = "", Version = "", Build = "", Subdir = "", License = "";
        public int BuildNumber;
        public string[] Depends = Array.Empty<string>(), Constrains = Array.Empty<string>();
        public string? Noarch, TrackFeatures;
        public long Timestamp, Size;
        public string Md5 = "", Sha256 = "";
        public ArchiveFormat[] Formats = Array.Empty<ArchiveFormat>();
    }

    // ---- record stream -------------------------------------------------------------------------------

    private IEnumerable<Generated> Enumerate(string subdir)
    {
        var rng = new Random(_seed + (subdir == "noarch" ? 7919 : 104729));
        foreach (var spec in _stack.Where(s => s.Subdir == subdir))
            foreach (var record in StackRecords(spec, rng))
                yield return record;
        var fillers = _fillers[subdir];
        foreach (var filler in fillers)
            foreach (var record in FillerRecords(filler, fillers, rng))
                yield return record;
    }

    private IEnumerable<Generated> StackRecords(PackageSpec spec, Random rng)
    {
        for (var v = 0; v < spec.Versions.Length; v++)
        {
            var version = spec.Versions[v];
            var (min, max) = spec.Pythons?.Invoke(version) ?? (0, 0);
            for (var py = min; py <= max; py++)
                for (var bn = 0; bn < spec.Builds; bn++)
                {
                    var hash = Hex(rng, 7);
                    var build = spec.BuildName is not null ? spec.BuildName(version, bn)
                        : spec.Subdir == "noarch" && spec.Pythons is null && spec.BuildSuffix == "pyhd8ed1ab"
                        ? $"pyhd8ed1ab_{bn}"
                        : py > 0 ? $"py3{py}h{hash}_{bn}{spec.BuildSuffix}" : $"h{hash}_{bn}{spec.BuildSuffix}";
                    var ts = TimestampFor(v, spec.Versions.Length, bn, rng);
                    yield return Finish(rng, new Generated
                    {
                        Name = spec.Name, Version = version, Build = build, BuildNumber = bn, Subdir = spec.Subdir,
                        License = spec.License, Timestamp = ts, TrackFeatures = spec.TrackFeatures,
                        Noarch = spec.Subdir == "noarch" ? (spec.BuildSuffix == "pyhd8ed1ab" ? "python" : "generic") : null,
                        Depends = spec.Depends(version, py), Constrains = spec.Constrains?.Invoke(version, py) ?? Array.Empty<string>(),
                    });
                }
        }
    }

    private IEnumerable<Generated> FillerRecords(Filler filler, Filler[] all, Random rng)
    {
        for (var v = 0; v < filler.Versions.Length; v++)
        {
            var version = filler.Versions[v];
            var builds = 1 + (v % 3 == 0 ? 1 : 0);
            var pythons = filler.Kind == 1 ? (8 + v % 3, Math.Min(12, 10 + v % 3)) : (0, 0);
            for (var py = pythons.Item1; py <= pythons.Item2; py++)
                for (var bn = 0; bn < builds; bn++)
                {
                    var depends = new List<string>(8);
                    foreach (var target in filler.DependsOn)
                    {
                        var dep = all[target];
                        var pick = dep.Versions[rng.Next(dep.Versions.Length)];
                        depends.Add(filler.Kind == 0 ? $"{dep.Name} >={pick},<{NextMajor(pick)}" : rng.Next(3) == 0 ? dep.Name : $"{dep.Name} >={pick}");
                    }
                    string build;
                    if (filler.Subdir == "noarch")
                    {
                        build = $"pyhd8ed1ab_{bn}";
                        depends.Insert(0, $"python >=3.{8 + v % 3}");
                    }
                    else if (filler.Kind == 1)
                    {
                        build = $"py3{py}h{Hex(rng, 7)}_{bn}";
                        depends.AddRange(new[] { "libgcc-ng >=12", $"python >=3.{py},<3.{py + 1}.0a0", $"python_abi 3.{py}.* *_cp3{py}" });
                        if (v % 2 == 0) depends.Add("numpy >=1.23.5,<2.0a0");
                    }
                    else
                    {
                        build = $"h{Hex(rng, 7)}_{bn}";
                        depends.AddRange(new[] { "libgcc-ng >=12", "libstdcxx-ng >=12" });
                        if (v % 4 == 1) depends.Add("libzlib >=1.2.13,<2.0.0a0");
                    }
                    depends.Sort(StringComparer.Ordinal);
                    yield return Finish(rng, new Generated
                    {
                        Name = filler.Name, Version = version, Build = build, BuildNumber = bn, Subdir = filler.Subdir,
                        License = filler.License, Timestamp = TimestampFor(v, filler.Versions.Length, bn, rng),
                        Noarch = filler.Subdir == "noarch" ? "python" : null, Depends = depends.ToArray(),
                        Constrains = v % 5 == 4 ? new[] { $"{filler.Name}-docs <0a0" } : Array.Empty<string>(),
                    });
                }
        }
    }

    private static Generated Finish(Random rng, Generated g)
    {
        g.Md5 = Hex(rng, 32);
        g.Sha256 = Hex(rng, 64);
        g.Size = 2_000 + (long)(rng.NextDouble() * rng.NextDouble() * 60_000_000);
        // conda-forge switched new builds to .conda in late 2022; during the switch some stems got both.
        var switchover = 1_667_000_000_000L;
        g.Formats = g.Timestamp < switchover - 150L * 86_400_000 ? new[] { ArchiveFormat.TarBz2 }
            : g.Timestamp < switchover ? new[] { ArchiveFormat.TarBz2, ArchiveFormat.Conda }
            : new[] { ArchiveFormat.Conda };
        return g;
    }

    private static void WriteRecord(Utf8JsonWriter w, Generated g, ArchiveFormat format)
    {
        w.WritePropertyName($"{g.Name}-{g.Version}-{g.Build}{(format == ArchiveFormat.Conda ? ".conda" : ".tar.bz2")}");
        w.WriteStartObject();
        w.WriteString("build", g.Build);
        w.WriteNumber("build_number", g.BuildNumber);
        if (g.Constrains.Length > 0)
        {
            w.WriteStartArray("constrains");
            foreach (var c in g.Constrains) w.WriteStringValue(c);
            w.WriteEndArray();
        }
        w.WriteStartArray("depends");
        foreach (var d in g.Depends) w.WriteStringValue(d);
        w.WriteEndArray();
        w.WriteString("license", g.License);
        w.WriteString("license_family", LicenseFamily(g.License));
        w.WriteString("md5", g.Md5);
        w.WriteString("name", g.Name);
        if (g.Noarch is not null) w.WriteString("noarch", g.Noarch);
        w.WriteString("sha256", g.Sha256);
        w.WriteNumber("size", g.Size);
        w.WriteString("subdir", g.Subdir);
        w.WriteNumber("timestamp", g.Timestamp);
        if (g.TrackFeatures is not null) w.WriteString("track_features", g.TrackFeatures);
        w.WriteString("version", g.Version);
        w.WriteEndObject();
    }

    // ---- filler packages -----------------------------------------------------------------------------

    private static readonly string[] Stems =
    {
        "arrow", "boost", "cairo", "curl", "dask", "eigen", "fftw", "gdal", "geos", "glib", "grpc", "hdf5", "icu", "jpeg",
        "json", "krb5", "lz4", "mpi", "netcdf", "nlopt", "orc", "pango", "proj", "protobuf", "qt", "re2", "snappy",
        "spdlog", "tbb", "thrift", "uv", "vtk", "webp", "xml2", "yaml", "zmq", "zstd", "abseil", "aws", "azure", "bokeh",
        "click", "cython", "django", "flask", "fsspec", "h5py", "httpx", "ipython", "jinja", "jupyter", "keras", "lxml",
        "mako", "networkx", "nltk", "numba", "opencv", "pyarrow", "pydantic", "pytest", "requests", "rich", "sphinx",
        "sqlalchemy", "sympy", "tornado", "tqdm", "typer", "urllib", "xarray", "zarr", "astropy", "biopython", "cartopy",
        "shapely", "fiona", "rasterio", "statsmodels", "seaborn", "plotly", "altair", "polars", "duckdb", "onnx", "torch",
    };

    private static readonly string[] Prefixes = { "", "", "", "lib", "py", "r-", "perl-", "ros-humble-", "font-", "xorg-", "jupyterlab-", "sphinxcontrib-" };
    private static readonly string[] Suffixes = { "", "", "", "-core", "-utils", "-tools", "-dev", "-cpp", "-io", "-lite", "-base", "-plugins", "-extras", "-cli", "-static" };
    private static readonly string[] Licenses = { "MIT", "MIT", "BSD-3-Clause", "BSD-3-Clause", "Apache-2.0", "Apache-2.0", "GPL-3.0-or-later", "LGPL-2.1-or-later", "MPL-2.0", "ISC", "BSD-2-Clause", "Zlib" };

    private Filler[] MakeFillers(string subdir)
    {
        var rng = new Random(_seed + (subdir == "noarch" ? 2 : 1));
        var targetRecords = (subdir == "noarch" ? 110_000 : 360_000) * _scale;
        var nameCount = Math.Max(8, (int)((subdir == "noarch" ? 8_000 : 16_000) * _scale));
        var meanVersions = subdir == "noarch" ? 12.5 * 0.85 : 6.0; // noarch: one python variant; linux-64 ext: ~3 pythons
        var used = new HashSet<string>(_stack.Select(s => s.Name), StringComparer.Ordinal);
        var fillers = new Filler[nameCount];
        for (var i = 0; i < nameCount; i++)
        {
            string name;
            do
            {
                name = Prefixes[rng.Next(Prefixes.Length)] + Stems[rng.Next(Stems.Length)] + Suffixes[rng.Next(Suffixes.Length)];
                if (rng.Next(3) == 0 || used.Contains(name)) name += "-" + Stems[rng.Next(Stems.Length)];
                if (used.Contains(name)) name += rng.Next(100, 10_000).ToString(System.Globalization.CultureInfo.InvariantCulture);
            } while (!used.Add(name));

            // Skewed: most packages have a few versions, a few have hundreds (like setuptools or certifi).
            var versions = Math.Clamp((int)(-Math.Log(1 - rng.NextDouble()) * meanVersions) + 1, 1, 400);
            var kind = subdir == "noarch" ? 2 : rng.Next(3) == 0 ? 1 : 0; // 0 C library, 1 python extension, 2 noarch python
            var depCount = i == 0 ? 0 : rng.Next(Math.Min(i, 6) + 1);
            var deps = Enumerable.Range(0, depCount).Select(_ => rng.Next(i)).Distinct().ToArray();
            fillers[i] = new Filler(name, subdir, Versions(rng, versions), kind, deps, Licenses[rng.Next(Licenses.Length)]);
        }
        // Scale the version counts so the subdir lands near its record target.
        var estimate = fillers.Sum(f => EstimateRecords(f));
        var factor = Math.Max(0.05, (targetRecords - 3_000) / Math.Max(1.0, estimate));
        for (var i = 0; i < fillers.Length; i++)
        {
            var n = Math.Max(1, (int)Math.Round(fillers[i].Versions.Length * factor));
            fillers[i] = fillers[i] with { Versions = Versions(new Random(_seed * 31 + i), n) };
        }
        return fillers;
    }

    private static double EstimateRecords(Filler f)
    {
        var builds = 4.0 / 3.0;
        var pythons = f.Kind == 1 ? 2.67 : 1.0;
        var formatFactor = 1.05;
        return f.Versions.Length * builds * pythons * formatFactor;
    }

    private static string[] Versions(Random rng, int count)
    {
        var result = new string[count];
        int major = rng.Next(0, 4), minor = rng.Next(0, 10), patch = rng.Next(0, 5);
        for (var i = 0; i < count; i++)
        {
            result[i] = $"{major}.{minor}.{patch}";
            switch (rng.Next(10))
            {
                case 0: major++; minor = 0; patch = 0; break;
                case < 4: minor++; patch = 0; break;
                default: patch++; break;
            }
        }
        return result;
    }

    // ---- scientific stack ----------------------------------------------------------------------------

    private static readonly string[] GccVersions = { "9.5.0", "10.4.0", "11.2.0", "12.1.0", "12.2.0", "12.3.0", "13.1.0", "13.2.0", "14.1.0" };

    private static List<PackageSpec> ScientificStackSpecs()
    {
        const string L = "linux-64", N = "noarch";
        string[] None(string v, int py) => Array.Empty<string>();
        string[] Py(int py) => new[] { $"python >=3.{py},<3.{py + 1}.0a0", $"python_abi 3.{py}.* *_cp3{py}" };
        string[] With(string[] a, params string[] b) => a.Concat(b).OrderBy(s => s, StringComparer.Ordinal).ToArray();
        Func<string, (int, int)> PyRange(Dictionary<string, (int, int)> map) => v => map[v];
        Dictionary<string, (int, int)> Ranges(params (string V, int Min, int Max)[] items) => items.ToDictionary(i => i.V, i => (i.Min, i.Max));
        var blas = new[] { "libblas >=3.9.0,<4.0a0", "libcblas >=3.9.0,<4.0a0", "liblapack >=3.9.0,<4.0a0" };
        var cxx = new[] { "libgcc-ng >=12", "libstdcxx-ng >=12" };
        var numpyDep = "numpy >=1.23.5,<2.0a0";

        var numpy = Ranges(("1.21.6", 8, 10), ("1.22.4", 8, 10), ("1.23.5", 8, 11), ("1.24.4", 8, 11), ("1.25.2", 9, 11), ("1.26.0", 9, 12), ("1.26.4", 9, 12), ("2.0.0", 9, 12), ("2.0.2", 9, 12), ("2.1.0", 10, 12));
        var scipy = Ranges(("1.9.3", 8, 11), ("1.10.1", 8, 11), ("1.11.4", 9, 12), ("1.12.0", 9, 12), ("1.13.1", 9, 12), ("1.14.0", 10, 12));
        var pandas = Ranges(("1.5.3", 8, 11), ("2.0.3", 8, 11), ("2.1.4", 9, 12), ("2.2.0", 9, 12), ("2.2.1", 9, 12), ("2.2.2", 9, 12));
        var sklearn = Ranges(("1.2.2", 8, 11), ("1.3.2", 8, 12), ("1.4.0", 9, 12), ("1.4.2", 9, 12), ("1.5.0", 9, 12), ("1.5.1", 9, 12));
        var mpl = Ranges(("3.6.3", 8, 11), ("3.7.3", 8, 12), ("3.8.2", 9, 12), ("3.8.4", 9, 12), ("3.9.0", 9, 12), ("3.9.1", 9, 12));
        var small = Ranges(("1.0.7", 8, 11), ("1.1.1", 8, 12), ("1.2.0", 9, 12), ("1.2.1", 9, 12));
        var kiwi = Ranges(("1.4.4", 8, 11), ("1.4.5", 8, 12));
        var pillow = Ranges(("9.4.0", 8, 11), ("10.0.1", 8, 12), ("10.2.0", 9, 12), ("10.3.0", 9, 12), ("10.4.0", 9, 12));
        var pythonVersions = new[] { "3.8.18", "3.8.19", "3.9.18", "3.9.19", "3.10.13", "3.10.14", "3.11.7", "3.11.8", "3.11.9", "3.12.1", "3.12.2", "3.12.3", "3.12.4" };
        int Minor(string v) => int.Parse(v.Split('.')[1], System.Globalization.CultureInfo.InvariantCulture);

        var specs = new List<PackageSpec>
        {
            new("_libgcc_mutex", L, new[] { "0.1" }, None, Builds: 1, BuildName: (_, _) => "conda_forge"),
            new("_openmp_mutex", L, new[] { "4.5" }, (_, _) => new[] { "_libgcc_mutex 0.1 conda_forge", "libgomp >=7.5.0" }, Builds: 2, BuildName: (_, bn) => $"{bn + 1}_gnu"),
            new("libgomp", L, GccVersions, (_, _) => new[] { "_libgcc_mutex 0.1 conda_forge" }, License: "GPL-3.0-only WITH GCC-exception-3.1"),
            new("libgcc-ng", L, GccVersions, (_, _) => new[] { "_libgcc_mutex 0.1 conda_forge", "_openmp_mutex >=4.5" }, Constrains: (v, _) => new[] { $"libgomp {v}.*" }, License: "GPL-3.0-only WITH GCC-exception-3.1"),
            new("libstdcxx-ng", L, GccVersions, None, License: "GPL-3.0-only WITH GCC-exception-3.1"),
            new("libgfortran5", L, GccVersions, (v, _) => new[] { $"libgcc-ng >={v}" }, Constrains: (v, _) => new[] { $"libgfortran-ng {v}.*" }, License: "GPL-3.0-only WITH GCC-exception-3.1"),
            new("libgfortran-ng", L, GccVersions, (v, _) => new[] { $"libgfortran5 {v}.*" }, License: "GPL-3.0-only WITH GCC-exception-3.1"),
            new("ld_impl_linux-64", L, new[] { "2.38", "2.39", "2.40" }, None, Constrains: (v, _) => new[] { $"binutils_impl_linux-64 {v}" }, License: "GPL-3.0-only"),
            new("ca-certificates", L, new[] { "2023.5.7", "2023.7.22", "2023.11.17", "2024.2.2", "2024.6.2", "2024.7.4" }, None, License: "ISC"),
            new("openssl", L, new[] { "1.1.1t", "1.1.1u", "1.1.1w", "3.0.12", "3.0.13", "3.1.4", "3.1.5", "3.2.1", "3.3.0", "3.3.1" }, (_, _) => new[] { "ca-certificates", "libgcc-ng >=12" }, Constrains: (_, _) => new[] { "pyopenssl >=22.1" }, License: "Apache-2.0"),
            new("libzlib", L, new[] { "1.2.13", "1.3.1" }, (_, _) => new[] { "libgcc-ng >=12" }, Constrains: (v, _) => new[] { $"zlib {v} *_{0}" }, License: "Zlib"),
            new("zlib", L, new[] { "1.2.13", "1.3.1" }, (v, _) => new[] { "libgcc-ng >=12", $"libzlib {v}.*" }, License: "Zlib"),
            new("xz", L, new[] { "5.2.6", "5.4.2", "5.4.6" }, (_, _) => new[] { "libgcc-ng >=12" }, License: "LGPL-2.1 and GPL-2.0"),
            new("bzip2", L, new[] { "1.0.8" }, (_, _) => new[] { "libgcc-ng >=12" }, Builds: 6, License: "bzip2-1.0.6"),
            new("libffi", L, new[] { "3.4.2", "3.4.4" }, (_, _) => new[] { "libgcc-ng >=12" }, License: "MIT"),
            new("libuuid", L, new[] { "2.32.1", "2.38.1" }, (_, _) => new[] { "libgcc-ng >=12" }),
            new("libnsl", L, new[] { "2.0.0", "2.0.1" }, (_, _) => new[] { "libgcc-ng >=12" }, License: "LGPL-2.1-only"),
            new("libxcrypt", L, new[] { "4.4.36" }, (_, _) => new[] { "libgcc-ng >=12" }, License: "LGPL-2.1-or-later"),
            new("ncurses", L, new[] { "6.3", "6.4", "6.4.20240210", "6.5" }, (_, _) => new[] { "libgcc-ng >=12" }, License: "X11 AND BSD-3-Clause"),
            new("readline", L, new[] { "8.1.2", "8.2" }, (_, _) => new[] { "libgcc-ng >=12", "ncurses >=6.3,<7.0a0" }, License: "GPL-3.0-only"),
            new("tk", L, new[] { "8.6.12", "8.6.13" }, (_, _) => new[] { "libgcc-ng >=12", "libzlib >=1.2.13,<2.0.0a0" }, License: "TCL"),
            new("libsqlite", L, new[] { "3.42.0", "3.43.2", "3.44.2", "3.45.1", "3.45.3", "3.46.0" }, (_, _) => new[] { "libgcc-ng >=12", "libzlib >=1.2.13,<2.0.0a0" }, License: "Unlicense"),
            new("libpng", L, new[] { "1.6.39", "1.6.42", "1.6.43" }, (_, _) => new[] { "libgcc-ng >=12", "libzlib >=1.2.13,<2.0.0a0" }, License: "zlib-acknowledgement"),
            new("freetype", L, new[] { "2.12.1" }, (_, _) => new[] { "libgcc-ng >=12", "libpng >=1.6.39,<1.7.0a0", "libzlib >=1.2.13,<2.0.0a0" }, Builds: 3, License: "GPL-2.0-only OR FTL"),
            new("libjpeg-turbo", L, new[] { "2.1.5.1", "3.0.0" }, (_, _) => new[] { "libgcc-ng >=12" }, Constrains: (_, _) => new[] { "jpeg <0.0.0a" }, License: "IJG AND BSD-3-Clause AND Zlib"),
            new("libopenblas", L, new[] { "0.3.21", "0.3.23", "0.3.24", "0.3.25", "0.3.26", "0.3.27" }, (_, _) => new[] { "libgcc-ng >=12", "libgfortran-ng", "libgfortran5 >=12.3.0" }, Constrains: (v, _) => new[] { $"openblas {v} *_0" }),
            new("mkl", L, new[] { "2022.2.1", "2023.2.0", "2024.1.0" }, (_, _) => new[] { "_openmp_mutex >=4.5", "llvm-openmp >=16.0.6", "tbb 2021.*" }, License: "LicenseRef-ProprietaryIntel"),
            new("llvm-openmp", L, new[] { "15.0.7", "16.0.6", "17.0.6", "18.1.8" }, (_, _) => new[] { "libzlib >=1.2.13,<2.0.0a0" }, Constrains: (v, _) => new[] { $"openmp {v}|{v}.*" }, License: "Apache-2.0 WITH LLVM-exception"),
            new("tbb", L, new[] { "2021.9.0", "2021.11.0", "2021.12.0" }, (_, _) => cxx, License: "Apache-2.0"),
            new("libblas", L, new[] { "3.9.0" }, (_, _) => new[] { "libopenblas >=0.3.21,<1.0a0" }, Constrains: (_, _) => new[] { "blas * openblas", "libcblas 3.9.0 *_openblas", "liblapack 3.9.0 *_openblas" }, BuildSuffix: "_openblas", Builds: 8),
            new("libblas", L, new[] { "3.9.0" }, (_, _) => new[] { "mkl >=2023.2.0,<2024.0a0" }, Constrains: (_, _) => new[] { "blas * mkl", "libcblas 3.9.0 *_mkl", "liblapack 3.9.0 *_mkl" }, BuildSuffix: "_mkl", Builds: 4, TrackFeatures: "blas_mkl"),
            new("libcblas", L, new[] { "3.9.0" }, (_, _) => new[] { "libblas 3.9.0 *_openblas" }, BuildSuffix: "_openblas", Builds: 8),
            new("liblapack", L, new[] { "3.9.0" }, (_, _) => new[] { "libblas 3.9.0 *_openblas" }, BuildSuffix: "_openblas", Builds: 8),
            new("python", L, pythonVersions, (v, _) => new[]
            {
                "bzip2 >=1.0.8,<2.0a0", "ld_impl_linux-64 >=2.36.1", "libffi >=3.4,<4.0a0", "libgcc-ng >=12", "libnsl >=2.0.1,<2.1.0a0",
                "libsqlite >=3.43.2,<4.0a0", "libuuid >=2.38.1,<3.0a0", "libxcrypt >=4.4.36", "libzlib >=1.2.13,<2.0.0a0", "ncurses >=6.4,<7.0a0",
                "openssl >=3.1.4,<4.0a0", "readline >=8.2,<9.0a0", "tk >=8.6.13,<8.7.0a0", "tzdata", "xz >=5.2.6,<6.0a0",
            }, Constrains: (v, _) => new[] { $"python_abi 3.{Minor(v)}.* *_cp3{Minor(v)}" }, License: "Python-2.0", BuildSuffix: "_cpython", Builds: 3),
            new("python_abi", L, new[] { "3.8", "3.9", "3.10", "3.11", "3.12" }, None, Constrains: (v, _) => new[] { $"python {v}.* *_cpython" }, Builds: 1,
                BuildName: (v, _) => $"4_cp3{Minor(v + ".0")}"),
            new("numpy", L, numpy.Keys.ToArray(), (v, py) => With(With(blas, cxx), Py(py)), Constrains: (_, _) => new[] { "numpy-base <0a0" }, Pythons: PyRange(numpy)),
            new("scipy", L, scipy.Keys.ToArray(), (v, py) => With(With(blas, cxx), With(Py(py), "libgfortran-ng", "libgfortran5 >=12.3.0", numpyDep)), Pythons: PyRange(scipy)),
            new("pandas", L, pandas.Keys.ToArray(), (v, py) => With(cxx, With(Py(py), numpyDep, "python-dateutil >=2.8.1", "python-tzdata >=2022a", "pytz >=2020.1")), Pythons: PyRange(pandas)),
            new("scikit-learn", L, sklearn.Keys.ToArray(), (v, py) => With(cxx, With(Py(py), "_openmp_mutex >=4.5", "joblib >=1.2.0", numpyDep, "scipy", "threadpoolctl >=3.1.0")), Pythons: PyRange(sklearn)),
            new("matplotlib-base", L, mpl.Keys.ToArray(), (v, py) => With(cxx, With(Py(py), "certifi >=2020.06.20", "contourpy >=1.0.1", "cycler >=0.10", "fonttools >=4.22.0", "freetype >=2.12.1,<3.0a0", "kiwisolver >=1.3.1", numpyDep, "packaging >=20.0", "pillow >=8", "pyparsing >=2.3.1", "python-dateutil >=2.7", "tk >=8.6.13,<8.7.0a0")), License: "PSF-2.0", Pythons: PyRange(mpl)),
            new("matplotlib", L, mpl.Keys.ToArray(), (v, py) => With(Py(py), $"matplotlib-base {v}.*", "tornado >=5"), License: "PSF-2.0", Pythons: PyRange(mpl), Builds: 1),
            new("contourpy", L, small.Keys.ToArray(), (v, py) => With(cxx, With(Py(py), "numpy >=1.20")), Pythons: PyRange(small)),
            new("kiwisolver", L, kiwi.Keys.ToArray(), (v, py) => With(cxx, Py(py)), Pythons: PyRange(kiwi)),
            new("tornado", L, new[] { "6.3.3", "6.4", "6.4.1" }, (v, py) => With(Py(py), "libgcc-ng >=12"), Pythons: _ => (8, 12), License: "Apache-2.0", Builds: 1),
            new("pillow", L, pillow.Keys.ToArray(), (v, py) => With(Py(py), "freetype >=2.12.1,<3.0a0", "libgcc-ng >=12", "libjpeg-turbo >=3.0.0,<4.0a0", "libzlib >=1.2.13,<2.0.0a0", "tk >=8.6.13,<8.7.0a0"), Pythons: PyRange(pillow), License: "HPND"),
        };
        string[] NoarchPy(string min, params string[] more) => new[] { $"python >={min}" }.Concat(more).OrderBy(s => s, StringComparer.Ordinal).ToArray();
        void Pure(string name, string[] versions, string license, params string[] depends) =>
            specs.Add(new PackageSpec(name, N, versions, (_, _) => NoarchPy("3.8", depends), License: license, BuildSuffix: "pyhd8ed1ab"));
        Pure("pip", new[] { "23.2.1", "23.3.1", "23.3.2", "24.0", "24.1.2" }, "MIT", "setuptools", "wheel");
        Pure("setuptools", new[] { "68.2.2", "69.0.3", "69.1.1", "69.5.1", "70.1.1", "70.3.0" }, "MIT");
        Pure("wheel", new[] { "0.41.3", "0.42.0", "0.43.0" }, "MIT");
        Pure("six", new[] { "1.16.0" }, "MIT");
        Pure("packaging", new[] { "23.1", "23.2", "24.0", "24.1" }, "Apache-2.0");
        Pure("pyparsing", new[] { "3.0.9", "3.1.1", "3.1.2" }, "MIT");
        Pure("cycler", new[] { "0.11.0", "0.12.1" }, "BSD-3-Clause");
        Pure("python-dateutil", new[] { "2.8.2", "2.9.0" }, "Apache-2.0", "six >=1.5");
        Pure("pytz", new[] { "2023.3", "2023.4", "2024.1" }, "MIT");
        Pure("python-tzdata", new[] { "2023.3", "2023.4", "2024.1" }, "Apache-2.0");
        Pure("joblib", new[] { "1.2.0", "1.3.2", "1.4.0", "1.4.2" }, "BSD-3-Clause", "setuptools");
        Pure("threadpoolctl", new[] { "3.1.0", "3.2.0", "3.3.0", "3.4.0", "3.5.0" }, "BSD-3-Clause");
        Pure("certifi", new[] { "2023.7.22", "2023.11.17", "2024.2.2", "2024.6.2", "2024.7.4" }, "ISC");
        Pure("fonttools", new[] { "4.44.0", "4.47.2", "4.51.0", "4.53.1" }, "MIT", "brotli", "munkres", "unicodedata2 >=14.0.0");
        Pure("brotli", new[] { "1.1.0" }, "MIT");
        Pure("munkres", new[] { "1.1.4" }, "Apache-2.0");
        Pure("unicodedata2", new[] { "15.1.0" }, "Apache-2.0");
        specs.Add(new PackageSpec("tzdata", N, new[] { "2023c", "2024a", "2024b" }, (_, _) => Array.Empty<string>(), License: "LicenseRef-Public-Domain", Builds: 1));
        return specs;
    }

    // ---- helpers -------------------------------------------------------------------------------------

    private static long TimestampFor(int versionIndex, int versionCount, int buildNumber, Random rng)
    {
        const long start = 1_514_764_800_000L; // 2018-01-01
        const long span = 6L * 365 * 86_400_000; // to the end of 2023
        var fraction = (versionIndex + 0.5) / Math.Max(1, versionCount);
        return start + (long)(fraction * span) + buildNumber * 86_400_000L * 7 + rng.Next(0, 86_400_000);
    }

    private static string NextMajor(string version)
    {
        var dot = version.IndexOf('.');
        var major = int.Parse(dot < 0 ? version : version[..dot], System.Globalization.CultureInfo.InvariantCulture);
        return $"{major + 1}.0a0";
    }

    private static string LicenseFamily(string license) =>
        license.StartsWith("GPL", StringComparison.Ordinal) ? "GPL"
        : license.StartsWith("LGPL", StringComparison.Ordinal) ? "LGPL"
        : license.StartsWith("BSD", StringComparison.Ordinal) ? "BSD"
        : license.StartsWith("Apache", StringComparison.Ordinal) ? "APACHE"
        : license.StartsWith("MIT", StringComparison.Ordinal) ? "MIT"
        : license.StartsWith("MPL", StringComparison.Ordinal) ? "MOZILLA"
        : license.StartsWith("PSF", StringComparison.Ordinal) || license.StartsWith("Python", StringComparison.Ordinal) ? "PSF"
        : "OTHER";

    private static string Hex(Random rng, int length)
    {
        Span<byte> bytes = stackalloc byte[(length + 1) / 2];
        rng.NextBytes(bytes);
        return Convert.ToHexString(bytes).ToLowerInvariant()[..length];
    }
}
