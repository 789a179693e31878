using CondaMirror.Core.Archives;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Records;
using CondaMirror.TestKit;
using Xunit;

namespace CondaMirror.Conformance.Tests.Archives;

/// <summary>Reads every real package in the shared test data (conda-forge, defaults, rattler, conda-index, cph, quetz, pixi).</summary>
public class RealPackageTests
{
    /// <summary>Deliberately odd files in testdata/packages (see SOURCES.md) and the error each must produce.</summary>
    public static readonly IReadOnlyDictionary<string, string> OddFiles = new Dictionary<string, string>
    {
        ["conda-conda-index__tests/index_data/corrupt/noarch/another_bad_package.conda"] = ErrorCodes.ArchiveEmpty, // 0 bytes
        ["conda-conda-index__tests/index_data/corrupt/noarch/bad_package.tar.bz2"] = ErrorCodes.ArchiveWrongMagic, // "not_a_valid_bz2"
        ["mamba-org-mamba__tests/odd/repodata.tar.bz2"] = ErrorCodes.IndexJsonMissing, // a tarred repodata.json
        ["conda-conda-index__tests/archives/a.tar.bz2"] = ErrorCodes.IndexJsonMissing, // a single empty file "a"
        ["conda-conda-index__tests/archives/b.tar.bz2"] = ErrorCodes.IndexJsonMissing,
        ["conda-conda-index__tests/archives/subfolder.tar.bz2"] = ErrorCodes.IndexJsonMissing, // subfolder/abc only
        ["conda-conda-index__tests/archives/subfolder2.tar.bz2"] = ErrorCodes.IndexJsonMissing,
    };

    public static IEnumerable<object[]> Packages()
    {
        var root = TestData.Root;
        if (root is null)
        {
            yield return new object[] { "(test data absent)" };
            yield break;
        }
        var packages = Path.Combine(root, "packages");
        foreach (var file in Directory.EnumerateFiles(packages, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            if (!ArchiveFileName.TryGetFormat(file, out _)) continue;
            var relative = Path.GetRelativePath(packages, file).Replace('\\', '/');
            if (!OddFiles.ContainsKey(relative)) yield return new object[] { relative };
        }
    }

    public static IEnumerable<object[]> Odd() => OddFiles.Select(kv => new object[] { kv.Key, kv.Value });

    [SkippableTheory]
    [MemberData(nameof(Packages))]
    public void Real_package_info_is_read_and_matches_the_file_name(string relativePath)
    {
        var path = TestData.PathOf("packages", relativePath);
        Assert.True(ArchiveFileName.TryParse(path, out var expected), relativePath);

        var info = PackageArchive.ReadInfo(path, InfoMembers.All);

        Assert.Equal(expected.Format, info.Format);
        Assert.Equal((expected.Name, expected.Version, expected.Build), (info.Index.Name, info.Index.Version, info.Index.Build));
        Assert.Equal(info.Index.Name, PackageRecordJson.Parse(info.IndexJsonBytes).Name);
        if (info.Paths is { } paths)
            Assert.True(paths.TryGetProperty("paths", out var list) && list.GetArrayLength() >= 0, "paths.json has a paths list");
        if (info.About is { } about)
            Assert.Equal(System.Text.Json.JsonValueKind.Object, about.ValueKind);
        if (info.RunExports is { } runExports)
            Assert.Contains(runExports.ValueKind, new[] { System.Text.Json.JsonValueKind.Object, System.Text.Json.JsonValueKind.Array });

        // The cheap read (index only) must agree with the full one.
        Assert.Equal(info.IndexJsonBytes, PackageArchive.ReadInfo(path).IndexJsonBytes);
    }

    [SkippableTheory]
    [MemberData(nameof(Odd))]
    public void Odd_files_are_rejected_with_a_clear_error(string relativePath, string expectedCode)
    {
        var path = TestData.PathOf("packages", relativePath);

        var e = Assert.Throws<CondaMirrorException>(() => PackageArchive.ReadInfo(path, InfoMembers.All));

        Assert.Equal(expectedCode, e.Code);
        Assert.Equal(path, e.File);
        Assert.Contains("remove it from the", e.Message, StringComparison.OrdinalIgnoreCase);
    }

    [SkippableFact]
    public void Real_metadata_is_exposed_where_the_package_has_it()
    {
        // conda-index's run_exports fixture, the rattler zip64 and "./info" fixtures, a conda-forge noarch python package.
        var runExports = PackageArchive.ReadInfo(TestData.PathOf("packages", "conda-conda-index__tests/index_data/packages/noarch/run_exports_versions-1.0-he35c369_0.tar.bz2"), InfoMembers.All);
        Assert.NotNull(runExports.RunExports);

        var zip64 = PackageArchive.ReadInfo(TestData.PathOf("packages", "conda-rattler__test-packages/sparse/zip64-test-1.0.0-0.conda"));
        Assert.Equal("zip64-test", zip64.Index.Name);

        var dotSlash = PackageArchive.ReadInfo(TestData.PathOf("packages", "conda-rattler__test-packages/sparse/dotslash-test-1.0.0-0.conda"));
        Assert.Equal("dotslash-test", dotSlash.Index.Name);

        var pip = PackageArchive.ReadInfo(TestData.PathOf("packages", "babeloff-meso-forge-mirror__conda-forge/noarch/pip-24.0-pyhd8ed1ab_0.conda"), InfoMembers.All);
        Assert.Equal("python", pip.Index.Noarch);
        Assert.Equal("MIT", pip.About!.Value.GetProperty("license").GetString());
        Assert.True(pip.Paths!.Value.GetProperty("paths").GetArrayLength() > 100);
    }

    [SkippableFact]
    public void Both_formats_of_the_same_build_carry_the_same_record()
    {
        foreach (var stem in new[] { "conda-conda__conda_format_repo/linux-64/zlib-1.2.11-h7b6447c_3", "conda-conda-package-handling__tests/mock-2.0.0-py37_1000" })
        {
            var conda = PackageArchive.ReadInfo(TestData.PathOf("packages", stem + ".conda"));
            var tarBz2 = PackageArchive.ReadInfo(TestData.PathOf("packages", stem + ".tar.bz2"));
            Assert.Equal(PackageRecordJson.ToJson(tarBz2.Index), PackageRecordJson.ToJson(conda.Index));
        }
    }
}
