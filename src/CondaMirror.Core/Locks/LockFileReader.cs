using System.Globalization;
using CondaMirror.Core.Diagnostics;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Platforms;

namespace CondaMirror.Core.Locks;

/// <summary>
/// Reads any lock file users have — pixi.lock (v2–v7), conda-lock.yml v1, @EXPLICIT — into one
/// <see cref="CondaLockFile"/> with one environment selected.
/// <para>Unsupported on purpose, each with its own error: pixi.lock v1 / pre-v1 conda-lock (no <c>version</c> key,
/// CMIR407), versions newer than 7 (CMIR403), source/git/path packages (CMIR405), and JSON locks such as
/// mamba's emscripten lock (CMIR401).</para>
/// </summary>
public static class LockFileReader
{
    /// <param name="subdirs">Whether entries may name subdirs other than conda's platforms (CondaAllowCustomSubdirs);
    /// every subdir and file name is checked as it is read (CMIR120–CMIR122).</param>
    public static LockFile Read(string path, string environment = "default", IMirrorLog? log = null, SubdirNaming subdirs = SubdirNaming.KnownOnly)
    {
        log ??= NullMirrorLog.Instance;
        var text = ReadText(path);
        var format = Detect(text, path);
        LockFile result;
        if (format == LockFileFormat.Explicit)
        {
            result = ExplicitLockReader.Read(text, path, environment, subdirs);
        }
        else
        {
            var y = new YamlFields(path);
            var root = YamlTree.Load(text, path) as YMap
                ?? throw new CondaMirrorException(ErrorCodes.LockFormatUnrecognized, "the file is not a YAML mapping, so it is not a lock file.", path);
            result = root.Has("environments")
                ? PixiLockReader.Read(root, VersionOf(root, y) ?? 0, path, environment, y, subdirs)
                : ReadCondaLockShaped(root, path, environment, y, subdirs);
        }
        var total = result.PackagesByPlatform.Sum(p => p.Value.Count);
        log.Detail($"read {result.Format} v{result.Version} lock {path}: environment '{result.Environment}', {total} package entries on {result.PackagesByPlatform.Count} platform(s)");
        return result;
    }

    /// <summary>Tells the format from the file's head without parsing all of it.</summary>
    public static LockFileFormat Detect(string path) => Detect(ReadText(path), path);

