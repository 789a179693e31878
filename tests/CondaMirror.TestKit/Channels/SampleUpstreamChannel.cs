using System.Text;
using CondaMirror.Core.Archives;

namespace CondaMirror.TestKit.Channels;

/// <summary>
/// The sample upstream channel of the quick start (<c>samples/SampleUpstream</c> writes it; tests install from it with
/// the real conda client): the README's example, python 3.12, pandas and scikit-learn, with the dependencies conda
/// needs to install them, for linux-64, osx-arm64 and win-64 plus noarch.
/// <para>
/// The packages are tiny (a module that imports its dependencies and has a <c>__version__</c>), but their metadata is
/// what conda needs to install them: depends, subdir, noarch, info/paths.json, and for noarch: python packages
/// info/link.json (the modules under <c>site-packages/</c>, which conda moves to <c>lib/python3.12/site-packages/</c>
/// because that is the python record's version, and entry points, which conda writes as scripts into <c>bin/</c>).
/// </para>
/// <para>
/// <c>python</c> is not CPython: on linux-64 and osx-arm64 its <c>bin/python3.12</c> (and <c>bin/python3</c>,
/// <c>bin/python</c>) is a shell script that runs the machine's <c>/usr/bin/python3</c> with the environment's
/// site-packages on its module path, so <c>&lt;prefix&gt;/bin/python -c "import pandas, sklearn"</c> works where a
/// python 3 is installed. conda also adds <c>pip</c> to every python 3 record's depends
/// (<c>add_pip_as_python_dependency</c>, on by default), so the channel has a pip (whose <c>pip</c> command only
/// prints its version). The win-64 packages carry the same metadata with nothing to run.
/// </para>
/// </summary>
public static class SampleUpstreamChannel
{
    /// <summary>The platforms the sample has packages for, besides noarch.</summary>
    public static readonly IReadOnlyList<string> Platforms = new[] { "linux-64", "osx-arm64", "win-64" };

