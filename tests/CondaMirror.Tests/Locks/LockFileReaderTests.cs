using CondaMirror.TestKit.Locks;
using CondaMirror.Core.Networking;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Locks;
using CondaMirror.Core.Records;
using CondaMirror.TestKit;
using Xunit;

namespace CondaMirror.Tests.Locks;

public class LockFileReaderTests : IDisposable
{
    private const string Sha = "fe51de6107f9edc7aa4f786a70f4a883943bc9d39b3bb7307c04c41410990726";
    private const string Md5 = "d7c89558ba9fa0495403155b64376d81";
    private readonly TempDirectory _dir = new("locks");

    public void Dispose() => _dir.Dispose();

    private string WriteFile(string name, string content)
    {
        var path = _dir.Combine(name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content.Replace("\r\n", "\n"));
        return path;
    }

    [Fact]
    public void V4_ReadsExplicitFieldsAndSkipsPypi()
    {
        var path = WriteFile("pixi.lock", LockSamples.PixiLockV4);
        var lockFile = LockFileReader.Read(path);
        Assert.Equal(LockFileFormat.PixiLock, lockFile.Format);
        Assert.Equal(4, lockFile.Version);
        Assert.Equal(new[] { "https://conda.anaconda.org/conda-forge" }, lockFile.Channels);
        var r = Assert.Single(lockFile.PackagesByPlatform["linux-64"]);
        Assert.True(r.HasFullRecord);
        Assert.Equal(("bzip2", "1.0.8", "hd590300_5", 5L, "linux-64"), (r.Record.Name, r.Record.Version, r.Record.Build, r.Record.BuildNumber, r.Record.Subdir));
        Assert.Equal(new[] { "libgcc-ng >=12" }, r.Record.Depends);
        Assert.Equal(1699279927352, r.Record.Timestamp);
        Assert.Equal(254228, r.Record.Size);
        Assert.Equal("https://conda.anaconda.org/conda-forge", r.Channel);
        Assert.Equal("bzip2-1.0.8-hd590300_5.conda", r.FileName);
        Assert.True(r.Record.Extra.ContainsKey("purls"));
        Assert.Equal(new[] { "six" }, lockFile.SkippedPypi);
    }

    [Fact]
    public void V5_KeepsArchAndPlatformAndDoesNotDeriveNoarch()
    {
        var path = WriteFile("pixi.lock", $"""
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
            """);
        var lockFile = LockFileReader.Read(path);
        Assert.Equal(new[] { "https://conda.anaconda.org/conda-forge" }, lockFile.Channels);
        var r = Assert.Single(lockFile.PackagesByPlatform["win-64"]);
        Assert.Equal("noarch", r.Record.Subdir);
        Assert.Equal("generic", r.Record.Noarch);
        Assert.Equal(0, r.Record.BuildNumber); // v5 writes build_number unless it is 0
        Assert.Equal(1728047496000, r.Record.Timestamp); // seconds become milliseconds
    }

