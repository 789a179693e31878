using CondaMirror.Core.Records;
using CondaMirror.Core.Solving;

namespace CondaMirror.Tests.Solving;

/// <summary>A package source over records built in code; counts GetRecords calls to check laziness.</summary>
internal sealed class InMemoryPackageSource : IPackageSource
{
    public const string DefaultChannel = "https://repo.example/channel-a";
    private readonly List<RepodataRecord> _records = new();
    public Dictionary<string, int> Fetches { get; } = new();

    public InMemoryPackageSource Add(string name, string version, string build = "0", string[]? depends = null,
        string[]? constrains = null, long buildNumber = 0, string? trackFeatures = null, long? timestamp = null,
        string ext = ".conda", string channel = DefaultChannel, string subdir = "linux-64")
    {
        var record = new PackageRecord
        {
            Name = name, Version = version, Build = build, BuildNumber = buildNumber, Subdir = subdir,
            Depends = depends?.ToList() ?? new(), Constrains = constrains?.ToList() ?? new(),
            TrackFeatures = trackFeatures, Timestamp = timestamp,
        };
        var file = $"{name}-{version}-{build}{ext}";
        _records.Add(new RepodataRecord(record, $"{channel}/{subdir}/{file}", file, channel));
        return this;
    }

    public IReadOnlyList<RepodataRecord> GetRecords(string name)
    {
        Fetches[name] = Fetches.GetValueOrDefault(name) + 1;
        return _records.Where(r => r.Record.Name == name).ToList();
    }

    public bool HasName(string name) => _records.Any(r => r.Record.Name == name);
    public IEnumerable<string> AllNames => _records.Select(r => r.Record.Name).Distinct();

    public void Shuffle(int seed)
    {
        var rng = new Random(seed);
        for (var i = _records.Count - 1; i > 0; i--)
        {
            var j = rng.Next(i + 1);
            (_records[i], _records[j]) = (_records[j], _records[i]);
        }
    }
}
