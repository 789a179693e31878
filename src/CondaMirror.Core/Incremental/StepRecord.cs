using System.Text.Json;
using System.Text.Json.Serialization;
using CondaMirror.Core.Errors;
using CondaMirror.Core.IO;

namespace CondaMirror.Core.Incremental;

/// <summary>
/// The record of one step's last complete run, in obj/condamirror/&lt;step&gt;.step.json: the hash of each input, the input
/// files with the identity they had when hashed, and every file the step wrote with its identity. It is removed before
/// the step starts and written after it finished, so a run that failed part-way never lets a later build skip the
/// step. Clean, plan and incremental builds all read it: clean removes exactly the files it lists as owned.
/// </summary>
public sealed class StepRecord
{
    public const int SchemaVersion = 1;
    public const string RecordSuffix = ".step.json";
    private const long MaxBytes = 256L << 20;

    public int Schema { get; init; } = SchemaVersion;
    public string Step { get; init; } = "";
    public string Fingerprint { get; init; } = "";
    public SortedDictionary<string, string> Inputs { get; init; } = new(StringComparer.Ordinal);
    public SortedDictionary<string, InputFile> InputFiles { get; init; } = new(StringComparer.Ordinal);
    public List<StepOutput> Outputs { get; init; } = new();

    /// <summary>Files the step found it had to read (imports a project names): inputs of the next check, by content.</summary>
    public List<string> ReadFiles { get; init; } = new();

    /// <summary>What the step's run produced, in one line, shown again when a later build finds it up to date.</summary>
    public string? Summary { get; init; }

    /// <summary>Values the step hands to later steps (paths of files it prepared), handed on again when a later build finds it up to date.</summary>
    public List<string> Results { get; init; } = new();

    /// <summary>The record file of <paramref name="step"/> in <paramref name="stateDirectory"/>.</summary>
    public static string PathFor(string stateDirectory, string step) => Path.Combine(stateDirectory, step + RecordSuffix);

