using CondaMirror.TestKit.Locks;
using System.Text;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Locks;
using CondaMirror.TestKit;
using Xunit;

namespace CondaMirror.Tests.Locks;

/// <summary>
/// Locks built to exhaust memory or time. Cases that could blow up run in a child process (tools/CondaMirror.LockProbe)
/// whose peak RSS is checked, so a regression fails the test instead of the test host.
/// </summary>
public sealed class BoundedLockTests : IDisposable
{
    private const string Sha = "fe51de6107f9edc7aa4f786a70f4a883943bc9d39b3bb7307c04c41410990726";
    private const string Md5 = "d7c89558ba9fa0495403155b64376d81";

    // A bare `dotnet` console that reads a small lock peaks around 60-90 MB; the bombs expand to gigabytes.
    private const double MaxPeakRssMb = 300;
    // Hang guards, not performance assertions: CPU time of the case in the child (milliseconds in practice) and wall
    // time far above what a loaded machine needs and far below what an unbounded expansion or a quadratic scan takes
    // (minutes to hours). The memory bound above is the sharp one.
    private const long MaxCpuMs = 15_000;
    private const long MaxWallMs = 60_000;
    private const string Empty = "{}";

    private readonly TempDirectory _dir = new("bounded-locks");

    public void Dispose() => _dir.Dispose();

    private string WriteFile(string name, string content)
    {
        var path = _dir.Combine(name);
        File.WriteAllText(path, content);
        return path;
    }