    [Fact]
    public void V6_DerivesFieldsFromTheUrl()
    {
        var path = WriteFile("pixi.lock", $"""
            version: 6
            environments:
              default:
                channels:
                - url: https://conda.anaconda.org/conda-forge/
                packages:
                  linux-64:
                  - conda: https://conda.anaconda.org/conda-forge/linux-64/python-3.12.5-h2ad013b_0_cpython.conda
                  - conda: https://conda.anaconda.org/conda-forge/noarch/pip-24.3.1-pyh8b19718_0.conda
                  - conda: https://conda.anaconda.org/conda-forge/noarch/tzdata-2024b-hc8b5060_0.conda
                  osx-arm64:
                  - conda: https://conda.anaconda.org/conda-forge/noarch/pip-24.3.1-pyh8b19718_0.conda
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
            - conda: https://conda.anaconda.org/conda-forge/noarch/tzdata-2024b-hc8b5060_0.conda
              sha256: {Sha}
            """);
        var lockFile = LockFileReader.Read(path);
        var linux = lockFile.PackagesByPlatform["linux-64"];
        Assert.Equal(3, linux.Count);
        var python = linux[0].Record;
        Assert.Equal(("python", "3.12.5", "h2ad013b_0_cpython", 0L, "linux-64"), (python.Name, python.Version, python.Build, python.BuildNumber, python.Subdir));
        Assert.Null(python.Noarch);
        Assert.Equal(("x86_64", "linux"), (python.Arch, python.Platform));
        Assert.Equal("a b", python.TrackFeatures);
        var pip = linux[1].Record;
        Assert.Equal(("pip", 0L, "noarch", "python"), (pip.Name, pip.BuildNumber, pip.Subdir, pip.Noarch));
        Assert.Equal("generic", linux[2].Record.Noarch); // no "py" in the build string
        Assert.Same(linux[1], Assert.Single(lockFile.PackagesByPlatform["osx-arm64"])); // noarch listed under each platform
    }

    /// <summary>What pixi writes for a channel on an OCI registry: the package URLs stay oci:// URLs.</summary>
    [Fact]
    public void V6_KeepsOciUrlsAndDerivesFieldsFromThem()
    {
        var path = WriteFile("pixi.lock", $"""
            version: 6
            environments:
              default:
                channels:
                - url: oci://ghcr.io/channel-mirrors/conda-forge/
                packages:
                  linux-64:
                  - conda: oci://ghcr.io/channel-mirrors/conda-forge/linux-64/xtensor-0.25.0-h00ab1b0_0.conda
            packages:
            - conda: oci://ghcr.io/channel-mirrors/conda-forge/linux-64/xtensor-0.25.0-h00ab1b0_0.conda
              sha256: {Sha}
            """);
        var entry = Assert.Single(LockFileReader.Read(path).PackagesByPlatform["linux-64"]);
        Assert.Equal("oci://ghcr.io/channel-mirrors/conda-forge/linux-64/xtensor-0.25.0-h00ab1b0_0.conda", entry.Url);
        Assert.Equal(("xtensor", "0.25.0", "h00ab1b0_0", "linux-64"), (entry.Record.Name, entry.Record.Version, entry.Record.Build, entry.Record.Subdir));
    }

    [Fact]
    public void V7_ResolvesRelativeArchivePathsAndCustomPlatformNames()
    {
        WriteFile("pkgs/linux-64/mytool-1.0-h0_3.conda", "not a real archive");
        var path = WriteFile("project/pixi.lock", $"""
            version: 7
            platforms:
            - name: linux-64-cuda
              subdir: linux-64
              virtual-packages:
              - __cuda=12
            environments:
              default:
                channels:
                - url: https://prefix.dev/conda-forge/
                packages:
                  linux-64-cuda:
                  - conda: ../pkgs/linux-64/mytool-1.0-h0_3.conda
            packages:
            - conda: ../pkgs/linux-64/mytool-1.0-h0_3.conda
              sha256: {Sha}
            """);
        var lockFile = LockFileReader.Read(path);
        Assert.Equal(7, lockFile.Version);
        var r = Assert.Single(lockFile.PackagesByPlatform["linux-64-cuda"]);
        var expected = new Uri(_dir.Combine("pkgs", "linux-64", "mytool-1.0-h0_3.conda")).AbsoluteUri;
        Assert.Equal(expected, r.Url);
        Assert.Equal(("mytool", "1.0", "h0_3", 3L, "linux-64"), (r.Record.Name, r.Record.Version, r.Record.Build, r.Record.BuildNumber, r.Record.Subdir));
    }

    [Fact]
    public void V7_UndeclaredPlatformIsRejected()
    {
        var path = WriteFile("pixi.lock", """
            version: 7
            platforms:
            - name: linux-64
            environments:
              default:
                channels: []
                packages:
                  win-64: []
            packages: []
            """);
        var ex = Assert.Throws<CondaMirrorException>(() => LockFileReader.Read(path));
        Assert.Equal(ErrorCodes.LockPlatformInvalid, ex.Code);
        Assert.Contains("win-64", ex.Message);
    }

