using System.Text.Json;
using CondaMirror.Core.Errors;
using CondaMirror.Core.IO;
using CondaMirror.Core.Records;

namespace CondaMirror.Core.Subsets;

/// <summary>One subdir of one rule: how many records upstream has, how many the rule keeps (before dependencies) and their size.</summary>
public sealed record SubsetSubdirStats(string Item, string Subdir, int Total, int Kept, long KeptBytes);

/// <summary>One rule's totals: records kept (dependencies included), how many came in as dependencies, their size.</summary>
public sealed record SubsetRuleStats(string Item, IReadOnlyList<SubsetSubdirStats> Subdirs, int Records, int Dependencies, long Bytes);

/// <summary>A kept record; its upstream JSON sits in the spill file at <see cref="JsonOffset"/>.</summary>
public sealed record SelectedRecord(RepodataRecord Record, long JsonOffset, int JsonLength)
{
    public string Subdir => Record.Subdir;
    public string FileName => Record.FileName;
}

/// <summary>A record as the selection file holds it: what the index step publishes and the next run compares with.</summary>
public sealed record SelectionEntry(string Subdir, string FileName, string Url, string? Channel, string? Sha256, byte[] RecordJson);

/// <summary>
/// What the CondaChannelSubset items select, merged: one record per subdir/file name. Written to the selection file
/// (<see cref="Write"/>: JSON, records sorted by subdir and file name, each with upstream's record JSON as served),
/// which the index step publishes and the next run diffs against.
/// </summary>
public sealed class SubsetSelection : IDisposable
{
    private readonly FileStream _spill;
    private readonly Dictionary<(string Subdir, string FileName), SelectedRecord> _byFile = new();
    private List<SelectedRecord> _sorted = new();
    private readonly List<SubsetRuleStats> _rules = new();

    internal SubsetSelection(FileStream spill) => _spill = spill;

    /// <summary>Every kept record, sorted by subdir, then file name (ordinal).</summary>
    public IReadOnlyList<SelectedRecord> Records => _sorted;

    public IReadOnlyList<SubsetRuleStats> Rules => _rules;

    public long Bytes => _sorted.Sum(r => r.Record.Record.Size ?? 0);

    public void Dispose() => _spill.Dispose();

    /// <summary>Adds a record unless one with its subdir and file name is already kept; null when it was.</summary>
    internal SelectedRecord? Add(SubsetRule rule, RepodataRecord record, byte[] json)
    {
        var key = (record.Subdir, record.FileName);
        if (_byFile.TryGetValue(key, out var existing))
        {
            var a = existing.Record.Record.Sha256 ?? existing.Record.Record.Md5;
            var b = record.Record.Sha256 ?? record.Record.Md5;
            if (!string.Equals(a, b, StringComparison.OrdinalIgnoreCase))
                throw new CondaMirrorException(ErrorCodes.SubsetConflict,
                    $"{rule.Item} selects {record.Subdir}/{record.FileName} from {record.Channel}, but another CondaChannelSubset already selected a different package of that name from {existing.Record.Channel} ({a ?? "no hash"} vs {b ?? "no hash"}). " +
                    "Blacklist it in one of the two items.");
            return null;
        }
        var offset = _spill.Length;
        _spill.Seek(0, SeekOrigin.End);
        _spill.Write(json);
        var selected = new SelectedRecord(record, offset, json.Length);
        _byFile[key] = selected;
        return selected;
    }

    internal void AddRule(SubsetRule rule, IReadOnlyList<SubsetSubdirStats> subdirs, int records, int dependencies, long bytes) =>
        _rules.Add(new SubsetRuleStats(rule.Item, subdirs, records, dependencies, bytes));

    internal void Sort()
    {
        _sorted = _byFile.Values.ToList();
        _sorted.Sort((x, y) => string.CompareOrdinal(x.Subdir, y.Subdir) is var c && c != 0 ? c : string.CompareOrdinal(x.FileName, y.FileName));
    }

    /// <summary>Writes the selection file; replaced only when its bytes change. True when it changed.</summary>
    public bool Write(string path)
    {
        var temp = AtomicFile.TempPathBeside(path);
        try
        {
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            using (var w = new Utf8JsonWriter(file))
            {
                w.WriteStartObject();
                w.WriteNumber("version", FormatVersion);
                w.WriteStartArray("records");
                var buffer = Array.Empty<byte>();
                foreach (var r in _sorted)
                {
                    if (buffer.Length < r.JsonLength) buffer = new byte[Math.Max(r.JsonLength, 1 << 16)];
                    _spill.Seek(r.JsonOffset, SeekOrigin.Begin);
                    _spill.ReadExactly(buffer, 0, r.JsonLength);
                    w.WriteStartObject();
                    w.WriteString("subdir", r.Subdir);
                    w.WriteString("fn", r.FileName);
                    w.WriteString("url", r.Record.Url);
                    if (r.Record.Channel is { } channel) w.WriteString("channel", channel);
                    if (r.Record.Record.Sha256 is { } sha256) w.WriteString("sha256", sha256);
                    w.WritePropertyName("record");
                    w.WriteRawValue(buffer.AsSpan(0, r.JsonLength), skipInputValidation: true);
                    w.WriteEndObject();
                    if (w.BytesPending > 1 << 16) w.Flush();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            if (File.Exists(path) && FileHashes.Compute(path).Sha256 == FileHashes.Compute(temp).Sha256)
            {
                File.Delete(temp);
                return false;
            }
            File.Move(temp, path, overwrite: true);
            return true;
        }
        finally
        {
            AtomicFile.TryDelete(temp);
        }
    }

    private const int FormatVersion = 1;

    /// <summary>The selection file's records; none when the file does not exist (no CondaChannelSubset items).</summary>
    public static IReadOnlyList<SelectionEntry> Read(string path)
    {
        if (!File.Exists(path)) return Array.Empty<SelectionEntry>();
        try
        {
            using var stream = File.OpenRead(path);
            using var document = JsonDocument.Parse(stream);
            var root = document.RootElement;
            if (root.GetProperty("version").GetInt32() != FormatVersion)
                throw new JsonException($"format version {root.GetProperty("version")} is not {FormatVersion}");
            var result = new List<SelectionEntry>();
            foreach (var e in root.GetProperty("records").EnumerateArray())
                result.Add(new SelectionEntry(
                    e.GetProperty("subdir").GetString()!, e.GetProperty("fn").GetString()!, e.GetProperty("url").GetString()!,
                    e.TryGetProperty("channel", out var c) ? c.GetString() : null,
                    e.TryGetProperty("sha256", out var s) ? s.GetString() : null,
                    System.Text.Encoding.UTF8.GetBytes(e.GetProperty("record").GetRawText())));
            return result;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or IOException)
        {
            throw new CondaMirrorException(ErrorCodes.SubsetSelectionInvalid,
                $"The channel subset selection {path} is unreadable ({e.Message}). Delete it and build again; the subset step writes it anew.", path, e);
        }
    }
}