    /// <summary>Every package of the sample channel.</summary>
    public static CoreChannelBuilder Create()
    {
        var builder = new CoreChannelBuilder();
        foreach (var platform in Platforms)
        {
            // Native libraries: two zlib versions and a blas whose mkl variant is tracked, so the solver has choices.
            builder.Add(new PackageSpec("zlib", "1.2.13", "h0_5", platform) { PayloadBytes = 60_000 });
            builder.Add(new PackageSpec("zlib", "1.3.1", "h0_0", platform) { PayloadBytes = 60_000 });
            builder.Add(new PackageSpec("openssl", "3.3.2", "h1_0", platform) { Depends = ["ca-certificates", "zlib >=1.2"], PayloadBytes = 200_000 });
            builder.Add(new PackageSpec("blas", "1.0", "openblas_0", platform) { PayloadBytes = 20_000 });
            builder.Add(new PackageSpec("blas", "1.0", "mkl_0", platform) { TrackFeatures = "mkl", PayloadBytes = 20_000 });

            // python 3.12 and a newer 3.13 that `python 3.12.*` rules out; python_abi pins the compiled packages' python.
            foreach (var (version, build) in new[] { ("3.12.7", "h0_0_cpython"), ("3.13.0", "h0_0_cpython") })
            {
                var minor = MajorMinor(version);
                builder.Add(new PackageSpec("python", version, build, platform)
                {
                    BuildNumber = 0,
                    Depends = ["ca-certificates", "openssl >=3.0,<4.0a0", "tzdata", "zlib >=1.3,<2.0a0"],
                    Constrains = [$"python_abi {minor}.* *_cp{minor.Replace(".", "")}"],
                    License = "Python-2.0",
                    PayloadBytes = 0,
                    Files = PythonFiles(platform, version),
                });
                builder.Add(new PackageSpec("python_abi", minor, $"5_cp{minor.Replace(".", "")}", platform)
                {
                    BuildNumber = 5,
                    Constrains = [$"python {minor}.* *_cpython"],
                    License = "BSD-3-Clause",
                    PayloadBytes = 0,
                });
            }

            // Compiled python packages, built for python 3.12 (as conda-forge's py312 builds).
            var py = new[] { "python >=3.12,<3.13.0a0", "python_abi 3.12.* *_cp312" };
            builder.Add(Compiled(platform, "numpy", "numpy", "2.1.3", "py312h0_0", py.Prepend("blas 1.0"), "BSD-3-Clause", []));
            builder.Add(Compiled(platform, "scipy", "scipy", "1.14.1", "py312h0_0", py.Prepend("numpy >=1.23.5,<2.3"), "BSD-3-Clause", ["numpy"]));
            builder.Add(Compiled(platform, "pandas", "pandas", "2.2.3", "py312h0_1",
                py.Concat(["numpy >=1.22.4", "python-dateutil >=2.8.2", "python-tzdata >=2022.7", "pytz >=2020.1"]), "BSD-3-Clause",
                ["numpy", "dateutil", "pytz", "tzdata"]));
            builder.Add(Compiled(platform, "scikit-learn", "sklearn", "1.3.2", "py312h0_0",
                py.Concat(["joblib >=1.1.1", "numpy >=1.19,<2.0a0", "scipy >=1.5.0", "threadpoolctl >=2.0.0"]), "BSD-3-Clause",
                ["numpy", "scipy", "joblib", "threadpoolctl"]));
            builder.Add(Compiled(platform, "scikit-learn", "sklearn", "1.5.2", "py312h0_1",
                py.Concat(["joblib >=1.2.0", "numpy >=1.19,<3", "scipy >=1.6.0", "threadpoolctl >=3.1.0"]), "BSD-3-Clause",
                ["numpy", "scipy", "joblib", "threadpoolctl"]));
        }

        builder.Add(new PackageSpec("ca-certificates", "2024.8.30", "h0_0", "noarch") { Noarch = "generic", License = "ISC", PayloadBytes = 40_000 });
        builder.Add(new PackageSpec("tzdata", "2024b", "h0_0", "noarch") { Noarch = "generic", License = "LicenseRef-Public-Domain", PayloadBytes = 40_000 });

        // noarch: python packages; conda installs them into the site-packages of whichever python the environment has.
        builder.Add(PurePython("six", "six", "1.16.0", ["python"], []));
        builder.Add(PurePython("python-dateutil", "dateutil", "2.9.0.post0", ["python >=3.7", "six >=1.5"], ["six"], license: "Apache-2.0"));
        builder.Add(PurePython("pytz", "pytz", "2024.2", ["python >=3.7"], []));
        builder.Add(PurePython("python-tzdata", "tzdata", "2024.2", ["python >=3.6"], [], license: "Apache-2.0"));
        builder.Add(PurePython("joblib", "joblib", "1.4.2", ["python >=3.8"], [], license: "BSD-3-Clause"));
        builder.Add(PurePython("threadpoolctl", "threadpoolctl", "3.5.0", ["python >=3.8"], [], license: "BSD-3-Clause"));
        builder.Add(PurePython("pip", "pip", "24.2", ["python >=3.8"], [], entryPoints: ["pip = pip:main"],
            extraModuleCode: "\ndef main():\n    print(\"pip \" + __version__ + \" (the sample channel's pip: it installs nothing)\")\n    return 0\n"));
        return builder;
    }

    /// <summary>Writes the sample channel into <paramref name="channelDirectory"/> (replacing what is there); returns the archive paths.</summary>
    public static IReadOnlyList<string> WriteTo(string channelDirectory)
    {
        if (Directory.Exists(channelDirectory)) Directory.Delete(channelDirectory, recursive: true);
        return Create().WriteTo(channelDirectory);
    }

    /// <summary>The site-packages folder of a python of this version, relative to the prefix, as conda computes it.</summary>
    public static string SitePackages(string platform, string pythonVersion) =>
        platform.StartsWith("win-", StringComparison.Ordinal) ? "Lib/site-packages" : $"lib/python{MajorMinor(pythonVersion)}/site-packages";

    private static string MajorMinor(string version) => string.Join('.', version.Split('.').Take(2));

