using System.Text.Json;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Indexing;
using CondaMirror.Core.Platforms;
using CondaMirror.Core.Records;
using CondaMirror.TestKit;
using CondaMirror.TestKit.Channels;
using Xunit;

namespace CondaMirror.Tests.Indexing;

/// <summary>Local package files whose info/index.json or members are hostile: refused with a code, nothing written outside the channel.</summary>
public class HostileIndexTests
{
    private static string Package(TempDirectory work, string subdir, ArchiveFormat format = ArchiveFormat.Conda, params RawTarMember[] payload) =>
        RawPackageWriter.Write(work.Combine("packages", "evil-1.0-0" + (format == ArchiveFormat.Conda ? ".conda" : ".tar.bz2")),
            RawPackageWriter.IndexJson("evil", "1.0", "0", subdir), payload.Length > 0 ? payload : new[] { RawTarMember.File("share/evil.txt", "x") });

    /// <summary>Runs the indexer the way the index task does and returns its error; the tree outside the channel must not change.</summary>
    private static CondaMirrorException IndexFails(TempDirectory work, string package, SubdirNaming policy = SubdirNaming.KnownOnly)
    {
        var channel = work.Combine("out", "bin", "channel");
        var before = FileTreeSnapshot.Take(work.Path, channel);
        var e = Assert.Throws<CondaMirrorException>(() =>
            ChannelIndexer.Write(channel, new[] { ArchiveEntries.FromArchive(package, subdirs: policy) }, new IndexOptions { SubdirNaming = policy }));
        Assert.Equal(before, FileTreeSnapshot.Take(work.Path, channel));
        return e;
    }

    [SkippableTheory]
    [InlineData(ArchiveFormat.Conda)]
    [InlineData(ArchiveFormat.TarBz2)]
    public void An_absolute_subdir_in_index_json_is_refused(ArchiveFormat format)
    {
        using var work = new TempDirectory();
        var outside = Path.Combine(Path.GetTempPath(), "condamirror-evil-" + Guid.NewGuid().ToString("N")[..8]);
        var package = Package(work, outside, format);
        var e = IndexFails(work, package);
        Assert.Equal(ErrorCodes.SubdirUnsafe, e.Code);
        Assert.Equal(package, e.File);
        Assert.Contains("info/index.json of evil-1.0-0", e.Message);
        Assert.False(Directory.Exists(outside));
    }

    [SkippableFact]
    public void A_dotdot_subdir_is_refused_even_with_custom_subdirs_allowed()
    {
        using var work = new TempDirectory();
        var e = IndexFails(work, Package(work, "../../x"), SubdirNaming.AllowCustom);
        Assert.Equal(ErrorCodes.SubdirUnsafe, e.Code);
        Assert.False(Directory.Exists(work.Combine("x")));
    }

    [SkippableFact]
    public void An_unknown_subdir_needs_the_opt_in_and_is_then_published_inside_the_channel()
    {
        using var work = new TempDirectory();
        var package = Package(work, "not-a-platform");
        Assert.Equal(ErrorCodes.SubdirNotAllowed, IndexFails(work, package).Code);

        var channel = work.Combine("out", "bin", "channel");
        Directory.CreateDirectory(channel);
        var before = FileTreeSnapshot.Take(work.Path, channel);
        ChannelIndexer.Write(channel, new[] { ArchiveEntries.FromArchive(package, subdirs: SubdirNaming.AllowCustom) }, new IndexOptions { SubdirNaming = SubdirNaming.AllowCustom });
        Assert.Equal(before, FileTreeSnapshot.Take(work.Path, channel));
        Assert.True(File.Exists(Path.Combine(channel, "not-a-platform", "evil-1.0-0.conda")));
        using var repodata = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(channel, "not-a-platform", "repodata.json")));
        Assert.Equal("not-a-platform", repodata.RootElement.GetProperty("info").GetProperty("subdir").GetString());
    }

    [SkippableTheory]
    [InlineData(ArchiveFormat.Conda)]
    [InlineData(ArchiveFormat.TarBz2)]
    public void A_local_package_with_a_dotdot_member_is_refused(ArchiveFormat format)
    {
        using var work = new TempDirectory();
        var e = IndexFails(work, Package(work, "noarch", format, RawTarMember.File("share/ok.txt", "ok"), RawTarMember.File("../../evil", "x")));
        Assert.Equal(ErrorCodes.ArchiveUnsafeMemberPath, e.Code);
    }

    [SkippableTheory]
    [InlineData(ArchiveFormat.Conda)]
    [InlineData(ArchiveFormat.TarBz2)]
    public void A_local_package_with_an_absolute_symlink_is_refused(ArchiveFormat format)
    {
        using var work = new TempDirectory();
        var e = IndexFails(work, Package(work, "noarch", format, RawTarMember.Symlink("lib/libc.so", "/lib/x86_64-linux-gnu/libc.so.6")));
        Assert.Equal(ErrorCodes.ArchiveLinkEscapes, e.Code);
    }

    [SkippableFact]
    public void A_local_package_with_relative_symlinks_inside_is_indexed()
    {
        using var work = new TempDirectory();
        var package = Package(work, "linux-64", ArchiveFormat.Conda,
            RawTarMember.File("lib/libz.so.1.3", "elf"), RawTarMember.Symlink("lib/libz.so", "libz.so.1.3"), RawTarMember.Symlink("bin/z", "../lib/libz.so"));
        var channel = work.Combine("channel");
        var result = ChannelIndexer.Write(channel, new[] { ArchiveEntries.FromArchive(package) });
        Assert.Equal(1, result.PackagesPerSubdir["linux-64"]);
    }

    [SkippableFact]
    public void Entries_built_by_hand_are_checked_by_the_indexer_too()
    {
        using var work = new TempDirectory();
        var package = ChannelBuilder.WritePackage(work.Combine("packages"), new PackageSpec("tool", "1.0", "0", "linux-64"));
        var channel = work.Combine("out", "channel");
        var before = FileTreeSnapshot.Take(work.Path, channel);
        var good = ArchiveEntries.FromArchive(package);

        var record = good.Record.Clone();
        record.Subdir = "../../x";
        Assert.Equal(ErrorCodes.SubdirUnsafe, Assert.Throws<CondaMirrorException>(() => ChannelIndexer.Write(channel, new[] { good with { Record = record } })).Code);
        Assert.Equal(ErrorCodes.SubdirUnsafe, Assert.Throws<CondaMirrorException>(() =>
            ChannelIndexer.Write(channel, new[] { good }, new IndexOptions { Subdirs = new[] { "/etc" } })).Code);
        Assert.Equal(ErrorCodes.PackageFileNameUnsafe, Assert.Throws<CondaMirrorException>(() =>
            ChannelIndexer.Write(channel, new[] { good with { FileName = "../tool-1.0-0.conda" } })).Code);

        Assert.Equal(before, FileTreeSnapshot.Take(work.Path, channel));
        Assert.False(Directory.Exists(channel));
    }
}
