using System.Formats.Tar;
using CondaMirror.Core.Archives;
using CondaMirror.Core.Diagnostics;
using CondaMirror.Core.Errors;
using CondaMirror.Core.IO;
using CondaMirror.Core.Zstd;

namespace CondaMirror.Core.Bundles;

public sealed class BundleOptions
{
    /// <summary>The lock file to carry beside the channel (placed at the bundle's root), if any.</summary>
    public string? LockFile { get; init; }

    /// <summary>
    /// SHA256SUMS of a previous bundle: files it lists with the same hash are left out (an incremental bundle). The
    /// new manifest still lists every file, so after unpacking over the previous one <c>sha256sum -c</c> checks all.
    /// </summary>
    public string? BaseManifest { get; init; }

    /// <summary>Compress the tar with zstd (a <c>.tar.zst</c>; unpack with <c>tar --zstd -xf</c>).</summary>
    public bool Compress { get; init; }

    public int CompressionLevel { get; init; } = 3;

    /// <summary>Largest bundle that <see cref="ChannelBundle.Import"/> reads (uncompressed tar bytes).</summary>
    public long MaxBytes { get; init; } = 256L << 30;

    /// <summary>
    /// Most tar bytes a <c>.tar.zst</c> may declare per compressed byte (past <see cref="InflationAllowance"/>). A
    /// channel is mostly packages that are already compressed (about 1:1) and repodata (about 10:1); a member of
    /// zeros declares gigabytes in kilobytes. Checked at each member's header, before its data is decompressed.
    /// </summary>
    public long MaxInflationRatio { get; init; } = 1000;

    /// <summary>Declared tar bytes always allowed, whatever the ratio (a small bundle of repodata compresses well).</summary>
    public long InflationAllowance { get; init; } = 64L << 20;

    /// <summary>Limit for one import, unpacking and verifying (CondaBundleImportDeadlineSeconds); zero or less for none.</summary>
    public TimeSpan ImportDeadline { get; init; } = DefaultImportDeadline;

    public static TimeSpan DefaultImportDeadline { get; } = TimeSpan.FromMinutes(30);
}

/// <param name="Manifest">The bundle's SHA256SUMS (every file, also those left out): the base of the next incremental bundle.</param>
public sealed record BundleResult(string Path, int FilesInBundle, int FilesLeftOut, long Bytes, Sha256Manifest Manifest);

/// <param name="Files">Every file the import root now holds by the manifest (and the manifest itself), full paths.</param>
public sealed record BundleImportResult(int FilesWritten, int FilesRemoved, int FilesVerified)
{
    public IReadOnlyList<string> Files { get; init; } = Array.Empty<string>();
}

/// <summary>
/// An air-gap transfer of a channel: one tar holding <c>channel/…</c>, the lock and a <c>SHA256SUMS</c> manifest of
/// every file, unpacked with nothing but <c>tar -xf</c> and checked with <c>sha256sum -c SHA256SUMS</c>.
/// Deterministic bytes: members sorted, fixed owner, mode and time.
/// </summary>
public static class ChannelBundle
{
    public const string ChannelFolder = "channel";

    // A fixed member time (2000-01-01) so the same channel gives the same bundle bytes.
    // SHA256SUMS holds one short line per file; 64 MB is room for about half a million files.
    private const long MaxManifestBytes = 64L << 20;

