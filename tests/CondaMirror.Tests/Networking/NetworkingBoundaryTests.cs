using System.Reflection;
using System.Text.RegularExpressions;
using CondaMirror.Core.Networking;
using CondaMirror.MSBuild;
using CondaMirror.TestKit;
using Xunit;

namespace CondaMirror.Tests.Networking;

/// <summary>
/// Credentials and HTTP have one home, <c>src/CondaMirror.Core/Networking</c>: nothing else builds Authorization
/// headers, reads user info or <c>/t/&lt;token&gt;/</c> segments, makes credentials, reads secrets from the environment
/// or has a redaction function of its own. A source scan, so a new second copy fails here rather than in review.
/// </summary>
public sealed class NetworkingBoundaryTests
{
    private const string NetworkingFolder = "src/CondaMirror.Core/Networking/";

    /// <summary>What credential handling looks like in code, and why each pattern means it.</summary>
    private static readonly (Regex Pattern, string Meaning)[] CredentialHandling =
    [
        (new Regex(@"\bAuthenticationHeaderValue\b"), "builds an Authorization header"),
        (new Regex(@"\.Authorization\b"), "sets or reads an Authorization header"),
        (new Regex("\"(Bearer|Basic)\""), "names an authentication scheme"),
        (new Regex(@"\bUserInfo\b"), "reads user:password from a URL"),
        (new Regex(@"\b(UserName|Password)\s*=[^=>]"), "strips or sets URL credentials with a UriBuilder"),
        // Messages name the form as "/t/<token>/" for the user; code that matches or builds the segment does not.
        (new Regex("\"[^\"]*/t/(?!<token>)"), "matches or builds a /t/<token>/ path segment"),
        (new Regex(@"\bnew\s+ChannelCredential\s*\("), "makes a credential"),
        (new Regex(@"\b(HttpAuthentication)\s*\."), "authenticates a request itself"),
        // ChannelSource forwards these to its UrlRoot (Networking); anyone else re-mapping URLs does the credential set's job.
        (new Regex(@"(?<!\bRoot)\.(HasUrlCredentials|HasCredentials|ToRequestUri)\b"), "re-adds a channel URL's credentials itself (CredentialSet.RequestUrl does)"),
        (new Regex(@"\bstatic\s+(string|Uri)\s+(Redact\w*|StripCredentials)\s*\("), "defines a second redaction function"),
    ];

    /// <summary>Only Core may read a secret from the environment; a host passes variable names.</summary>
    private static readonly Regex EnvironmentRead = new(@"\bGetEnvironmentVariable\s*\(");

