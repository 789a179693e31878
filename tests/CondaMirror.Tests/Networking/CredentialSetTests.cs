using System.Text;
using System.Text.RegularExpressions;
using CondaMirror.Core.Channels;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Networking;
using Xunit;

namespace CondaMirror.Tests.Networking;

public sealed class CredentialSetTests
{
    private static Func<string, string?> Env(params (string Name, string Value)[] variables) =>
        name => variables.FirstOrDefault(v => v.Name == name).Value;

    private static string? HeaderFor(CredentialSet set, string url) => set.Authenticate(new Uri(url)).Authorization?.ToString();

    private static string Basic(string user, string password) => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"));

    [Fact]
    public void A_literal_bearer_token_covers_the_channel_and_nothing_beside_it()
    {
        var set = CredentialSet.FromChannels([new ChannelAuthSettings("https://h.example/private") { BearerToken = "tok-1" }], ChannelResolver.RootResolver(null), environment: Env());

        var credential = Assert.Single(set.Configured);
        Assert.Equal("https://h.example/private/", credential.UrlPrefix);
        Assert.Equal("Bearer tok-1", HeaderFor(set, "https://h.example/private/noarch/a-1-0.conda"));
        Assert.Null(HeaderFor(set, "https://h.example/private2/noarch/a-1-0.conda"));
        Assert.Null(HeaderFor(set, "https://other.example/private/noarch/a-1-0.conda"));
    }

    [Fact]
    public void Tokens_and_basic_credentials_come_from_the_environment_variables_named()
    {
        var set = CredentialSet.FromChannels(
            [
                new ChannelAuthSettings("https://a.example/ch") { BearerTokenEnvironmentVariable = "A_TOKEN" },
                new ChannelAuthSettings("https://b.example/ch") { UserEnvironmentVariable = "B_USER", PasswordEnvironmentVariable = "B_PASS" },
                // A literal token wins; the variable is then not even read (it is not set here).
                new ChannelAuthSettings("https://c.example/ch") { BearerToken = "literal", BearerTokenEnvironmentVariable = "UNSET" },
                new ChannelAuthSettings("https://d.example/ch"),
            ],
            ChannelResolver.RootResolver(null),
            environment: Env(("A_TOKEN", "from-env"), ("B_USER", "bob"), ("B_PASS", "p:ss w0rd")));

        Assert.Equal(3, set.Configured.Count);
        Assert.Equal("Bearer from-env", HeaderFor(set, "https://a.example/ch/noarch/x-1-0.conda"));
        Assert.Equal(Basic("bob", "p:ss w0rd"), HeaderFor(set, "https://b.example/ch/linux-64/x-1-0.conda"));
        Assert.Equal("Bearer literal", HeaderFor(set, "https://c.example/ch/noarch/x-1-0.conda"));
        Assert.Null(HeaderFor(set, "https://d.example/ch/noarch/x-1-0.conda"));
        // Credentials never print their secrets.
        Assert.All(set.Configured, c => Assert.DoesNotContain("from-env", c.ToString()));
        Assert.All(set.Configured, c => Assert.DoesNotContain("w0rd", c.ToString()));
    }

    [Fact]
    public void User_info_in_the_url_wins_over_a_configured_token()
    {
        var set = CredentialSet.FromChannels([new ChannelAuthSettings("https://h.example/private") { BearerToken = "tok" }], ChannelResolver.RootResolver(null), environment: Env());
        var target = set.Authenticate(new Uri("https://alice:s3cret@h.example/private/noarch/a-1-0.conda"));
        Assert.Equal(Basic("alice", "s3cret"), target.Authorization!.ToString());
        Assert.Equal("https://h.example/private/noarch/a-1-0.conda", target.RequestUri.AbsoluteUri);
        Assert.Equal("https://***@h.example/private/noarch/a-1-0.conda", target.DisplayUrl);
    }

    [Theory]
    [InlineData(null, "https://conda.anaconda.org/my-org/")]
    [InlineData("", "https://conda.anaconda.org/my-org/")]
    [InlineData("https://mirror.example/conda", "https://mirror.example/conda/my-org/")]
    public void Channel_names_are_resolved_against_the_alias(string? alias, string prefix)
    {
        var set = CredentialSet.FromChannels([new ChannelAuthSettings("my-org") { BearerToken = "t" }], ChannelResolver.RootResolver(alias), environment: Env());
        Assert.Equal(prefix, Assert.Single(set.Configured).UrlPrefix);
    }