    private static readonly DateTimeOffset MemberTime = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static BundleResult Write(string channelDir, string bundlePath, BundleOptions? options = null, IMirrorLog? log = null, CancellationToken ct = default)
    {
        options ??= new BundleOptions();
        log ??= NullMirrorLog.Instance;
        channelDir = Path.GetFullPath(channelDir);
        if (!Directory.Exists(channelDir))
            throw new CondaMirrorException(ErrorCodes.BundleWriteFailed, $"There is no channel at {channelDir} to bundle. Build the channel first.", channelDir);

        // Dot files are the build's own records (the channel owner), not part of the published channel.
        var sources = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(channelDir, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(channelDir, file).Replace(Path.DirectorySeparatorChar, '/');
            if (relative.Split('/').Any(s => s.StartsWith('.'))) continue;
            sources[ChannelFolder + "/" + relative] = file;
        }
        if (options.LockFile is { } lockFile)
        {
            if (!File.Exists(lockFile))
                throw new CondaMirrorException(ErrorCodes.BundleWriteFailed, $"The lock file {lockFile} does not exist.", lockFile);
            sources[Path.GetFileName(lockFile)] = Path.GetFullPath(lockFile);
        }

        var manifest = new Sha256Manifest();
        foreach (var (member, file) in sources)
        {
            ct.ThrowIfCancellationRequested();
            manifest.Files[member] = FileHashes.Compute(file).Sha256;
        }
        var previous = options.BaseManifest is { } basePath ? Sha256Manifest.Read(basePath) : null;
        var included = sources.Where(kv => previous is null || previous.Files.GetValueOrDefault(kv.Key) != manifest.Files[kv.Key]).ToList();

        try
        {
            AtomicFile.Write(bundlePath, output =>
            {
                using var compressed = options.Compress
                    ? ZstdCodec.Compress(output, new ZstdEncoderOptions { Level = options.CompressionLevel }, leaveOpen: true)
                    : null;
                using (var tar = new TarWriter(compressed ?? output, TarEntryFormat.Pax, leaveOpen: true))
                {
                    foreach (var (member, file) in included)
                    {
                        ct.ThrowIfCancellationRequested();
                        using var content = File.OpenRead(file);
                        tar.WriteEntry(Entry(member, content));
                    }
                    using var manifestBytes = new MemoryStream(manifest.ToBytes());
                    tar.WriteEntry(Entry(Sha256Manifest.FileName, manifestBytes));
                }
            });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CondaMirrorException(ErrorCodes.BundleWriteFailed, $"Could not write the bundle {bundlePath}: {e.Message}", bundlePath, e);
        }
        var bytes = new FileInfo(bundlePath).Length;
        log.Detail($"Bundled {included.Count} of {sources.Count} file(s) into {bundlePath} ({bytes} bytes)");
        return new BundleResult(bundlePath, included.Count, sources.Count - included.Count, bytes, manifest);
    }

    /// <summary>Writes a bundle's SHA256SUMS beside it (<c>x.tar</c> → <c>x.tar.SHA256SUMS</c>), the base of the next incremental bundle.</summary>
    public static string WriteManifestBeside(BundleResult bundle)
    {
        var path = bundle.Path + "." + Sha256Manifest.FileName;
        AtomicFile.WriteAllBytes(path, bundle.Manifest.ToBytes());
        return path;
    }

    private static long SaturatingAdd(long a, long b) => a > long.MaxValue - b ? long.MaxValue : a + b;

    private static long SaturatingMultiply(long a, long b) => a != 0 && b > long.MaxValue / a ? long.MaxValue : a * b;

    private static bool IsZstd(FileStream file)
    {
        Span<byte> magic = stackalloc byte[4];
        var zstd = file.Read(magic) == 4 && magic.SequenceEqual(new byte[] { 0x28, 0xB5, 0x2F, 0xFD });
        file.Position = 0;
        return zstd;
    }

    private static PaxTarEntry Entry(string member, Stream content)
    {
        // Only the standard header fields: PAX would otherwise add atime/ctime records that vary per run.
        var entry = new PaxTarEntry(TarEntryType.RegularFile, member, new Dictionary<string, string>())
        {
            DataStream = content,
            ModificationTime = MemberTime,
            Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
            Uid = 0,
            Gid = 0,
        };
        return entry;
    }