    internal static LockFileFormat Detect(string text, string path)
    {
        var firstContent = FirstContentLine(text);
        if (firstContent is null)
            throw new CondaMirrorException(ErrorCodes.LockFormatUnrecognized, "the lock file is empty.", path);
        if (firstContent.StartsWith('{'))
            throw new CondaMirrorException(ErrorCodes.LockFormatUnrecognized,
                "this is a JSON lock (e.g. mamba's emscripten lock), which is not supported; use pixi.lock, conda-lock.yml or an @EXPLICIT file.", path);
        if (firstContent == "@EXPLICIT" || LocationFields.IsUrl(firstContent))
            return LockFileFormat.Explicit;

        // Top-level YAML keys: unindented "key:" lines.
        bool environments = false, packageList = false, metadata = false;
        int? version = null;
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line[0] is ' ' or '\t' or '#' or '-') continue;
            if (line.StartsWith("environments:", StringComparison.Ordinal)) environments = true;
            else if (line.StartsWith("package:", StringComparison.Ordinal)) packageList = true;
            else if (line.StartsWith("metadata:", StringComparison.Ordinal)) metadata = true;
            else if (line.StartsWith("version:", StringComparison.Ordinal) &&
                     int.TryParse(line["version:".Length..].Trim().Trim('"', '\''), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v))
                version = v;
        }
        if (environments) return LockFileFormat.PixiLock;
        if (packageList || metadata || version is not null)
            return version is 2 or 3 ? LockFileFormat.PixiLock : LockFileFormat.CondaLockV1;
        throw new CondaMirrorException(ErrorCodes.LockFormatUnrecognized,
            "not a lock file: expected pixi.lock ('environments:'), conda-lock.yml ('package:') or an @EXPLICIT list.", path);
    }

    private static LockFile ReadCondaLockShaped(YMap root, string path, string environment, YamlFields y, SubdirNaming subdirs)
    {
        var version = VersionOf(root, y);
        if (version is null)
            throw new CondaMirrorException(ErrorCodes.CondaLockMissingVersion,
                "not a conda-lock v1 file (missing version). Files from conda-lock before 1.0 or pixi before 0.7 have no 'version'; regenerate the lock with a current conda-lock or pixi.", path);
        return version switch
        {
            1 => CondaLockReader.Read(root, 1, LockFileFormat.CondaLockV1, path, environment, y, subdirs),
            2 or 3 => CondaLockReader.Read(root, version.Value, LockFileFormat.PixiLock, path, environment, y, subdirs),
            > 3 and <= PixiLockReader.NewestVersion => throw new CondaMirrorException(ErrorCodes.LockFormatUnrecognized,
                $"a version {version} lock must have 'environments'; the file is damaged, regenerate it.", path),
            _ => throw new CondaMirrorException(ErrorCodes.LockVersionUnsupported,
                $"unsupported lock version {version}: this build reads conda-lock v1 and pixi.lock v2–v{PixiLockReader.NewestVersion}. " +
                (version > PixiLockReader.NewestVersion ? "Update CondaMirror.MSBuild or write the lock with an older tool." : "Regenerate the lock with a current conda-lock or pixi."), path),
        };
    }

    private static int? VersionOf(YMap root, YamlFields y)
    {
        var node = root["version"];
        if (node is null) return null;
        if (node is YScalar s && int.TryParse(s.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v)) return v;
        throw y.Invalid(node, "'version' must be an integer");
    }

    private static string? FirstContentLine(string text)
    {
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim().TrimStart('\uFEFF');
            if (line.Length == 0 || line[0] == '#') continue;
            return line;
        }
        return null;
    }

    /// <summary>Largest lock file read unless <see cref="MaxLockBytesVariable"/> says otherwise; real locks are a few MB.</summary>
    public const long DefaultMaxLockBytes = 256L * 1024 * 1024;

    /// <summary>Environment variable that overrides <see cref="DefaultMaxLockBytes"/> (a positive byte count).</summary>
    public const string MaxLockBytesVariable = "CONDAMIRROR_MAX_LOCK_BYTES";

    /// <summary>The size limit in force: <see cref="MaxLockBytesVariable"/> when set, else the default.</summary>
    public static long MaxLockBytes
    {
        get
        {
            var configured = Environment.GetEnvironmentVariable(MaxLockBytesVariable);
            if (string.IsNullOrWhiteSpace(configured)) return DefaultMaxLockBytes;
            if (long.TryParse(configured.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var bytes) && bytes > 0) return bytes;
            throw new CondaMirrorException(ErrorCodes.InvalidBuildSetting,
                $"{MaxLockBytesVariable}='{configured}' is not a positive number of bytes.");
        }
    }

    private static string ReadText(string path)
    {
        var max = MaxLockBytes;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            // Seekable files are refused before reading; pipes and devices (/dev/zero) by counting as they stream.
            if (stream.CanSeek && stream.Length > max) throw TooLarge(path, max, stream.Length);
            using var reader = new StreamReader(stream, detectEncodingFromByteOrderMarks: true);
            var text = new System.Text.StringBuilder(stream.CanSeek ? (int)Math.Min(stream.Length, int.MaxValue) : 4096);
            var buffer = new char[81920];
            int read;
            // A char takes at least one byte in UTF-8, so more chars than max means more bytes than max.
            while ((read = reader.Read(buffer, 0, buffer.Length)) > 0)
            {
                if (text.Length + (long)read > max) throw TooLarge(path, max, null);
                text.Append(buffer, 0, read);
            }
            return text.ToString();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new CondaMirrorException(ErrorCodes.LockFileUnreadable, $"cannot read the lock file: {ex.Message}", path, ex);
        }
    }

    private static CondaMirrorException TooLarge(string path, long max, long? size) =>
        new(ErrorCodes.LockFileTooLarge,
            $"the lock file is {(size is null ? "larger than" : $"{size} bytes, over")} the {max}-byte limit; lock files are a few MB. " +
            $"If this one is genuine, raise the limit with the {MaxLockBytesVariable} environment variable.", path);
}
