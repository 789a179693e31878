using System.IO.Compression;
using CondaMirror.Core.Archives;
using CondaMirror.Core.Errors;
using CondaMirror.TestKit;
using Xunit;

namespace CondaMirror.Conformance.Tests.Archives;

public class RealPackageCorruptionTests
{
    /// <summary>
    /// Damages the info member of real, compressed packages (conda-forge zstd level 19, defaults bzip2) and checks
    /// that every outcome is a successful read or a CondaMirrorException, never a raw decoder exception.
    /// </summary>
    [SkippableTheory]
    [InlineData("babeloff-meso-forge-mirror__conda-forge/linux-64/zlib-1.2.13-hd590300_5.conda")]
    [InlineData("conda-conda__conda_format_repo/linux-64/zlib-1.2.11-h7b6447c_3.conda")]
    [InlineData("conda-conda-index__tests/archives/flask-0.11.1-py_0.tar.bz2")]
    public void Damaged_real_packages_fail_only_with_archive_errors(string relativePath)
    {
        var source = TestData.PathOf("packages", relativePath);
        var original = File.ReadAllBytes(source);
        var (start, length) = DamageRange(source, original.Length);
        using var dir = new TempDirectory();
        var path = dir.Combine(Path.GetFileName(source));
        var random = new Random(4242);
        var failures = 0;

        for (var round = 0; round < 200; round++)
        {
            var bytes = (byte[])original.Clone();
            for (var i = 1 + random.Next(3); i > 0; i--) bytes[start + random.Next(length)] = (byte)random.Next(256);
            File.WriteAllBytes(path, bytes);
            try
            {
                PackageArchive.ReadInfo(path, InfoMembers.All);
            }
            catch (CondaMirrorException e)
            {
                Assert.Equal(path, e.File);
                Assert.StartsWith("CMIR2", e.Code);
                failures++;
            }
        }
        Assert.True(failures > 0, "no damage was detected at all");
    }

    /// <summary>For a .conda, the bytes of the info member (what the reader decodes); for a .tar.bz2, the whole file.</summary>
    private static (int Start, int Length) DamageRange(string path, int fileLength)
    {
        if (!path.EndsWith(".conda", StringComparison.Ordinal)) return (0, fileLength);
        using var zip = ZipFile.OpenRead(path);
        var info = zip.Entries.Single(e => e.FullName.StartsWith("info-", StringComparison.Ordinal));
        // Locate the member's data by its content: stored members appear verbatim in the file.
        using var s = info.Open();
        var data = new byte[info.Length];
        s.ReadExactly(data);
        var start = File.ReadAllBytes(path).AsSpan().IndexOf(data);
        Assert.True(start >= 0);
        return (start, data.Length);
    }
}