    private static string TwoEnvironmentLock => $"""
        version: 6
        environments:
          default:
            channels:
            - url: https://conda.anaconda.org/conda-forge/
            packages:
              linux-64:
              - conda: https://conda.anaconda.org/conda-forge/linux-64/a-1.0-h0_0.conda
          test:
            channels:
            - url: https://user:secret@my.host/t/tk-123/private/
            - url: https://conda.anaconda.org/conda-forge/
            packages:
              linux-64:
              - conda: https://conda.anaconda.org/conda-forge/linux-64/a-1.0-h0_0.conda
              - conda: https://user:secret@my.host/t/tk-123/private/linux-64/b-2.0-h1_0.conda
        packages:
        - conda: https://conda.anaconda.org/conda-forge/linux-64/a-1.0-h0_0.conda
          sha256: {Sha}
        - conda: https://user:secret@my.host/t/tk-123/private/linux-64/b-2.0-h1_0.conda
          sha256: {Sha}
        """;

    [Fact]
    public void SelectsTheRequestedEnvironment()
    {
        var path = WriteFile("pixi.lock", TwoEnvironmentLock);
        Assert.Single(LockFileReader.Read(path).PackagesByPlatform["linux-64"]);
        var test = LockFileReader.Read(path, "test");
        Assert.Equal("test", test.Environment);
        Assert.Equal(2, test.PackagesByPlatform["linux-64"].Count);
    }

    [Fact]
    public void UnknownEnvironmentListsTheAvailableOnes()
    {
        var path = WriteFile("pixi.lock", TwoEnvironmentLock);
        var ex = Assert.Throws<CondaMirrorException>(() => LockFileReader.Read(path, "prod"));
        Assert.Equal(ErrorCodes.LockEnvironmentNotFound, ex.Code);
        Assert.Contains("default, test", ex.Message);
        Assert.Equal(path, ex.File);
    }

    [Fact]
    public void CredentialsStayInDownloadUrlsButNotInChannels()
    {
        var lockFile = LockFileReader.Read(WriteFile("pixi.lock", TwoEnvironmentLock), "test");
        Assert.Equal(new[] { "https://my.host/private", "https://conda.anaconda.org/conda-forge" }, lockFile.Channels);
        var b = lockFile.PackagesByPlatform["linux-64"][1];
        Assert.Equal("https://user:secret@my.host/t/tk-123/private/linux-64/b-2.0-h1_0.conda", b.Url);
        Assert.Equal("https://my.host/private", b.Channel);
        Assert.Equal("https://***@my.host/t/***/private/linux-64/b-2.0-h1_0.conda", UrlRedaction.Redact(b.Url));
    }

    [Theory]
    [InlineData("https://user:pass@host/c/linux-64/x-1-0.conda", "https://***@host/c/linux-64/x-1-0.conda", "https://host/c/linux-64/x-1-0.conda")]
    [InlineData("https://conda.anaconda.org/t/abc-123/chan/noarch/x-1-0.conda", "https://conda.anaconda.org/t/***/chan/noarch/x-1-0.conda", "https://conda.anaconda.org/chan/noarch/x-1-0.conda")]
    [InlineData("https://host/c/linux-64/x-1-0.conda", "https://host/c/linux-64/x-1-0.conda", "https://host/c/linux-64/x-1-0.conda")]
    public void UrlRedactionHidesOrRemovesCredentials(string url, string redacted, string stripped)
    {
        Assert.Equal(redacted, UrlRedaction.Redact(url));
        Assert.Equal(stripped, UrlRedaction.StripCredentials(url));
        Assert.Equal(url != stripped, UrlRedaction.HasCredentials(url));
    }

