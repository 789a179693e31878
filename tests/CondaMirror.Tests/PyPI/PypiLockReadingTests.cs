using CondaMirror.Core.Errors;
using CondaMirror.Core.Locks;
using CondaMirror.TestKit;
using Xunit;

namespace CondaMirror.Tests.PyPI;

/// <summary>PyPI entries of every lock format, read into <see cref="PypiLockEntry"/>: one small inline lock per version.</summary>
public class PypiLockReadingTests : IDisposable
{
    private const string ShaA = "526a04eadab8b4ee719ce68f204172ead1027549089702d99b9059f129ff1308";
    private const string ShaB = "9a28abb62774ae4e8edbe2dd4c49ffcd45a6a848952a5eccc6a49f3f0fc1e2f3";
    private const string CondaSha = "fe51de6107f9edc7aa4f786a70f4a883943bc9d39b3bb7307c04c41410990726";
    private readonly TempDirectory _dir = new("pypi-locks");

    public void Dispose() => _dir.Dispose();

    private LockFile Read(string text, string name = "pixi.lock", string environment = "default")
    {
        var path = _dir.Combine("project", name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text.Replace("\r\n", "\n"));
        return LockFileReader.Read(path, environment);
    }

    [Fact]
    public void V4_kind_pypi_entries_with_url_path_and_editable()
    {
        var lockFile = Read($$"""
            version: 4
            environments:
              default:
                channels:
                - url: https://conda.anaconda.org/conda-forge/
                indexes:
                - https://pypi.org/simple
                packages:
                  linux-64:
                  - pypi: https://files.pythonhosted.org/packages/a2/ad/absl_py-2.1.0-py3-none-any.whl
                  - pypi: ./minimal_project
                  win-64:
                  - pypi: https://files.pythonhosted.org/packages/a2/ad/absl_py-2.1.0-py3-none-any.whl
            packages:
            - kind: pypi
              name: absl-py
              version: 2.1.0
              url: https://files.pythonhosted.org/packages/a2/ad/absl_py-2.1.0-py3-none-any.whl
              sha256: {{ShaA}}
              requires_python: '>=3.7'
            - kind: pypi
              name: Minimal_Project
              version: '0.1'
              path: ./minimal_project
              editable: true
            """);
        Assert.Equal(new[] { "absl-py", "Minimal_Project" }, lockFile.SkippedPypi);
        Assert.Equal(new[] { "https://pypi.org/simple" }, lockFile.PypiIndexes);
        Assert.Equal(2, lockFile.Pypi.Count);
        var absl = lockFile.Pypi[0];
        Assert.Equal(("absl-py", "2.1.0", ShaA, ">=3.7", PypiDistributionKind.Wheel), (absl.Name, absl.Version, absl.Sha256, absl.RequiresPython, absl.Kind));
        Assert.Equal("https://files.pythonhosted.org/packages/a2/ad/absl_py-2.1.0-py3-none-any.whl", absl.Url);
        Assert.Equal("absl_py-2.1.0-py3-none-any.whl", absl.FileName);
        Assert.Equal("https://pypi.org/simple", absl.IndexUrl);
        Assert.Equal(new[] { "linux-64", "win-64" }, absl.Platforms);
        var local = lockFile.Pypi[1];
        Assert.Equal(("minimal-project", PypiDistributionKind.Editable), (local.Name, local.Kind));
        Assert.Equal(new Uri(_dir.Combine("project", "minimal_project")).AbsoluteUri, local.Url);
        Assert.Equal(new[] { "linux-64" }, local.Platforms);
    }

    [Fact]
    public void V5_entries_keep_md5_and_sdists_are_their_own_kind()
    {
        var lockFile = Read($$"""
            version: 5
            environments:
              default:
                channels:
                - url: https://conda.anaconda.org/conda-forge/
                packages:
                  linux-64:
                  - pypi: https://files.example/pkgs/Foo.Bar-1.0.tar.gz
                  - pypi: https://files.example/pkgs/six-1.16.0-py2.py3-none-any.whl
            packages:
            - kind: pypi
              name: Foo.Bar
              version: '1.0'
              url: https://files.example/pkgs/Foo.Bar-1.0.tar.gz
              sha256: {{ShaB}}
            - kind: pypi
              name: six
              version: 1.16.0
              url: https://files.example/pkgs/six-1.16.0-py2.py3-none-any.whl
              md5: D7C89558BA9FA0495403155B64376D81
            """);
        Assert.Equal(new[] { ("foo-bar", PypiDistributionKind.Sdist), ("six", PypiDistributionKind.Wheel) }, lockFile.Pypi.Select(p => (p.Name, p.Kind)));
        Assert.Null(lockFile.Pypi[1].Sha256);
        Assert.Equal("d7c89558ba9fa0495403155b64376d81", lockFile.Pypi[1].Md5);
        Assert.Null(lockFile.Pypi[1].IndexUrl);
    }

