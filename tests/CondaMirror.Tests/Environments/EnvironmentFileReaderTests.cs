using System.Text;
using CondaMirror.Core.Environments;
using CondaMirror.Core.Errors;
using CondaMirror.TestKit;
using Xunit;

namespace CondaMirror.Tests.Environments;

/// <summary>conda's environment.yml: every key form conda documents, and hostile YAML refused with one code each.</summary>
public class EnvironmentFileReaderTests
{
    private static EnvironmentFile Parse(string text) => EnvironmentFileReader.Parse(text, "/work/environment.yml");

    private static CondaMirrorException Fails(string text) =>
        Assert.Throws<CondaMirrorException>(() => Parse(text));

    [Fact]
    public void Reads_name_channels_every_spec_form_and_the_pip_sub_list_with_their_lines()
    {
        var file = Parse("""
            name: analysis
            channels:
              - conda-forge
              - https://conda.example.org/extra
              - nodefaults
            dependencies:
              - python=3.11
              - numpy>=1.26
              - pkg=1.2=build_0
              - bioconda::samtools
              - "scipy 1.11.*"
              - pip
              - pip:
                  - requests==2.31
                  - -e ./local
            """);
        Assert.Equal("analysis", file.Name);
        Assert.Equal(new[] { "conda-forge", "https://conda.example.org/extra", "bioconda" }, file.Channels.Select(c => c.Value));
        Assert.Equal(new[] { 3, 4, 10 }, file.Channels.Select(c => c.Line));
        Assert.Equal(new[] { "python=3.11", "numpy>=1.26", "pkg=1.2=build_0", "bioconda::samtools", "scipy 1.11.*", "pip" },
            file.Dependencies.Select(d => d.Value));
        Assert.Equal(new[] { 7, 8, 9, 10, 11, 12 }, file.Dependencies.Select(d => d.Line));
        Assert.Equal(new[] { "requests==2.31", "-e ./local" }, file.PipEntries);
        Assert.Equal(13, file.PipLine);
        Assert.Empty(file.IgnoredKeys);
    }

    [Fact]
    public void A_pinned_channel_already_listed_is_not_added_again_and_flow_style_is_read()
    {
        var file = Parse("{channels: [conda-forge], dependencies: [conda-forge::python, 'numpy >=1.26,<2']}");
        Assert.Equal(new[] { "conda-forge" }, file.Channels.Select(c => c.Value));
        Assert.Equal(new[] { "conda-forge::python", "numpy >=1.26,<2" }, file.Dependencies.Select(d => d.Value));
        Assert.Null(file.Name);
        Assert.Empty(file.PipEntries);
        Assert.Equal(0, file.PipLine);
    }

    [Fact]
    public void A_pin_by_url_adds_that_channel_and_a_pin_by_name_of_a_listed_url_does_not()
    {
        var file = Parse("""
            channels:
              - http://127.0.0.1:8080/main/
            dependencies:
              - main::python
              - http://127.0.0.1:8080/extra::tool
            """);
        Assert.Equal(new[] { "http://127.0.0.1:8080/main/", "http://127.0.0.1:8080/extra" }, file.Channels.Select(c => c.Value));
        Assert.Equal(5, file.Channels[1].Line);
    }

    [Fact]
    public void Conda_own_keys_are_ignored_quietly_and_unknown_ones_reported()
    {
        var file = Parse("""
            name: x
            prefix: /opt/conda/envs/x
            variables:
              MY_VAR: 1
            dependencie:
              - typo
            dependencies:
              - python
            """);
        Assert.Equal(new[] { ("prefix", 2, true), ("variables", 3, true), ("dependencie", 5, false) },
            file.IgnoredKeys.Select(k => (k.Key, k.Line, k.Known)));
    }

    [Fact]
    public void Defaults_is_CMIR426_at_its_line()
    {
        var error = Fails("channels:\n  - conda-forge\n  - defaults\ndependencies:\n  - python\n");
        Assert.Equal("CMIR426", error.Code);
        Assert.Equal(3, error.Line);
        Assert.Equal("/work/environment.yml", error.File);
    }

