using CondaMirror.Core.Errors;
using CondaMirror.Core.Indexing;
using CondaMirror.Core.Locks;
using CondaMirror.Core.Platforms;
using CondaMirror.TestKit;
using Xunit;

namespace CondaMirror.Tests.Locks;

/// <summary>Lock entries whose subdir, platform or file name would place files outside the channel: refused where they are read.</summary>
public class HostileLockTests : IDisposable
{
    private const string Sha = "fe51de6107f9edc7aa4f786a70f4a883943bc9d39b3bb7307c04c41410990726";
    private readonly TempDirectory _dir = new("hostile-locks");

    public void Dispose() => _dir.Dispose();

    private string WriteFile(string name, string content)
    {
        var path = _dir.Combine(name);
        File.WriteAllText(path, content.Replace("\r\n", "\n"));
        return path;
    }

    private static string PixiV6(string subdirLine, string location = "https://conda.anaconda.org/conda-forge/linux-64/evil-1.0-0.conda", string platform = "linux-64") => $"""
        version: 6
        environments:
          default:
            channels:
            - url: https://conda.anaconda.org/conda-forge/
            packages:
              {platform}:
              - conda: {location}
        packages:
        - conda: {location}
          sha256: {Sha}
        {subdirLine}
        """;

    private CondaMirrorException Refused(string path, SubdirNaming policy = SubdirNaming.KnownOnly) =>
        Assert.Throws<CondaMirrorException>(() => LockFileReader.Read(path, subdirs: policy));

    [Theory]
    [InlineData("../../x")]
    [InlineData("/some/dir")]
    [InlineData("..\\..\\x")]
    [InlineData("C:\\x")]
    public void A_pixi_lock_subdir_that_is_a_path_is_refused(string subdir)
    {
        var e = Refused(WriteFile("pixi.lock", PixiV6($"  subdir: '{subdir}'")), SubdirNaming.AllowCustom);
        Assert.Equal(ErrorCodes.SubdirUnsafe, e.Code);
        Assert.Contains("line 10: package", e.Message);
        Assert.EndsWith("pixi.lock", e.File);
    }

    [Fact]
    public void A_pixi_lock_subdir_that_is_not_a_platform_needs_the_opt_in()
    {
        var path = WriteFile("pixi.lock", PixiV6("  subdir: not-a-platform"));
        Assert.Equal(ErrorCodes.SubdirNotAllowed, Refused(path).Code);
        var lockFile = LockFileReader.Read(path, subdirs: SubdirNaming.AllowCustom);
        Assert.Equal("not-a-platform", Assert.Single(lockFile.PackagesByPlatform["linux-64"]).Subdir);
    }

    [Fact]
    public void A_pixi_lock_v4_subdir_is_checked_too()
    {
        var path = WriteFile("pixi.lock", $"""
            version: 4
            environments:
              default:
                channels:
                  - url: https://conda.anaconda.org/conda-forge/
                packages:
                  linux-64:
                    - conda: https://conda.anaconda.org/conda-forge/linux-64/evil-1.0-0.conda
            packages:
              - kind: conda
                name: evil
                version: '1.0'
                build: '0'
                subdir: ../../../tmp
                url: https://conda.anaconda.org/conda-forge/linux-64/evil-1.0-0.conda
                sha256: {Sha}
            """);
        Assert.Equal(ErrorCodes.SubdirUnsafe, Refused(path).Code);
    }

    [Fact]
    public void A_pixi_lock_file_name_with_a_path_is_refused()
    {
        var e = Refused(WriteFile("pixi.lock", PixiV6("  file_name: ../../evil-1.0-0.conda")));
        Assert.Equal(ErrorCodes.PackageFileNameUnsafe, e.Code);
    }

    [Fact]
    public void An_encoded_separator_in_a_url_file_name_is_refused()
    {
        var e = Refused(WriteFile("pixi.lock", PixiV6("", location: "https://conda.anaconda.org/conda-forge/linux-64/..%2F..%2Fevil-1.0-0.conda")));
        Assert.Equal(ErrorCodes.PackageFileNameUnsafe, e.Code);
    }

