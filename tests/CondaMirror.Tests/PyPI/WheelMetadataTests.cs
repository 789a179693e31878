using System.IO.Compression;
using System.Text;
using CondaMirror.Core.PyPI;
using CondaMirror.TestKit;
using Xunit;

namespace CondaMirror.Tests.PyPI;

public sealed class WheelMetadataTests : IDisposable
{
    private readonly TempDirectory _dir = new("wheel-metadata");

    public void Dispose() => _dir.Dispose();

    private (string Path, WheelFileName Wheel) Zip(string fileName, params (string Name, string Text)[] members)
    {
        var path = _dir.Combine(fileName);
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
            foreach (var (name, text) in members)
            {
                using var s = zip.CreateEntry(name).Open();
                s.Write(Encoding.UTF8.GetBytes(text));
            }
        Assert.True(WheelFileName.TryParse(fileName, out var wheel));
        return (path, wheel);
    }

    [Fact]
    public void Reads_the_dist_info_metadata_whose_name_normalizes_to_the_wheels()
    {
        var (path, wheel) = Zip("Foo.Bar-1.0-py3-none-any.whl",
            ("foo_bar/__init__.py", ""), ("Foo.Bar-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: Foo.Bar\nVersion: 1.0\n\nName: not-a-header\n"));
        var bytes = WheelMetadata.TryRead(path, wheel, out var problem);
        Assert.Null(problem);
        Assert.StartsWith("Metadata-Version: 2.1", Encoding.UTF8.GetString(bytes!));
    }

    [Theory]
    [InlineData("other-1.0.dist-info/METADATA", "Name: other\n", "no <name>-<version>.dist-info/METADATA")]
    [InlineData("alpha-1.0.dist-info/METADATA", "Name: other\nVersion: 1.0\n", "names project 'other'")]
    [InlineData("nested/alpha-1.0.dist-info/METADATA", "Name: alpha\n", "no <name>-<version>.dist-info/METADATA")]
    public void Metadata_that_is_not_the_wheels_own_is_not_served(string member, string text, string expected)
    {
        var (path, wheel) = Zip("alpha-1.0-py3-none-any.whl", (member, text));
        Assert.Null(WheelMetadata.TryRead(path, wheel, out var problem));
        Assert.Contains(expected, problem);
    }

    [Fact]
    public void Two_dist_infos_of_the_project_are_ambiguous()
    {
        var (path, wheel) = Zip("alpha-1.0-py3-none-any.whl",
            ("alpha-1.0.dist-info/METADATA", "Name: alpha\n"), ("Alpha-2.0.dist-info/METADATA", "Name: alpha\n"));
        Assert.Null(WheelMetadata.TryRead(path, wheel, out var problem));
        Assert.Contains("more than one", problem);
    }

    [Fact]
    public void Oversized_metadata_is_refused_while_inflating()
    {
        // Highly compressible: a few KB on disk, more than the limit once inflated.
        var (path, wheel) = Zip("alpha-1.0-py3-none-any.whl", ("alpha-1.0.dist-info/METADATA", "Name: alpha\n\n" + new string('x', WheelMetadata.MaxBytes + 10)));
        Assert.True(new FileInfo(path).Length < 100_000);
        Assert.Null(WheelMetadata.TryRead(path, wheel, out var problem));
        Assert.Contains("larger than", problem);
    }
}
