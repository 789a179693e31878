namespace CondaMirror.TestKit.Locks;

/// <summary>Small lock texts shared by the lock reader tests and the fuzz tool's seeds.</summary>
public static class LockSamples
{
    /// <summary>Well-formed hashes that belong to no real file.</summary>
    public const string PlaceholderSha256 = "fe51de6107f9edc7aa4f786a70f4a883943bc9d39b3bb7307c04c41410990726";
    public const string PlaceholderMd5 = "d7c89558ba9fa0495403155b64376d81";

    /// <summary>A conda-lock v1 body without its version line: two conda packages (one without sha256) and a pip one.</summary>
    public const string CondaLockV1Body = $$"""
        metadata:
          channels:
          - url: conda-forge
            used_env_vars: []
          platforms:
          - linux-64
        package:
        - name: tzdata
          version: 2024b
          manager: conda
          platform: linux-64
          dependencies: {}
          url: https://conda.anaconda.org/conda-forge/noarch/tzdata-2024b-hc8b5060_0.conda
          hash:
            md5: {{PlaceholderMd5}}
            sha256: {{PlaceholderSha256}}
          category: main
          optional: false
        - name: libgomp
          version: 12.1.0
          manager: conda
          platform: linux-64
          dependencies:
            _libgcc_mutex: 0.1 conda_forge
            libzlib: ''
          url: https://conda.anaconda.org/conda-forge/linux-64/libgomp-12.1.0-h8d9b700_16.tar.bz2
          hash:
            md5: {{PlaceholderMd5}}
          category: main
          optional: false
        - name: requests
          version: 2.31.0
          manager: pip
          platform: linux-64
          dependencies: {}
          url: https://files.pythonhosted.org/packages/requests-2.31.0-py3-none-any.whl
          hash:
            sha256: {{PlaceholderSha256}}
          category: main
          optional: false
        """;

    /// <summary>A pixi.lock v4: one conda package with full fields and one PyPI package.</summary>
    public const string PixiLockV4 = $"""
        version: 4
        environments:
          default:
            channels:
              - url: https://conda.anaconda.org/conda-forge/
            packages:
              linux-64:
                - conda: https://conda.anaconda.org/conda-forge/linux-64/bzip2-1.0.8-hd590300_5.conda
                - pypi: https://files.pythonhosted.org/packages/aa/six-1.16.0-py2.py3-none-any.whl
        packages:
          - kind: conda
            name: bzip2
            version: 1.0.8
            build: hd590300_5
            build_number: 5
            subdir: linux-64
            url: https://conda.anaconda.org/conda-forge/linux-64/bzip2-1.0.8-hd590300_5.conda
            sha256: {PlaceholderSha256}
            md5: {PlaceholderMd5}
            depends:
              - libgcc-ng >=12
            license: bzip2-1.0.6
            size: 254228
            timestamp: 1699279927352
            purls: []
          - kind: pypi
            name: six
            version: 1.16.0
            url: https://files.pythonhosted.org/packages/aa/six-1.16.0-py2.py3-none-any.whl
        """;

    /// <summary>A pixi.lock v6 up to its <c>packages:</c> key, whose default environment locks the one conda-forge
    /// linux-64 file <paramref name="fileName"/>; the caller appends that package's entry.</summary>
    public static string PixiLockV6Head(string fileName) => $"""
        version: 6
        environments:
          default:
            channels:
            - url: https://conda.anaconda.org/conda-forge/
            packages:
              linux-64:
              - conda: https://conda.anaconda.org/conda-forge/linux-64/{fileName}
        packages:

        """;
}
