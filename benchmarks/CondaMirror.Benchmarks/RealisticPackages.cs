using System.Globalization;
using CondaMirror.Core.Archives;
using CondaMirror.Core.Records;
using CondaMirror.TestKit.Channels;

namespace CondaMirror.Benchmarks;

/// <summary>
/// Package specs whose contents compress like real conda packages: files taken from this Debian system (ELF shared
/// libraries, Python bytecode and sources, text documentation), a third of them .tar.bz2 (real locks in the shared
/// test data name about 61% .conda and 39% .tar.bz2), archive sizes log-normally distributed around the mean.
/// The archives are written by TestKit's independent <see cref="ChannelBuilder"/> (Debian's zstd and bzip2), never by
/// the code under test.
/// </summary>
internal sealed class RealisticPackages
{
    // Uncompressed bytes per archive byte of this mix (zstd -10 / bzip2 -9: 2.8 in two runs, 128 MB into 46 MB and
    // about 384 MB into 134 MB); only used to aim at the requested total, which the caller prints as generated.
    private const double ExpansionGuess = 2.8;
    private const long SmallestArchive = 16 * 1024;
    private const long LargestFile = 6L << 20;
    private static readonly string[] SubdirNames = { "linux-64", "win-64", "noarch" };

    private readonly Pool _pool;
    private readonly long[] _targets;
    private readonly int _zstdLevel;

    private RealisticPackages(Pool pool, long[] targets, int zstdLevel)
    {
        _pool = pool;
        _targets = targets;
        _zstdLevel = zstdLevel;
    }

    /// <summary>
    /// The plan of <paramref name="count"/> packages: only each one's size aim is computed here; its files are read
    /// when <see cref="Spec"/> asks for it, so a 600 MB channel is generated one package at a time per core.
    /// </summary>
    public static RealisticPackages Plan(int count, long totalArchiveBytes, int zstdLevel)
    {
        var random = new Random(42);
        // Log-normal sizes (sigma 1: a few packages ten times the median, as in real environments), scaled to the total.
        var weights = Enumerable.Range(0, count).Select(_ => Math.Exp(Gaussian(random))).ToArray();
        var scale = totalArchiveBytes / weights.Sum();
        return new RealisticPackages(FilePool(), weights.Select(w => (long)(Math.Max(SmallestArchive, w * scale) * ExpansionGuess)).ToArray(), zstdLevel);
    }

    public int Count => _targets.Length;

    /// <summary>Package <paramref name="i"/>, its files read now (the same every time: seeded by <paramref name="i"/>).</summary>
    public PackageSpec Spec(int i)
    {
        var name = string.Create(CultureInfo.InvariantCulture, $"real{i:D3}");
        return new PackageSpec(name, "1.0", string.Create(CultureInfo.InvariantCulture, $"h{i:x3}_0"), SubdirNames[i % SubdirNames.Length])
        {
            PayloadBytes = 0,
            Files = Contents(name, _targets[i], _pool, new Random(i)),
            Format = i % 3 == 2 ? ArchiveFormat.TarBz2 : ArchiveFormat.Conda,
            ZstdLevel = _zstdLevel,
        };
    }

    /// <summary>About <paramref name="bytes"/> of files for one package: half shared libraries, a quarter Python, a quarter text.</summary>
    private static IReadOnlyList<PackageFileEntry> Contents(string name, long bytes, Pool pool, Random random)
    {
        var files = new List<PackageFileEntry>();
        long total = 0;
        while (total < bytes)
        {
            var roll = random.NextDouble();
            var (source, prefix) = roll < 0.5 ? (pool.Elf, $"lib/{name}") : roll < 0.75 ? (pool.Python, $"lib/python3.12/site-packages/{name}") : (pool.Text, $"share/doc/{name}");
            var path = source[random.Next(source.Count)];
            var content = File.ReadAllBytes(path);
            if (content.Length > bytes - total && total > 0) content = content[..(int)Math.Max(1, bytes - total)];
            files.Add(new PackageFileEntry(string.Create(CultureInfo.InvariantCulture, $"{prefix}/{files.Count:D4}-{Path.GetFileName(path)}"), content));
            total += content.Length;
        }
        return files;
    }

    private sealed record Pool(List<string> Elf, List<string> Python, List<string> Text);

    private static Pool FilePool()
    {
        static List<string> Find(string root, Func<string, bool> take) => !Directory.Exists(root) ? new() :
            Directory.EnumerateFiles(root, "*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint })
                .Where(take).Where(f => new FileInfo(f).Length is > 512 and <= LargestFile).OrderBy(f => f, StringComparer.Ordinal).ToList();

        // Debian's multiarch library folder: x86_64-linux-gnu, aarch64-linux-gnu, ...
        var elf = Directory.EnumerateDirectories("/usr/lib", "*-linux-gnu").OrderBy(d => d, StringComparer.Ordinal)
            .SelectMany(d => Find(d, f => f.Contains(".so", StringComparison.Ordinal) && IsElf(f))).ToList();
        var python = Directory.EnumerateDirectories("/usr/lib", "python3*").OrderBy(d => d, StringComparer.Ordinal)
            .SelectMany(d => Find(d, f => f.EndsWith(".pyc", StringComparison.Ordinal) || f.EndsWith(".py", StringComparison.Ordinal))).ToList();
        var text = Find("/usr/share/doc", f => !f.EndsWith(".gz", StringComparison.Ordinal))
            .Concat(Find("/usr/include", f => f.EndsWith(".h", StringComparison.Ordinal))).ToList();
        if (elf.Count == 0 || python.Count == 0 || text.Count == 0)
            throw new InvalidOperationException("this benchmark assembles packages from /usr/lib/*-linux-gnu (*.so), /usr/lib/python3* and /usr/share/doc; one of them is empty here");
        return new Pool(elf, python, text);
    }

    private static bool IsElf(string path)
    {
        Span<byte> magic = stackalloc byte[4];
        using var s = File.OpenRead(path);
        return s.Read(magic) == 4 && magic.SequenceEqual((ReadOnlySpan<byte>)[0x7f, (byte)'E', (byte)'L', (byte)'F']);
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