    [Fact]
    public void A_pixi_lock_platform_key_that_is_a_path_is_refused()
    {
        var e = Refused(WriteFile("pixi.lock", PixiV6("", platform: "'../../x'")), SubdirNaming.AllowCustom);
        Assert.Equal(ErrorCodes.LockPlatformInvalid, e.Code);
    }

    private static string CondaLock(string platform, string url = "https://conda.anaconda.org/conda-forge/evil-1.0-0.conda") => $$"""
        version: 1
        metadata:
          channels:
          - url: conda-forge
            used_env_vars: []
          platforms:
          - linux-64
        package:
        - name: evil
          version: '1.0'
          manager: conda
          platform: {{platform}}
          dependencies: {}
          url: {{url}}
          hash:
            sha256: {{Sha}}
          category: main
          optional: false
        """;

    [Theory]
    [InlineData("../../x")]
    [InlineData("/some/dir")]
    public void A_conda_lock_platform_that_is_a_path_is_refused(string platform)
    {
        // The URL has no subdir folder, so the platform would have become the subdir.
        var e = Refused(WriteFile("conda-lock.yml", CondaLock($"'{platform}'")), SubdirNaming.AllowCustom);
        Assert.Equal(ErrorCodes.SubdirUnsafe, e.Code);
        Assert.Contains("line 9", e.Message);
    }

    [Fact]
    public void A_conda_lock_platform_that_is_not_a_platform_needs_the_opt_in()
    {
        var path = WriteFile("conda-lock.yml", CondaLock("not-a-platform"));
        Assert.Equal(ErrorCodes.SubdirNotAllowed, Refused(path).Code);
        Assert.Equal("not-a-platform", Assert.Single(LockFileReader.Read(path, subdirs: SubdirNaming.AllowCustom).PackagesByPlatform["not-a-platform"]).Subdir);
    }

    [Fact]
    public void A_conda_lock_metadata_platform_that_is_a_path_is_refused()
    {
        var path = WriteFile("conda-lock.yml", CondaLock("linux-64").Replace("  - linux-64\n", "  - /etc\n"));
        Assert.Equal(ErrorCodes.SubdirUnsafe, Refused(path).Code);
    }

    [Fact]
    public void An_explicit_lock_with_a_path_in_its_file_name_or_platform_is_refused()
    {
        Assert.Equal(ErrorCodes.PackageFileNameUnsafe,
            Refused(WriteFile("a.txt", "# platform: linux-64\n@EXPLICIT\nhttps://c.org/x/linux-64/..%2F..%2Fevil-1.0-0.conda\n")).Code);
        Assert.Equal(ErrorCodes.ExplicitPlatformUnknown,
            Refused(WriteFile("b.txt", "# platform: ../../x\n@EXPLICIT\nhttps://c.org/x/evil-1.0-0.conda\n"), SubdirNaming.AllowCustom).Code);
    }

    [Fact]
    public void The_indexer_refuses_a_lock_entry_whose_subdir_was_accepted_by_a_custom_policy_but_not_the_index_one()
    {
        var path = WriteFile("pixi.lock", PixiV6("  subdir: not-a-platform"));
        var lockFile = LockFileReader.Read(path, subdirs: SubdirNaming.AllowCustom);
        var channel = _dir.Combine("channel");
        Directory.CreateDirectory(Path.Combine(channel, "not-a-platform"));
        File.WriteAllBytes(Path.Combine(channel, "not-a-platform", "evil-1.0-0.conda"), [1]);
        var entries = LockedEntries.FromLock(lockFile, new[] { "linux-64" }, channel);
        var e = Assert.Throws<CondaMirrorException>(() => ChannelIndexer.Write(channel, entries));
        Assert.Equal(ErrorCodes.SubdirNotAllowed, e.Code);
    }
}
