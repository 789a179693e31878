using System.Diagnostics;
using CondaMirror.Core.Archives;
using CondaMirror.Core.Errors;
using CondaMirror.TestKit;
using CondaMirror.TestKit.Channels;
using Xunit;

namespace CondaMirror.Tests.Archives;

/// <summary>The full member pass: every member of both parts of a .conda and of a .tar.bz2, without extracting anything.</summary>
public class PackageMemberValidationTests
{
    private static readonly string Index = RawPackageWriter.IndexJson("evil", "1.0", "0", "noarch");

    public static TheoryData<string> Extensions => new() { ".conda", ".tar.bz2" };

    private static string Write(TempDirectory dir, string extension, params RawTarMember[] payload) =>
        RawPackageWriter.Write(dir.Combine("evil-1.0-0" + extension), Index, payload);

    private static CondaMirrorException Refused(string path, PackageValidationOptions? options = null) =>
        Assert.Throws<CondaMirrorException>(() => PackageArchive.ValidateMembers(path, options));

    [Theory, MemberData(nameof(Extensions))]
    public void A_dotdot_member_in_the_payload_is_refused(string extension)
    {
        using var dir = new TempDirectory();
        var path = Write(dir, extension, RawTarMember.File("lib/ok.txt", "fine"), RawTarMember.File("../../evil", "pwned"));
        var e = Refused(path);
        Assert.Equal(ErrorCodes.ArchiveUnsafeMemberPath, e.Code);
        Assert.Contains("../../evil", e.Message);
        Assert.Equal(path, e.File);
        // Reading the info part alone stops early and never sees it: only the full pass does.
        Assert.Equal("evil", PackageArchive.ReadInfo(path).Index.Name);
    }

    [Theory, MemberData(nameof(Extensions))]
    public void An_absolute_member_path_is_refused(string extension)
    {
        using var dir = new TempDirectory();
        var e = Refused(Write(dir, extension, RawTarMember.File("/etc/evil.conf", "x")));
        Assert.Equal(ErrorCodes.ArchiveUnsafeMemberPath, e.Code);
    }

    [Theory, MemberData(nameof(Extensions))]
    public void An_absolute_symlink_target_is_refused(string extension)
    {
        using var dir = new TempDirectory();
        var e = Refused(Write(dir, extension, RawTarMember.Symlink("lib/libssl.so", "/etc/shadow")));
        Assert.Equal(ErrorCodes.ArchiveLinkEscapes, e.Code);
        Assert.Contains("lib/libssl.so", e.Message);
    }

    [Theory, MemberData(nameof(Extensions))]
    public void A_relative_symlink_climbing_out_is_refused(string extension)
    {
        using var dir = new TempDirectory();
        var e = Refused(Write(dir, extension, RawTarMember.Symlink("lib/up", "../../outside")));
        Assert.Equal(ErrorCodes.ArchiveLinkEscapes, e.Code);
    }

    [Theory, MemberData(nameof(Extensions))]
    public void A_symlink_that_escapes_only_through_another_symlink_is_refused(string extension)
    {
        using var dir = new TempDirectory();
        // Each target looks harmless on its own; followed, a/b is the package root and a/b/c its parent.
        var e = Refused(Write(dir, extension, RawTarMember.Symlink("a/b", ".."), RawTarMember.Symlink("a/b/c", "..")));
        Assert.Equal(ErrorCodes.ArchiveLinkEscapes, e.Code);
        Assert.Contains("a/b/c", e.Message);
    }

    [Theory, MemberData(nameof(Extensions))]
    public void Hard_links_outside_the_package_are_refused(string extension)
    {
        using var dir = new TempDirectory();
        Assert.Equal(ErrorCodes.ArchiveLinkEscapes, Refused(Write(dir, extension, RawTarMember.Hardlink("lib/x", "/etc/passwd"))).Code);
        using var dir2 = new TempDirectory();
        Assert.Equal(ErrorCodes.ArchiveLinkEscapes, Refused(Write(dir2, extension, RawTarMember.Hardlink("lib/x", "../x"))).Code);
    }

    [SkippableFact]
    public void A_dotdot_member_in_the_info_part_of_a_conda_is_refused()
    {
        using var dir = new TempDirectory();
        var path = RawPackageWriter.Write(dir.Combine("evil-1.0-0.conda"), Index, Array.Empty<RawTarMember>(),
            extraInfo: new[] { RawTarMember.File("info/../../evil", "x") });
        Assert.Equal(ErrorCodes.ArchiveUnsafeMemberPath, Refused(path).Code);
    }

