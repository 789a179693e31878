using System.IO.Compression;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Records;
using CondaMirror.Core.Zstd;
using ICSharpCode.SharpZipLib;

namespace CondaMirror.Core.Archives;

/// <summary>Limits of the full member pass (<see cref="PackageArchive.ValidateMembers(string, PackageValidationOptions?, CancellationToken)"/>).</summary>
public sealed class PackageValidationOptions
{
    /// <summary>Default rule: a package may unpack to this many times its archive size ...</summary>
    public const int DefaultExpansionRatio = 200;

    /// <summary>... but never less than this (small packages of highly compressible files) ...</summary>
    public const long DefaultMinimumLimitBytes = 256L << 20;

    /// <summary>... and never more than this.</summary>
    public const long DefaultMaximumLimitBytes = 16L << 30;

    /// <summary>A fixed limit on the unpacked (tar) bytes of one package, replacing the default rule; null for the default
    /// (the <c>CondaMaxUnpackedPackageMB</c> property).</summary>
    public long? MaxUnpackedBytes { get; init; }

    /// <summary>The unpacked-bytes limit for an archive of <paramref name="archiveBytes"/> bytes.</summary>
    /// <summary>Links the pass keeps track of at most: the link table is its only memory that grows with the package,
    /// and real packages have a few thousand links.</summary>
    internal int MaxLinks { get; init; } = 1_000_000;

    public long LimitFor(long archiveBytes) =>
        MaxUnpackedBytes ?? Math.Clamp(archiveBytes * DefaultExpansionRatio, DefaultMinimumLimitBytes, DefaultMaximumLimitBytes);
}

/// <summary>What the member pass saw.</summary>
public sealed record PackageValidation(int Members, long UnpackedBytes);

public static partial class PackageArchive
{
    /// <summary>
    /// Checks every member of the package (both parts of a .conda, the whole tar of a .tar.bz2) without extracting
    /// anything: no absolute paths or <c>..</c> segments (CMIR207), no symbolic or hard link whose target leaves the
    /// package, also through other links (CMIR230), and no more unpacked bytes than the limit (CMIR231), which stops
    /// a decompression bomb as soon as it crosses the limit. One streaming pass in bounded memory (the link table).
    /// </summary>
    public static PackageValidation ValidateMembers(string path, PackageValidationOptions? options = null, CancellationToken ct = default) =>
        ValidateMembers(path, Path.GetFileName(path), path, options, ct);

    /// <summary>As above for a file whose own name is not the package's (a download's temp file):
    /// <paramref name="fileName"/> gives format and stem, <paramref name="displayName"/> is named in errors.</summary>
    public static PackageValidation ValidateMembers(string path, string fileName, string displayName, PackageValidationOptions? options = null, CancellationToken ct = default) =>
        Validate(path, fileName, displayName, options, capture: null, ct).Validation;

    /// <summary>
    /// The member pass and <see cref="ReadInfo(string, InfoMembers, CancellationToken)"/> in one: the <c>info/</c>
    /// files in <paramref name="wanted"/> are kept as the pass walks past them, so a package is decompressed once,
    /// not twice (a .tar.bz2's info/ read alone decompresses the whole stream to verify its checksum).
    /// </summary>
    public static (PackageValidation Validation, PackageInfo Info) ValidateAndReadInfo(string path, InfoMembers wanted, PackageValidationOptions? options = null, CancellationToken ct = default)
    {
        var (validation, info) = Validate(path, Path.GetFileName(path), path, options, wanted & ~InfoMembers.StopAtPayload, ct);
        return (validation, info!);
    }

    /// <summary>
    /// The member pass of a download's temp file (<paramref name="fileName"/> gives format and stem), keeping the
    /// <c>info/</c> files in <paramref name="wanted"/> on the way: the pass fails as <see cref="ValidateMembers(string, string, string, PackageValidationOptions?, CancellationToken)"/>
    /// does, while unreadable <c>info/</c> files only make the info null (the step that needs them reports them).
    /// </summary>
    public static (PackageValidation Validation, PackageInfo? Info) ValidateAndTryReadInfo(string path, string fileName, string displayName, InfoMembers wanted,
        PackageValidationOptions? options = null, CancellationToken ct = default) =>
        Validate(path, fileName, displayName, options, wanted & ~InfoMembers.StopAtPayload, ct, infoOptional: true);

