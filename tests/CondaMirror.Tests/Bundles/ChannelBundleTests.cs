using System.Diagnostics;
using System.Formats.Tar;
using System.Security.Cryptography;
using CondaMirror.Core.Bundles;
using CondaMirror.Core.Errors;
using CondaMirror.TestKit;
using CondaMirror.TestKit.Channels;
using Xunit;

namespace CondaMirror.Tests.Bundles;

/// <summary>
/// Air-gap bundles checked the way the offline side uses them: GNU tar unpacks them and coreutils' sha256sum -c
/// verifies them (independent of our reader), and <see cref="ChannelBundle.Import"/> merges them safely.
/// </summary>
public sealed class ChannelBundleTests
{
    private static ChannelBuilder FirstChannel() => new ChannelBuilder()
        .Add("python", "3.12.1", "h1_0", "linux-64")
        .Add(new PackageSpec("numpy", "1.26.4", "py312h1_0", "linux-64") { Depends = ["python"] })
        .Add("tzdata", "2024a", "h0_0");

    [SkippableFact]
    public void A_bundle_unpacks_with_tar_and_verifies_with_sha256sum()
    {
        using var dir = new TempDirectory();
        var channel = dir.Combine("channel");
        FirstChannel().WriteTo(channel);
        var lockFile = dir.Combine("conda-mirror.lock");
        File.WriteAllText(lockFile, "version: 6\n");

        var bundle = dir.Combine("bundle.tar");
        var result = ChannelBundle.Write(channel, bundle, new BundleOptions { LockFile = lockFile });
        Assert.Equal(0, result.FilesLeftOut);

        var unpacked = dir.Combine("offline");
        Directory.CreateDirectory(unpacked);
        Run("tar", unpacked, "-xf", bundle);
        var check = Run("sha256sum", unpacked, "-c", "SHA256SUMS");
        Assert.DoesNotContain("FAILED", check);
        Assert.Equal(result.FilesInBundle, check.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        AssertSameTree(channel, Path.Combine(unpacked, "channel"));
        Assert.Equal(File.ReadAllBytes(lockFile), File.ReadAllBytes(Path.Combine(unpacked, "conda-mirror.lock")));

        // Same channel, same bytes.
        var again = dir.Combine("again.tar");
        ChannelBundle.Write(channel, again, new BundleOptions { LockFile = lockFile });
        Assert.Equal(File.ReadAllBytes(bundle), File.ReadAllBytes(again));
    }

    [SkippableFact]
    public void An_incremental_bundle_holds_only_what_changed_and_merges_into_the_first()
    {
        using var dir = new TempDirectory();
        var channel = dir.Combine("channel");
        var builder = FirstChannel();
        builder.WriteTo(channel);
        var first = dir.Combine("first.tar");
        ChannelBundle.Write(channel, first);
        var firstManifest = dir.Combine("first.SHA256SUMS");
        File.WriteAllBytes(firstManifest, ReadMember(first, "SHA256SUMS"));

        // The next build adds one package (and so rewrites linux-64's repodata).
        builder.Add("pandas", "2.2.0", "py312h1_0", "linux-64").WriteTo(channel);
        var delta = dir.Combine("delta.tar");
        var result = ChannelBundle.Write(channel, delta, new BundleOptions { BaseManifest = firstManifest });

        var listed = Run("tar", dir.Path, "-tf", delta).Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
        // Exactly the files whose bytes differ from the first bundle's (compared here with the files themselves).
        var firstListed = Run("tar", dir.Path, "-tf", first).Split('\n', StringSplitOptions.RemoveEmptyEntries).ToHashSet();
        var changed = Directory.EnumerateFiles(channel, "*", SearchOption.AllDirectories)
            .Select(f => "channel/" + Path.GetRelativePath(channel, f).Replace('\\', '/'))
            .Where(m => !firstListed.Contains(m) || !ReadMember(first, m).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(dir.Path, m))))
            .Append("SHA256SUMS").Order(StringComparer.Ordinal).ToList();
        Assert.Equal(changed, listed.Order(StringComparer.Ordinal));
        Assert.Contains("channel/linux-64/pandas-2.2.0-py312h1_0.conda", listed);
        Assert.Contains("channel/linux-64/repodata.json", listed);
        Assert.DoesNotContain(listed, m => m.EndsWith(".conda", StringComparison.Ordinal) && !m.Contains("pandas", StringComparison.Ordinal));
        Assert.Equal(changed.Count - 1, result.FilesInBundle);

        // The documented offline commands: tar over the first unpacked folder, then sha256sum -c checks everything.
        var byTar = dir.Combine("by-tar");
        Directory.CreateDirectory(byTar);
        Run("tar", byTar, "-xf", first);
        Run("tar", byTar, "-xf", delta);
        Run("sha256sum", byTar, "-c", "SHA256SUMS");
        AssertSameTree(channel, Path.Combine(byTar, "channel"));