    [Theory]
    [InlineData("- conda: .", "  name: mine\n  version: '1.0'\n  build: h0\n  subdir: linux-64")]
    [InlineData("- conda: git+https://github.com/org/repo.git#abc", "  name: mine\n  version: '1.0'\n  build: h0\n  subdir: linux-64")]
    public void SourcePackagesAreRejectedByName(string selector, string fields)
    {
        var path = WriteFile("pixi.lock", $"""
            version: 6
            environments:
              default:
                channels: []
                packages:
                  linux-64:
                  {selector}
            packages:
            {selector}
            {fields}
            """);
        var ex = Assert.Throws<CondaMirrorException>(() => LockFileReader.Read(path));
        Assert.Equal(ErrorCodes.LockSourcePackages, ex.Code);
        Assert.Contains(selector["- conda: ".Length..], ex.Message);
    }

    [Fact]
    public void V7CondaSourceEntriesAreRejected()
    {
        var path = WriteFile("pixi.lock", """
            version: 7
            platforms:
            - name: win-64
            environments:
              default:
                channels: []
                packages:
                  win-64:
                  - conda_source: child[87dc0b8a] @ child
            packages:
            - conda_source: child[87dc0b8a] @ child
              version: 0.1.0
              build: py_0
              subdir: noarch
            """);
        var ex = Assert.Throws<CondaMirrorException>(() => LockFileReader.Read(path));
        Assert.Equal(ErrorCodes.LockSourcePackages, ex.Code);
        Assert.Contains("child[87dc0b8a] @ child", ex.Message);
    }

    [Theory]
    [InlineData(8, "ErrorVersionTooNew")]
    [InlineData(3, "ErrorVersionTooOld")]
    public void UnsupportedPixiVersionsFailClearly(int version, string _)
    {
        var path = WriteFile("pixi.lock", $"version: {version}\nenvironments: {{}}\npackages: []\n");
        var ex = Assert.Throws<CondaMirrorException>(() => LockFileReader.Read(path));
        Assert.Equal(ErrorCodes.LockVersionUnsupported, ex.Code);
        Assert.Contains($"version {version}", ex.Message);
    }

    private const string CondaLockBody = LockSamples.CondaLockV1Body;

    [Fact]
    public void CondaLockV1_BuildsPartialRecordsWithSubdirFromTheUrl()
    {
        var lockFile = LockFileReader.Read(WriteFile("conda-lock.yml", "version: 1\n" + CondaLockBody));
        Assert.Equal(LockFileFormat.CondaLockV1, lockFile.Format);
        Assert.Equal(new[] { "https://conda.anaconda.org/conda-forge" }, lockFile.Channels);
        var records = lockFile.PackagesByPlatform["linux-64"];
        Assert.Equal(2, records.Count);
        Assert.All(records, r => Assert.False(r.HasFullRecord));
        Assert.Equal("noarch", records[0].Record.Subdir); // not the row's platform
        Assert.Equal(("libgomp", "h8d9b700_16", 16L, "linux-64"), (records[1].Record.Name, records[1].Record.Build, records[1].Record.BuildNumber, records[1].Record.Subdir));
        Assert.Equal(new[] { "_libgcc_mutex 0.1 conda_forge", "libzlib" }, records[1].Record.Depends);
        Assert.Null(records[1].Record.Sha256);
        Assert.Equal(new[] { "requests" }, lockFile.SkippedPypi);
    }

    [Fact]
    public void CondaLockWithoutVersionIsRejected()
    {
        var ex = Assert.Throws<CondaMirrorException>(() => LockFileReader.Read(WriteFile("conda-lock.yml", CondaLockBody)));
        Assert.Equal(ErrorCodes.CondaLockMissingVersion, ex.Code);
        Assert.Contains("not a conda-lock v1 file (missing version)", ex.Message);
    }