    private static (PackageValidation Validation, PackageInfo? Info) Validate(string path, string fileName, string displayName, PackageValidationOptions? options,
        InfoMembers? capture, CancellationToken ct, bool infoOptional = false)
    {
        options ??= new PackageValidationOptions();
        if (!ArchiveFileName.TryGetFormat(fileName, out var format))
            throw new CondaMirrorException(ErrorCodes.ArchiveUnknownExtension,
                $"'{fileName}' is not a conda package file name: it must end in .conda or .tar.bz2. Rename it or remove it from the folder.", displayName);
        FileStream stream;
        try
        {
            // The decoders read large blocks (bzip2 64 KB, zstd 128 KB), which go past a FileStream's buffer; 4 KB serves
            // the zip directory's small reads without a 64 KB array per package.
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 4096);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CondaMirrorException(ErrorCodes.ArchiveUnreadable,
                $"Cannot open the package archive: {e.Message} Check that the file exists and is readable.", displayName, e);
        }
        using (stream)
        {
            var magic = new byte[4];
            int magicLength;
            try { magicLength = ReadUpTo(stream, magic); }
            catch (IOException e) { throw Unreadable(displayName, e); }
            if (magicLength == 0)
                throw new CondaMirrorException(ErrorCodes.ArchiveEmpty,
                    "Package archive is empty (0 bytes), probably an interrupted download. Re-download it or remove it from the folder.", displayName);
            stream.Position = 0;
            var pass = new MemberPass(displayName, options.LimitFor(stream.Length), options.MaxLinks, capture, ct);
            if (format == ArchiveFormat.Conda) ValidateConda(stream, magic.AsSpan(0, magicLength), fileName, pass);
            else ValidateTarBz2(stream, magic.AsSpan(0, magicLength), pass);
            pass.CheckLinks();
            var info = capture is null ? null : infoOptional ? TryBuildInfo(pass.Found, displayName, format) : BuildInfo(pass.Found, displayName, format);
            return (new PackageValidation(pass.Members, pass.UnpackedBytes), info);
        }
    }

    private static PackageInfo? TryBuildInfo(Dictionary<string, byte[]> found, string file, ArchiveFormat format)
    {
        try { return BuildInfo(found, file, format); }
        catch (CondaMirrorException) { return null; } // every member passed; only the info/ files are unreadable
    }

    private static void ValidateTarBz2(Stream stream, ReadOnlySpan<byte> magic, MemberPass pass) =>
        ThroughBzip2(stream, magic, pass.File, bzip2 =>
        {
            pass.Walk(bzip2, infoTarOnly: false, holdsInfo: true);
            return true;
        });

    private static void ValidateConda(Stream stream, ReadOnlySpan<byte> magic, string fileName, MemberPass pass)
    {
        var file = pass.File;
        if (magic.Length < 4 || !(magic.SequenceEqual("PK\x03\x04"u8) || magic.SequenceEqual("PK\x05\x06"u8)))
            throw WrongMagic(file, "a zip file (the .conda format)", magic);
        ZipArchive zip;
        try
        {
            zip = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (InvalidDataException e)
        {
            if (!HasEndOfCentralDirectory(stream, 0))
                throw Truncated(file, "the zip directory at the end of the .conda file is missing", e);
            throw ZipCorrupt(file, e);
        }
        using (zip)
        {
            var stem = fileName[..^".conda".Length];
            List<ZipArchiveEntry> parts;
            try
            {
                // conda extracts only these two members; other zip names are still checked, as a tool might unzip them.
                foreach (var entry in zip.Entries) ValidateMemberPath(entry.FullName, file, infoTarOnly: false);
                parts = new List<ZipArchiveEntry> { FindInfoMember(zip, fileName) };
                if (zip.GetEntry($"pkg-{stem}.tar.zst") is { } pkg) parts.Insert(0, pkg);
            }
            catch (InvalidDataException e)
            {
                throw ZipCorrupt(file, e);
            }
            foreach (var part in parts)
            {
                var options = new ZstdDecoderOptions { MaxWindowSize = MaxZstdWindowBytes, VerifyChecksum = true };
                try
                {
                    using var tar = ZstdCodec.Decompress(part.Open(), options, leaveOpen: false);
                    var info = part.FullName.StartsWith("info-", StringComparison.Ordinal);
                    pass.Walk(tar, infoTarOnly: info, holdsInfo: info);
                }
                catch (ZstdFormatException e)
                {
                    throw e.Code switch
                    {
                        ErrorCodes.ZstdWindowTooLarge => new CondaMirrorException(ErrorCodes.ArchiveZstdWindowTooLarge,
                            $"Package archive's {part.FullName} is a zstd frame that claims a window larger than allowed ({e.Problem}); " +
                            "the file is damaged or hostile. Remove it from the folder.", file, e),
                        ErrorCodes.ZstdTruncated => Truncated(file, $"{part.FullName} ends in the middle of a zstd frame", e),
                        _ => new CondaMirrorException(ErrorCodes.ArchiveZstdCorrupt,
                            $"Package archive is corrupt: {part.FullName} is not valid zstd data ({e.Message}). Re-download it or remove it from the folder.", file, e),
                    };
                }
                catch (EndOfStreamException e)
                {
                    throw Truncated(file, $"{part.FullName} ends early", e);
                }
                catch (InvalidDataException e)
                {
                    throw ZipCorrupt(file, e);
                }
                catch (IOException e)
                {
                    throw Unreadable(file, e);
                }
            }
        }
    }

    /// <summary>State of one package's member pass: the byte budget shared by its parts and the links seen.</summary>
    private sealed class MemberPass(string file, long limit, int maxLinks, InfoMembers? capture, CancellationToken ct)
    {
        private readonly HashSet<string> _pending = capture is { } wanted ? InfoPaths(wanted) : new HashSet<string>(StringComparer.Ordinal);

        /// <summary>The info/ files asked for, as read while walking (their bytes count towards the limit like any other).</summary>
        public Dictionary<string, byte[]> Found { get; } = new(StringComparer.Ordinal);

        // Linux gives up after 40 nested links (ELOOP); a chain that long cannot be followed on install either.
        private const int MaxLinkHops = 40;

        private readonly Dictionary<string, string> _symlinks = new(StringComparer.Ordinal);
        private readonly List<(string Member, string Target)> _hardlinks = new();
        private long _unpacked;

        public string File => file;
        public int Members { get; private set; }
        public long UnpackedBytes => _unpacked;

        public void Walk(Stream tarStream, bool infoTarOnly, bool holdsInfo)
        {
            var reader = new TarStreamReader(new CountingStream(tarStream, this), file);
            while (reader.Next() is { } entry)
            {
                ct.ThrowIfCancellationRequested();
                Members++;
                var name = ValidateMemberPath(entry.Name, file, infoTarOnly);
                // The header says how much data follows: a member that cannot fit is refused before any of it is
                // decompressed (a 10 GiB member of zeros would otherwise be read through to the limit first).
                if (entry.Size > limit - _unpacked)
                    throw new CondaMirrorException(ErrorCodes.ArchiveUnpackedTooLarge,
                        $"Package archive member '{name}' declares {entry.Size:N0} bytes, more than the {limit / 1048576:N0} MB the package may unpack to; " +
                        "refused at its header, before reading it (a decompression bomb, or an unusually large package). " +
                        "Remove it, or if it is a genuine package raise the limit with CondaMaxUnpackedPackageMB.", file);
                if (entry.Kind == TarEntryKind.SymbolicLink) AddSymlink(name, entry.LinkName ?? "");
                else if (entry.Kind == TarEntryKind.HardLink) AddHardlink(name, entry.LinkName ?? "");
                if (holdsInfo && _pending.Remove(name)) Found[name] = ReadInfoMember(reader, entry, name, file);
            }
            // The compressor's trailer is part of the stream: reading it verifies the checksum.
            reader.DrainSource();
        }

        /// <summary>Called by the counting stream with every decompressed byte count.</summary>
        public void Count(int bytes)
        {
            _unpacked += bytes;
            if (_unpacked > limit)
                throw new CondaMirrorException(ErrorCodes.ArchiveUnpackedTooLarge,
                    $"Package archive unpacks to more than {limit / 1048576:N0} MB; refused before unpacking further (a decompression bomb, or an unusually large package). " +
                    "Remove it, or if it is a genuine package raise the limit with CondaMaxUnpackedPackageMB.", file);
        }

        private void AddSymlink(string member, string target)
        {
            CountLink();
            if (IsAbsolute(target)) throw Escapes(member, target, "symbolic link", "is an absolute path");
            // A quick lexical check names the link at once; chains through other links are checked at the end.
            if (Resolve(Parent(member).Concat(Split(target)), followLinks: false) is null)
                throw Escapes(member, target, "symbolic link", "leaves the package");
            _symlinks[member] = target;
        }

        private void AddHardlink(string member, string target)
        {
            CountLink();
            if (IsAbsolute(target)) throw Escapes(member, target, "hard link", "is an absolute path");
            if (Split(target).Any(s => s == ".."))
                throw Escapes(member, target, "hard link", "contains a '..' segment");
            _hardlinks.Add((member, target));
        }

        private void CountLink()
        {
            if (_symlinks.Count + _hardlinks.Count >= maxLinks)
                throw new CondaMirrorException(ErrorCodes.ArchiveUnpackedTooLarge,
                    $"Package archive holds more than {maxLinks:N0} links; refused before reading further (a hostile or broken package). Remove it from the folder.", file);
        }

        /// <summary>Every link's target, followed through the other links of the package, must stay inside it.</summary>
        public void CheckLinks()
        {
            foreach (var (member, target) in _symlinks)
                if (Resolve(Parent(member).Concat(Split(target)), followLinks: true) is null)
                    throw Escapes(member, target, "symbolic link", "leaves the package through other links in it");
            foreach (var (member, target) in _hardlinks)
                if (Resolve(Split(target), followLinks: true) is null)
                    throw Escapes(member, target, "hard link", "leaves the package through symbolic links in it");
        }

        /// <summary>The in-package path the segments lead to, or null when they leave the package root.</summary>
        private List<string>? Resolve(IEnumerable<string> segments, bool followLinks)
        {
            var hops = MaxLinkHops;
            return Resolve(segments, followLinks, ref hops);
        }

        private List<string>? Resolve(IEnumerable<string> segments, bool followLinks, ref int hops)
        {
            var stack = new List<string>();
            foreach (var segment in segments)
            {
                if (segment is "" or ".") continue;
                if (segment == "..")
                {
                    if (stack.Count == 0) return null;
                    stack.RemoveAt(stack.Count - 1);
                    continue;
                }
                stack.Add(segment);
                if (!followLinks || !_symlinks.TryGetValue(string.Join('/', stack), out var target)) continue;
                // A loop or an over-long chain cannot be followed when installing either, so it writes nothing anywhere.
                if (--hops < 0) return stack;
                if (IsAbsolute(target)) return null;
                var resolved = Resolve(stack.Take(stack.Count - 1).Concat(Split(target)), followLinks, ref hops);
                if (resolved is null) return null;
                stack = resolved;
            }
            return stack;
        }

        private static IEnumerable<string> Parent(string member)
        {
            var segments = Split(member);
            return segments.Take(segments.Length - 1);
        }

        private static string[] Split(string path) => path.Split('/', '\\');

        private static bool IsAbsolute(string target) =>
            target.Length > 0 && (target[0] is '/' or '\\' || (target.Length >= 2 && target[1] == ':' && char.IsAsciiLetter(target[0])));

        private CondaMirrorException Escapes(string member, string target, string kind, string problem) => new(ErrorCodes.ArchiveLinkEscapes,
            $"Package archive contains a {kind} '{member}' -> '{target}' whose target {problem}; installing it would expose or overwrite files outside the environment. " +
            "Do not install it; remove it from the folder or rebuild the package with relative links inside it.", file);
    }

    /// <summary>Reports every decompressed byte to the pass, which throws once the package is over its limit.</summary>
    private sealed class CountingStream(Stream inner, MemberPass pass) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var n = inner.Read(buffer);
            pass.Count(n);
            return n;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