    /// <summary>The record, or null when there is none or it cannot be read (then the step simply runs).</summary>
    public static StepRecord? Load(string stateDirectory, string step)
    {
        var path = PathFor(stateDirectory, step);
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists || info.Length > MaxBytes) return null;
            var record = JsonSerializer.Deserialize(File.ReadAllBytes(path), StepRecordJson.Default.StepRecord);
            return record is { Schema: SchemaVersion } && record.Step == step ? record : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or NotSupportedException)
        {
            return null; // only ever a shortcut: an unreadable record means "run the step"
        }
    }

    /// <summary>Why the step must run, or null when it is up to date: same inputs, every output present and unchanged.</summary>
    public static string? WhyRun(StepRecord? record, StepInputs inputs) => WhyRun(record, inputs, out _);

    /// <summary>
    /// As <see cref="WhyRun(StepRecord?, StepInputs)"/>. An output whose record holds its sha256 (an archive, often a
    /// hard link to the package cache or to a local package file) and whose identity changed only in its change time
    /// is checked by content: another link to the same file made or removed elsewhere (another project's channel,
    /// MSBuild's IncrementalClean removing an old output folder) changes the change time of every link and is no edit.
    /// When such a check passed, or an input file was hashed again because its identity moved and hashed the same,
    /// <paramref name="renewed"/> is the record with the identities as they are now, for the caller to keep, so the next
    /// build does not hash the file again.
    /// </summary>
    public static string? WhyRun(StepRecord? record, StepInputs inputs, out StepRecord? renewed)
    {
        renewed = null;
        if (record is null) return "no record of a complete earlier run";
        if (record.Fingerprint != inputs.Fingerprint())
        {
            var changed = inputs.Hashes.Where(kv => !record.Inputs.TryGetValue(kv.Key, out var old) || old != kv.Value).Select(kv => kv.Key)
                .Concat(record.Inputs.Keys.Where(k => !inputs.Hashes.ContainsKey(k))).Distinct().ToList();
            return changed.Count == 0 ? "its inputs changed" : $"{string.Join(", ", changed)} changed";
        }
        List<StepOutput>? outputs = null;
        for (var i = 0; i < record.Outputs.Count; i++)
        {
            var output = record.Outputs[i];
            FileIdentity now;
            try { now = FileIdentity.Of(output.Path); }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException or IOException)
            {
                return $"{output.Path} is missing";
            }
            if (now == output.Identity) continue;
            if (output.Sha256 is null || !now.SameExceptChangeTime(output.Identity) || !SameContent(output.Path, output.Sha256))
                return $"{output.Path} was changed since this step wrote it";
            outputs ??= new List<StepOutput>(record.Outputs);
            outputs[i] = output with { Identity = now };
        }
        // Input files hashed again because their identity moved (a link made to a cached archive) hashed the same, or
        // the fingerprint would differ: their new identities are kept too, so no-op builds stop hashing them.
        var inputFilesMoved = inputs.Files.Count != record.InputFiles.Count
            || inputs.Files.Any(kv => !record.InputFiles.TryGetValue(kv.Key, out var old) || old != kv.Value);
        if (outputs is not null || inputFilesMoved) renewed = new StepRecord
        {
            Step = record.Step, Fingerprint = record.Fingerprint, Inputs = record.Inputs,
            InputFiles = inputFilesMoved ? new SortedDictionary<string, InputFile>(inputs.Files.ToDictionary(kv => kv.Key, kv => kv.Value), StringComparer.Ordinal) : record.InputFiles,
            Outputs = outputs ?? record.Outputs, ReadFiles = record.ReadFiles, Summary = record.Summary, Results = record.Results,
        };
        return null;
    }

    private static bool SameContent(string path, string sha256)
    {
        try { return string.Equals(FileHashes.Sha256Of(path), sha256, StringComparison.OrdinalIgnoreCase); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }

    /// <summary>Keeps a record whose output identities <see cref="WhyRun(StepRecord?, StepInputs, out StepRecord?)"/> renewed.</summary>
    public static void Keep(string stateDirectory, StepRecord record) => Write(stateDirectory, record);

    /// <summary>Removes the record before the step writes anything.</summary>
    public static void Forget(string stateDirectory, string step)
    {
        var path = PathFor(stateDirectory, step);
        // Something else in its place (a folder) must fail here too, or it would be taken for "no record" and survive.
        try { if (File.Exists(path) || Directory.Exists(path)) File.Delete(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CondaMirrorException(ErrorCodes.StepRecordFailed,
                $"Cannot remove the {step} step's record '{path}': {e.Message} Check that the obj folder is writable.", path, e);
        }
    }

    /// <summary>Writes the record of a complete run: the inputs as they are now, and each output's identity as it is now.</summary>
    public static StepRecord Save(string stateDirectory, StepInputs inputs, StepOutcome outcome)
    {
        var outputs = new List<StepOutput>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        void AddOutputs(IEnumerable<string> paths, bool owned)
        {
            foreach (var path in paths)
            {
                var full = Path.GetFullPath(path);
                if (!seen.Add(full) || !File.Exists(full)) continue;
                string? sha256 = null;
                outcome.Sha256s?.TryGetValue(path, out sha256);
                outputs.Add(new StepOutput(full, FileIdentity.Of(full), owned, sha256));
            }
        }
        AddOutputs(outcome.Owned, owned: true);
        AddOutputs(outcome.Tracked ?? Array.Empty<string>(), owned: false);
        outputs.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        var record = new StepRecord
        {
            Step = inputs.Step,
            Fingerprint = inputs.Fingerprint(),
            Inputs = new SortedDictionary<string, string>(inputs.Hashes.ToDictionary(kv => kv.Key, kv => kv.Value), StringComparer.Ordinal),
            InputFiles = new SortedDictionary<string, InputFile>(inputs.Files.ToDictionary(kv => kv.Key, kv => kv.Value), StringComparer.Ordinal),
            Outputs = outputs,
            ReadFiles = (outcome.ReadFiles ?? Array.Empty<string>()).Select(Path.GetFullPath).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList(),
            Summary = outcome.Summary,
            Results = (outcome.Results ?? Array.Empty<string>()).ToList(),
        };
        Write(stateDirectory, record);
        return record;
    }

    private static void Write(string stateDirectory, StepRecord record)
    {
        var path = PathFor(stateDirectory, record.Step);
        try
        {
            Directory.CreateDirectory(stateDirectory);
            AtomicFile.WriteAllBytes(path, JsonSerializer.SerializeToUtf8Bytes(record, StepRecordJson.Default.StepRecord));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CondaMirrorException(ErrorCodes.StepRecordFailed,
                $"Cannot write the {record.Step} step's record '{path}': {e.Message} Check that the obj folder is writable and the disk has space.", path, e);
        }
    }

    /// <summary>Every step record in the folder (for clean and for listing what a build wrote).</summary>
    public static IReadOnlyList<StepRecord> LoadAll(string stateDirectory)
    {
        if (!Directory.Exists(stateDirectory)) return Array.Empty<StepRecord>();
        return Directory.EnumerateFiles(stateDirectory, "*" + RecordSuffix)
            .Select(f => Load(stateDirectory, Path.GetFileName(f)[..^RecordSuffix.Length]))
            .OfType<StepRecord>()
            .ToList();
    }
}

/// <summary>What a complete run of a step leaves for its record.</summary>
/// <param name="Owned">Files the step wrote and clean removes (channel files, bundles).</param>
/// <param name="Tracked">Files the step wrote that are the user's (the lock): checked, never removed.</param>
/// <param name="ReadFiles">Files the step decided to read beyond its parameters; their content is an input of the next check.</param>
/// <param name="Summary">One line on what the step produced, repeated by a later no-op build.</param>
/// <param name="Sha256s">The sha256 of written files the step knows without reading them again (archives, by path as given in
/// <paramref name="Owned"/>): such a file whose change time alone moved is checked by content, not taken as changed.</param>
/// <param name="Results">Values the step hands to later steps, given back from the record when a later build skips it.</param>
public sealed record StepOutcome(IEnumerable<string> Owned, IEnumerable<string>? Tracked = null, IEnumerable<string>? ReadFiles = null, string? Summary = null,
    IReadOnlyDictionary<string, string>? Sha256s = null, IEnumerable<string>? Results = null)
{
    public static StepOutcome Nothing { get; } = new(Array.Empty<string>());
}

/// <summary>A file a step wrote. Owned files are the build's to remove on clean; tracked ones (the lock) are only checked.
/// <paramref name="Sha256"/>: its content hash when the step knew it (archives), else null.</summary>
public sealed record StepOutput(string Path, FileIdentity Identity, bool Owned, string? Sha256 = null);

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(StepRecord))]
internal sealed partial class StepRecordJson : JsonSerializerContext;