    [Theory]
    [InlineData("dependencies:\n  - python\n  - 'numpy >=>1'\n", "CMIR425", 3)]
    [InlineData("dependencies:\n  - python\n  - ''\n", "CMIR422", 3)]
    [InlineData("dependencies: python\n", "CMIR422", 1)]
    [InlineData("channels: conda-forge\ndependencies:\n  - python\n", "CMIR422", 1)]
    [InlineData("dependencies:\n  - python\n  - npm:\n      - left-pad\n", "CMIR422", 3)]
    [InlineData("dependencies:\n  - [python]\n", "CMIR422", 2)]
    [InlineData("name: a\nname: b\ndependencies:\n  - python\n", "CMIR422", 2)]
    [InlineData("name: a\n", "CMIR422", 1)]
    [InlineData("", "CMIR422", 1)]
    [InlineData("- python\n", "CMIR422", 1)]
    [InlineData("dependencies:\n  - python\n  - [unclosed\n", "CMIR422", 4)]
    [InlineData("dependencies:\n  - python\n---\ndependencies:\n  - numpy\n", "CMIR422", 3)]
    public void Shapes_conda_does_not_accept_are_coded_errors_at_their_line(string text, string code, int line)
    {
        var error = Fails(text);
        Assert.Equal(code, error.Code);
        Assert.Equal(line, error.Line);
    }

    [Fact]
    public void Billion_laughs_is_refused_at_the_first_alias_before_anything_is_expanded()
    {
        var text = new StringBuilder("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for (var i = 1; i < 10; i++)
            text.Append($"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]\n");
        text.Append("dependencies: *a9\n");
        var error = Fails(text.ToString());
        Assert.Equal("CMIR423", error.Code);
        Assert.Equal(2, error.Line);
    }

    [Fact]
    public void Deep_nesting_is_CMIR424()
    {
        var text = "dependencies:\n  - python\nx: " + new string('[', 10_000) + new string(']', 10_000) + "\n";
        var error = Fails(text);
        Assert.Equal("CMIR424", error.Code);
        Assert.Equal(3, error.Line);
    }

    [Fact]
    public void A_huge_document_is_CMIR421_from_its_size_and_many_small_values_from_their_count()
    {
        using var dir = new TempDirectory("envfile");
        var huge = dir.Combine("huge.yml");
        using (var stream = File.Create(huge)) stream.SetLength(EnvironmentFileReader.MaxBytes + 1);
        Assert.Equal("CMIR421", Assert.Throws<CondaMirrorException>(() => EnvironmentFileReader.Read(huge)).Code);

        // Under the byte limit, but more values than any environment file holds.
        var many = "x: [" + string.Join(",", Enumerable.Repeat("1", EnvironmentFileReader.MaxNodes)) + "]\ndependencies: [python]\n";
        Assert.True(many.Length < EnvironmentFileReader.MaxBytes);
        Assert.Equal("CMIR421", Fails(many).Code);
    }

    [Fact]
    public void A_missing_file_is_CMIR420_naming_it()
    {
        using var dir = new TempDirectory("envfile");
        var missing = dir.Combine("environment.yml");
        var error = Assert.Throws<CondaMirrorException>(() => EnvironmentFileReader.Read(missing));
        Assert.Equal("CMIR420", error.Code);
        Assert.Equal(missing, error.File);
    }

    [Fact]
    public void Reads_a_file_from_disk()
    {
        using var dir = new TempDirectory("envfile");
        var path = dir.Combine("environment.yml");
        File.WriteAllText(path, "name: disk\ndependencies:\n  - python=3.11\n");
        var file = EnvironmentFileReader.Read(path);
        Assert.Equal(path, file.Path);
        Assert.Equal("python=3.11", Assert.Single(file.Dependencies).Value);
    }
}
