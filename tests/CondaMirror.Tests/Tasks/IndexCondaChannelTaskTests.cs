using System.IO.Compression;
using CondaMirror.Core.Errors;
using CondaMirror.MSBuild;
using CondaMirror.TestKit;
using CondaMirror.TestKit.Channels;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using Xunit;
using static CondaMirror.Tests.Archives.ArchiveFixtures;

namespace CondaMirror.Tests.Tasks;

public class IndexCondaChannelTaskTests
{
    private const string Stem = "demo-1.2.3-h1234_0";

    public static TheoryData<string, string> BadArchives => new()
    {
        { "empty", ErrorCodes.ArchiveEmpty },
        { "truncated", ErrorCodes.ArchiveTruncated },
        { "wrong-magic", ErrorCodes.ArchiveWrongMagic },
        { "dotdot-member", ErrorCodes.ArchiveUnsafeMemberPath },
        { "absolute-member", ErrorCodes.ArchiveUnsafeMemberPath },
        { "huge-window", ErrorCodes.ArchiveZstdWindowTooLarge },
    };

    private static string MakeBadArchive(TempDirectory dir, string kind)
    {
        switch (kind)
        {
            case "empty":
                return Write(dir, Stem + ".conda", Array.Empty<byte>());
            case "truncated":
                var good = ChannelBuilder.WritePackage(dir.Combine("good"), new PackageSpec("demo", "1.2.3", "h1234_0") { PayloadBytes = 50_000 });
                var bytes = File.ReadAllBytes(good);
                return Write(dir, Stem + ".conda", bytes[..(bytes.Length / 2)]);
            case "wrong-magic":
                return Write(dir, Stem + ".tar.bz2", "this is not a bzip2 stream at all"u8.ToArray());
            case "dotdot-member":
                return Write(dir, Stem + ".tar.bz2", Bzip2(Tar(Member("../evil", "boom"), IndexJson())));
            case "absolute-member":
                return Write(dir, Stem + ".tar.bz2", Bzip2(Tar(Member("/etc/evil", "boom"), IndexJson())));
            case "huge-window":
                // A zstd frame whose window descriptor claims 2^40 bytes, as the info member of a .conda.
                var path = dir.Combine(Stem + ".conda");
                using (var zip = new ZipArchive(File.Create(path), ZipArchiveMode.Create))
                using (var s = zip.CreateEntry($"info-{Stem}.tar.zst", CompressionLevel.NoCompression).Open())
                    s.Write(new byte[] { 0x28, 0xB5, 0x2F, 0xFD, 0x00, 0xF0, 0x01, 0x00, 0x00 });
                return path;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind));
        }
    }

    private static string Write(TempDirectory dir, string name, byte[] bytes)
    {
        var path = dir.Combine(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [SkippableTheory]
    [MemberData(nameof(BadArchives))]
    public void A_bad_archive_is_exactly_one_error_with_its_code_naming_the_file(string kind, string expectedCode)
    {
        using var dir = new TempDirectory();
        var bad = MakeBadArchive(dir, kind);
        var engine = new FakeBuildEngine();
        var task = new IndexCondaChannel
        {
            BuildEngine = engine,
            ChannelDirectory = dir.Combine("channel"),
            PackageFiles = new[] { new TaskItem(bad) },
        };

        Assert.False(task.Execute());

        var error = Assert.Single(engine.Errors);
        Assert.Equal(expectedCode, error.Code);
        Assert.Equal(bad, error.File);
        Assert.DoesNotContain("   at ", error.Message);
        Assert.False(Directory.Exists(dir.Combine("channel", "noarch")) && File.Exists(dir.Combine("channel", "noarch", "repodata.json")),
            "nothing may be written when an input is bad");
    }

    [SkippableFact]
    public void A_good_folder_gives_repodata_for_every_subdir_and_a_summary()
    {
        using var dir = new TempDirectory();
        var files = new ChannelBuilder()
            .Add("tool", "1.0", "h_0", "linux-64")
            .Add("data", "2.0", "0", "noarch")
            .WriteTo(dir.Combine("source"));
        var engine = new FakeBuildEngine();
        var task = new IndexCondaChannel
        {
            BuildEngine = engine,
            ChannelDirectory = dir.Combine("channel"),
            Platforms = "linux-64;win-64",
            PackageFiles = files.Select(f => new TaskItem(f)).ToArray(),
            ProjectFile = dir.Combine("Mirror.csproj"),
        };

        Assert.True(task.Execute(), engine.ToString());

        Assert.Equal(new[] { "linux-64", "noarch", "win-64" },
            task.RepodataFiles.Select(i => Path.GetFileName(Path.GetDirectoryName(i.ItemSpec))).OrderBy(x => x));
        // MSBuild's "Name -> output" shape at high importance: the one line the terminal logger shows by default.
        var bytes = files.Sum(f => new FileInfo(f).Length);
        var line = Assert.Single(engine.Messages, m => m.Message!.StartsWith("Mirror -> ", StringComparison.Ordinal));
        Assert.Equal(MessageImportance.High, line.Importance);
        Assert.Equal($"Mirror -> {dir.Combine("channel")} (2 conda packages, {Sizes.Format(bytes)}; linux-64: 1, noarch: 1, win-64: 0)", line.Message);
    }

    [SkippableTheory]
    [InlineData(0, "0 B")]
    [InlineData(1023, "1023 B")]
    [InlineData(1536, "1.5 KB")]
    [InlineData(31_769_424, "30.3 MB")]
    [InlineData(5_368_709_120, "5.0 GB")]
    public void Sizes_use_the_largest_unit_with_one_decimal(long bytes, string expected) =>
        Assert.Equal(expected, Sizes.Format(bytes));

    private static (IndexCondaChannel Task, FakeBuildEngine Engine) CustomSubdirTask(TempDirectory dir, bool allow, string? maxUnpackedMB = null)
    {
        var package = RawPackageWriter.Write(dir.Combine("packages", "tool-1.0-0.conda"), RawPackageWriter.IndexJson("tool", "1.0", "0", "my-subdir"),
            new[] { RawTarMember.File("share/tool.txt", "x") });
        var engine = new FakeBuildEngine();
        return (new IndexCondaChannel
        {
            BuildEngine = engine,
            ChannelDirectory = dir.Combine("channel"),
            PackageFiles = new[] { new TaskItem(package) },
            AllowCustomSubdirs = allow,
            MaxUnpackedPackageMB = maxUnpackedMB,
        }, engine);
    }

    [SkippableFact]
    public void A_custom_subdir_is_one_error_without_AllowCustomSubdirs_and_published_with_it()
    {
        using var dir = new TempDirectory();
        var (refused, engine) = CustomSubdirTask(dir, allow: false);
        Assert.False(refused.Execute());
        Assert.Equal(ErrorCodes.SubdirNotAllowed, Assert.Single(engine.Errors).Code);

        var (allowed, engine2) = CustomSubdirTask(dir, allow: true);
        Assert.True(allowed.Execute(), engine2.ToString());
        Assert.True(File.Exists(dir.Combine("channel", "my-subdir", "repodata.json")));
    }

    [SkippableTheory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("lots")]
    public void A_bad_CondaMaxUnpackedPackageMB_is_a_build_setting_error(string value)
    {
        using var dir = new TempDirectory();
        var (task, engine) = CustomSubdirTask(dir, allow: true, value);
        Assert.False(task.Execute());
        Assert.Equal(ErrorCodes.InvalidBuildSetting, Assert.Single(engine.Errors).Code);
    }
}
