using CondaMirror.Core.IO;
using CondaMirror.TestKit;
using Xunit;

namespace CondaMirror.Tests.IO;

public sealed class FileIdentityTests
{
    [Fact]
    public void Size_and_modification_time_are_what_FileInfo_says()
    {
        using var dir = new TempDirectory("cm-identity");
        var path = dir.Combine("a.bin");
        File.WriteAllBytes(path, new byte[1234]);

        var identity = FileIdentity.Of(path);

        var info = new FileInfo(path);
        Assert.Equal(info.Length, identity.Size);
        Assert.Equal(info.LastWriteTimeUtc.Ticks, identity.MtimeTicks);
        if (OperatingSystem.IsLinux())
        {
            Assert.NotEqual(0UL, identity.Inode);
            Assert.NotEqual(0L, identity.CtimeTicks);
        }
    }

    [Fact]
    public void The_change_time_moves_on_a_write_that_restores_the_modification_time_and_on_a_new_link()
    {
        if (!OperatingSystem.IsLinux()) return; // the change time is read on Linux only (see FileIdentity)
        using var dir = new TempDirectory("cm-identity");
        var path = dir.Combine("a.bin");
        File.WriteAllBytes(path, new byte[4096]);
        File.SetLastWriteTimeUtc(path, new DateTime(2024, 5, 6, 7, 8, 9, DateTimeKind.Utc)); // whole ticks: restorable exactly
        var original = FileIdentity.Of(path);

        Thread.Sleep(20); // ctime has the clock's resolution: let it move
        using (var s = new FileStream(path, FileMode.Open, FileAccess.Write)) s.Write("changed"u8);
        File.SetLastWriteTimeUtc(path, new DateTime(2024, 5, 6, 7, 8, 9, DateTimeKind.Utc));
        var edited = FileIdentity.Of(path);

        Assert.True(edited.SameExceptChangeTime(original)); // size, mtime, inode and device tell nothing
        Assert.NotEqual(original, edited);                   // the change time does

        Thread.Sleep(20);
        var link = dir.Combine("b.bin");
        Assert.True(CondaMirror.Core.Downloads.ChannelPlacement.TryCreateHardLink(path, link));
        var linked = FileIdentity.Of(path);
        Assert.NotEqual(edited, linked);
        Assert.True(linked.SameExceptChangeTime(edited));
        Assert.True(FileIdentity.Of(link).IsSameFileAs(linked));
        Assert.Equal(linked, FileIdentity.Of(link));
    }

    [Fact]
    public void Different_files_are_not_the_same_file_and_a_missing_file_or_a_folder_is_FileNotFound()
    {
        using var dir = new TempDirectory("cm-identity");
        File.WriteAllBytes(dir.Combine("a"), [1]);
        File.WriteAllBytes(dir.Combine("b"), [1]);

        Assert.False(FileIdentity.Of(dir.Combine("a")).IsSameFileAs(FileIdentity.Of(dir.Combine("b"))));
        Assert.Throws<FileNotFoundException>(() => FileIdentity.Of(dir.Combine("missing")));
        Assert.Throws<FileNotFoundException>(() => FileIdentity.Of(dir.Combine("missing", "deeper")));
        Assert.Throws<FileNotFoundException>(() => FileIdentity.Of(dir.Path));
    }
}