    [Fact]
    public void V6_pypi_key_entries_beside_conda_ones_and_a_git_entry()
    {
        var lockFile = Read($$"""
            version: 6
            environments:
              default:
                channels:
                - url: https://conda.anaconda.org/conda-forge/
                indexes:
                - https://user:secret@pypi.example/simple/
                packages:
                  linux-64:
                  - conda: https://conda.anaconda.org/conda-forge/linux-64/bzip2-1.0.8-hd590300_5.conda
                  - pypi: https://files.example/p/requests-2.31.0-py3-none-any.whl
                  - pypi: git+https://github.com/squidfunk/mike#2d4ad799442f4592db8ad53b179bfb33db8c69ac
            packages:
            - conda: https://conda.anaconda.org/conda-forge/linux-64/bzip2-1.0.8-hd590300_5.conda
              sha256: {{CondaSha}}
            - pypi: https://files.example/p/requests-2.31.0-py3-none-any.whl
              name: requests
              version: 2.31.0
              sha256: {{ShaA}}
              requires_python: '>=3.7'
            - pypi: git+https://github.com/squidfunk/mike#2d4ad799442f4592db8ad53b179bfb33db8c69ac
              name: mike
              version: 2.0.0
            """);
        Assert.Single(lockFile.PackagesByPlatform["linux-64"]);
        Assert.Equal(2, lockFile.Pypi.Count);
        Assert.Equal(("requests", "https://pypi.example/simple/"), (lockFile.Pypi[0].Name, lockFile.Pypi[0].IndexUrl));
        Assert.DoesNotContain("secret", lockFile.PypiIndexes[0]);
        Assert.Equal((PypiDistributionKind.Git, (string?)null), (lockFile.Pypi[1].Kind, lockFile.Pypi[1].Url));
    }

    [Fact]
    public void Rattlers_direct_url_prefix_is_dropped_from_the_url()
    {
        var lockFile = Read($$"""
            version: 6
            environments:
              default:
                channels: []
                packages:
                  linux-64:
                  - pypi: direct+https://github.com/pallets/click/releases/download/8.1.7/click-8.1.7-py3-none-any.whl
            packages:
            - pypi: direct+https://github.com/pallets/click/releases/download/8.1.7/click-8.1.7-py3-none-any.whl
              name: click
              version: 8.1.7
              sha256: {{ShaA}}
            """);
        var entry = Assert.Single(lockFile.Pypi);
        Assert.Equal("https://github.com/pallets/click/releases/download/8.1.7/click-8.1.7-py3-none-any.whl", entry.Url);
        Assert.Equal(PypiDistributionKind.Wheel, entry.Kind);
    }

    [Fact]
    public void V7_relative_wheel_paths_resolve_against_the_locks_folder_and_index_url_wins()
    {
        var lockFile = Read($$"""
            version: 7
            platforms:
              - name: linux-64
            environments:
              default:
                channels:
                  - url: https://conda.anaconda.org/conda-forge/
                indexes:
                  - https://pypi.org/simple
                packages:
                  linux-64:
                    - pypi: ../wheels/my_webserver-0.1.0-py3-none-any.whl
                    - pypi: https://my-index.example/packages/requests-2.31.0-py3-none-any.whl
            packages:
              - pypi: ../wheels/my_webserver-0.1.0-py3-none-any.whl
                name: my-webserver
                version: 0.1.0
                sha256: {{ShaA}}
              - pypi: https://my-index.example/packages/requests-2.31.0-py3-none-any.whl
                name: requests
                version: 2.31.0
                sha256: {{ShaB}}
                index_url: https://my-index.example/simple
            """);
        var web = lockFile.Pypi[0];
        Assert.Equal(PypiDistributionKind.Wheel, web.Kind);
        Assert.Equal(new Uri(_dir.Combine("wheels", "my_webserver-0.1.0-py3-none-any.whl")).AbsoluteUri, web.Url);
        Assert.Equal("https://pypi.org/simple", web.IndexUrl);
        Assert.Equal("https://my-index.example/simple", lockFile.Pypi[1].IndexUrl);
    }

