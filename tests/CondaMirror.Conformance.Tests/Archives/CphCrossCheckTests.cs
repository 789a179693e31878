using System.Diagnostics;
using System.Text;
using System.Text.Json;
using CondaMirror.Core.Archives;
using CondaMirror.Core.Records;
using CondaMirror.TestKit;
using Xunit;

namespace CondaMirror.Conformance.Tests.Archives;

/// <summary>
/// Cross-checks against conda-package-handling's <c>cph</c> (the reference implementation conda itself uses):
/// our packages must extract with it, and packages it builds must read with us. Skipped when cph (or bzip2)
/// is not installed, except under CI=true where a missing tool is a failure. Takes a few seconds (Python start-up).
/// </summary>
public class CphCrossCheckTests
{
    private static readonly PackageRecord Record = new()
    {
        Name = "crosscheck",
        Version = "2.0.1",
        Build = "py_0",
        BuildNumber = 0,
        Subdir = "noarch",
        Noarch = "python",
        Depends = { "python >=3.8" },
        License = "MIT",
    };

    /// <summary>The record above as conda-build writes index.json (sorted keys), typed out here rather than serialised by our code.</summary>
    private const string IndexJson = """
        {
          "build": "py_0",
          "build_number": 0,
          "depends": [
            "python >=3.8"
          ],
          "license": "MIT",
          "name": "crosscheck",
          "noarch": "python",
          "subdir": "noarch",
          "version": "2.0.1"
        }
        """;

    private static void AssertIndexJson(JsonElement index)
    {
        Assert.Equal(new[] { "build", "build_number", "depends", "license", "name", "noarch", "subdir", "version" }, index.EnumerateObject().Select(p => p.Name));
        Assert.Equal("py_0", index.GetProperty("build").GetString());
        Assert.Equal(0, index.GetProperty("build_number").GetInt64());
        Assert.Equal(new[] { "python >=3.8" }, index.GetProperty("depends").EnumerateArray().Select(d => d.GetString()));
        Assert.Equal("MIT", index.GetProperty("license").GetString());
        Assert.Equal("crosscheck", index.GetProperty("name").GetString());
        Assert.Equal("python", index.GetProperty("noarch").GetString());
        Assert.Equal("noarch", index.GetProperty("subdir").GetString());
        Assert.Equal("2.0.1", index.GetProperty("version").GetString());
    }

    private static List<PackageFileEntry> Files() => new()
    {
        new("site-packages/crosscheck/__init__.py", "VERSION = '2.0.1'\n"u8.ToArray()),
        new("site-packages/crosscheck/" + string.Join("/", Enumerable.Repeat("long_directory_name", 7)) + "/deep.py", "x = 1\n"u8.ToArray()),
        new("bin/crosscheck", "#!/bin/sh\necho hi\n"u8.ToArray(), 0b111_101_101),
        new("share/empty.txt", Array.Empty<byte>()),
        new("info/run_exports.json", """{"weak": ["crosscheck >=2"]}"""u8.ToArray()),
    };

