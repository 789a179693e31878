using CondaMirror.Core.Locks;
using CondaMirror.Core.Records;
using CondaMirror.TestKit;
using Xunit;

namespace CondaMirror.Conformance.Tests.Locks;

/// <summary>Real pixi-written locks: read → write v6 → read gives the same records, and re-writing is byte-identical.</summary>
public class PixiLockWriterConformanceTests
{
    [SkippableTheory]
    [InlineData("pixi/v6/Quantco-pixi-pack__examples-simple-python__pixi.lock")]
    [InlineData("pixi/v5/Quantco-pixi-pack__examples-repodata-patches__pixi.lock")]
    [InlineData("pixi/conda-rattler__test-data/conda-lock/v7/python-from-conda-only-lock.yml")]
    [InlineData("pixi/v6/prefix-dev-pixi__examples-rerun_example__pixi.lock")]
    public void RoundTripsRealLocks(string relative)
    {
        var source = LockFileReader.Read(TestData.PathOf("locks", relative));
        using var dir = new TempDirectory("locks");
        var path = dir.Combine("pixi.lock");
        PixiLockWriter.Write(path, LockDocument.FromLockFile(source));

        var reread = LockFileReader.Read(path);
        Assert.Equal(source.PackagesByPlatform.Keys.Order(), reread.PackagesByPlatform.Keys.Order());
        foreach (var (platform, records) in source.PackagesByPlatform)
        {
            var expected = records.Select(Describe).Order().ToList();
            var actual = reread.PackagesByPlatform[platform].Select(Describe).Order().ToList();
            Assert.Equal(expected.Except(actual).FirstOrDefault(), actual.Except(expected).FirstOrDefault());
            Assert.Equal(expected, actual);
        }
        Assert.Equal(File.ReadAllText(path), PixiLockWriter.ToYaml(LockDocument.FromLockFile(reread)));
    }

    // v6 keeps only the keys rattler's v6 model has; v7 run_exports and unknown keys are dropped on purpose.
    private static readonly string[] V6Extras = { "purls", "legacy_bz2_md5", "legacy_bz2_size", "extra_depends", "python_site_packages_path" };

    private static string Describe(RepodataRecord r)
    {
        var record = r.Record.Clone();
        foreach (var key in record.Extra.Keys.Except(V6Extras).ToList()) record.Extra.Remove(key);
        return $"{r.Url} {r.FileName} {r.Channel} {PackageRecordJson.ToJson(record)}";
    }
}
