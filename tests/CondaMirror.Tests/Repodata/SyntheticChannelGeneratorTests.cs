using System.Text.RegularExpressions;
using CondaMirror.Core.Records;
using CondaMirror.Core.Repodata;
using CondaMirror.TestKit;
using CondaMirror.TestKit.Synthetic;
using Xunit;

namespace CondaMirror.Tests.Repodata;

public class SyntheticChannelGeneratorTests
{
    [Fact]
    public void Every_dependency_names_a_package_of_the_channel_with_a_matching_build()
    {
        using var temp = new TempDirectory("synthetic");
        var counts = new SyntheticChannelGenerator(scale: 0.002, seed: 9).WriteChannel(temp.Path);
        var channel = new Uri(temp.Path + Path.DirectorySeparatorChar);
        var subdirs = SyntheticChannelGenerator.Subdirs.Select(s => SparseRepodata.LoadFile(temp.Combine(s, "repodata.json"), channel, s)).ToList();
        Assert.Equal(counts.Values.Sum(), subdirs.Sum(s => s.RecordCount));

        var byName = subdirs.SelectMany(s => s.AllRecords()).GroupBy(r => r.Record.Name).ToDictionary(g => g.Key, g => g.Select(r => r.Record).ToList());
        foreach (var record in byName.Values.SelectMany(r => r))
            foreach (var dependency in record.Depends)
            {
                var parts = dependency.Split(' ');
                Assert.True(byName.ContainsKey(parts[0]), $"{record} depends on missing package {parts[0]}");
                if (parts.Length == 3)
                {
                    var glob = new Regex("^" + Regex.Escape(parts[2]).Replace("\\*", ".*") + "$");
                    Assert.True(byName[parts[0]].Any(r => glob.IsMatch(r.Build)), $"{record}: no build of {parts[0]} matches {parts[2]}");
                }
            }

        foreach (var name in SyntheticChannelGenerator.BenchmarkRequest.Concat(new[] { "python", "numpy", "scipy", "libblas", "openssl" }))
            Assert.True(byName.ContainsKey(name), name);
        Assert.Contains(byName["python_abi"], r => r.Build == "4_cp312");
    }

    [Fact]
    public void Scale_sets_the_size_and_popular_names_exist()
    {
        var generator = new SyntheticChannelGenerator(scale: 0.001, seed: 1);
        using var buffer = new MemoryStream();
        var records = generator.WriteRepodata("noarch", buffer);
        Assert.InRange(records, 50, 2_000);
        Assert.Equal(50, generator.PopularNames.Count);
        Assert.Contains("pandas", generator.ScientificStack);
    }
}
