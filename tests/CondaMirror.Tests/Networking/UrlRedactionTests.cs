using System.Text.RegularExpressions;
using CondaMirror.Core.Networking;
using CondaMirror.TestKit;
using Xunit;

namespace CondaMirror.Tests.Networking;

public sealed class UrlRedactionTests
{
    // The expressions UrlRedaction used before it scanned strings by hand; quadratic (and worse) on long input,
    // so they serve only as the reference on short strings.
    private static readonly Regex OldUserInfo = new(@"(?<scheme>[a-zA-Z][a-zA-Z0-9+.\-]*://)[^/?#\s]*@");
    private static readonly Regex OldPathToken = new(@"/t/[^/?#\s]+(/|$|\?|#)");

    private static string OldStrip(string url) => OldPathToken.Replace(OldUserInfo.Replace(url, m => m.Groups["scheme"].Value), "$1");

    private static string OldRedactUserAndToken(string url) =>
        OldPathToken.Replace(OldUserInfo.Replace(url, m => m.Groups["scheme"].Value + UrlRedaction.Mask + "@"), "/t/" + UrlRedaction.Mask + "$1");

    [Fact]
    public void Scanning_agrees_with_the_former_regular_expressions_on_random_text()
    {
        // Characters that matter to either pattern, plus white space and a non-ASCII letter and space.
        const string alphabet = "ab1+.-:/@t?# \n\u00a0\u00e9";
        var random = new Random(20261126);
        for (var i = 0; i < 200_000; i++)
        {
            var chars = new char[random.Next(0, 24)];
            for (var j = 0; j < chars.Length; j++) chars[j] = alphabet[random.Next(alphabet.Length)];
            var text = new string(chars);
            Assert.True(OldStrip(text) == UrlRedaction.StripCredentials(text), $"StripCredentials({Escape(text)})");
            Assert.True((OldUserInfo.IsMatch(text) || OldPathToken.IsMatch(text)) == UrlRedaction.HasCredentials(text),
                $"HasCredentials({Escape(text)})");
            // Redact also masks query values; compare only where there is no query.
            if (!text.Contains('?'))
                Assert.True(OldRedactUserAndToken(text) == UrlRedaction.Redact(text), $"Redact({Escape(text)})");
        }
    }

    private static string Escape(string s) => s.Replace("\n", "\\n").Replace("\u00a0", "\\u00a0");

    [Theory]
    [InlineData("https://a@b@c/x", "https://***@c/x")]
    [InlineData("see xhttps://u:p@h/x and ftp://v@w/y", "see xhttps://***@h/x and ftp://***@w/y")]
    [InlineData("1http://u@h/", "1http://***@h/")]
    [InlineData("http://h/t/abc", "http://h/t/***")]
    [InlineData("http://h/t/abc\n", "http://h/t/***\n")]
    [InlineData("http://h/t/abc def", "http://h/t/abc def")]
    [InlineData("http://h/t/t/x/", "http://h/t/***/x/")]
    public void Edge_cases_keep_their_meaning(string input, string expected) => Assert.Equal(expected, UrlRedaction.Redact(input));

    public static TheoryData<string> UrlPrefixes() => new(LongInputs.UrlPrefixes);

    [Theory]
    [MemberData(nameof(UrlPrefixes))]
    public void Long_inputs_of_every_shape_finish_without_backtracking(string prefix)
    {
        // The former expressions needed hours on most of these at 10 MB; the scan takes milliseconds. A hard limit
        // catches a regression without timing anything here: how time grows with size is the scaling benchmark's.
        foreach (var shape in LongInputs.UrlShapes(prefix))
        {
            var text = shape(10 * 1024 * 1024);
            HangGuard.Run(() => (UrlRedaction.Redact(text), UrlRedaction.StripCredentials(text), UrlRedaction.HasCredentials(text)),
                what: $"redacting a 10 MB text starting '{text[..Math.Min(12, text.Length)]}'");
        }
    }
}
