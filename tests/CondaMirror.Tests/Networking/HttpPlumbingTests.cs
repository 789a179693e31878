using CondaMirror.Core.Downloads;
using CondaMirror.Core.Errors;
using CondaMirror.Core.Networking;
using CondaMirror.TestKit;
using Xunit;

namespace CondaMirror.Tests.Networking;

public sealed class HttpPlumbingTests
{
    [Theory]
    [InlineData("https://user:pa55@conda.example.com/ch/noarch/a.conda", "https://***@conda.example.com/ch/noarch/a.conda")]
    [InlineData("https://conda.anaconda.org/t/ab-123/private/noarch/a.conda", "https://conda.anaconda.org/t/***/private/noarch/a.conda")]
    [InlineData("https://cdn.example.com/a.conda?X-Amz-Signature=abc&v=1", "https://cdn.example.com/a.conda?X-Amz-Signature=***&v=1")]
    [InlineData("https://h/ch/t/tok", "https://h/ch/t/***")]
    [InlineData("https://u:p@ss@h/ch/a.conda?x=1", "https://***@h/ch/a.conda?x=1")]
    [InlineData("/home/u/pkgs/a.conda", "/home/u/pkgs/a.conda")]
    [InlineData("failed to GET https://u:p@h/x: boom", "failed to GET https://***@h/x: boom")]
    public void Redact_removes_secrets(string input, string expected) => Assert.Equal(expected, UrlRedaction.Redact(input));

    [Fact]
    public void Credentials_match_the_longest_prefix_at_a_path_boundary()
    {
        var creds = new[]
        {
            new ChannelCredential("https://h/private", "short", null, null),
            new ChannelCredential("https://h/private/deep/", "long", null, null),
        };
        Assert.Equal("long", HttpAuthentication.FindCredential("https://h/private/deep/noarch/a.conda", creds)?.BearerToken);
        Assert.Equal("short", HttpAuthentication.FindCredential("https://h/private/noarch/a.conda", creds)?.BearerToken);
        Assert.Null(HttpAuthentication.FindCredential("https://h/private2/noarch/a.conda", creds));
        Assert.DoesNotContain("short", creds[0].ToString());
    }

    [Fact]
    public void User_info_moves_into_a_basic_header()
    {
        var target = HttpAuthentication.Prepare(new Uri("https://bob:p%3Ass@h/ch/noarch/a.conda"), null);
        Assert.Equal("https://h/ch/noarch/a.conda", target.RequestUri.AbsoluteUri);
        Assert.Equal("Basic", target.Authorization!.Scheme);
        Assert.Equal("bob:p:ss", System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(target.Authorization.Parameter!)));
        Assert.Equal("https://***@h/ch/noarch/a.conda", target.DisplayUrl);
    }

    [Fact]
    public void Retry_after_accepts_seconds_and_dates_and_refuses_longer_than_the_maximum()
    {
        using var seconds = new HttpResponseMessage(System.Net.HttpStatusCode.TooManyRequests);
        seconds.Headers.TryAddWithoutValidation("Retry-After", "3");
        Assert.Equal(TimeSpan.FromSeconds(3), HttpResilience.ReadRetryAfter(seconds, TimeSpan.FromSeconds(60), "https://h/x"));

        using var soon = new HttpResponseMessage(System.Net.HttpStatusCode.ServiceUnavailable);
        soon.Headers.TryAddWithoutValidation("Retry-After", DateTimeOffset.UtcNow.AddSeconds(30).ToString("R"));
        Assert.InRange(HttpResilience.ReadRetryAfter(soon, TimeSpan.FromSeconds(60), "https://h/x")!.Value, TimeSpan.FromSeconds(25), TimeSpan.FromSeconds(31));

        var at = new DateTimeOffset(2031, 2, 3, 4, 5, 6, TimeSpan.Zero);
        using var date = new HttpResponseMessage(System.Net.HttpStatusCode.ServiceUnavailable);
        date.Headers.TryAddWithoutValidation("Retry-After", at.ToString("R"));
        var e = Assert.Throws<RetryAfterTooLongException>(() => HttpResilience.ReadRetryAfter(date, TimeSpan.FromSeconds(60), "https://h/x"));
        Assert.Equal(at, e.RetryAt);
        Assert.Contains("2031-02-03 04:05:06 UTC", e.Message);
        Assert.Contains("https://h/x", e.Message);
        Assert.False(HttpResilience.IsTransient(e));
    }
}
