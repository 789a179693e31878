using CondaMirror.Core.Archives;
using CondaMirror.Core.Errors;
using CondaMirror.TestKit;
using Xunit;

namespace CondaMirror.Tests.Archives;

public class CorruptionFuzzTests
{
    /// <summary>
    /// Damages a valid package at many positions (deterministically) and checks that every outcome is either a
    /// successful read or a CondaMirrorException naming the file: never a raw exception from a decoder.
    /// </summary>
    [SkippableTheory]
    [InlineData(".tar.bz2", false)]
    [InlineData(".tar.bz2", true)]
    [InlineData(".conda", false)]
    public void Damaged_packages_fail_only_with_archive_errors(string extension, bool managedBzip2)
    {
        // .tar.bz2 runs on both bzip2 decoders: libbz2 (when it loads) and SharpZipLib.
        using var managed = managedBzip2 ? Bzip2DecoderStream.ForceManaged() : null;
        using var dir = new TempDirectory();
        var good = dir.Combine("good", "demo-1.2.3-h1234_0" + extension);
        PackageArchiveWriter.Write(good, ArchiveFixtures.Record(), ArchiveFixtures.Files());
        var original = File.ReadAllBytes(good);
        var path = dir.Combine("demo-1.2.3-h1234_0" + extension);
        var random = new Random(20240521);
        var codes = new HashSet<string>();

        for (var round = 0; round < 300; round++)
        {
            var bytes = (byte[])original.Clone();
            var damage = 1 + random.Next(4);
            for (var i = 0; i < damage; i++) bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            if (round % 10 == 0) bytes = bytes[..random.Next(bytes.Length)];
            File.WriteAllBytes(path, bytes);
            try
            {
                PackageArchive.ReadInfo(path, InfoMembers.All);
            }
            catch (CondaMirrorException e)
            {
                Assert.Equal(path, e.File);
                Assert.StartsWith("CMIR2", e.Code);
                codes.Add(e.Code);
            }
        }
        Assert.NotEmpty(codes);
    }
}