    [Fact]
    public void No_code_outside_Networking_handles_credentials()
    {
        var root = TestData.RepoRoot;
        var findings = new List<string>();
        var scanned = 0;
        foreach (var file in Directory.EnumerateFiles(Path.Combine(root, "src"), "*.cs", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(root, file).Replace('\\', '/');
            if (relative.Contains("/obj/", StringComparison.Ordinal) || relative.Contains("/bin/", StringComparison.Ordinal)) continue;
            if (relative.StartsWith(NetworkingFolder, StringComparison.Ordinal)) continue;
            scanned++;
            findings.AddRange(Scan(relative, File.ReadAllText(file)));
        }
        Assert.True(scanned > 50, $"only {scanned} source files found under {root}/src");
        Assert.True(findings.Count == 0, "Credential handling outside " + NetworkingFolder + ":\n" + string.Join("\n", findings));
    }

    /// <summary>The scanner itself: each kind of credential handling the Networking folder absorbed is recognised.</summary>
    [Theory]
    [InlineData("request.Headers.Authorization = new AuthenticationHeaderValue(\"Bearer\", channel.BearerToken);")]
    [InlineData("private static readonly Regex TokenSegment = new(\"/t/[^/]+/\", RegexOptions.NonBacktracking);")]
    [InlineData("var builder = new UriBuilder(url) { UserName = \"\", Password = \"\" };")]
    [InlineData("var colon = url.UserInfo.IndexOf(':');")]
    [InlineData("result.Add(new ChannelCredential(prefix, token, null, null));")]
    [InlineData("var target = HttpAuthentication.Prepare(url, credentials);")]
    [InlineData("public static string Redact(Uri url) => UrlRedaction.Redact(url.AbsoluteUri);")]
    [InlineData("internal static Uri StripCredentials(Uri url)")]
    [InlineData("var secretChannels = channels.Where(c => c.HasUrlCredentials).ToList();")]
    [InlineData("return channel.ToRequestUri(url).AbsoluteUri;")]
    public void The_scan_recognises_credential_handling(string line) =>
        Assert.NotEmpty(Scan("src/CondaMirror.Core/Channels/Example.cs", line));

    [Theory]
    [InlineData("var value = Environment.GetEnvironmentVariable(variable);", "src/CondaMirror.MSBuild/ChannelCredentials.cs", true)]
    [InlineData("var value = Environment.GetEnvironmentVariable(variable);", "src/CondaMirror.Core/Locks/LockFileReader.cs", false)]
    [InlineData("// a comment that mentions .Authorization and \"/t/<token>/\"", "src/CondaMirror.Core/Channels/Example.cs", false)]
    [InlineData("\"check the token in the channel URL (/t/<token>/)\"", "src/CondaMirror.Core/Repodata/Example.cs", false)]
    [InlineData("var url = host + \"/t/\" + token + \"/\" + channel;", "src/CondaMirror.Core/Repodata/Example.cs", true)]
    [InlineData("var b = UrlRedaction.StripCredentials(BaseUrl);", "src/CondaMirror.Core/Channels/Example.cs", false)]
    public void The_scan_tells_hosts_from_Core_and_code_from_comments(string line, string path, bool flagged) =>
        Assert.Equal(flagged, Scan(path, line).Any());

    [Fact]
    public void Redaction_is_one_type()
    {
        var assemblies = new[] { typeof(UrlRedaction).Assembly, typeof(DownloadCondaPackages).Assembly };
        var redactors = assemblies
            .SelectMany(a => a.GetTypes())
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly))
            .Where(m => m.Name.Contains("Redact", StringComparison.Ordinal) || m.Name.Contains("StripCredentials", StringComparison.Ordinal))
            .Select(m => m.DeclaringType!)
            // Compiler-made closures and local functions live in nested types of their method's type.
            .Select(t => t.IsNested && t.GetCustomAttribute<System.Runtime.CompilerServices.CompilerGeneratedAttribute>() is not null ? t.DeclaringType! : t)
            .Distinct()
            .ToList();
        Assert.Equal(new[] { typeof(UrlRedaction) }, redactors);
    }

    [Fact]
    public void Credential_and_HTTP_types_live_in_Networking()
    {
        foreach (var type in new[] { typeof(ChannelCredential), typeof(CredentialSet), typeof(ChannelAuthSettings), typeof(HttpAuthentication), typeof(UrlRoot),
                     typeof(AuthenticatedTarget), typeof(NetworkClient), typeof(HttpResilience), typeof(UrlRedaction) })
            Assert.Equal("CondaMirror.Core.Networking", type.Namespace);
        // The MSBuild assembly makes no HTTP client of its own.
        var msbuildTypes = typeof(DownloadCondaPackages).Assembly.GetTypes();
        Assert.DoesNotContain(msbuildTypes, t => typeof(HttpMessageHandler).IsAssignableFrom(t) || typeof(HttpClient).IsAssignableFrom(t));
    }

    private static IEnumerable<string> Scan(string relativePath, string text)
    {
        var host = relativePath.StartsWith("src/CondaMirror.MSBuild/", StringComparison.Ordinal);
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            // Comments may talk about credentials; only code counts.
            if (line.StartsWith("//", StringComparison.Ordinal) || line.StartsWith('*') || line.StartsWith("/*", StringComparison.Ordinal)) continue;
            foreach (var (pattern, meaning) in CredentialHandling)
                if (pattern.IsMatch(line))
                    yield return $"{relativePath}:{i + 1} {meaning}: {line}";
            if (host && EnvironmentRead.IsMatch(line))
                yield return $"{relativePath}:{i + 1} reads a secret from the environment (Core's CredentialSet does that): {line}";
        }
    }
}
