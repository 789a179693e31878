using CondaMirror.Core.Errors;
using CondaMirror.Core.Publishing;
using Xunit;

namespace CondaMirror.Tests.Publishing;

/// <summary>Azure Blob destinations as users write them: both URL forms, Endpoint, what is refused and with which code.</summary>
public sealed class AzurePublishTargetTests
{
    private static Dictionary<string, string> Meta(params (string, string)[] pairs) => pairs.ToDictionary(p => p.Item1, p => p.Item2);

    [Theory]
    [InlineData("azblob://myaccount/channels", "myaccount", "channels", "", "https://myaccount.blob.core.windows.net/")]
    [InlineData("azblob://myaccount/channels/conda/main/", "myaccount", "channels", "conda/main", "https://myaccount.blob.core.windows.net/")]
    [InlineData("AZBLOB://acct1/my-container/x", "acct1", "my-container", "x", "https://acct1.blob.core.windows.net/")]
    [InlineData("https://myaccount.blob.core.windows.net/channels/conda/main", "myaccount", "channels", "conda/main", "https://myaccount.blob.core.windows.net/")]
    [InlineData("https://gov1.blob.core.usgovcloudapi.net/channels", "gov1", "channels", "", "https://gov1.blob.core.usgovcloudapi.net/")]
    public void Both_forms_name_account_container_prefix_and_blob_service(string include, string account, string container, string prefix, string service)
    {
        var target = PublishTarget.Parse(include, Meta());
        Assert.Equal(PublishStore.AzureBlob, target.Store);
        Assert.Equal(account, target.Account);
        Assert.Equal(container, target.Bucket);
        Assert.Equal(prefix, target.Prefix);
        Assert.Equal(service, target.AzureServiceUri!.AbsoluteUri);
        Assert.Equal($"azblob://{account}/{container}" + (prefix.Length == 0 ? "" : "/" + prefix), target.Url);
        Assert.Equal(prefix.Length == 0 ? "" : prefix + "/", target.KeyPrefix);
    }

    [Fact]
    public void Endpoint_names_an_emulator_and_Prune_and_PyPI_are_read()
    {
        var target = PublishTarget.Parse("azblob://devstoreaccount1/channels/conda", Meta(("Endpoint", "http://127.0.0.1:10000/devstoreaccount1"), ("Prune", "true"), ("PyPI", "azblob://devstoreaccount1/channels/pypi")));
        Assert.Equal("http://127.0.0.1:10000/devstoreaccount1", target.AzureServiceUri!.AbsoluteUri);
        Assert.True(target.Prune);
        Assert.Equal("azblob://devstoreaccount1/channels/pypi", target.PyPI!.Url);
        Assert.Equal(target.AzureServiceUri, target.PyPI.AzureServiceUri);
    }

    [Theory]
    [InlineData("azblob://", "CMIR376")]
    [InlineData("azblob://myaccount", "CMIR376")]                       // no container
    [InlineData("azblob://MyAccount/channels", "CMIR376")]              // upper case account
    [InlineData("azblob://ab/channels", "CMIR376")]                     // account too short
    [InlineData("azblob://my-account/channels", "CMIR376")]             // '-' in an account
    [InlineData("azblob://myaccount/Channels", "CMIR376")]
    [InlineData("azblob://myaccount/ch--annels", "CMIR376")]
    [InlineData("azblob://myaccount/-channels", "CMIR376")]
    [InlineData("azblob://myaccount/channels/../x", "CMIR376")]
    [InlineData("azblob://myaccount/channels/a//b", "CMIR376")]
    [InlineData("azblob://myaccount/channels?sv=2024&sig=abc", "CMIR376")] // a SAS pasted into the URL
    [InlineData("azblob://user@myaccount/channels", "CMIR376")]
    [InlineData("azblob://myaccount:443/channels", "CMIR376")]
    [InlineData("azblob://myaccount/chan nels", "CMIR376")]
    [InlineData("azblob://myaccount/channels/%2e%2e", "CMIR376")]
    [InlineData("https://myaccount.blob./channels", "CMIR376")]
    [InlineData("https://myaccount.blob.core.windows.net", "CMIR376")]
    [InlineData("https://myaccount.blob.core.windows.net/channels?sv=1&sig=2", "CMIR376")]
    public void Malformed_destinations_are_CMIR376(string include, string code)
    {
        var error = Assert.Throws<CondaMirrorException>(() => PublishTarget.Parse(include, Meta(), "/p/app.csproj"));
        Assert.Equal(code, error.Code);
        Assert.Equal("/p/app.csproj", error.File);
        Assert.DoesNotContain("sig=abc", error.Message);
    }

    [Theory]
    [InlineData("Region", "us-east-1", "CMIR376")]
    [InlineData("ForcePathStyle", "true", "CMIR376")]
    [InlineData("Endpoint", "http://127.0.0.1:10000/acct?sv=1&sig=2", "CMIR376")]
    [InlineData("Endpoint", "ftp://example.com", "CMIR376")]
    [InlineData("Prune", "yes", "CMIR369")]
    [InlineData("PyPI", "azblob://otheraccount/channels/pypi", "CMIR376")]
    [InlineData("PyPI", "azblob://myaccount/channels/conda/pypi", "CMIR370")]
    [InlineData("AccountKey", "abc", "CMIR361")]
    [InlineData("SasToken", "sv=1&sig=2", "CMIR361")]
    [InlineData("ConnectionString", "DefaultEndpointsProtocol=https", "CMIR361")]
    public void Metadata_that_does_not_apply_or_holds_a_credential_is_refused(string name, string value, string code)
    {
        var error = Assert.Throws<CondaMirrorException>(() => PublishTarget.Parse("azblob://myaccount/channels/conda", Meta((name, value))));
        Assert.Equal(code, error.Code);
        if (code == "CMIR361")
        {
            Assert.DoesNotContain(value, error.Message);
            Assert.Contains("AZURE_STORAGE_SAS_TOKEN", error.Message);
        }
    }

    [Theory]
    // Two items; the expected code, or null when the destinations are distinct.
    [InlineData("azblob://acct1/channels/conda", "azblob://acct2/channels/conda", null)]
    [InlineData("azblob://acct1/channels/conda", "azblob://acct1/other/conda", null)]
    [InlineData("azblob://acct1/channels/conda", "s3://channels/conda", null)]
    [InlineData("azblob://acct1/channels/conda", "https://acct1.blob.core.windows.net/channels/conda", "CMIR369")]
    [InlineData("azblob://acct1/channels/conda", "azblob://acct1/channels/conda/x", "CMIR370")]
    public void Azure_destinations_are_distinct_per_account_and_container(string first, string second, string? code)
    {
        var targets = new[] { PublishTarget.Parse(first, Meta()), PublishTarget.Parse(second, Meta()) };
        if (code is null)
        {
            PublishTarget.CheckDistinct(targets);
            return;
        }
        Assert.Equal(code, Assert.Throws<CondaMirrorException>(() => PublishTarget.CheckDistinct(targets)).Code);
    }
}
