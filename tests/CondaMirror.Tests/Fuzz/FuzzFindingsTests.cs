using System.Text;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Locks;
using CondaMirror.Core.Repodata;
using CondaMirror.Core.Specs;
using CondaMirror.TestKit;
using Xunit;

namespace CondaMirror.Tests.Fuzz;

/// <summary>The shrunk inputs of fuzzing findings that were fixed: each now fails with its coded error, in bounded time and memory.</summary>
public class FuzzFindingsTests
{
    private static readonly Uri Channel = new("https://conda.example.invalid/channel/");

    [Theory]
    [InlineData("eyJpbmZvIjp7IiI6IiIsImJhc2VfdXJsIjoi/yI=", ErrorCodes.RepodataInvalid)] // invalid UTF-8 in info.base_url
    [InlineData("eyJwYWNrYWdlcy5jb25kYSI6eyIiOnsiXHVkODBhIjoxfX19", ErrorCodes.RepodataInvalid)] // lone surrogate escape in a record key
    [InlineData("eyJwYWNrYWdlcy5jb25kYSI6eyJhLTEtMC5jb25kYSI6eyJuYW1lIjoiYSIsIv8iOjF9fX0=", ErrorCodes.RepodataRecordInvalid)] // invalid UTF-8 key inside a record
    [InlineData("eyJwYWNrYWdlcy5jb25kYSI6eyJhLTEtXHVkODAwLmNvbmRhIjp7Im5hbWUiOiJhIn19fQ==", ErrorCodes.RepodataRecordInvalid)] // lone surrogate in a file name
    public void Repodata_with_broken_text_is_a_coded_error(string base64, string code)
    {
        var json = Convert.FromBase64String(base64);
        var ex = Assert.Throws<CondaMirrorException>(() =>
        {
            var repodata = SparseRepodata.Load(null, json, Channel, "linux-64");
            foreach (var _ in repodata.AllRecords()) { }
        });
        Assert.Equal(code, ex.Code);
    }

    [Fact]
    public void A_long_version_spec_chain_parses_in_linear_memory()
    {
        // As long as the spec limit allows; before the fix this allocated ~12 MB, growing with the square of the length.
        var spec = string.Join(",", Enumerable.Repeat(">=1.0", SpecRegex.MaxSpecChars / 6));
        var before = GC.GetAllocatedBytesForCurrentThread();
        Assert.True(VersionSpec.Parse(spec).Matches("1.5"));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 4L << 20, $"{allocated:N0} bytes allocated for a {spec.Length}-character spec");
    }

    [Fact]
    public void A_package_file_spec_that_is_no_valid_path_is_CMIR103()
    {
        var ex = Assert.Throws<CondaMirrorException>(() => MatchSpec.Parse("\0.conda"));
        Assert.Equal(ErrorCodes.InvalidMatchSpec, ex.Code);
        Assert.False(MatchSpec.TryParse("\0.conda", out _, out var error));
        Assert.NotNull(error);
    }

    [Theory]
    [InlineData("package:\n{\ne", "not valid YAML")] // YamlDotNet's scanner throws InvalidOperationException here
    [InlineData("version: 6\nenvironments: [[[[", "not valid YAML")]
    public void Malformed_yaml_is_CMIR402(string text, string message)
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("pixi.lock");
        File.WriteAllText(path, text);
        var ex = Assert.Throws<CondaMirrorException>(() => LockFileReader.Read(path));
        Assert.Equal(ErrorCodes.LockYamlInvalid, ex.Code);
        Assert.Contains(message, ex.Message);
    }

    [Fact]
    public void A_lock_path_with_a_NUL_character_is_CMIR406()
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("pixi.lock");
        File.WriteAllText(path, """
            version: 6
            environments:
              default:
                channels:
                - url: https://x/c/
                packages:
                  linux-64:
                  - conda: "./pk\0gs/a-1.0-0.conda"
            packages:
            - conda: "./pk\0gs/a-1.0-0.conda"
              sha256: 0f5c2d6e0b5f5a4dd7a3b0ac9c2f9e8b7e1c8f2b3c4d5e6f708192a3b4c5d6e7
              subdir: linux-64
            """);
        var ex = Assert.Throws<CondaMirrorException>(() => LockFileReader.Read(path));
        Assert.Equal(ErrorCodes.LockEntryInvalid, ex.Code);
    }

    [Fact]
    public void A_file_url_with_a_NUL_character_stays_a_url_when_written()
    {
        using var dir = new TempDirectory();
        Assert.Equal("file:///\0-1-0.conda", LockPaths.ToLockLocation("file:///\0-1-0.conda", dir.Path));
    }

    [Theory]
    [InlineData("environments: ", "[", "]")]
    [InlineData("environments: ", "{a: ", "}")]
    [InlineData("environments:\n  ", "- ", "")]
    public void Deep_yaml_nesting_is_CMIR451_not_a_stack_overflow(string prefix, string open, string close)
    {
        // 20,000 levels overflowed a 1.5 MB thread stack (the process died); YamlTree.MaxDepth stops it early.
        const int depth = 20_000;
        var text = new StringBuilder("version: 6\n" + prefix);
        for (var i = 0; i < depth; i++) text.Append(open);
        text.Append('x');
        for (var i = 0; i < depth; i++) text.Append(close);
        using var dir = new TempDirectory();
        var path = dir.Combine("pixi.lock");
        File.WriteAllText(path, text.ToString());

        Exception? error = null;
        // A thread with the default secondary stack, like MSBuild's worker threads.
        var thread = new Thread(() => error = Record.Exception(() => LockFileReader.Read(path)));
        thread.Start();
        Assert.True(thread.Join(TimeSpan.FromSeconds(30)), "reading did not finish");
        var ex = Assert.IsType<CondaMirrorException>(error);
        Assert.Equal(ErrorCodes.LockYamlTooDeep, ex.Code);
    }
}
