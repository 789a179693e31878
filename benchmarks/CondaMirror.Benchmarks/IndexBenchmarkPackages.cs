using CondaMirror.Core.Archives;
using CondaMirror.Core.Records;
using CondaMirror.TestKit.Channels;

namespace CondaMirror.Benchmarks;

/// <summary>
/// Packages whose payloads are real files of this Debian machine, so the codecs see what they see in real channels
/// (machine code, bytecode, text) rather than random bytes: per package one ELF library of 8–400 KB, three compiled
/// Python modules and one copyright file, picked by a seeded generator from sorted lists, so the same machine gives
/// the same packages. Written by TestKit's independent <see cref="ChannelBuilder"/> (zstd -19 / bzip2 -9 by Debian's
/// tools); every third package is a .tar.bz2; four subdirs; dependencies chain the packages together.
/// </summary>
internal static class IndexBenchmarkPackages
{
    private static readonly string[] Subdirs = { "linux-64", "linux-aarch64", "osx-arm64", "noarch" };

    public static List<string> Write(string directory, int count)
    {
        var elf = Pool("/usr/lib/x86_64-linux-gnu", "*.so*", SearchOption.TopDirectoryOnly, 8 << 10, 400 << 10);
        var pyc = Pool("/usr/lib/python3", "*.pyc", SearchOption.AllDirectories, 1, 200 << 10)
            .Concat(Pool("/usr/lib/python3.11", "*.pyc", SearchOption.AllDirectories, 1, 200 << 10)).ToList();
        var text = Pool("/usr/share/doc", "copyright", SearchOption.AllDirectories, 1, 200 << 10);
        if (elf.Count == 0 || pyc.Count == 0 || text.Count == 0)
            throw new InvalidOperationException("this machine lacks the Debian files the payloads come from (/usr/lib/x86_64-linux-gnu/*.so*, *.pyc under /usr/lib/python3*, /usr/share/doc/*/copyright)");

        // zstd -19 and bzip2 -9 run as processes (their results cached by ExternalCodec across runs): keep the cores busy.
        var files = new string[count];
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount * 2 }, i =>
        {
            var random = new Random(i);
            var subdir = Subdirs[i % Subdirs.Length];
            var name = $"pkg{i:D4}";
            var payload = new List<PackageFileEntry> { new($"lib/lib{name}.so", File.ReadAllBytes(elf[random.Next(elf.Count)]), 0b111_101_101) };
            for (var m = 0; m < 3; m++)
                payload.Add(new($"lib/python3.11/site-packages/{name}/__pycache__/m{m}.cpython-311.pyc", File.ReadAllBytes(pyc[random.Next(pyc.Count)])));
            payload.Add(new($"share/doc/{name}/copyright", File.ReadAllBytes(text[random.Next(text.Count)])));
            var spec = new PackageSpec(name, $"1.{i % 7}.{i % 3}", $"h{i:x4}_{i % 3}", subdir)
            {
                Depends = new[] { $"pkg{(i + 1) % count:D4} >=1.0", "python >=3.9" },
                Format = i % 3 == 2 ? ArchiveFormat.TarBz2 : ArchiveFormat.Conda,
                PayloadBytes = 0,
                Files = payload,
                AboutJson = $$"""{"summary": "{{name}}, a benchmark package", "home": "https://example.org/{{name}}", "license": "MIT"}""",
                RunExportsJson = i % 2 == 0 ? $$"""{"weak": ["{{name}} >=1.{{i % 7}}"]}""" : null,
            };
            files[i] = ChannelBuilder.WritePackage(Path.Combine(directory, subdir), spec);
        });
        return files.ToList();
    }

    private static List<string> Pool(string root, string pattern, SearchOption depth, long minBytes, long maxBytes)
    {
        if (!Directory.Exists(root)) return new List<string>();
        var options = new EnumerationOptions { RecurseSubdirectories = depth == SearchOption.AllDirectories, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint };
        return Directory.EnumerateFiles(root, pattern, options)
            .Where(f => new FileInfo(f) is { Length: var n } && n >= minBytes && n <= maxBytes)
            .Order(StringComparer.Ordinal).ToList();
    }
}
