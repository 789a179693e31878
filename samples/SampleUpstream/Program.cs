using CondaMirror.TestKit.Channels;

// Usage: SampleUpstream <channel-directory>
// Writes a channel with a few packages for linux-64, osx-arm64 and win-64 plus noarch ones: several versions,
// a dependency chain, a constrains and a track_features variant — enough for the solver to have choices.
if (args.Length != 1)
{
    Console.Error.WriteLine("usage: SampleUpstream <channel-directory>");
    return 2;
}
var target = Path.GetFullPath(args[0]);
if (Directory.Exists(target)) Directory.Delete(target, recursive: true);

var builder = new CoreChannelBuilder();
foreach (var platform in new[] { "linux-64", "osx-arm64", "win-64" })
{
    builder.Add(new PackageSpec("zlib", "1.2.13", "h0_5", platform) { PayloadBytes = 60_000 });
    builder.Add(new PackageSpec("zlib", "1.3.1", "h0_0", platform) { PayloadBytes = 60_000 });
    builder.Add(new PackageSpec("openssl", "3.3.2", "h1_0", platform) { Depends = new[] { "zlib >=1.2" }, PayloadBytes = 200_000 });
    builder.Add(new PackageSpec("libcurl", "8.10.1", "h2_0", platform) { Depends = new[] { "openssl >=3", "zlib >=1.3" }, PayloadBytes = 120_000 });
    builder.Add(new PackageSpec("curl", "8.10.1", "h2_0", platform) { Depends = new[] { "libcurl 8.10.1.*" }, Constrains = new[] { "ca-bundle >=2024" }, PayloadBytes = 80_000 });
    builder.Add(new PackageSpec("blas", "1.0", "openblas_0", platform));
    builder.Add(new PackageSpec("blas", "1.0", "mkl_0", platform) { TrackFeatures = "mkl" });
}
builder.Add(new PackageSpec("ca-bundle", "2024.8", "h_0", "noarch") { PayloadBytes = 40_000 });
builder.Add(new PackageSpec("certifi-data", "2024.8", "pyh_0", "noarch") { Noarch = "python", Depends = new[] { "ca-bundle" } });

var files = builder.WriteTo(target);
Console.WriteLine($"Sample upstream channel with {files.Count} packages written to {target}");
return 0;