    [Fact]
    public void A_variable_that_is_not_set_is_a_build_setting_error_naming_it()
    {
        var e = Assert.Throws<CondaMirrorException>(() => CredentialSet.FromChannels(
            [new ChannelAuthSettings("https://h.example/ch") { BearerTokenEnvironmentVariable = "MISSING_TOKEN" }], ChannelResolver.RootResolver(null), environment: Env()));
        Assert.Equal(ErrorCodes.InvalidBuildSetting, e.Code);
        Assert.Equal("CondaChannel 'https://h.example/ch' takes its token from environment variable MISSING_TOKEN, which is not set. " +
                     "Set it, or remove BearerTokenEnvironmentVariable.", e.Message);

        var empty = Assert.Throws<CondaMirrorException>(() => CredentialSet.FromChannels(
            [new ChannelAuthSettings("https://h.example/ch") { PasswordEnvironmentVariable = "P", UserEnvironmentVariable = "U" }], ChannelResolver.RootResolver(null),
            environment: Env(("U", "bob"), ("P", ""))));
        Assert.Contains("takes its password from environment variable P", empty.Message);
    }

    [Fact]
    public void Basic_authentication_needs_both_variables()
    {
        var e = Assert.Throws<CondaMirrorException>(() => CredentialSet.FromChannels(
            [new ChannelAuthSettings("https://h.example/ch") { UserEnvironmentVariable = "U" }], ChannelResolver.RootResolver(null), environment: Env(("U", "bob"))));
        Assert.Equal(ErrorCodes.InvalidBuildSetting, e.Code);
        Assert.Contains("sets only one of UserEnvironmentVariable and PasswordEnvironmentVariable", e.Message);
        Assert.DoesNotContain("bob", e.Message);
    }

    [Fact]
    public void Urls_from_a_lock_get_back_the_credentials_of_a_channel_given_with_them()
    {
        var set = CredentialSet.FromChannels(
            [
                new ChannelAuthSettings("https://conda.anaconda.org/t/tok-123/my-org"),
                new ChannelAuthSettings("https://bob:pw@repo.example/forge"),
                new ChannelAuthSettings("conda-forge"),
            ],
            ChannelResolver.RootResolver(null), environment: Env());

        Assert.Empty(set.Configured);
        Assert.Equal("https://conda.anaconda.org/t/tok-123/my-org/linux-64/a-1-0.conda",
            set.RequestUrl("https://conda.anaconda.org/my-org/linux-64/a-1-0.conda"));
        Assert.Equal("https://bob:pw@repo.example/forge/noarch/b-1-0.tar.bz2",
            set.RequestUrl("https://repo.example/forge/noarch/b-1-0.tar.bz2"));
        // A public channel, a neighbour with a longer name, and other hosts stay as they are.
        Assert.Equal("https://conda.anaconda.org/conda-forge/noarch/c-1-0.conda", set.RequestUrl("https://conda.anaconda.org/conda-forge/noarch/c-1-0.conda"));
        Assert.Equal("https://conda.anaconda.org/my-org2/noarch/c-1-0.conda", set.RequestUrl("https://conda.anaconda.org/my-org2/noarch/c-1-0.conda"));
        Assert.Equal("https://other.example/x-1-0.conda", set.RequestUrl("https://other.example/x-1-0.conda"));
        Assert.Equal("https://other.example/x-1-0.conda", CredentialSet.None.RequestUrl("https://other.example/x-1-0.conda"));
    }

    [Fact]
    public void Settings_never_print_a_literal_token()
    {
        var settings = new ChannelAuthSettings("https://u:pw@h.example/ch") { BearerToken = "tok-secret" };
        Assert.DoesNotContain("tok-secret", settings.ToString());
        Assert.DoesNotContain("pw", settings.ToString());
    }

    // ChannelSource stripped channel roots with this expression (and a UriBuilder for the user info) before it used
    // UrlRedaction: the reference for the Uri overload on channel roots, whose paths end in '/'.
    private static readonly Regex FormerTokenSegment = new("/t/[^/]+/");

    private static Uri FormerStrip(Uri url)
    {
        var builder = new UriBuilder(url) { UserName = "", Password = "" };
        builder.Path = FormerTokenSegment.Replace(builder.Path, "/");
        return builder.Uri;
    }

    [Fact]
    public void Stripping_a_channel_root_agrees_with_the_former_expression()
    {
        string[] hosts = ["h.example", "t", "u:p@h.example", "u@t:8080", "[::1]"];
        string[] segments = ["t", "tok", "t%20x", "a.b", "~u", "%2F"];
        var random = new Random(20261126);
        for (var i = 0; i < 20_000; i++)
        {
            var path = string.Concat(Enumerable.Range(0, random.Next(0, 6)).Select(_ => "/" + segments[random.Next(segments.Length)]));
            var url = new Uri($"https://{hosts[random.Next(hosts.Length)]}{path}/");
            Assert.True(FormerStrip(url).AbsoluteUri == UrlRedaction.StripCredentials(url).AbsoluteUri, url.OriginalString);
        }
        // A host named t is not a token.
        Assert.Equal("https://t/x/", UrlRedaction.StripCredentials(new Uri("https://t/x/")).AbsoluteUri);
        Assert.Equal("https://h/ch/", UrlRedaction.StripCredentials(new Uri("https://u:p@h/t/abc/ch/")).AbsoluteUri);
    }
}
