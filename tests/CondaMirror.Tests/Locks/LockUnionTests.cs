using CondaMirror.Core.Errors;
using CondaMirror.Core.Locks;
using CondaMirror.TestKit;
using Xunit;

namespace CondaMirror.Tests.Locks;

/// <summary>
/// Several locks as one channel: hand-written pixi.lock v6 and conda-lock v1 texts, read by the lock readers, joined
/// by <see cref="LockUnion"/>. Expected records come from the texts themselves.
/// </summary>
public class LockUnionTests
{
    private const string ShaA = "1111111111111111111111111111111111111111111111111111111111111111";
    private const string ShaB = "2222222222222222222222222222222222222222222222222222222222222222";
    private const string ShaShared = "3333333333333333333333333333333333333333333333333333333333333333";
    private const string Md5 = "d7c89558ba9fa0495403155b64376d81";
    private const string Channel = "https://conda.example.org/forge";

    private static string Pixi(string platformPackages, string packages) => $"""
        version: 6
        environments:
          default:
            channels:
            - url: {Channel}/
            packages:
        {platformPackages}
        packages:
        {packages}
        """;

    private static string Entry(string subdir, string file, string sha256, string extra = "") => $"""
        - conda: {Channel}/{subdir}/{file}
          sha256: {sha256}
          md5: {Md5}
          depends:
          - libc
          license: MIT
          size: 1234
        {extra}
        """;

    private static LockFile Read(TempDirectory dir, string name, string text)
    {
        var path = dir.Combine(name, "pixi.lock");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return LockFileReader.Read(path);
    }