    [Fact]
    public void Conda_lock_pip_rows_one_entry_per_url_with_every_platform()
    {
        var lockFile = Read($$"""
            version: 1
            metadata:
              channels:
              - url: conda-forge
                used_env_vars: []
              platforms:
              - linux-64
              - osx-arm64
            package:
            - name: certifi
              version: 2023.7.22
              manager: pip
              platform: linux-64
              dependencies: {}
              url: https://files.example/certifi-2023.7.22-py3-none-any.whl
              hash:
                sha256: {{ShaA}}
              category: main
              optional: false
            - name: certifi
              version: 2023.7.22
              manager: pip
              platform: osx-arm64
              dependencies: {}
              url: https://files.example/certifi-2023.7.22-py3-none-any.whl
              hash:
                sha256: {{ShaA}}
              category: main
              optional: false
            """, "conda-lock.yml");
        var entry = Assert.Single(lockFile.Pypi);
        Assert.Equal(("certifi", "2023.7.22", ShaA, PypiDistributionKind.Wheel), (entry.Name, entry.Version, entry.Sha256, entry.Kind));
        Assert.Equal(new[] { "linux-64", "osx-arm64" }, entry.Platforms);
        Assert.Equal(new[] { "certifi" }, lockFile.SkippedPypi);
    }

    [Fact]
    public void Pixi_v2_pip_rows_take_the_sha256_of_the_hash_map_and_drop_the_url_fragment()
    {
        var lockFile = Read($$"""
            version: 2
            metadata:
              channels:
              - url: https://conda.anaconda.org/conda-forge/
                used_env_vars: []
              platforms:
              - linux-64
            package:
            - platform: linux-64
              name: absl-py
              version: 2.0.0
              category: main
              manager: pip
              requires_python: '>=3.7'
              url: https://files.example/absl_py-2.0.0-py3-none-any.whl#sha256={{ShaB}}
              hash:
                md5: null
                sha256: {{ShaB}}
            """);
        var entry = Assert.Single(lockFile.Pypi);
        Assert.Equal("https://files.example/absl_py-2.0.0-py3-none-any.whl", entry.Url);
        Assert.Equal((ShaB, ">=3.7"), (entry.Sha256, entry.RequiresPython));
    }

    [Theory]
    [InlineData("name: ../../etc", "not a valid project name")]
    [InlineData("name: ok\n  sha256: abc", "'sha256' must be 64 hex digits")]
    public void Bad_entries_are_coded_errors(string fields, string expected)
    {
        var e = Assert.Throws<CondaMirrorException>(() => Read($$"""
            version: 6
            environments:
              default:
                channels: []
                packages:
                  linux-64:
                  - pypi: https://files.example/ok-1.0-py3-none-any.whl
            packages:
            - pypi: https://files.example/ok-1.0-py3-none-any.whl
              {{fields}}
            """));
        Assert.Equal(ErrorCodes.LockEntryInvalid, e.Code);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void A_selector_without_its_package_entry_is_an_inconsistent_lock()
    {
        var e = Assert.Throws<CondaMirrorException>(() => Read("""
            version: 6
            environments:
              default:
                channels: []
                packages:
                  linux-64:
                  - pypi: https://files.example/ok-1.0-py3-none-any.whl
            packages: []
            """));
        Assert.Equal(ErrorCodes.LockEntryInvalid, e.Code);
    }

    [Fact]
    public void Only_the_selected_environment_counts()
    {
        var lockFile = Read($$"""
            version: 6
            environments:
              default:
                channels: []
                packages:
                  linux-64:
                  - pypi: https://files.example/a-1.0-py3-none-any.whl
              test:
                channels: []
                packages:
                  linux-64:
                  - pypi: https://files.example/b-1.0-py3-none-any.whl
            packages:
            - pypi: https://files.example/a-1.0-py3-none-any.whl
              name: a
              version: '1.0'
              sha256: {{ShaA}}
            - pypi: https://files.example/b-1.0-py3-none-any.whl
              name: b
              version: '1.0'
              sha256: {{ShaB}}
            """, environment: "test");
        Assert.Equal("b", Assert.Single(lockFile.Pypi).Name);
    }
}