    [Fact]
    public void Explicit_ReadsMd5AndSha256FragmentsAndPlatformComment()
    {
        var path = WriteFile("env.txt", $"""
            # This file may be used to create an environment using:
            # platform: osx-arm64
            @EXPLICIT
            https://conda.anaconda.org/conda-forge/osx-arm64/bzip2-1.0.8-h3422bc3_4.tar.bz2#{Md5}
            # a comment between entries
            https://conda.anaconda.org/conda-forge/noarch/tzdata-2022g-h191b570_0.conda#sha256={Sha}

            https://repo.anaconda.com/pkgs/main/osx-arm64/zlib-1.2.13-h5a0b063_0.conda
            """);
        Assert.Equal(LockFileFormat.Explicit, LockFileReader.Detect(path));
        var lockFile = LockFileReader.Read(path);
        var records = lockFile.PackagesByPlatform["osx-arm64"];
        Assert.Equal(3, records.Count);
        Assert.Equal((Md5, (string?)null), (records[0].Record.Md5, records[0].Record.Sha256));
        Assert.Equal(((string?)null, Sha), (records[1].Record.Md5, records[1].Record.Sha256));
        Assert.Equal("noarch", records[1].Record.Subdir);
        Assert.Equal(4, records[0].Record.BuildNumber);
        Assert.Equal("https://conda.anaconda.org/conda-forge/osx-arm64/bzip2-1.0.8-h3422bc3_4.tar.bz2", records[0].Url);
        Assert.Equal(new[] { "https://conda.anaconda.org/conda-forge", "https://repo.anaconda.com/pkgs/main" }, lockFile.Channels);
    }

    [Fact]
    public void Explicit_InfersThePlatformFromUrls()
    {
        var path = WriteFile("env.txt", "@EXPLICIT\nhttps://c.org/x/linux-aarch64/a-1-0.conda\nhttps://c.org/x/noarch/b-1-0.conda\n");
        Assert.Equal("linux-aarch64", Assert.Single(LockFileReader.Read(path).PackagesByPlatform).Key);
    }

    [Theory]
    [InlineData("https://c.org/x/linux-64/a-1-0.conda\n", ErrorCodes.ExplicitHeaderMissing)]
    [InlineData("@EXPLICIT\nhttps://c.org/x/noarch/b-1-0.conda\n", ErrorCodes.ExplicitPlatformUnknown)]
    [InlineData("@EXPLICIT\nhttps://c.org/x/linux-64/a-1-0.conda#nothex\n", ErrorCodes.LockEntryInvalid)]
    [InlineData("@EXPLICIT\nhttps://c.org/x/linux-64/mypackage\n", ErrorCodes.LockEntryInvalid)]
    public void Explicit_ErrorsAreSpecific(string content, string code)
    {
        var ex = Assert.Throws<CondaMirrorException>(() => LockFileReader.Read(WriteFile("env.txt", content)));
        Assert.Equal(code, ex.Code);
    }

    [Fact]
    public void DuplicateYamlKeysAreRejectedWithTheLine()
    {
        var path = WriteFile("pixi.lock", "version: 6\nenvironments: {}\nversion: 6\npackages: []\n");
        var ex = Assert.Throws<CondaMirrorException>(() => LockFileReader.Read(path));
        Assert.Equal(ErrorCodes.LockYamlInvalid, ex.Code);
        Assert.Contains("line 3", ex.Message);
    }

    [Fact]
    public void MissingFileIsReported()
    {
        var ex = Assert.Throws<CondaMirrorException>(() => LockFileReader.Read(_dir.Combine("nope.lock")));
        Assert.Equal(ErrorCodes.LockFileUnreadable, ex.Code);
    }

    [Theory]
    [InlineData("py313hb6a6212_1", 1L)]
    [InlineData("pyhd8ed1ab_100", 100L)]
    [InlineData("2", 2L)]
    [InlineData("foobar", null)]
    [InlineData("123_", null)]
    public void BuildNumberFollowsRattler(string build, long? expected) =>
        Assert.Equal(expected, LocationFields.BuildNumberFromBuild(build));
}