    private static List<PackageFileEntry> PythonFiles(string platform, string version)
    {
        var minor = MajorMinor(version);
        var files = new List<PackageFileEntry>
        {
            Text($"{SitePackages(platform, version)}/README.txt",
                "This directory exists so that packages can be installed into it (the sample channel's python).\n"),
        };
        if (platform.StartsWith("win-", StringComparison.Ordinal)) return files; // metadata only: nothing to run
        var script = $$"""
            #!/bin/sh
            # python {{version}} of the CondaMirror.MSBuild sample channel ({{platform}}). Not CPython: a stand-in that runs
            # this machine's /usr/bin/python3 with the environment's {{SitePackages(platform, version)}} first on its
            # module path, so that the sample packages conda installed there import.
            #
            # conda needs no more of a python than this: it takes the site-packages folder of noarch: python packages
            # from the python record's version ({{minor}}), writes entry points as scripts whose first line is this file,
            # and runs `bin/python{{minor}} -Wi -m compileall -q -l -i <list> -j 0` to compile their modules, expecting
            # __pycache__/*.cpython-{{minor.Replace(".", "")}}.pyc. Another python writes files of its own version
            # instead, which conda would not know of; so compileall is skipped here (conda notes the missing .pyc files
            # only in its debug log) and no bytecode is written.
            prefix=$(cd "$(dirname "$0")/.." && pwd)
            if [ "$1" = "-Wi" ] && [ "$2" = "-m" ] && [ "$3" = "compileall" ]; then exit 0; fi
            PYTHONPATH="$prefix/{{SitePackages(platform, version)}}${PYTHONPATH:+:$PYTHONPATH}" PYTHONDONTWRITEBYTECODE=1 exec /usr/bin/python3 "$@"

            """.Replace("\r\n", "\n");
        foreach (var name in new[] { $"bin/python{minor}", "bin/python3", "bin/python" })
            files.Add(new PackageFileEntry(name, Encoding.UTF8.GetBytes(script), Mode: 0b111_101_101));
        return files;
    }

    private static PackageSpec Compiled(string platform, string name, string module, string version, string build,
        IEnumerable<string> depends, string license, IReadOnlyList<string> imports) =>
        new(name, version, build, platform)
        {
            Depends = depends.ToList(),
            License = license,
            PayloadBytes = 0,
            Files = Modules($"{SitePackages(platform, "3.12")}/", name, module, version, imports, ""),
        };

    private static PackageSpec PurePython(string name, string module, string version, IReadOnlyList<string> depends, IReadOnlyList<string> imports,
        string license = "MIT", IReadOnlyList<string>? entryPoints = null, string extraModuleCode = "")
    {
        var points = entryPoints is null ? "" : ", \"entry_points\": [" + string.Join(", ", entryPoints.Select(e => $"\"{e}\"")) + "]";
        return new(name, version, "pyh0_0", "noarch")
        {
            Noarch = "python",
            Depends = depends,
            License = license,
            PayloadBytes = 0,
            LinkJson = $$"""{"noarch": {"type": "python"{{points}}}, "package_metadata_version": 1}""",
            Files = Modules("site-packages/", name, module, version, imports, extraModuleCode),
        };
    }

    /// <summary>The module (a package folder; six is a single module, as the real one) and a minimal dist-info.</summary>
    private static List<PackageFileEntry> Modules(string sitePackages, string name, string module, string version,
        IReadOnlyList<string> imports, string extraCode)
    {
        var code = new StringBuilder()
            .Append($"\"\"\"{module} of the CondaMirror.MSBuild sample channel: the {name} {version} package, with no code but its imports.\"\"\"\n");
        foreach (var import in imports) code.Append($"import {import}\n");
        code.Append($"\n__version__ = \"{version}\"\n").Append(extraCode);
        var distInfo = $"{sitePackages}{name.Replace('-', '_')}-{version}.dist-info/";
        return
        [
            Text(module == "six" ? $"{sitePackages}six.py" : $"{sitePackages}{module}/__init__.py", code.ToString()),
            Text(distInfo + "INSTALLER", "conda\n"),
            Text(distInfo + "METADATA", $"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"),
        ];
    }

    private static PackageFileEntry Text(string path, string content) => new(path, Encoding.UTF8.GetBytes(content));
}
