using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;

namespace CondaMirror.TestKit.PyPI;

/// <summary>
/// A pure-Python wheel built in memory, valid enough for a real pip to install: one importable package
/// (<c>&lt;module&gt;/__init__.py</c> defining <c>VALUE</c>), and a dist-info with METADATA, WHEEL and a RECORD whose
/// lines carry each file's urlsafe-base64 sha256 and size (pip checks them on install).
/// </summary>
public sealed record WheelSpec(string Name, string Version, string? RequiresPython = null, string PythonTag = "py3")
{
    /// <summary>The distribution part of file and dist-info names: runs of -_. as '_' (the wheel spec's escaping).</summary>
    public string Distribution => System.Text.RegularExpressions.Regex.Replace(Name, "[-_.]+", "_");

    public string Module => Distribution.ToLowerInvariant();

    public string FileName => $"{Distribution}-{Version}-{PythonTag}-none-any.whl";

    /// <summary>What <c>import &lt;Module&gt;; print(&lt;Module&gt;.VALUE)</c> prints.</summary>
    public string Value => $"{Name} {Version}";

    public byte[] Build()
    {
        var distInfo = $"{Distribution}-{Version}.dist-info";
        var files = new List<(string Path, byte[] Bytes)>
        {
            ($"{Module}/__init__.py", Encoding.UTF8.GetBytes($"VALUE = \"{Value}\"\n")),
            ($"{distInfo}/METADATA", Encoding.UTF8.GetBytes(
                $"Metadata-Version: 2.1\nName: {Name}\nVersion: {Version}\n" +
                (RequiresPython is null ? "" : $"Requires-Python: {RequiresPython}\n") + "Summary: a test wheel\n")),
            ($"{distInfo}/WHEEL", Encoding.UTF8.GetBytes($"Wheel-Version: 1.0\nGenerator: condamirror-tests\nRoot-Is-Purelib: true\nTag: {PythonTag}-none-any\n")),
        };
        var record = new StringBuilder();
        foreach (var (path, bytes) in files)
            record.Append(path).Append(",sha256=").Append(UrlSafe(SHA256.HashData(bytes))).Append(',').Append(bytes.Length).Append('\n');
        record.Append(distInfo).Append("/RECORD,,\n");
        files.Add(($"{distInfo}/RECORD", Encoding.UTF8.GetBytes(record.ToString())));

        using var stream = new MemoryStream();
        using (var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true))
            foreach (var (path, bytes) in files)
            {
                var entry = zip.CreateEntry(path, CompressionLevel.Optimal);
                entry.LastWriteTime = new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);
                using var s = entry.Open();
                s.Write(bytes);
            }
        return stream.ToArray();
    }

    private static string UrlSafe(byte[] hash) => Convert.ToBase64String(hash).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
