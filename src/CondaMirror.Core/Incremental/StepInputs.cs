using System.Security.Cryptography;
using System.Text;
using CondaMirror.Core.IO;
using CondaMirror.Core.Networking;

namespace CondaMirror.Core.Incremental;

/// <summary>
/// Everything that can change one build step's result, each input reduced to a content hash: values and items with
/// all their metadata (credentials redacted first, see <see cref="SecretRedaction"/>), and files by their bytes. The
/// step is up to date only while every input hash equals the one recorded with its last complete run
/// (<see cref="StepRecord"/>); NuGet's no-op restore works the same way.
/// </summary>
public sealed class StepInputs
{
    private readonly SortedDictionary<string, string> _hashes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, InputFile> _files = new(StringComparer.Ordinal);
    private readonly IReadOnlyDictionary<string, InputFile> _known;

    /// <param name="step">The step's name (resolve, download, …).</param>
    /// <param name="toolVersion">What built the step's logic (the task assembly's module id): a new version reruns every step.</param>
    /// <param name="knownFiles">Input files of the last run with their identity and hash: a file whose identity is unchanged is not hashed again.</param>
    public StepInputs(string step, string toolVersion, IReadOnlyDictionary<string, InputFile>? knownFiles = null)
    {
        Step = step;
        _known = knownFiles ?? new Dictionary<string, InputFile>();
        Add("tool", toolVersion);
    }

    public string Step { get; }

    /// <summary>Input name → hash, sorted by name.</summary>
    public IReadOnlyDictionary<string, string> Hashes => _hashes;

    /// <summary>The input files read, with the identity and sha256 they had.</summary>
    public IReadOnlyDictionary<string, InputFile> Files => _files;

    /// <summary>A property value (a URL without its credentials; a parameter named like a secret only as "given").</summary>
    public StepInputs Add(string name, string? value)
    {
        _hashes[name] = HashOf(new Encoder().Text(SecretRedaction.ForRecord(name, value)).Done());
        return this;
    }

    /// <summary>Items in order (order is meaning: channel priority), each with every metadata name and value.</summary>
    public StepInputs AddItems(string name, IEnumerable<InputItem> items)
    {
        var encoder = new Encoder();
        foreach (var item in items)
        {
            encoder.Text(SecretRedaction.ForRecord(null, item.Spec));
            var metadata = item.Metadata.OrderBy(m => m.Key, StringComparer.OrdinalIgnoreCase).ToList();
            encoder.Number(metadata.Count);
            foreach (var (key, value) in metadata)
                encoder.Text(key.ToLowerInvariant()).Text(SecretRedaction.ForRecord(key, value));
        }
        _hashes[name] = HashOf(encoder.Done());
        return this;
    }

    /// <summary>Files by content (absent files count as absent). Paths are hashed too: the same bytes elsewhere are another input.</summary>
    public StepInputs AddFiles(string name, IEnumerable<string> paths)
    {
        var encoder = new Encoder();
        foreach (var path in paths)
        {
            var full = Path.GetFullPath(path);
            encoder.Text(full).Text(ContentHash(full) ?? "absent");
        }
        _hashes[name] = HashOf(encoder.Done());
        return this;
    }

    /// <summary>One hash over every input: what the record compares first.</summary>
    public string Fingerprint()
    {
        var encoder = new Encoder().Text(Step);
        foreach (var (name, hash) in _hashes) encoder.Text(name).Text(hash);
        return HashOf(encoder.Done());
    }

    private string? ContentHash(string path)
    {
        FileIdentity identity;
        try { identity = FileIdentity.Of(path); }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException) { return null; }
        if (_known.TryGetValue(path, out var known) && known.Identity == identity)
        {
            _files[path] = known;
            return known.Sha256;
        }
        var sha = FileHashes.Sha256Of(path);
        _files[path] = new InputFile(identity, sha);
        return sha;
    }

    private static string HashOf(byte[] bytes) => Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant();

    /// <summary>Length-prefixed UTF-8, so no two different input lists encode alike.</summary>
    private sealed class Encoder
    {
        private readonly MemoryStream _bytes = new();

        public Encoder Text(string value)
        {
            var utf8 = Encoding.UTF8.GetBytes(value);
            Number(utf8.Length);
            _bytes.Write(utf8);
            return this;
        }

        public Encoder Number(long value)
        {
            Span<byte> buffer = stackalloc byte[8];
            System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(buffer, value);
            _bytes.Write(buffer);
            return this;
        }

        public byte[] Done() => _bytes.ToArray();
    }
}

/// <summary>An item as a step sees it: its spec and every metadata value (well-known metadata excluded by the host).</summary>
public sealed record InputItem(string Spec, IReadOnlyDictionary<string, string> Metadata);

/// <summary>An input file as it was when hashed.</summary>
public sealed record InputFile(FileIdentity Identity, string Sha256);
