using CondaMirror.TestKit.Channels;

// Usage: SampleUpstream <channel-directory>
// Writes the sample upstream channel of the quick start (TestKit's SampleUpstreamChannel): python 3.12 and 3.13,
// numpy, scipy, pandas, scikit-learn (two versions) and their dependencies for linux-64, osx-arm64 and win-64, plus
// noarch: python packages, with the metadata the real conda client needs to install them (see README.md beside this file).
if (args.Length != 1)
{
    Console.Error.WriteLine("usage: SampleUpstream <channel-directory>");
    return 2;
}
var target = Path.GetFullPath(args[0]);
var files = SampleUpstreamChannel.WriteTo(target);
Console.WriteLine($"Sample upstream channel with {files.Count} packages written to {target}");
return 0;