    [Theory, MemberData(nameof(Extensions))]
    public void A_good_package_with_relative_symlinks_and_hard_links_inside_passes(string extension)
    {
        using var dir = new TempDirectory();
        var path = Write(dir, extension,
            RawTarMember.File("lib/libz.so.1.3", "elf"),
            RawTarMember.Symlink("lib/libz.so.1", "libz.so.1.3"),
            RawTarMember.Symlink("lib/libz.so", "./libz.so.1"),
            RawTarMember.File("bin/tool-1.0", "#!/bin/sh"),
            RawTarMember.Symlink("bin/tool", "../bin/tool-1.0"),
            RawTarMember.Symlink("share/lib", "../lib"),
            RawTarMember.Symlink("share/libz", "lib/libz.so"),
            RawTarMember.Hardlink("lib/libz-copy.so", "lib/libz.so.1.3"),
            RawTarMember.Symlink("etc/loop-a", "loop-b"),
            RawTarMember.Symlink("etc/loop-b", "loop-a"));
        var result = PackageArchive.ValidateMembers(path);
        Assert.Equal(11, result.Members); // info/index.json and the ten payload members
        Assert.True(result.UnpackedBytes > 0);
    }

    [SkippableFact]
    public void Packages_from_the_project_writer_pass()
    {
        using var dir = new TempDirectory();
        foreach (var format in new[] { Core.Records.ArchiveFormat.Conda, Core.Records.ArchiveFormat.TarBz2 })
        {
            var path = ChannelBuilder.WritePackage(dir.Path, new PackageSpec("tool", "1.0", "0", "linux-64") { Format = format, PayloadBytes = 100_000 });
            var result = PackageArchive.ValidateMembers(path);
            Assert.True(result.UnpackedBytes > 100_000);
        }
    }

    [SkippableFact]
    public void A_zstd_bomb_of_10_GiB_is_refused_promptly_at_the_limit()
    {
        using var dir = new TempDirectory();
        var path = RawPackageWriter.WriteZstdBomb(dir.Combine("bomb-1.0-0.conda"), RawPackageWriter.IndexJson("bomb", "1.0", "0", "noarch"), 10L << 30);
        Assert.True(new FileInfo(path).Length < 1 << 20, "the bomb should be small on disk");
        var clock = Stopwatch.StartNew();
        var e = Refused(path);
        Assert.Equal(ErrorCodes.ArchiveUnpackedTooLarge, e.Code);
        // A tiny archive gets the floor of the default rule: refused after 256 MB, not after 10 GiB.
        Assert.Contains("256 MB", e.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
    }

    [SkippableFact]
    public void A_member_whose_header_declares_more_than_the_limit_is_refused_before_its_data_is_read()
    {
        using var dir = new TempDirectory();
        var path = RawPackageWriter.WriteZstdBomb(dir.Combine("bomb-1.0-0.conda"), RawPackageWriter.IndexJson("bomb", "1.0", "0", "noarch"), 10L << 30);
        var clock = Stopwatch.StartNew();
        var e = Refused(path);
        Assert.Equal(ErrorCodes.ArchiveUnpackedTooLarge, e.Code);
        // The tar header of share/zeros.bin is the evidence: 10 GiB - 512 declared, against the 256 MB floor.
        Assert.Contains("'share/zeros.bin' declares 10,737,417,728 bytes", e.Message);
        Assert.Contains("refused at its header", e.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
    }

    [SkippableFact]
    public void A_tar_bz2_over_a_fixed_limit_is_refused()
    {
        using var dir = new TempDirectory();
        var path = Write(dir, ".tar.bz2", new RawTarMember("share/zeros.bin", new byte[3 << 20]));
        var e = Refused(path, new PackageValidationOptions { MaxUnpackedBytes = 1 << 20 });
        Assert.Equal(ErrorCodes.ArchiveUnpackedTooLarge, e.Code);
        PackageArchive.ValidateMembers(path, new PackageValidationOptions { MaxUnpackedBytes = 8 << 20 });
    }

    [SkippableFact]
    public void The_default_limit_is_a_multiple_of_the_archive_size_between_a_floor_and_a_cap()
    {
        var options = new PackageValidationOptions();
        Assert.Equal(PackageValidationOptions.DefaultMinimumLimitBytes, options.LimitFor(1000));
        Assert.Equal(200L * (10L << 20), options.LimitFor(10L << 20));
        Assert.Equal(PackageValidationOptions.DefaultMaximumLimitBytes, options.LimitFor(1L << 30));
        Assert.Equal(5L, new PackageValidationOptions { MaxUnpackedBytes = 5 }.LimitFor(1L << 30));
    }

    [SkippableFact]
    public void A_package_with_more_links_than_the_table_holds_is_refused()
    {
        using var dir = new TempDirectory();
        // The real cap (a million) takes 512 MB of tar headers to reach; the same check with a small cap.
        var links = Enumerable.Range(0, 11).Select(i => RawTarMember.Symlink($"l/{i}", "x")).ToArray();
        var path = RawPackageWriter.Write(dir.Combine("links-1.0-0.tar.bz2"), Index, links);
        PackageArchive.ValidateMembers(path, new PackageValidationOptions { MaxLinks = 11 });
        var e = Refused(path, new PackageValidationOptions { MaxLinks = 10 });
        Assert.Equal(ErrorCodes.ArchiveUnpackedTooLarge, e.Code);
        Assert.Contains("links", e.Message);
    }
}