    /// <summary>
    /// Merges a bundle into <paramref name="root"/> (the folder a first bundle was unpacked into, or an empty one):
    /// every member is staged and checked against the bundle's manifest, files the bundle leaves out must already be
    /// in <paramref name="root"/> with the listed hash, and only then are files moved into place and channel files
    /// the manifest no longer lists removed. On any error <paramref name="root"/> is left as it was.
    /// </summary>
    public static BundleImportResult Import(string bundlePath, string root, BundleOptions? options = null, IMirrorLog? log = null, CancellationToken ct = default)
    {
        options ??= new BundleOptions();
        log ??= NullMirrorLog.Instance;
        root = Path.GetFullPath(root);
        Directory.CreateDirectory(root);
        var staging = SafePath.Combine(root, ".bundle-import-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(staging);
        // The time limit covers unpacking and verifying; nothing is moved into place after it fired.
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        if (options.ImportDeadline > TimeSpan.Zero) deadline.CancelAfter(options.ImportDeadline);
        var outer = ct;
        ct = deadline.Token;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            var (manifest, staged) = Unpack(bundlePath, staging, options, ct);

            foreach (var member in staged)
                if (!manifest.Files.ContainsKey(member))
                    throw new CondaMirrorException(ErrorCodes.BundleMemberUnsafe,
                        $"The bundle {bundlePath} holds '{member}', which its SHA256SUMS does not list. The bundle was not made by CondaBundle or was altered.", bundlePath);

            var verified = 0;
            foreach (var (member, sha) in manifest.Files)
            {
                ct.ThrowIfCancellationRequested();
                var segments = member.Split('/');
                var path = staged.Contains(member) ? SafePath.Combine(staging, segments) : SafePath.Combine(root, segments);
                if (!File.Exists(path))
                    throw new CondaMirrorException(ErrorCodes.BundleChecksumMismatch,
                        $"'{member}' is neither in the bundle {bundlePath} nor already in {root}. Import the bundles in order, starting from a full one.", bundlePath);
                if (FileHashes.Compute(path).Sha256 != sha)
                    throw new CondaMirrorException(ErrorCodes.BundleChecksumMismatch,
                        $"'{member}' does not have the SHA-256 the bundle's manifest lists{(staged.Contains(member) ? " (the bundle is damaged)" : $" (the copy in {root} differs; the bundle was made against another base)")}.", bundlePath);
                verified++;
            }
            ct.ThrowIfCancellationRequested();

            // Everything checks out: move into place, then drop channel files the new manifest does not list.
            foreach (var member in staged)
            {
                var segments = member.Split('/');
                var target = SafePath.Combine(root, segments);
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Move(SafePath.Combine(staging, segments), target, overwrite: true);
            }
            var removed = 0;
            var channel = SafePath.Combine(root, ChannelFolder);
            if (Directory.Exists(channel))
                foreach (var file in Directory.EnumerateFiles(channel, "*", SearchOption.AllDirectories).ToList())
                {
                    var member = ChannelFolder + "/" + Path.GetRelativePath(channel, file).Replace(Path.DirectorySeparatorChar, '/');
                    if (member.Split('/').Any(s => s.StartsWith('.')) || manifest.Files.ContainsKey(member)) continue;
                    File.Delete(file);
                    removed++;
                }
            AtomicFile.WriteAllBytes(SafePath.Combine(root, Sha256Manifest.FileName), manifest.ToBytes());
            log.Detail($"Imported {staged.Count} file(s) from {bundlePath} into {root}; {removed} removed, {verified} verified");
            return new BundleImportResult(staged.Count, removed, verified)
            {
                Files = manifest.Files.Keys.Select(m => SafePath.Combine(root, m.Split('/')))
                    .Append(SafePath.Combine(root, Sha256Manifest.FileName)).ToList(),
            };
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !outer.IsCancellationRequested)
        {
            throw new CondaMirrorException(ErrorCodes.BundleImportDeadlineExceeded,
                $"Importing the bundle {bundlePath} did not finish within {options.ImportDeadline.TotalSeconds:0} s (CondaBundleImportDeadlineSeconds; " +
                $"stopped after {clock.Elapsed.TotalSeconds:0.#} s); nothing was imported. Raise CondaBundleImportDeadlineSeconds for a very large bundle on a slow disk.", bundlePath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CondaMirrorException(ErrorCodes.BundleWriteFailed, $"Could not merge the bundle into {root}: {e.Message}", root, e);
        }
        finally
        {
            Directory.Delete(staging, recursive: true);
        }
    }

    private static (Sha256Manifest Manifest, HashSet<string> Staged) Unpack(string bundlePath, string staging, BundleOptions options, CancellationToken ct)
    {
        if (!File.Exists(bundlePath))
            throw new CondaMirrorException(ErrorCodes.BundleUnreadable, $"The bundle {bundlePath} does not exist.", bundlePath);
        using var file = File.OpenRead(bundlePath);
        var isZstd = IsZstd(file);
        using var decoded = isZstd ? ZstdCodec.Decompress(file, leaveOpen: true) : null;
        var staged = new HashSet<string>(StringComparer.Ordinal);
        Sha256Manifest? manifest = null;
        long total = 0;
        // What the compressed bytes can honestly declare, checked against each header before its data is read.
        var inflationLimit = isZstd ? SaturatingAdd(SaturatingMultiply(file.Length, options.MaxInflationRatio), options.InflationAllowance) : long.MaxValue;
        try
        {
            // Our own strict reader, not System.Formats.Tar: it caps pax and long-name records (TarReader buffers a
            // pax header of any claimed size, 1.5 GB of RSS for a 1.5 GB header) and verifies every header checksum.
            var tar = new TarStreamReader(decoded ?? file, bundlePath, detail => new CondaMirrorException(ErrorCodes.BundleUnreadable,
                $"The bundle {bundlePath} is not a readable tar{(isZstd ? ".zst" : "")}: {detail}. Make the bundle again (CondaBundle=true) and copy it whole.", bundlePath));
            while (tar.Next() is { } entry)
            {
                ct.ThrowIfCancellationRequested();
                if (entry.Kind is TarEntryKind.Directory) continue;
                if (entry.Kind is not TarEntryKind.File || !Sha256Manifest.IsSafeRelativePath(entry.Name))
                    throw new CondaMirrorException(ErrorCodes.BundleMemberUnsafe,
                        $"The bundle {bundlePath} holds '{entry.Name}' ({entry.Kind}), which is not a plain file with a relative path. It was not made by CondaBundle; do not import it.", bundlePath);
                total = SaturatingAdd(total, entry.Size);
                if (total > inflationLimit && total <= options.MaxBytes)
                    throw new CondaMirrorException(ErrorCodes.BundleInflationTooHigh,
                        $"The bundle {bundlePath} declares {total} bytes of tar by the header of '{entry.Name}' ({entry.Size} bytes) from {file.Length} compressed bytes, " +
                        $"more than {options.MaxInflationRatio}:1: a bundle of real packages does not compress like that (a zstd bomb?). It was refused before the member was read; " +
                        "do not import it.", bundlePath);
                if (total > options.MaxBytes)
                    throw new CondaMirrorException(ErrorCodes.BundleUnreadable,
                        $"The bundle {bundlePath} holds more than {options.MaxBytes} bytes, the most one import reads. Carry the channel in smaller steps: a bundle with part of the packages, then incremental bundles (CondaBundleBase) for the rest, imported in order.", bundlePath);
                if (entry.Name == Sha256Manifest.FileName)
                {
                    if (entry.Size > MaxManifestBytes)
                        throw new CondaMirrorException(ErrorCodes.BundleManifestInvalid,
                            $"The bundle {bundlePath} has a {entry.Size}-byte {Sha256Manifest.FileName}, more than the {MaxManifestBytes / 1048576} MB one line per file can need; it was not made by CondaBundle.", bundlePath);
                    manifest = Sha256Manifest.Parse(tar.ReadContent(), bundlePath + "!" + Sha256Manifest.FileName);
                    continue;
                }
                if (!staged.Add(entry.Name))
                    throw new CondaMirrorException(ErrorCodes.BundleMemberUnsafe, $"The bundle {bundlePath} holds '{entry.Name}' twice.", bundlePath);
                var target = SafePath.Combine(staging, entry.Name.Split('/'));
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                using var output = File.Create(target);
                tar.CopyContentTo(output, ct);
            }
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException or ZstdFormatException)
        {
            throw new CondaMirrorException(ErrorCodes.BundleUnreadable, $"The bundle {bundlePath} is not a readable tar{(isZstd ? ".zst" : "")}: {e.Message}", bundlePath, e);
        }
        if (manifest is null)
            throw new CondaMirrorException(ErrorCodes.BundleManifestInvalid, $"The bundle {bundlePath} has no {Sha256Manifest.FileName}; it was not made by CondaBundle.", bundlePath);
        return (manifest, staged);
    }
}