    [Fact]
    public void Union_holds_every_platform_and_package_once_with_each_record_as_its_lock_states_it()
    {
        using var dir = new TempDirectory("lock-union");
        var a = Read(dir, "a", Pixi("""
                  linux-64:
                  - conda: https://conda.example.org/forge/linux-64/alpha-1.0-h1_0.conda
                  - conda: https://conda.example.org/forge/noarch/shared-2.0-pyh_0.conda
            """,
            Entry("linux-64", "alpha-1.0-h1_0.conda", ShaA) +
            Entry("noarch", "shared-2.0-pyh_0.conda", ShaShared, "  noarch: python\n  python_site_packages_path: lib/site\n")));
        var b = Read(dir, "b", Pixi("""
                  linux-64:
                  - conda: https://conda.example.org/forge/noarch/shared-2.0-pyh_0.conda
                  - conda: https://conda.example.org/forge/linux-64/beta-3.1-h2_0.conda
                  osx-arm64:
                  - conda: https://conda.example.org/forge/noarch/shared-2.0-pyh_0.conda
            """,
            Entry("linux-64", "beta-3.1-h2_0.conda", ShaB) +
            Entry("noarch", "shared-2.0-pyh_0.conda", ShaShared, "  noarch: python\n")));

        var union = LockUnion.Combine(new[] { a, b });

        Assert.Equal(new[] { "linux-64", "osx-arm64" }, union.PackagesByPlatform.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(new[] { "alpha-1.0-h1_0.conda", "shared-2.0-pyh_0.conda", "beta-3.1-h2_0.conda" },
            union.PackagesByPlatform["linux-64"].Select(r => r.FileName));
        Assert.Equal(new[] { "shared-2.0-pyh_0.conda" }, union.PackagesByPlatform["osx-arm64"].Select(r => r.FileName));
        // The shared file is one package: the first lock's record, with the field only that lock states.
        var shared = union.PackagesByPlatform["osx-arm64"].Single();
        Assert.Same(a.PackagesByPlatform["linux-64"][1], shared);
        Assert.Equal("lib/site", shared.Record.Extra["python_site_packages_path"].GetString());
        Assert.Equal(3, LockPlatforms.DistinctRecords(union, LockPlatforms.Select(union, Array.Empty<string>())).Count);
        Assert.Equal(new[] { $"{Channel}" }, union.Channels.Select(c => c.TrimEnd('/')));
    }

    [Fact]
    public void Same_file_name_with_different_sha256_is_one_CMIR412_naming_both_locks_and_the_file()
    {
        using var dir = new TempDirectory("lock-union");
        var a = Read(dir, "a", Pixi("""
                  linux-64:
                  - conda: https://conda.example.org/forge/linux-64/alpha-1.0-h1_0.conda
            """, Entry("linux-64", "alpha-1.0-h1_0.conda", ShaA)));
        var b = Read(dir, "b", Pixi("""
                  linux-64:
                  - conda: https://conda.example.org/forge/linux-64/alpha-1.0-h1_0.conda
            """, Entry("linux-64", "alpha-1.0-h1_0.conda", ShaB)));

        var error = Assert.Throws<CondaMirrorException>(() => LockUnion.Combine(new[] { a, b }));
        Assert.Equal("CMIR412", error.Code);
        Assert.Contains(a.Path, error.Message);
        Assert.Contains(b.Path, error.Message);
        Assert.Contains("linux-64/alpha-1.0-h1_0.conda", error.Message);
        Assert.Contains(ShaA, error.Message);
        Assert.Contains(ShaB, error.Message);
    }

    [Fact]
    public void Md5_decides_when_a_lock_has_no_sha256_and_a_full_record_wins_over_a_partial_one()
    {
        using var dir = new TempDirectory("lock-union");
        var full = Read(dir, "pixi", Pixi("""
                  linux-64:
                  - conda: https://conda.example.org/forge/linux-64/alpha-1.0-h1_0.conda
            """, Entry("linux-64", "alpha-1.0-h1_0.conda", ShaA)));
        var explicitPath = dir.Combine("explicit", "explicit.txt");
        Directory.CreateDirectory(Path.GetDirectoryName(explicitPath)!);
        File.WriteAllText(explicitPath, $"# platform: linux-64\n@EXPLICIT\n{Channel}/linux-64/alpha-1.0-h1_0.conda#{Md5}\n");
        var partial = LockFileReader.Read(explicitPath);
        Assert.False(partial.PackagesByPlatform["linux-64"].Single().HasFullRecord);

        var union = LockUnion.Combine(new[] { partial, full });
        var record = union.PackagesByPlatform["linux-64"].Single();
        Assert.True(record.HasFullRecord);
        Assert.Equal(ShaA, record.Record.Sha256);

        File.WriteAllText(explicitPath, $"# platform: linux-64\n@EXPLICIT\n{Channel}/linux-64/alpha-1.0-h1_0.conda#00000000000000000000000000000000\n");
        var other = LockFileReader.Read(explicitPath);
        Assert.Equal("CMIR412", Assert.Throws<CondaMirrorException>(() => LockUnion.Combine(new[] { full, other })).Code);
    }

    private static string PixiWithWheel(string sha256, string platform) => $"""
        version: 6
        environments:
          default:
            channels:
            - url: {Channel}/
            indexes:
            - https://pypi.org/simple
            packages:
              {platform}:
              - pypi: https://files.example.org/six-1.16.0-py2.py3-none-any.whl
        packages:
        - pypi: https://files.example.org/six-1.16.0-py2.py3-none-any.whl
          name: six
          version: 1.16.0
          sha256: {sha256}
        """;

    [Fact]
    public void PyPI_files_follow_the_same_rule_one_entry_for_the_same_wheel_CMIR413_for_two()
    {
        using var dir = new TempDirectory("lock-union");
        var a = Read(dir, "a", PixiWithWheel(ShaA, "linux-64"));
        var b = Read(dir, "b", PixiWithWheel(ShaA, "osx-arm64"));
        var union = LockUnion.Combine(new[] { a, b });
        var wheel = Assert.Single(union.Pypi);
        Assert.Equal(new[] { "linux-64", "osx-arm64" }, wheel.Platforms);

        var c = Read(dir, "c", PixiWithWheel(ShaB, "linux-64"));
        var error = Assert.Throws<CondaMirrorException>(() => LockUnion.Combine(new[] { a, c }));
        Assert.Equal("CMIR413", error.Code);
        Assert.Contains(a.Path, error.Message);
        Assert.Contains(c.Path, error.Message);
        Assert.Contains("six-1.16.0-py2.py3-none-any.whl", error.Message);
    }

    [Fact]
    public void A_single_lock_is_returned_as_it_is()
    {
        using var dir = new TempDirectory("lock-union");
        var a = Read(dir, "a", PixiWithWheel(ShaA, "linux-64"));
        Assert.Same(a, LockUnion.Combine(new[] { a }));
    }
}
