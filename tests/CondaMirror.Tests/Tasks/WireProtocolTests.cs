using System.Collections;
using CondaMirror.MSBuild.TaskRunner.Wire;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using Xunit;

namespace CondaMirror.Tests.Tasks;

/// <summary>The out-of-process route's records: any text survives a line, any parameter value its round trip.</summary>
public sealed class WireProtocolTests
{
    [Fact]
    public void Fields_with_tabs_newlines_backslashes_and_nulls_survive_one_line()
    {
        var fields = new string?[] { "message", "a\tb", "line1\nline2\r\n", "C:\\path\\to\\", null, "", "\\0", "ünïcødé ✓" };
        var line = WireRecord.Join(fields);
        Assert.DoesNotContain('\n', line);
        Assert.DoesNotContain('\r', line);
        Assert.Equal(fields, WireRecord.Split(line));
    }

    private static object? RoundTrip(object? value, Type type)
    {
        var fields = new List<string?> { "param", "Name" };
        WireValue.Append(fields, value);
        var split = WireRecord.Split(WireRecord.Join(fields));
        var index = 2;
        var read = WireValue.Read(split, ref index, type, item => new TaskItemFromWire(item));
        Assert.Equal(split.Length, index);
        return read;
    }

    [Fact]
    public void Scalars_and_arrays_come_back_as_the_parameter_type_in_the_invariant_culture()
    {
        var culture = Thread.CurrentThread.CurrentCulture;
        Thread.CurrentThread.CurrentCulture = new System.Globalization.CultureInfo("de-DE");
        try
        {
            Assert.Equal(true, RoundTrip(true, typeof(bool)));
            Assert.Equal(2147483648L, RoundTrip(2147483648L, typeof(long)));
            Assert.Equal(0.1 + 0.2, RoundTrip(0.1 + 0.2, typeof(double)));
            Assert.Equal("x;y", RoundTrip("x;y", typeof(string)));
            Assert.Null(RoundTrip(null, typeof(string)));
            Assert.Equal(0, RoundTrip(null, typeof(int)));
            Assert.Equal(new[] { "lock linux-64 1", "", "a\tb" }, RoundTrip(new[] { "lock linux-64 1", "", "a\tb" }, typeof(string[])));
        }
        finally
        {
            Thread.CurrentThread.CurrentCulture = culture;
        }
    }

    [Fact]
    public void Items_keep_their_include_every_custom_metadata_escaped_and_their_defining_project()
    {
        var item = new TaskItem("python 3.9%2A", new Dictionary<string, string>
        {
            ["BearerToken"] = "t;o%25k$(x)",
            ["Version"] = "",
            ["Multi"] = "a\nb",
        });
        var read = (ITaskItem[])RoundTrip(new ITaskItem[] { item, new TaskItem("second") }, typeof(ITaskItem[]))!;
        Assert.Equal(2, read.Length);
        Assert.Equal("python 3.9*", read[0].ItemSpec);
        Assert.Equal("python 3.9%2A", ((ITaskItem2)read[0]).EvaluatedIncludeEscaped);
        Assert.Equal("t;o%k$(x)", read[0].GetMetadata("BearerToken"));
        Assert.Equal("a\nb", read[0].GetMetadata("Multi"));
        Assert.Equal("second", read[1].ItemSpec);
        Assert.Empty(read[1].CloneCustomMetadata());
        // A single item, and the defining project only the parent's item knows.
        var defined = (ITaskItem)RoundTrip(new DefinedItem("pip"), typeof(ITaskItem))!;
        Assert.Equal("/src/Directory.Build.props", defined.GetMetadata("DefiningProjectFullPath"));
    }

    /// <summary>The receiving side's item: MSBuild's TaskItem from the escaped forms, defining project aside.</summary>
    private sealed class TaskItemFromWire : ITaskItem2
    {
        private readonly TaskItem _item;
        private readonly IDictionary<string, string> _defining;

        public TaskItemFromWire(WireItem wire)
        {
            _item = new TaskItem(wire.EscapedSpec, (IDictionary)new Dictionary<string, string>(wire.EscapedMetadata));
            _defining = wire.DefiningProject;
        }

        public string ItemSpec { get => _item.ItemSpec; set => _item.ItemSpec = value; }
        public ICollection MetadataNames => _item.MetadataNames;
        public int MetadataCount => _item.MetadataCount;
        public string EvaluatedIncludeEscaped { get => ((ITaskItem2)_item).EvaluatedIncludeEscaped; set => ((ITaskItem2)_item).EvaluatedIncludeEscaped = value; }
        public string GetMetadata(string name) => _defining.TryGetValue(name, out var v) ? v : _item.GetMetadata(name);
        public string GetMetadataValueEscaped(string name) => ((ITaskItem2)_item).GetMetadataValueEscaped(name);
        public void SetMetadata(string name, string value) => _item.SetMetadata(name, value);
        public void SetMetadataValueLiteral(string name, string value) => ((ITaskItem2)_item).SetMetadataValueLiteral(name, value);
        public void RemoveMetadata(string name) => _item.RemoveMetadata(name);
        public void CopyMetadataTo(ITaskItem destination) => _item.CopyMetadataTo(destination);
        public IDictionary CloneCustomMetadata() => _item.CloneCustomMetadata();
        public IDictionary CloneCustomMetadataEscaped() => ((ITaskItem2)_item).CloneCustomMetadataEscaped();
    }

    /// <summary>An item as an evaluated project hands it over: defined in a Directory.Build.props.</summary>
    private sealed class DefinedItem(string spec) : ITaskItem
    {
        public string ItemSpec { get; set; } = spec;
        public ICollection MetadataNames => Array.Empty<string>();
        public int MetadataCount => 0;
        public string GetMetadata(string name) => name == "DefiningProjectFullPath" ? "/src/Directory.Build.props" : "";
        public void SetMetadata(string name, string value) { }
        public void RemoveMetadata(string name) { }
        public void CopyMetadataTo(ITaskItem destination) { }
        public IDictionary CloneCustomMetadata() => new Hashtable();
    }
}