    [SkippableTheory]
    [InlineData(".conda")]
    [InlineData(".tar.bz2")]
    public void Cph_extracts_our_packages_with_identical_contents(string extension)
    {
        var cph = RequireTool("cph");
        using var dir = new TempDirectory();
        var package = dir.Combine("crosscheck-2.0.1-py_0" + extension);
        PackageArchiveWriter.Write(package, Record, Files());
        var dest = dir.Combine("extracted");

        Run(cph, $"x \"{package}\" --dest \"{dest}\"");

        foreach (var file in Files())
        {
            var extracted = Path.Combine(dest, file.Path);
            Assert.True(File.Exists(extracted), $"cph did not extract {file.Path}");
            Assert.Equal(file.Content, File.ReadAllBytes(extracted));
        }
        if (!OperatingSystem.IsWindows())
            Assert.True(File.GetUnixFileMode(Path.Combine(dest, "bin/crosscheck")).HasFlag(UnixFileMode.UserExecute));
        // index.json as cph extracted it, read with System.Text.Json against the literal values (not our parser).
        using (var index = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dest, "info/index.json"))))
            AssertIndexJson(index.RootElement);
        Assert.True(File.Exists(Path.Combine(dest, "info/paths.json")));
        Assert.True(File.Exists(Path.Combine(dest, "info/about.json")));
        // Nothing beyond what we wrote (plus the three generated info files).
        var all = Directory.EnumerateFiles(dest, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(dest, f).Replace('\\', '/')).Order(StringComparer.Ordinal);
        var expected = Files().Select(f => f.Path).Concat(new[] { "info/index.json", "info/paths.json", "info/about.json" }).Order(StringComparer.Ordinal);
        Assert.Equal(expected, all);
    }

    [SkippableFact]
    public void Bzip2_tool_verifies_our_tar_bz2()
    {
        var bzip2 = RequireTool("bzip2");
        using var dir = new TempDirectory();
        var package = dir.Combine("crosscheck-2.0.1-py_0.tar.bz2");
        PackageArchiveWriter.Write(package, Record, Files());

        Run(bzip2, $"-t \"{package}\"");
    }

    [SkippableTheory]
    [InlineData(".conda")]
    [InlineData(".tar.bz2")]
    public void Packages_built_by_cph_are_read(string extension)
    {
        var cph = RequireTool("cph");
        using var dir = new TempDirectory();
        var prefix = dir.Combine("prefix");
        foreach (var file in Files())
        {
            var target = Path.Combine(prefix, file.Path);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.WriteAllBytes(target, file.Content);
        }
        File.WriteAllText(Path.Combine(prefix, "info/index.json"), IndexJson);
        File.WriteAllText(Path.Combine(prefix, "info/about.json"), """{"license": "MIT", "summary": "made by cph"}""");
        var output = dir.Combine("out");
        Directory.CreateDirectory(output);

        Run(cph, $"c \"{prefix}\" crosscheck-2.0.1-py_0{extension} --out-folder \"{output}\"");
        var info = PackageArchive.ReadInfo(Path.Combine(output, "crosscheck-2.0.1-py_0" + extension), InfoMembers.All);

        Assert.Equal("crosscheck", info.Index.Name);
        Assert.Equal("2.0.1", info.Index.Version);
        Assert.Equal("py_0", info.Index.Build);
        Assert.Equal(0, info.Index.BuildNumber);
        Assert.Equal("noarch", info.Index.Subdir);
        Assert.Equal("python", info.Index.Noarch);
        Assert.Equal(new[] { "python >=3.8" }, info.Index.Depends);
        Assert.Equal("MIT", info.Index.License);
        Assert.Equal(IndexJson, Encoding.UTF8.GetString(info.IndexJsonBytes));
        Assert.Equal("made by cph", info.About!.Value.GetProperty("summary").GetString());
        Assert.Equal("crosscheck >=2", info.RunExports!.Value.GetProperty("weak")[0].GetString());
    }

    [SkippableFact]
    public void Real_tar_bz2_transmuted_to_conda_by_cph_reads_the_same()
    {
        var cph = RequireTool("cph");
        var original = TestData.PathOf("packages", "artipie-conda-adapter__defaults/linux-64/snappy-1.1.3-0.tar.bz2");
        using var dir = new TempDirectory();

        Run(cph, $"t \"{original}\" .conda --zstd-compression-level 3 --out-folder \"{dir.Path}\"");
        var transmuted = PackageArchive.ReadInfo(dir.Combine("snappy-1.1.3-0.conda"), InfoMembers.All);
        var source = PackageArchive.ReadInfo(original, InfoMembers.All);

        Assert.Equal(source.IndexJsonBytes, transmuted.IndexJsonBytes);
        Assert.Equal(source.About?.GetRawText(), transmuted.About?.GetRawText());
    }

    private static string RequireTool(string name) => Requirement.Tool(name, name == "cph" ? "conda-package-handling" : name);

    private static void Run(string tool, string arguments)
    {
        var start = new ProcessStartInfo(tool, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(120_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{tool} {arguments} did not finish in 120 s");
        }
        Assert.True(process.ExitCode == 0, $"{Path.GetFileName(tool)} {arguments} exited with {process.ExitCode}:\n{stdout.Result}\n{stderr.Result}");
    }
}