        // Import does the same, verified before anything moves.
        var imported = dir.Combine("imported");
        ChannelBundle.Import(first, imported);
        var merge = ChannelBundle.Import(delta, imported);
        Assert.Equal(result.FilesInBundle, merge.FilesWritten);
        AssertSameTree(channel, Path.Combine(imported, "channel"));
        Run("sha256sum", imported, "-c", "SHA256SUMS");
    }

    [SkippableFact]
    public void Import_removes_packages_the_new_manifest_no_longer_lists()
    {
        using var dir = new TempDirectory();
        var channel = dir.Combine("channel");
        FirstChannel().WriteTo(channel);
        var first = dir.Combine("first.tar");
        ChannelBundle.Write(channel, first);

        Directory.Delete(channel, recursive: true);
        new ChannelBuilder().Add("python", "3.12.1", "h1_0", "linux-64").Add("tzdata", "2024a", "h0_0").WriteTo(channel);
        var second = dir.Combine("second.tar");
        var manifest = dir.Combine("first.SHA256SUMS");
        File.WriteAllBytes(manifest, ReadMember(first, "SHA256SUMS"));
        ChannelBundle.Write(channel, second, new BundleOptions { BaseManifest = manifest });

        var imported = dir.Combine("imported");
        ChannelBundle.Import(first, imported);
        var before = Directory.EnumerateFiles(Path.Combine(imported, "channel"), "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(imported, f)).ToHashSet();
        var result = ChannelBundle.Import(second, imported);
        // Every file of the first channel the second no longer has: numpy's archive (and its shard).
        var gone = before.Count(f => !File.Exists(Path.Combine(dir.Path, f)));
        Assert.Contains("channel/linux-64/numpy-1.26.4-py312h1_0.conda", before.Where(f => !File.Exists(Path.Combine(dir.Path, f))));
        Assert.Equal(gone, result.FilesRemoved);
        AssertSameTree(channel, Path.Combine(imported, "channel"));
    }

    [SkippableFact]
    public void A_zstd_compressed_bundle_imports()
    {
        using var dir = new TempDirectory();
        var channel = dir.Combine("channel");
        FirstChannel().WriteTo(channel);
        var bundle = dir.Combine("bundle.tar.zst");
        ChannelBundle.Write(channel, bundle, new BundleOptions { Compress = true });
        Assert.Equal(new byte[] { 0x28, 0xB5, 0x2F, 0xFD }, File.ReadAllBytes(bundle)[..4]);
        var imported = dir.Combine("imported");
        ChannelBundle.Import(bundle, imported);
        AssertSameTree(channel, Path.Combine(imported, "channel"));
    }

    public static TheoryData<string, string> HostileBundles => new()
    {
        { "parent", ErrorCodes.BundleMemberUnsafe },
        { "absolute", ErrorCodes.BundleMemberUnsafe },
        { "symlink", ErrorCodes.BundleMemberUnsafe },
        { "unlisted", ErrorCodes.BundleMemberUnsafe },
        { "altered", ErrorCodes.BundleChecksumMismatch },
        { "missing", ErrorCodes.BundleChecksumMismatch },
        { "no-manifest", ErrorCodes.BundleManifestInvalid },
        { "bad-manifest", ErrorCodes.BundleManifestInvalid },
        { "not-a-tar", ErrorCodes.BundleUnreadable },
    };

    [SkippableTheory]
    [MemberData(nameof(HostileBundles))]
    public void A_hostile_bundle_is_one_coded_error_and_changes_nothing(string kind, string code)
    {
        using var dir = new TempDirectory();
        var root = dir.Combine("offline");
        Directory.CreateDirectory(Path.Combine(root, "channel", "noarch"));
        File.WriteAllText(Path.Combine(root, "channel", "noarch", "repodata.json"), "{}");
        var before = FileTreeSnapshot.Take(dir.Path);

        var good = "{\"packages\":{}}"u8.ToArray();
        var manifest = $"{Sha(good)}  channel/noarch/repodata.json\n";
        var bundle = dir.Combine("hostile.tar");
        if (kind == "not-a-tar")
            File.WriteAllBytes(bundle, RandomNumberGenerator.GetBytes(2000));
        else
            WriteTar(bundle, kind switch
            {
                "parent" => [("../escape.txt", good, TarEntryType.RegularFile), ("SHA256SUMS", Text(manifest), TarEntryType.RegularFile)],
                "absolute" => [("/tmp/escape.txt", good, TarEntryType.RegularFile), ("SHA256SUMS", Text(manifest), TarEntryType.RegularFile)],
                "symlink" => [("channel/noarch/link", [], TarEntryType.SymbolicLink), ("SHA256SUMS", Text(manifest), TarEntryType.RegularFile)],
                "unlisted" => [("channel/noarch/repodata.json", good, TarEntryType.RegularFile), ("channel/noarch/extra.conda", good, TarEntryType.RegularFile), ("SHA256SUMS", Text(manifest), TarEntryType.RegularFile)],
                "altered" => [("channel/noarch/repodata.json", "{\"packages\":{\"x\":1}}"u8.ToArray(), TarEntryType.RegularFile), ("SHA256SUMS", Text(manifest), TarEntryType.RegularFile)],
                "missing" => [("SHA256SUMS", Text(manifest + $"{Sha(good)}  channel/noarch/absent.conda\n"), TarEntryType.RegularFile), ("channel/noarch/repodata.json", good, TarEntryType.RegularFile)],
                "no-manifest" => [("channel/noarch/repodata.json", good, TarEntryType.RegularFile)],
                "bad-manifest" => [("channel/noarch/repodata.json", good, TarEntryType.RegularFile), ("SHA256SUMS", Text("not a manifest\n"), TarEntryType.RegularFile)],
                _ => throw new ArgumentException(kind),
            });

        var e = Assert.Throws<CondaMirrorException>(() => ChannelBundle.Import(bundle, root));
        Assert.Equal(code, e.Code);
        Assert.Equal(before, FileTreeSnapshot.Take(dir.Path, bundle));
        Assert.False(File.Exists(Path.Combine(dir.Path, "escape.txt")));
    }

    [SkippableFact]
    public void A_bundle_over_the_size_limit_is_refused()
    {
        using var dir = new TempDirectory();
        var channel = dir.Combine("channel");
        FirstChannel().WriteTo(channel);
        var bundle = dir.Combine("bundle.tar");
        ChannelBundle.Write(channel, bundle);
        var e = Assert.Throws<CondaMirrorException>(() => ChannelBundle.Import(bundle, dir.Combine("offline"), new BundleOptions { MaxBytes = 1000 }));
        Assert.Equal(ErrorCodes.BundleUnreadable, e.Code);
        Assert.Empty(Directory.EnumerateFileSystemEntries(dir.Combine("offline")));
    }

    [SkippableFact]
    public void A_pax_header_claiming_gigabytes_is_refused_before_it_is_read()
    {
        // System.Formats.Tar buffers a pax header of whatever size it claims (1.5 GB of RSS for a 1.5 GB one).
        using var dir = new TempDirectory();
        var header = new byte[512];
        void Put(int offset, string text) => System.Text.Encoding.ASCII.GetBytes(text).CopyTo(header, offset);
        Put(0, "././@PaxHeader");
        Put(100, "0000644\0");
        Put(108, "0000000\0");
        Put(116, "0000000\0");
        Put(124, Convert.ToString(1_500_000_000L, 8).PadLeft(11, '0') + "\0");
        Put(136, "00000000000\0");
        header[156] = (byte)'x';
        Put(257, "ustar\0" + "00");
        Put(148, "        ");
        Put(148, Convert.ToString(header.Sum(b => (int)b), 8).PadLeft(6, '0') + "\0 ");
        var bundle = dir.Combine("pax-bomb.tar");
        File.WriteAllBytes(bundle, [.. header, .. new byte[1 << 16]]);

        var e = Assert.Throws<CondaMirrorException>(() => ChannelBundle.Import(bundle, dir.Combine("offline")));
        Assert.Equal(ErrorCodes.BundleUnreadable, e.Code);
        Assert.Contains("1500000000", e.Message);
        Assert.Contains("limit", e.Message);
        Assert.False(Directory.Exists(dir.Combine("offline")) && Directory.EnumerateFileSystemEntries(dir.Combine("offline")).Any());
    }

    private static byte[] Text(string s) => System.Text.Encoding.UTF8.GetBytes(s);

    private static string Sha(byte[] bytes) => Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant();

    private static void WriteTar(string path, (string Name, byte[] Content, TarEntryType Type)[] members)
    {
        using var file = File.Create(path);
        using var tar = new TarWriter(file, TarEntryFormat.Pax);
        foreach (var (name, content, type) in members)
        {
            var entry = new PaxTarEntry(type, name);
            if (type == TarEntryType.SymbolicLink) entry.LinkName = "/etc/passwd";
            else entry.DataStream = new MemoryStream(content);
            tar.WriteEntry(entry);
        }
    }

    private static byte[] ReadMember(string tarPath, string member)
    {
        using var tar = new TarReader(File.OpenRead(tarPath));
        while (tar.GetNextEntry() is { } entry)
            if (entry.Name == member)
            {
                using var buffer = new MemoryStream();
                entry.DataStream!.CopyTo(buffer);
                return buffer.ToArray();
            }
        throw new InvalidOperationException(member + " not in " + tarPath);
    }

    private static void AssertSameTree(string expected, string actual)
    {
        static IEnumerable<(string, string)> Files(string root) => Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Where(f => !Path.GetFileName(f).StartsWith('.'))
            .Select(f => (Path.GetRelativePath(root, f), Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f)))))
            .Order();
        Assert.Equal(Files(expected), Files(actual));
    }

    private static string Run(string tool, string workingDirectory, params string[] args)
    {
        CliTool.Require(tool);
        return CliTool.Run(tool, workingDirectory, args);
    }
}