    // Nine levels of ten: 10^9 scalars once expanded, from about 1 KB of text.
    private static string Laughs(string indent)
    {
        var sb = new StringBuilder();
        sb.Append(indent).Append("l0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for (var level = 1; level <= 8; level++)
            sb.Append(indent).Append($"l{level}: &a{level} [").Append(string.Join(", ", Enumerable.Repeat($"*a{level - 1}", 10))).Append("]\n");
        return sb.ToString();
    }

    private static string BillionLaughsPixiLock() => LockSamples.PixiLockV6Head("bomb-1.0-h0_0.conda") + $"""
        - conda: https://conda.anaconda.org/conda-forge/linux-64/bomb-1.0-h0_0.conda
          sha256: {Sha}
          md5: {Md5}
          depends: []
        {Laughs("  ")}  lulz: [*a8, *a8, *a8, *a8, *a8, *a8, *a8, *a8, *a8, *a8]

        """;

    // version 1 is conda-lock.yml; version 3 is pixi's legacy lock on the same skeleton, whose full records keep purls.
    private static string BillionLaughsCondaLock(int version) => $"""
        version: {version}
        metadata:
          content_hash:
            linux-64: abc
          channels:
          - url: conda-forge
            used_env_vars: []
          platforms:
          - linux-64
          sources:
          - environment.yml
        package:
        - name: bomb
          version: '1.0'
          manager: conda
          platform: linux-64
          dependencies: {(version == 1 ? Empty : "[]")}
          url: https://conda.anaconda.org/conda-forge/linux-64/bomb-1.0-h0_0.conda
          hash:
            md5: {Md5}
            sha256: {Sha}
          category: main
          optional: false
        {Laughs("  ")}  purls: [*a8, *a8, *a8, *a8, *a8, *a8, *a8, *a8, *a8, *a8]

        """;

    private static void AssertBounded(ProbeResult r, string expectedCode)
    {
        Assert.True(r.Outcome == "error" && r.Code == expectedCode, $"expected {expectedCode}:\n{r}");
        Assert.True(r.CpuMs < MaxCpuMs && r.ElapsedMs < MaxWallMs, $"took {r.CpuMs} ms CPU, {r.ElapsedMs} ms wall:\n{r}");
        Assert.True(r.PeakRssMb < MaxPeakRssMb, $"peak RSS {r.PeakRssMb:F0} MB:\n{r}");
    }

    [SkippableFact]
    public void Billion_laughs_pixi_lock_is_refused_in_bounded_memory()
    {
        var text = BillionLaughsPixiLock();
        Assert.True(text.Length < 2000, $"the bomb should be small, is {text.Length} chars");
        AssertBounded(LockProbe.Run(null, "read", WriteFile("pixi.lock", text)), ErrorCodes.LockYamlAlias);
    }

    [SkippableTheory]
    [InlineData(1)]
    [InlineData(3)]
    public void Billion_laughs_conda_lock_is_refused_in_bounded_memory(int version)
    {
        AssertBounded(LockProbe.Run(null, "read", WriteFile("conda-lock.yml", BillionLaughsCondaLock(version))), ErrorCodes.LockYamlAlias);
    }

    [SkippableFact]
    public void An_alias_is_refused_with_its_line_and_name()
    {
        var path = WriteFile("pixi.lock", BillionLaughsPixiLock());
        var ex = Assert.Throws<CondaMirrorException>(() => LockFileReader.Read(path));
        Assert.Equal(ErrorCodes.LockYamlAlias, ex.Code);
        Assert.Contains("line 15", ex.Message);
        Assert.Contains("*a0", ex.Message);
        Assert.Equal(path, ex.File);
    }

    [SkippableFact]
    public void An_anchor_without_alias_is_harmless_and_still_reads()
    {
        var path = WriteFile("pixi.lock", LockSamples.PixiLockV6Head("a-1.0-h0_0.conda") + $"""
            - &first
              conda: https://conda.anaconda.org/conda-forge/linux-64/a-1.0-h0_0.conda
              sha256: {Sha}
              md5: {Md5}
              depends: &deps []

            """);
        var lockFile = LockFileReader.Read(path);
        Assert.Equal("a", Assert.Single(lockFile.PackagesByPlatform["linux-64"]).Record.Name);
    }

    [SkippableTheory]
    [InlineData("[", "]")]
    [InlineData("{a: ", "}")]
    public void Deep_nesting_is_a_coded_error_not_a_stack_overflow(string open, string close)
    {
        // Far beyond any stack: without the depth bound the recursive reader would crash the process.
        const int depth = 200_000;
        var text = "version: 6\nenvironments:\n  default: " + string.Concat(Enumerable.Repeat(open, depth)) + "x" +
                   string.Concat(Enumerable.Repeat(close, depth)) + "\npackages: []\n";
        var r = LockProbe.Run(null, "read", WriteFile("pixi.lock", text));
        Assert.True(r.Outcome == "error" && r.Code == ErrorCodes.LockYamlTooDeep, r.ToString());
        Assert.True(r.PeakRssMb < MaxPeakRssMb, r.ToString());
    }

    [SkippableFact]
    public void Nesting_up_to_the_limit_is_accepted()
    {
        var nested = string.Concat(Enumerable.Repeat("[", YamlTree.MaxDepth - 3)) + "x" + string.Concat(Enumerable.Repeat("]", YamlTree.MaxDepth - 3));
        var path = WriteFile("pixi.lock", LockSamples.PixiLockV6Head("a-1.0-h0_0.conda") + $"""
            - conda: https://conda.anaconda.org/conda-forge/linux-64/a-1.0-h0_0.conda
              sha256: {Sha}
              depends: []
              nested: {nested}

            """);
        Assert.Single(LockFileReader.Read(path).PackagesByPlatform["linux-64"]);
        var deeper = File.ReadAllText(path).Replace(nested, "[" + nested + "]");
        var ex = Assert.Throws<CondaMirrorException>(() => LockFileReader.Read(WriteFile("deeper.lock", deeper)));
        Assert.Equal(ErrorCodes.LockYamlTooDeep, ex.Code);
    }

    [SkippableFact]
    public void A_lock_over_the_size_limit_is_refused_before_it_is_read()
    {
        var path = WriteFile("pixi.lock", "version: 6\n" + new string('#', 5000) + "\n");
        var r = LockProbe.Run(new Dictionary<string, string> { [LockFileReader.MaxLockBytesVariable] = "4096" }, "read", path);
        Assert.True(r.Code == ErrorCodes.LockFileTooLarge, r.ToString());
        Assert.Contains("4096-byte limit", r.Values["message"]);
        Assert.Contains(LockFileReader.MaxLockBytesVariable, r.Values["message"]);
        // The default limit (256 MB) leaves the same file alone.
        Assert.NotEqual(ErrorCodes.LockFileTooLarge, LockProbe.Run(null, "read", path).Code);
    }

    [SkippableFact]
    public void An_endless_device_is_cut_off_at_the_size_limit()
    {
        Requirement.That(File.Exists("/dev/zero"), "needs /dev/zero");
        var r = LockProbe.Run(new Dictionary<string, string> { [LockFileReader.MaxLockBytesVariable] = "1048576" }, "read", "/dev/zero");
        Assert.True(r.Code == ErrorCodes.LockFileTooLarge, r.ToString());
        Assert.True(r.PeakRssMb < MaxPeakRssMb, r.ToString());
    }

    [SkippableTheory]
    [InlineData("lots")]
    [InlineData("-1")]
    [InlineData("0")]
    public void An_unusable_size_limit_is_a_build_setting_error(string value)
    {
        var r = LockProbe.Run(new Dictionary<string, string> { [LockFileReader.MaxLockBytesVariable] = value }, "read", WriteFile("pixi.lock", "version: 6\n"));
        Assert.True(r.Code == ErrorCodes.InvalidBuildSetting, r.ToString());
    }

    [SkippableFact]
    public void A_10_MB_url_line_in_an_explicit_lock_is_refused_within_a_second()
    {
        var path = WriteFile("explicit.txt",
            "# platform: linux-64\n@EXPLICIT\nhttps://" + new string('a', 10 * 1024 * 1024) + "/linux-64/x-1-0.conda\n");
        var r = LockProbe.Run(null, "read", path);
        AssertBounded(r, ErrorCodes.LockLineTooLong);
        Assert.Contains("line 3", r.Values["message"]);
        Assert.True(r.Values["message"].Length < 1000, "the message must not echo the line");
    }

    [SkippableFact]
    public void Explicit_lines_up_to_the_limit_are_read()
    {
        var name = "x-1-0.conda";
        var prefix = "https://h/" + new string('c', ExplicitLockReader.MaxLineChars - 100) + "/linux-64/";
        var line = prefix + name;
        Assert.True(line.Length <= ExplicitLockReader.MaxLineChars);
        var lockFile = LockFileReader.Read(WriteFile("ok.txt", "@EXPLICIT\n" + line + "\n"));
        Assert.Equal("x", Assert.Single(lockFile.PackagesByPlatform["linux-64"]).Record.Name);

        var ex = Assert.Throws<CondaMirrorException>(() => LockFileReader.Read(
            WriteFile("long.txt", "@EXPLICIT\n" + prefix + new string('d', 200) + "/" + name + "\n")));
        Assert.Equal(ErrorCodes.LockLineTooLong, ex.Code);
        Assert.Equal(2, ex.Line);
    }

    [SkippableFact]
    public void Redacting_a_10_MB_url_finishes_in_bounded_time()
    {
        var r = LockProbe.Run(null, "redact", (10 * 1024 * 1024).ToString());
        Assert.True(r.Outcome == "ok", r.ToString());
        Assert.True(r.CpuMs < MaxCpuMs && r.ElapsedMs < MaxWallMs, $"took {r.CpuMs} ms CPU, {r.ElapsedMs} ms wall:\n{r}");
    }

    [SkippableFact]
    public void A_multi_megabyte_lock_still_reads()
    {
        // About 2.5 MB, the size of the largest real pixi.locks (ros2 examples).
        const int count = 6000;
        var sb = new StringBuilder("version: 6\nenvironments:\n  default:\n    channels:\n    - url: https://conda.anaconda.org/conda-forge/\n    packages:\n      linux-64:\n");
        for (var i = 0; i < count; i++) sb.Append($"      - conda: https://conda.anaconda.org/conda-forge/linux-64/pkg{i}-1.{i}-h{i}_0.conda\n");
        sb.Append("packages:\n");
        for (var i = 0; i < count; i++)
            sb.Append($"""
                - conda: https://conda.anaconda.org/conda-forge/linux-64/pkg{i}-1.{i}-h{i}_0.conda
                  sha256: {Sha}
                  md5: {Md5}
                  depends:
                  - __glibc >=2.17,<3.0.a0
                  - libgcc >=13
                  - pkg{(i + 1) % count} >=1.0
                  license: BSD-3-Clause
                  license_family: BSD
                  size: {1000 + i}
                  timestamp: 1700000000000

                """);
        var path = WriteFile("big-pixi.lock", sb.ToString());
        Assert.InRange(new FileInfo(path).Length, 2_000_000, 3_000_000);
        // The limit only catches a parser gone super-linear, not machine noise.
        var lockFile = HangGuard.Run(() => LockFileReader.Read(path));
        Assert.Equal(count, lockFile.PackagesByPlatform["linux-64"].Count);
    }
}
